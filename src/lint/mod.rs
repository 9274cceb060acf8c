//! Lint rules: patterns that are valid Kubernetes but risky (unpinned images, no resource
//! requests, no probes, privileged pods, host namespaces, literal secrets, ...). One rule per
//! file under `rules/`, each with a stable id in the one table of [`codes`], its documentation
//! in its doc comment (`kforge rules KF301` prints it), and fire / quiet / suppressed fixtures
//! under `tests/fixtures/lint/<ID>/`.
//!
//! Suppression: the blueprint's `spec.lint.disable`, an app's `lint.allow` (with a reason),
//! or in a manifest the annotation `kforge.io/lint-allow: "KF301: reason"`.
//!
//! Architecture invariant: rules are pure functions of the objects (or the blueprint); they
//! never see files or spans. The caller places findings.

pub mod codes;
pub mod rule;
pub mod rules;
mod settings;
pub mod suppress;

use std::collections::BTreeSet;

use rayon::prelude::*;

pub use codes::{CODES, Code, lookup};
pub use settings::{Allow, AllowIndex, Settings};

use crate::diagnostic::Diagnostic;

use crate::finding::Finding;
use crate::load::Loaded;
use crate::model::Object;
use crate::model::field_path;
use crate::xref::index::Index;

/// Runs every enabled object rule over the set and returns the findings that are not
/// suppressed, ordered by object and pointer.
pub fn run(objects: &[Object], settings: &Settings) -> Vec<Finding> {
    let (hits, more) = rayon::join(
        || without_index(objects, settings),
        || match enabled(settings).any(|code| code.rule.uses_index()) {
            true => with_index(&Index::new(objects), settings),
            false => Vec::new(),
        },
    );
    findings(objects, settings, hits, more)
}

