//! What the API server judges beyond the schema: its `validation.go` rules for the built-in
//! kinds, checked after an object passed its schema (so every field has its schema's type).
//! Each finding is worded like the server's `field.Error` (`Invalid value: "64 MB": ...`,
//! `Duplicate value: "web"`, `Not found: "data"`, `Required value`, `Forbidden: ...`), at
//! the JSON pointer of the field, which the caller places at file:line:col.
//!
//! One walk per object, no re-parsing: O(size of the object). [`defaults`] holds the other
//! half of agreeing with the server: the fields it defaults though the schema requires them.

pub mod defaults;
mod meta;
mod pod;
mod service;
mod workload;

use serde_json::Value;

use crate::finding::Finding;
use crate::json::push_escaped;

/// The rule of a semantic finding.
pub const SEMANTIC: &str = "semantic";

/// Findings of one object, each at a JSON pointer.
pub(crate) struct Report {
    object: usize,
    findings: Vec<Finding>,
}

impl Report {
    fn push(&mut self, pointer: &str, message: String) {
        self.findings
            .push(Finding::error(SEMANTIC, self.object, message).at(pointer));
    }

    /// `Invalid value: <value>: <why>`.
    fn invalid(&mut self, pointer: &str, value: &Value, why: &str) {
        self.push(pointer, format!("Invalid value: {}: {why}", show(value)));
    }

    /// `Invalid value: "<value>": <why>` for a string value.
    fn invalid_text(&mut self, pointer: &str, value: &str, why: &str) {
        self.invalid(pointer, &Value::String(value.to_owned()), why);
    }

    /// One `Invalid value` finding per problem of a string value.
    fn invalid_all(&mut self, pointer: &str, value: &str, problems: Vec<String>) {
        for problem in problems {
            self.invalid_text(pointer, value, &problem);
        }
    }

    /// `Invalid value: <shown>: <why>`, the value already written as the server shows it
    /// (a Go map or struct literal).
    fn invalid_shown(&mut self, pointer: &str, shown: &str, why: &str) {
        self.push(pointer, format!("Invalid value: {shown}: {why}"));
    }

    fn required(&mut self, pointer: &str, why: Option<&str>) {
        match why {
            Some(why) => self.push(pointer, format!("Required value: {why}")),
            None => self.push(pointer, "Required value".to_owned()),
        }
    }

    fn duplicate(&mut self, pointer: &str, value: &Value) {
        self.push(pointer, format!("Duplicate value: {}", show(value)));
    }

    fn not_found(&mut self, pointer: &str, value: &Value) {
        self.push(pointer, format!("Not found: {}", show(value)));
    }

    fn forbidden(&mut self, pointer: &str, why: &str) {
        self.push(pointer, format!("Forbidden: {why}"));
    }
}

/// A value as the server's messages show it: strings quoted, numbers bare.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// `base` + `/` + `segment`, escaped.
fn join(base: &str, segment: &str) -> String {
    let mut pointer = format!("{base}/");
    push_escaped(&mut pointer, segment);
    pointer
}

/// The items of an array field (none when absent).
fn items<'a>(value: &'a Value, field: &str) -> &'a [Value] {
    value
        .get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn text<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value.get(field).and_then(Value::as_str)
}

