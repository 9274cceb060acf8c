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
use serde_json::Value;

pub use codes::{CODES, Code, lookup};
pub use settings::{Allow, AllowIndex, Settings};

use crate::diagnostic::Diagnostic;

use crate::expand::Object;
use crate::finding::Finding;
use crate::json::At;
use crate::load::Loaded;
use crate::load::schema::field_path;

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

/// Objects from manifest text (multi-document YAML or JSON, `kind: List` flattened), with an
/// empty origin, as `kforge validate` hands them to the rules. Used by the fixture tests.
pub fn manifest_objects(text: &str) -> Result<Vec<Object>, String> {
    let mut out = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value: Value = serde::Deserialize::deserialize(document).map_err(|e| e.to_string())?;
        let items = match value {
            Value::Null => continue,
            Value::Object(ref map) if map.get("kind").and_then(Value::as_str) == Some("List") => {
                map.get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            }
            other => vec![other],
        };
        for body in items {
            let field = |p: &str| body.at(p).and_then(Value::as_str).map(str::to_owned);
            out.push(Object {
                api_version: field("/apiVersion").unwrap_or_default(),
                kind: field("/kind").unwrap_or_default(),
                namespace: field("/metadata/namespace"),
                name: field("/metadata/name").unwrap_or_default(),
                origin: String::new(),
                body,
            });
        }
    }
    Ok(out)
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