/// A rule's hits, before suppression.
pub type RuleHits = (&'static Code, Vec<rule::Hit>);

/// What the rules that need no index found: each object's allowed rules (its
/// `kforge.io/lint-allow` annotation), findings about those annotations, and the rules' hits.
/// [`findings`] turns it into findings. `review::findings` runs this while the index for the
/// reference checks and [`with_index`] is being built.
pub struct Hits {
    allowed: Vec<BTreeSet<&'static str>>,
    annotations: Vec<Finding>,
    hits: Vec<RuleHits>,
}

fn enabled(settings: &Settings) -> impl Iterator<Item = &'static Code> + use<'_> {
    CODES
        .iter()
        .filter(|code| !settings.disabled.contains(code.id))
}

/// The enabled rules that need no index: the per-object ones a slice at a time, with the
/// annotations read in the same pass; the set-wide ones alongside.
pub fn without_index(objects: &[Object], settings: &Settings) -> Hits {
    without_index_in_slices(objects, settings, crate::model::SLICE)
}

/// The enabled rules that look objects up ([`rule::Rule::uses_index`]).
pub fn with_index(index: &Index<'_>, settings: &Settings) -> Vec<RuleHits> {
    let codes: Vec<&'static Code> = enabled(settings)
        .filter(|code| code.rule.uses_index())
        .collect();
    codes
        .par_iter()
        .map(|code| (*code, code.rule.check_indexed(index)))
        .collect()
}

/// What one slice yields: the rules each object allows, findings about those annotations,
/// and each per-object rule's hits.
struct Slice {
    allowed: Vec<BTreeSet<&'static str>>,
    annotations: Vec<Finding>,
    hits: Vec<Vec<rule::Hit>>,
}

/// Reads the annotations and runs every per-object rule (`local`) on the objects of `part`,
/// which start at `offset` in the set.
fn slice_pass(part: &[Object], offset: usize, local: &[&Code]) -> Slice {
    let mut annotations = Vec::new();
    let allowed = part
        .iter()
        .enumerate()
        .map(|(j, o)| suppress::allowed(offset + j, o, &mut annotations))
        .collect();
    let hits = local
        .iter()
        .map(|code| {
            let mut found = code.rule.check(part);
            for hit in &mut found {
                hit.object += offset;
            }
            found
        })
        .collect();
    Slice {
        allowed,
        annotations,
        hits,
    }
}

fn without_index_in_slices(objects: &[Object], settings: &Settings, slice: usize) -> Hits {
    let slice = slice.max(1);
    let (local, whole): (Vec<&'static Code>, Vec<&'static Code>) = enabled(settings)
        .filter(|code| !code.rule.uses_index())
        .partition(|code| code.rule.per_object());
    // Rules are independent of each other: the set-wide ones run in parallel with the
    // slices. The order the rules' hits are taken in does not matter: the findings are
    // sorted by object, pointer and rule at the end.
    let (mut hits, slices): (Vec<RuleHits>, Vec<Slice>) = rayon::join(
        || {
            whole
                .par_iter()
                .map(|code| (*code, code.rule.check(objects)))
                .collect()
        },
        || {
            objects
                .par_chunks(slice)
                .enumerate()
                .map(|(k, part)| slice_pass(part, k * slice, &local))
                .collect()
        },
    );
    let mut annotations = Vec::new();
    let mut allowed = Vec::with_capacity(objects.len());
    let mut local_hits: Vec<Vec<rule::Hit>> = vec![Vec::new(); local.len()];
    for part in slices {
        allowed.extend(part.allowed);
        annotations.extend(part.annotations);
        for (all, found) in local_hits.iter_mut().zip(part.hits) {
            all.extend(found);
        }
    }
    hits.extend(local.iter().copied().zip(local_hits));
    Hits {
        allowed,
        annotations,
        hits,
    }
}

/// The findings of [`without_index`]'s and [`with_index`]'s hits that are not suppressed (by
/// an object's annotation or the blueprint's allows), ordered by object, pointer and rule.
pub fn findings(
    objects: &[Object],
    settings: &Settings,
    found: Hits,
    more: Vec<RuleHits>,
) -> Vec<Finding> {
    let Hits {
        allowed,
        annotations: mut out,
        hits,
    } = found;
    let allows = settings.index();
    for (code, hits) in hits.into_iter().chain(more) {
        for hit in hits {
            let Some(object) = objects.get(hit.object) else {
                continue;
            };
            let suppressed = allowed
                .get(hit.object)
                .is_some_and(|allowed| allowed.contains(code.id))
                || (!object.origin.is_empty() && allows.allows(code.id, &object.origin));
            if suppressed {
                continue;
            }
            out.push(Finding {
                severity: code.severity,
                rule: code.id,
                object: hit.object,
                pointer: hit.pointer,
                message: hit.message,
                help: hit.help,
            });
        }
    }
    out.sort_by(|a, b| (a.object, &a.pointer, a.rule).cmp(&(b.object, &b.pointer, b.rule)));
    out
}

/// Runs the blueprint rules (what no object shows, such as literal secret values), as
/// diagnostics at the blueprint field.
pub fn blueprint_rules(loaded: &Loaded, settings: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for code in CODES {
        if settings.disabled.contains(code.id) {
            continue;
        }
        for hit in code.rule.check_blueprint(loaded) {
            if settings.allows(code.id, &hit.pointer) {
                continue;
            }
            let mut diagnostic = Diagnostic::error(code.id, hit.message)
                .path(field_path(&hit.pointer))
                .at(loaded.spans.value(&hit.pointer), "here");
            diagnostic.severity = code.severity;
            diagnostic.help = hit.help;
            out.push(diagnostic);
        }
    }
    out
}

/// The `kforge rules` listing: one line per rule.
pub fn listing() -> String {
    let mut text = String::new();
    for code in CODES {
        let severity = match code.severity {
            crate::diagnostic::Severity::Error => "error",
            crate::diagnostic::Severity::Warning => "warning",
        };
        text.push_str(&format!(
            "{:<6} {:<8} {:<30} {}\n",
            code.id,
            severity,
            code.name,
            rule::summary(code.docs)
        ));
    }
    text
}

/// `kforge rules KF301`: the rule's header line and documentation.
pub fn documentation(code: &Code) -> String {
    let severity = match code.severity {
        crate::diagnostic::Severity::Error => "error",
        crate::diagnostic::Severity::Warning => "warning",
    };
    format!(
        "{} {} ({severity}, since {})\n\n{}\n",
        code.id,
        code.name,
        code.since,
        rule::docs_text(code.docs)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_run_a_slice_at_a_time_find_what_they_find_over_the_whole_set() {
        let objects = crate::model::samples::sample_set(60);
        let settings = Settings::default();
        let index = Index::new(&objects);
        let in_slices = |slice| {
            let hits = without_index_in_slices(&objects, &settings, slice);
            findings(&objects, &settings, hits, with_index(&index, &settings))
        };
        let whole = in_slices(usize::MAX);
        // Three rules fire for every app, on objects spread over every slice of seven.
        assert!(whole.len() >= 3 * 60, "{} findings", whole.len());
        let slices: std::collections::BTreeSet<usize> =
            whole.iter().map(|f| f.object / 7).collect();
        assert!(slices.len() >= 20, "findings in {} slices", slices.len());
        assert_eq!(in_slices(7), whole);
        assert_eq!(run(&objects, &settings), whole);
    }
}
