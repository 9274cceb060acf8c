//! Reviews a blueprint's objects the way `kforge validate` reviews manifests: cross-resource
//! checks ([`crate::xref`], strict: the blueprint is the whole set) and lint rules
//! ([`crate::lint`]), each finding placed at the blueprint field its object came from — the
//! field itself when the blueprint has one (`image`, `resources`, `securityContext`, ...),
//! else the app's (or other entry's) name.

use crate::diagnostic::Diagnostic;
use crate::finding::Finding;
use crate::lint::{self, Settings};
use crate::load::Loaded;
use crate::model::Object;
use crate::model::field_path;
use crate::xref;
use crate::xref::index::Index;

/// Blueprint-level lint rules (literal secret values), as diagnostics. Runs before expansion.
pub fn blueprint(loaded: &Loaded) -> Vec<Diagnostic> {
    lint::blueprint_rules(loaded, &Settings::from_blueprint(&loaded.blueprint))
}

/// Reference checks (`strict`: references that leave the set are errors) and lint rules over
/// a set of objects: reference findings, then lint findings, each in object order. Both use
/// one [`Index`] of the set (building it reads every object's body: once instead of twice,
/// the checks and `KF202` look objects up). The rules that need no index run while it is
/// built, which is partly serial and grows faster than the set (the maps outgrow the cache).
pub fn findings(objects: &[Object], strict: bool, settings: &Settings) -> Vec<Finding> {
    let ((mut findings, more), hits) = rayon::join(
        || {
            let index = Index::new(objects);
            rayon::join(
                || xref::check_indexed(&index, strict),
                || lint::with_index(&index, settings),
            )
        },
        || lint::without_index(objects, settings),
    );
    findings.extend(lint::findings(objects, settings, hits, more));
    findings
}

/// Reference checks and lint rules over the expanded objects, as diagnostics.
pub fn objects(loaded: &Loaded, objects: &[Object]) -> Vec<Diagnostic> {
    let settings = Settings::from_blueprint(&loaded.blueprint);
    let findings = findings(objects, true, &settings);
    use rayon::prelude::*;
    // Placing is a span lookup and a few strings per finding: with thousands of findings it
    // is worth both cores; the order stays the findings' own.
    findings
        .par_iter()
        .map(|f| place(loaded, objects, f))
        .collect()
}

/// Whether a diagnostic is an object finding (reference or lint) rather than a problem with
/// the blueprint's own text; `check` exits 1 for those and 2 for the others.
pub fn is_object_finding(diagnostic: &Diagnostic) -> bool {
    diagnostic.code == xref::RULE
        || diagnostic.code == lint::suppress::RULE
        || lint::lookup(diagnostic.code).is_some()
}

/// Object-pointer segments and the blueprint field of an app that sets them.
const FIELDS: [(&str, &str); 12] = [
    ("image", "image"),
    ("resources", "resources"),
    ("livenessProbe", "probes"),
    ("readinessProbe", "probes"),
    ("securityContext", "securityContext"),
    ("hostNetwork", "hostNetwork"),
    ("hostPID", "hostPID"),
    ("hostIPC", "hostIPC"),
    ("volumes", "volumes"),
    ("serviceAccountName", "rbac"),
    ("nodePort", "nodePorts"),
    ("tls", "tls"),
];

/// The blueprint pointer a finding about `object` is best shown at.
fn blueprint_pointer(loaded: &Loaded, object: &Object, pointer: &str) -> String {
    let spans = &loaded.spans;
    let origin = object.origin.as_str();
    for segment in pointer.split('/').rev() {
        if let Some((_, field)) = FIELDS.iter().find(|(s, _)| *s == segment) {
            let candidate = format!("{origin}/{field}");
            if spans.contains(&candidate) {
                return candidate;
            }
        }
    }
    let name = format!("{origin}/name");
    if spans.contains(&name) {
        name
    } else {
        origin.to_owned()
    }
}

fn place(loaded: &Loaded, objects: &[Object], finding: &Finding) -> Diagnostic {
    let Some(object) = objects.get(finding.object) else {
        return Diagnostic::error(finding.rule, finding.message.clone());
    };
    let pointer = blueprint_pointer(loaded, object, &finding.pointer);
    let mut diagnostic = Diagnostic::error(finding.rule, finding.message.clone())
        .path(field_path(&pointer))
        .at(loaded.spans.value(&pointer), xref::describe(object));
    diagnostic.severity = finding.severity;
    diagnostic.help = finding.help.clone();
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_index_for_checks_and_rules_finds_what_each_finds_over_its_own() {
        let objects = crate::model::samples::sample_set(40);
        let settings = Settings::default();
        let mut alone = xref::check_references(&objects, true);
        alone.extend(lint::run(&objects, &settings));
        // Both sides use the index: a reference check and KF202 (a budget and its workload).
        assert!(alone.iter().any(|f| f.rule == xref::RULE), "{alone:?}");
        assert!(alone.iter().any(|f| f.rule == "KF202"), "{alone:?}");
        assert_eq!(findings(&objects, true, &settings), alone);
    }
}