/// Every semantic finding about an object that passed its schema. `api_version` and `kind`
/// are the object's. Custom resources (a group outside Kubernetes' own) get the metadata
/// rules every object gets (labels, annotations, namespace), not the built-in kinds' rules.
pub fn check(index: usize, api_version: &str, kind: &str, object: &Value) -> Vec<Finding> {
    let mut report = Report {
        object: index,
        findings: Vec::new(),
    };
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    let builtin = is_builtin_group(group);
    meta::object_meta(&mut report, builtin.then_some(kind), object);
    if !builtin {
        return report.findings;
    }
    match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => {
            workload::required_selector(&mut report, kind, object);
        }
        "ReplicationController" => workload::replication_controller(&mut report, object),
        "Job" => workload::job(&mut report, "/spec", object.get("spec")),
        "CronJob" => workload::job_template(&mut report, object.pointer("/spec/jobTemplate/spec")),
        "Pod" => {
            if let Some(spec) = object.get("spec") {
                pod::pod_spec(&mut report, "/spec", spec, &[]);
            }
        }
        "Service" => service::service(&mut report, object),
        "Ingress" => service::ingress(&mut report, object),
        "PersistentVolumeClaim" => {
            for field in ["requests", "limits"] {
                let pointer = format!("/spec/resources/{field}");
                pod::quantities(&mut report, &pointer, object.pointer(&pointer));
            }
        }
        "PersistentVolume" => {
            pod::quantities(
                &mut report,
                "/spec/capacity",
                object.pointer("/spec/capacity"),
            );
        }
        "ResourceQuota" => {
            pod::quantities(&mut report, "/spec/hard", object.pointer("/spec/hard"));
        }
        "LimitRange" => {
            for (i, limit) in items(object.get("spec").unwrap_or(&Value::Null), "limits")
                .iter()
                .enumerate()
            {
                for field in [
                    "max",
                    "min",
                    "default",
                    "defaultRequest",
                    "maxLimitRequestRatio",
                ] {
                    let pointer = format!("/spec/limits/{i}/{field}");
                    pod::quantities(&mut report, &pointer, limit.get(field));
                }
            }
        }
        _ => {}
    }
    if let Some((pointer, spec)) = template_spec(kind, object) {
        let claims: Vec<&str> = object
            .pointer("/spec/volumeClaimTemplates")
            .and_then(Value::as_array)
            .map(|claims| {
                claims
                    .iter()
                    .filter_map(|c| c.pointer("/metadata/name").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        pod::pod_spec(&mut report, pointer, spec, &claims);
    }
    report.findings
}

/// The pod spec of a workload's template, with its pointer.
fn template_spec<'a>(kind: &str, object: &'a Value) -> Option<(&'static str, &'a Value)> {
    let pointer = match kind {
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicationController"
        | "Job"
        | "PodTemplate" => "/spec/template/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => return None,
    };
    let pointer = if kind == "PodTemplate" {
        "/template/spec"
    } else {
        pointer
    };
    object.pointer(pointer).map(|spec| (pointer, spec))
}

/// The API groups whose kinds the server validates with the rules here (the core group is
/// `""`); custom resources are judged by their CRD's schema only.
fn is_builtin_group(group: &str) -> bool {
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn found(api_version: &str, kind: &str, object: &Value) -> Vec<(String, String)> {
        check(0, api_version, kind, object)
            .into_iter()
            .map(|f| (f.pointer, f.message))
            .collect()
    }

    fn deployment() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web", "tier": "f"}},
                "spec": {"containers": [{"name": "web", "image": "nginx", "resources": {"requests": {"cpu": "500m"}, "limits": {"cpu": 1}}}]}}}})
    }

    #[test]
    fn a_sound_deployment_draws_nothing() {
        assert_eq!(found("apps/v1", "Deployment", &deployment()), vec![]);
    }

    #[test]
    fn several_problems_of_one_object_are_all_reported_at_their_fields() {
        let mut object = deployment();
        object["metadata"]["name"] = json!("Web");
        object["spec"]["selector"] = json!({"matchLabels": {"app": "api"}});
        object["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] =
            json!("1500m");
        let pointers: Vec<String> = found("apps/v1", "Deployment", &object)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            pointers,
            vec![
                "/metadata/name",
                "/spec/template/metadata/labels",
                "/spec/template/spec/containers/0/resources/requests/cpu",
            ]
        );
    }

    #[test]
    fn custom_resources_get_label_rules_but_no_kind_rules() {
        let object = json!({"apiVersion": "example.com/v1", "kind": "Service", "metadata": {"name": "1Web", "labels": {"a b": "c"}}});
        let found = found("example.com/v1", "Service", &object);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "/metadata/labels/a b");
    }

    #[test]
    fn the_server_defaults_role_ref_api_group() {
        let binding = json!({"roleRef": {"kind": "ClusterRole", "name": "view"}});
        let defaulted =
            defaults::with_server_defaults("rbac.authorization.k8s.io/v1", "RoleBinding", &binding);
        assert_eq!(
            defaulted["roleRef"]["apiGroup"],
            "rbac.authorization.k8s.io"
        );
        let other = defaults::with_server_defaults("v1", "ConfigMap", &binding);
        assert!(matches!(other, std::borrow::Cow::Borrowed(_)));
    }
}
