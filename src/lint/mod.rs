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

use rayon::prelude::*;

pub use codes::{CODES, Code, lookup};
pub use settings::{Allow, AllowIndex, Settings};

use crate::diagnostic::Diagnostic;

use crate::finding::Finding;
use crate::load::Loaded;
use crate::model::Object;
use crate::model::field_path;

/// Runs every enabled object rule over the set and returns the findings that are not
/// suppressed, ordered by object and pointer.
pub fn run(objects: &[Object], settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    let allowed: Vec<_> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| suppress::allowed(i, o, &mut out))
        .collect();
    // Rules are independent of each other: they run in parallel, and their hits are taken in
    // the code table's order.
    let hits: Vec<(&Code, Vec<rule::Hit>)> = CODES
        .par_iter()
        .filter(|code| !settings.disabled.contains(code.id))
        .map(|code| (code, code.rule.check(objects)))
        .collect();
    let allows = settings.index();
    for (code, hits) in hits {
        for hit in hits {
            let Some(object) = objects.get(hit.object) else {
                continue;
            };
            let suppressed = allowed[hit.object].contains(code.id)
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
