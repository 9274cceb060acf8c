//! Selectors of the workload kinds: required, not empty, and matching the pod template's
//! labels (`ValidateDeploymentSpec` and its siblings, `ValidateReplicationControllerSpec`,
//! `ValidateJobSpec`).

use serde_json::{Map, Value};

use super::Report;
use super::meta::labels;
use crate::selector::LabelSet;
use crate::selector::labels::LabelSelector;

/// The server's message when a selector does not select its own pod template.
pub(crate) const NO_MATCH: &str = "`selector` does not match template `labels`";

/// The template's labels as the server prints them (a Go map literal).
fn go_map(map: &Map<String, Value>) -> String {
    let mut entries: Vec<(&String, &str)> = map
        .iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default()))
        .collect();
    entries.sort();
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{k:?}:{v:?}"))
        .collect();
    format!("map[string]string{{{}}}", body.join(", "))
}

fn template_labels<'a>(spec: &'a Value) -> (Map<String, Value>, LabelSet<'a>) {
    let map = spec
        .pointer("/template/metadata/labels")
        .and_then(Value::as_object);
    let set = map
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
                .collect()
        })
        .unwrap_or_default();
    (map.cloned().unwrap_or_default(), set)
}

/// A label selector at `pointer` that must select the template at `spec/template`.
fn selects_template(report: &mut Report, spec_at: &str, spec: &Value, selector: &Value) {
    let selector_at = format!("{spec_at}/selector");
    labels(
        report,
        &format!("{selector_at}/matchLabels"),
        selector.get("matchLabels"),
    );
    let Ok(parsed) = LabelSelector::parse(selector) else {
        return;
    };
    if parsed.is_everything() {
        report.invalid_shown(
            &selector_at,
            "{}",
            "empty selector is invalid for deployment",
        );
        return;
    }
    let (map, set) = template_labels(spec);
    if !parsed.matches(&set) {
        report.invalid_shown(
            &format!("{spec_at}/template/metadata/labels"),
            &go_map(&map),
            NO_MATCH,
        );
    }
}

/// Deployment, ReplicaSet, StatefulSet, DaemonSet: the schema makes `selector` required.
pub(crate) fn required_selector(report: &mut Report, kind: &str, object: &Value) {
    let Some(spec) = object.get("spec") else {
        return;
    };
    if let Some(selector) = spec.get("selector").filter(|s| s.is_object()) {
        let before = report.findings.len();
        selects_template(report, "/spec", spec, selector);
        // The server names the kind in its message about an empty selector.
        if kind != "Deployment" {
            for finding in &mut report.findings[before..] {
                finding.message = finding.message.replace(
                    "invalid for deployment",
                    &format!("invalid for {}", kind.to_lowercase()),
                );
            }
        }
    }
}

/// ReplicationController: a plain map selector, defaulted from the template's labels.
pub(crate) fn replication_controller(report: &mut Report, object: &Value) {
    let Some(spec) = object.get("spec") else {
        return;
    };
    let selector = spec.get("selector").and_then(Value::as_object);
    let (map, set) = template_labels(spec);
    let selector = match selector.filter(|s| !s.is_empty()) {
        Some(selector) => selector.clone(),
        None => map.clone(),
    };
    if selector.is_empty() {
        report.required("/spec/selector", None);
        return;
    }
    labels(
        report,
        "/spec/selector",
        Some(&Value::Object(selector.clone())),
    );
    if spec.get("template").is_some() {
        let parsed = LabelSelector::from_map(Some(&Value::Object(selector)));
        if !parsed.matches(&set) {
            report.invalid_shown("/spec/template/metadata/labels", &go_map(&map), NO_MATCH);
        }
    }
}

/// Job (and a CronJob's job template): the selector is generated unless `manualSelector`.
pub(crate) fn job(report: &mut Report, spec_at: &str, spec: Option<&Value>) {
    let Some(spec) = spec else {
        return;
    };
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    match (spec.get("selector").filter(|s| s.is_object()), manual) {
        (Some(selector), true) => selects_template(report, spec_at, spec, selector),
        (None, true) => report.required(&format!("{spec_at}/selector"), None),
        (Some(selector), false) => report.invalid_shown(
            &format!("{spec_at}/selector"),
            &selector.to_string(),
            "`selector` not auto-generated",
        ),
        (None, false) => {}
    }
}

/// A CronJob's job template (`ValidateJobTemplateSpec`): the selector of each Job it starts
/// is generated, so the template may set neither `selector` nor `manualSelector: true`.
pub(crate) fn job_template(report: &mut Report, spec: Option<&Value>) {
    let Some(spec) = spec else {
        return;
    };
    if let Some(selector) = spec.get("selector").filter(|s| s.is_object()) {
        report.invalid_shown(
            "/spec/jobTemplate/spec/selector",
            &selector.to_string(),
            "`selector` will be auto-generated",
        );
    }
    if spec.get("manualSelector").and_then(Value::as_bool) == Some(true) {
        report.push(
            "/spec/jobTemplate/spec/manualSelector",
            "Unsupported value: true: supported values: \"nil\", \"false\"".to_owned(),
        );
    }
}
