//! Turns the permissive schemas Kubernetes publishes into the strict ones kforge validates
//! against: objects closed to unknown fields, enums the API server enforces (the published
//! OpenAPI v2 schemas do not carry them, so they are listed here), int-or-string spelled as a JSON Schema type union, descriptions dropped to keep the
//! embedded files small.
//!
//! Shared, through `#[path]`, with `tools/schemagen` (which writes `schemas/k8s/*.json`), so
//! the committed schemas, the Calico schemas kforge derives from its own types
//! (`validate/calico.rs`) and the user CRDs read at run time are tightened by the same code.
//! Pure functions over `serde_json::Value`; no kforge types.

use serde_json::{Map, Value};

/// Tightens one definition generated from the k8s-openapi types (OpenAPI v2 flavour).
pub fn tighten_definition(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    strip_documentation(object);
    int_or_string(object);
    close_object(object);
    for child in children_mut(object) {
        tighten_definition(child);
    }
}

/// Tightens the `openAPIV3Schema` of a CustomResourceDefinition version: the API server
/// prunes (and in strict field validation, rejects) every field the structural schema does
/// not name, except under `x-kubernetes-preserve-unknown-fields`.
pub fn tighten_crd_schema(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    strip_documentation(object);
    int_or_string(object);
    if object.remove("nullable") == Some(Value::Bool(true)) {
        add_null(object);
    }
    let preserve = object.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    let embedded = object.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
    if !preserve && !embedded {
        close_object(object);
        if is_object_type(object)
            && !object.contains_key("properties")
            && !object.contains_key("additionalProperties")
        {
            // A structural schema with neither properties nor additionalProperties allows
            // nothing inside: the API server prunes every field.
            object.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
    for child in children_mut(object) {
        tighten_crd_schema(child);
    }
}

/// Enumerations the API server validates, by definition and property. The OpenAPI v2
/// document k8s-openapi is generated from states them only in prose.
pub const KNOWN_ENUMS: &[(&str, &str, &[&str])] = &[
    (
        "io.k8s.api.core.v1.Container",
        "imagePullPolicy",
        &["Always", "IfNotPresent", "Never"],
    ),
    (
        "io.k8s.api.core.v1.Container",
        "terminationMessagePolicy",
        &["File", "FallbackToLogsOnError"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "restartPolicy",
        &["Always", "OnFailure", "Never"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "dnsPolicy",
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
    ),
    (
        "io.k8s.api.core.v1.ContainerPort",
        "protocol",
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.core.v1.ServicePort",
        "protocol",
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.networking.v1.NetworkPolicyPort",
        "protocol",
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "type",
        &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "sessionAffinity",
        &["ClientIP", "None"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "externalTrafficPolicy",
        &["Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "internalTrafficPolicy",
        &["Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "ipFamilyPolicy",
        &["SingleStack", "PreferDualStack", "RequireDualStack"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "ipFamilies",
        &["IPv4", "IPv6"],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
        "accessModes",
        &[
            "ReadWriteOnce",
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOncePod",
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
        "volumeMode",
        &["Block", "Filesystem"],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeSpec",
        "accessModes",
        &[
            "ReadWriteOnce",
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOncePod",
        ],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeSpec",
        "volumeMode",
        &["Block", "Filesystem"],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeSpec",
        "persistentVolumeReclaimPolicy",
        &["Retain", "Delete", "Recycle"],
    ),
    (
        "io.k8s.api.core.v1.HTTPGetAction",
        "scheme",
        &["HTTP", "HTTPS"],
    ),
    (
        "io.k8s.api.core.v1.Toleration",
        "operator",
        &["Exists", "Equal"],
    ),
    (
        "io.k8s.api.core.v1.Toleration",
        "effect",
        &["NoSchedule", "PreferNoSchedule", "NoExecute"],
    ),
    (
        "io.k8s.api.core.v1.Taint",
        "effect",
        &["NoSchedule", "PreferNoSchedule", "NoExecute"],
    ),
    (
        "io.k8s.api.core.v1.NodeSelectorRequirement",
        "operator",
        &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"],
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
        "operator",
        &["In", "NotIn", "Exists", "DoesNotExist"],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentStrategy",
        "type",
        &["Recreate", "RollingUpdate"],
    ),
    (
        "io.k8s.api.apps.v1.DaemonSetUpdateStrategy",
        "type",
        &["RollingUpdate", "OnDelete"],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetUpdateStrategy",
        "type",
        &["RollingUpdate", "OnDelete"],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetSpec",
        "podManagementPolicy",
        &["OrderedReady", "Parallel"],
    ),
    (
        "io.k8s.api.batch.v1.CronJobSpec",
        "concurrencyPolicy",
        &["Allow", "Forbid", "Replace"],
    ),
    (
        "io.k8s.api.batch.v1.JobSpec",
        "completionMode",
        &["NonIndexed", "Indexed"],
    ),
    (
        "io.k8s.api.networking.v1.NetworkPolicySpec",
        "policyTypes",
        &["Ingress", "Egress"],
    ),
    (
        "io.k8s.api.networking.v1.HTTPIngressPath",
        "pathType",
        &["Exact", "Prefix", "ImplementationSpecific"],
    ),
    (
        "io.k8s.api.storage.v1.StorageClass",
        "reclaimPolicy",
        &["Delete", "Retain"],
    ),
    (
        "io.k8s.api.storage.v1.StorageClass",
        "volumeBindingMode",
        &["Immediate", "WaitForFirstConsumer"],
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetSpec",
        "unhealthyPodEvictionPolicy",
        &["IfHealthyBudget", "AlwaysAllow"],
    ),
];

/// Puts [`KNOWN_ENUMS`] into the definitions that have those properties.
pub fn add_known_enums(definitions: &mut Map<String, Value>) {
    for (definition, property, values) in KNOWN_ENUMS {
        let field = definitions
            .get_mut(*definition)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(*property))
            .and_then(Value::as_object_mut);
        if let Some(field) = field {
            add_enum(field, values);
        }
    }
}

fn strip_documentation(object: &mut Map<String, Value>) {
    for key in [
        "description",
        "title",
        "example",
        "examples",
        "default",
        "format",
    ] {
        object.remove(key);
    }
}

/// An enum goes on the string itself, or on the items of a list of strings.
fn add_enum(object: &mut Map<String, Value>, values: &[&str]) {
    let values = Value::Array(
        values
            .iter()
            .map(|v| Value::String((*v).to_owned()))
            .collect(),
    );
    match object.get("type").and_then(Value::as_str) {
        Some("string") => {
            object.insert("enum".into(), values);
        }
        Some("array") => {
            if let Some(items) = object.get_mut("items").and_then(Value::as_object_mut)
                && items.get("type").and_then(Value::as_str) == Some("string")
            {
                items.insert("enum".into(), values);
            }
        }
        _ => {}
    }
}

fn int_or_string(object: &mut Map<String, Value>) {
    if object.remove("x-kubernetes-int-or-string") == Some(Value::Bool(true)) {
        object.remove("anyOf");
        object.insert("type".into(), serde_json::json!(["integer", "string"]));
    }
}

fn add_null(object: &mut Map<String, Value>) {
    match object.get_mut("type") {
        Some(Value::String(single)) => {
            let single = std::mem::take(single);
            object.insert("type".into(), serde_json::json!([single, "null"]));
        }
        Some(Value::Array(types)) if !types.iter().any(|t| t == "null") => {
            types.push(Value::String("null".into()));
        }
        _ => {}
    }
}

fn is_object_type(object: &Map<String, Value>) -> bool {
    object.get("type").and_then(Value::as_str) == Some("object")
}

/// An object that lists its properties and says nothing of others accepts no others.
fn close_object(object: &mut Map<String, Value>) {
    if object.contains_key("properties") && !object.contains_key("additionalProperties") {
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
}

/// The subschemas of a schema object, wherever a schema can sit.
fn children_mut(object: &mut Map<String, Value>) -> Vec<&mut Value> {
    let mut out = Vec::new();
    for (key, value) in object.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" | "$defs" | "definitions" => {
                if let Some(map) = value.as_object_mut() {
                    out.extend(map.values_mut());
                }
            }
            "items" | "additionalProperties" | "not" if value.is_object() => {
                out.push(value);
            }
            "allOf" | "anyOf" | "oneOf" => {
                if let Some(list) = value.as_array_mut() {
                    out.extend(list.iter_mut());
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_enums_land_on_strings_and_string_lists() {
        let mut definitions = json!({
            "io.k8s.api.core.v1.Container": {"properties": {"imagePullPolicy": {"type": "string"}}},
            "io.k8s.api.networking.v1.NetworkPolicySpec": {"properties": {"policyTypes": {"type": "array", "items": {"type": "string"}}}}
        });
        add_known_enums(definitions.as_object_mut().unwrap());
        assert_eq!(
            definitions["io.k8s.api.core.v1.Container"]["properties"]["imagePullPolicy"]["enum"],
            json!(["Always", "IfNotPresent", "Never"])
        );
        assert_eq!(
            definitions["io.k8s.api.networking.v1.NetworkPolicySpec"]["properties"]["policyTypes"]
                ["items"]["enum"],
            json!(["Ingress", "Egress"])
        );
    }

    #[test]
    fn closes_objects_and_keeps_maps_open() {
        let mut schema = json!({
            "type": "object",
            "description": "x",
            "properties": {
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "policy": {"type": "string", "description": "How."},
                "port": {"x-kubernetes-int-or-string": true}
            }
        });
        tighten_definition(&mut schema);
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "policy": {"type": "string"},
                    "port": {"type": ["integer", "string"]}
                }
            })
        );
    }

    #[test]
    fn crd_schemas_honour_preserve_unknown_fields_and_nullable() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "empty": {"type": "object"},
                "maybe": {"type": "string", "nullable": true}
            }
        });
        tighten_crd_schema(&mut schema);
        assert_eq!(schema["additionalProperties"], json!(false));
        assert!(
            schema["properties"]["free"]
                .get("additionalProperties")
                .is_none()
        );
        assert_eq!(
            schema["properties"]["empty"]["additionalProperties"],
            json!(false)
        );
        assert_eq!(
            schema["properties"]["maybe"]["type"],
            json!(["string", "null"])
        );
    }
}
