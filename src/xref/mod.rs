//! Cross-resource checks over a whole object set: every reference from one object to another
//! (claims to classes and volumes, pods to ConfigMaps, Secrets, claims and service accounts,
//! Ingresses to Services, bindings to roles, autoscalers to workloads) and every selector that
//! should select pods. One file per concern; all of them look up [`index::Index`], never scan.
//!
//! A reference to an object that is not in the set may still be satisfied by the cluster: it
//! is a warning for `kforge validate` and an error when the set is meant to be complete
//! (`render`, `check`, `validate --strict-references`). A reference that reaches an object of
//! the set but asks for something it does not have (a key, a port) is always an error.

mod config;
mod duplicates;
pub mod index;
mod ingress;
mod rbac;
mod scaling;
mod selectors;
mod storage;

use crate::diagnostic::Severity;
use crate::finding::Finding;
use crate::model::Object;
use crate::suggest;
use index::Index;

/// The rule name every reference finding carries.
pub const RULE: &str = "reference";

/// Runs every cross-resource check. `strict`: references that leave the set are errors.
pub fn check_references(objects: &[Object], strict: bool) -> Vec<Finding> {
    check_indexed(&Index::new(objects), strict)
}

/// [`check_references`] over a set whose index is built already (`review::findings` shares
/// one with the lint rules).
pub fn check_indexed(index: &Index<'_>, strict: bool) -> Vec<Finding> {
    check_in_slices(index, strict, crate::model::SLICE)
}

fn check_in_slices(index: &Index<'_>, strict: bool, slice: usize) -> Vec<Finding> {
    use rayon::prelude::*;
    let objects = index.objects;
    // The checks that need the whole set at once (duplicates, noted by the index; the default
    // StorageClass and the classes volumes name), then the per-object ones a slice at a time,
    // on every core. The findings keep the order of one pass: set-wide first, then by object.
    let mut cx = Ctx::new(index, strict, 0..objects.len());
    duplicates::check(&mut cx);
    let classes = storage::Classes::new(objects);
    let slice = slice.max(1);
    let parts: Vec<Vec<Finding>> = objects
        .par_chunks(slice)
        .enumerate()
        .map(|(k, chunk)| {
            let start = k * slice;
            let mut part = Ctx::new(index, strict, start..start + chunk.len());
            storage::check(&mut part, &classes);
            config::check(&mut part);
            ingress::check(&mut part);
            selectors::check(&mut part);
            scaling::check(&mut part);
            rbac::check(&mut part);
            part.out
        })
        .collect();
    cx.out.extend(parts.into_iter().flatten());
    cx.out
        .sort_by(|a, b| (a.object, &a.pointer).cmp(&(b.object, &b.pointer)));
    cx.out
}

/// What the checks share: the index, the strictness, the objects a check looks at (a slice
/// of the set, by index) and the findings so far.
pub(crate) struct Ctx<'i, 'a> {
    pub index: &'i Index<'a>,
    pub strict: bool,
    pub out: Vec<Finding>,
    range: std::ops::Range<usize>,
}

impl<'i, 'a> Ctx<'i, 'a> {
    /// A reference to something the set does not hold: error when strict, else a warning.
    pub fn missing(&mut self, object: usize, pointer: String, message: String, help: String) {
        let severity = if self.strict {
            Severity::Error
        } else {
            Severity::Warning
        };
        self.out.push(Finding {
            severity,
            ..Finding::error(RULE, object, message).at(pointer).help(help)
        });
    }

    /// A reference that reaches an object of the set but is wrong anyway.
    pub fn wrong(&mut self, object: usize, pointer: String, message: String, help: String) {
        self.out
            .push(Finding::error(RULE, object, message).at(pointer).help(help));
    }

    /// Reports a named object of `kind` missing from `namespace`, with a did-you-mean.
    #[allow(clippy::too_many_arguments)]
    pub fn missing_object(
        &mut self,
        object: usize,
        pointer: String,
        group: &'a str,
        kind: &'a str,
        namespace: &'a str,
        name: &str,
    ) {
        let known = self.index.names(group, kind, namespace);
        let place = if namespace.is_empty() {
            String::new()
        } else {
            format!(" in namespace `{namespace}`")
        };
        let help = match suggest::did_you_mean(name, known.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if self.strict => format!("add the {kind} or correct the name"),
            None => format!("add the {kind}, or make sure the cluster has it"),
        };
        self.missing(
            object,
            pointer,
            format!("{kind} `{name}` does not exist{place}"),
            help,
        );
    }

    fn new(index: &'i Index<'a>, strict: bool, range: std::ops::Range<usize>) -> Self {
        Ctx {
            index,
            strict,
            out: Vec::new(),
            range,
        }
    }

    /// Every object of the set (for lookups by index and set-wide facts).
    pub fn objects(&self) -> &'a [Object] {
        self.index.objects
    }

    /// The objects this check looks at, with their index in the set.
    pub fn each(&self) -> impl Iterator<Item = (usize, &'a Object)> + use<'a> {
        let objects = self.index.objects;
        self.range.clone().map(move |i| (i, &objects[i]))
    }
}

/// `Kind namespace/name` for messages.
pub fn describe(object: &Object) -> String {
    match &object.namespace {
        Some(ns) => format!("{} `{ns}/{}`", object.kind, object.name),
        None => format!("{} `{}`", object.kind, object.name),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::finding::Finding;
    use crate::model::Object;

    /// Objects from a multi-document YAML string, as `kforge validate` builds them.
    pub fn objects(yaml: &str) -> Vec<Object> {
        crate::model::manifest::objects(yaml).unwrap()
    }

    /// `(severity, object name, pointer, message)` of every reference finding, strict or not.
    pub fn run(yaml: &str, strict: bool) -> Vec<(String, String, String, String)> {
        let objects = objects(yaml);
        super::check_references(&objects, strict)
            .into_iter()
            .map(|f: Finding| {
                (
                    if f.is_error() { "error" } else { "warning" }.to_owned(),
                    objects[f.object].name.clone(),
                    f.pointer,
                    f.message,
                )
            })
            .collect()
    }

    /// Only the messages (non-strict).
    pub fn messages(yaml: &str) -> Vec<String> {
        run(yaml, false).into_iter().map(|f| f.3).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn checks_run_a_slice_at_a_time_find_what_they_find_over_the_whole_set() {
        // Every other app's service account is missing, every third Service selects nothing,
        // every fifth app's claim relies on a default class the set does not have.
        let objects = crate::model::samples::sample_set(60);
        let broken = 30 + 20;
        let index = Index::new(&objects);
        let whole = check_in_slices(&index, true, usize::MAX);
        assert!(
            broken > 20 && whole.len() >= broken + 12,
            "{} of {broken} + 12",
            whole.len()
        );
        let claims = whole
            .iter()
            .filter(|f| f.message.contains("storageClassName"));
        assert_eq!(claims.count(), 12);
        assert_eq!(check_in_slices(&index, true, 7), whole);
        assert_eq!(check_references(&objects, true), whole);
    }
}
