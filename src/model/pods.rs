//! Where the pod template sits in each workload kind, and the containers inside it: the one
//! place that knows `spec.template.spec` from `spec.jobTemplate.spec.template.spec`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::object::{Object, group};
use crate::json::At;

/// The pod template of a workload (or a bare Pod's own metadata and spec). Cheap to make and
/// to copy: the cross-resource checks and the lint rules each ask for it per object.
#[derive(Debug, Clone, Copy)]
pub struct PodTemplate<'a> {
    labels: Option<&'a Value>,
    /// The pod spec.
    pub spec: &'a Value,
    /// JSON pointer of the pod spec inside the object.
    pub pointer: &'static str,
}

impl<'a> PodTemplate<'a> {
    /// The pod's labels (empty when it has none).
    pub fn labels(&self) -> BTreeMap<&'a str, &'a str> {
        string_map(self.labels)
    }
}

/// JSON pointers of the pod labels and pod spec for a workload kind, `None` for other kinds.
fn template_pointers(object: &Object) -> Option<(&'static str, &'static str)> {
    let group = group(&object.api_version);
    match (group, object.kind.as_str()) {
        ("", "Pod") => Some(("/metadata/labels", "/spec")),
        ("", "ReplicationController")
        | ("apps" | "extensions", "Deployment" | "DaemonSet" | "ReplicaSet")
        | ("apps", "StatefulSet")
        | ("batch", "Job") => Some(("/spec/template/metadata/labels", "/spec/template/spec")),
        ("batch", "CronJob") => Some((
            "/spec/jobTemplate/spec/template/metadata/labels",
            "/spec/jobTemplate/spec/template/spec",
        )),
        _ => None,
    }
}

/// The pod template of `object`, when it is a workload with one.
pub fn pod_template(object: &Object) -> Option<PodTemplate<'_>> {
    let (labels, spec) = template_pointers(object)?;
    Some(PodTemplate {
        labels: object.body.at(labels),
        spec: object.body.at(spec)?,
        pointer: spec,
    })
}

/// Whether the kind runs to completion (its pods are not meant to serve).
pub fn runs_to_completion(object: &Object) -> bool {
    group(&object.api_version) == "batch" && matches!(object.kind.as_str(), "Job" | "CronJob")
}

/// A container of a pod spec, with its pointer inside the object.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    pub name: &'a str,
    pub value: &'a Value,
    pub pointer: String,
    /// Init containers run to completion before the others; probes do not apply to them.
    pub init: bool,
}

/// The init containers and the containers of a pod template.
pub fn containers<'a>(template: &PodTemplate<'a>) -> Vec<Container<'a>> {
    let mut out = Vec::new();
    for (field, init) in [("initContainers", true), ("containers", false)] {
        let Some(list) = template.spec.get(field).and_then(Value::as_array) else {
            continue;
        };
        for (i, value) in list.iter().enumerate() {
            out.push(Container {
                name: value.get("name").and_then(Value::as_str).unwrap_or(""),
                value,
                pointer: format!("{}/{field}/{i}", template.pointer),
                init,
            });
        }
    }
    out
}

/// A JSON object of strings as a map; other values and non-strings are skipped.
pub fn string_map(value: Option<&Value>) -> BTreeMap<&str, &str> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
                .collect()
        })
        .unwrap_or_default()
}

/// A string field of an object's body.
pub fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.at(pointer).and_then(Value::as_str)
}

/// The annotations of an object.
pub fn annotations(object: &Object) -> BTreeMap<&str, &str> {
    string_map(object.body.at("/metadata/annotations"))
}
