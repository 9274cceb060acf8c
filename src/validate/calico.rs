//! The strict schemas of the Calico `projectcalico.org/v3` kinds, derived from kforge's own
//! types in [`crate::model::calico`] (schemars) and tightened by the same code as the Kubernetes ones
//! ([`strict::tighten_definition`]). Built once per process, on first use, and added to every
//! version's [`SchemaSet`](super::SchemaSet); nothing of Calico is in `schemas/k8s/`.

use std::any::TypeId;
use std::sync::OnceLock;

use k8s_openapi::{NamespaceResourceScope, Resource};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::crd::OBJECT_META;
use super::strict;
use crate::model::calico::{
    GlobalNetworkPolicy, GlobalNetworkPolicySpec, NetworkPolicy, NetworkPolicySpec,
};

/// How the `$defs` names of the Calico definitions begin, so none can meet a Kubernetes one.
pub const PREFIX: &str = "org.projectcalico.v3.";

/// One Calico kind and the name of its definition.
#[derive(Debug, Clone)]
pub struct CalicoKind {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub definition: String,
}

/// The Calico kinds and every definition they use, except `ObjectMeta`, which each
/// Kubernetes version's schemas already hold.
#[derive(Debug)]
pub struct CalicoSchemas {
    pub kinds: Vec<CalicoKind>,
    pub definitions: Map<String, Value>,
}

/// The Calico schemas, generated on the first call.
pub fn schemas() -> &'static CalicoSchemas {
    static SCHEMAS: OnceLock<CalicoSchemas> = OnceLock::new();
    SCHEMAS.get_or_init(build)
}

fn build() -> CalicoSchemas {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let resources = [
        resource::<NetworkPolicy, NetworkPolicySpec>(&mut generator),
        resource::<GlobalNetworkPolicy, GlobalNetworkPolicySpec>(&mut generator),
    ];
    let generated = generator.take_definitions(true);
    let names: Vec<String> = generated.keys().cloned().collect();
    let mut definitions = Map::new();
    let mut kinds = Vec::new();
    let objects = resources.into_iter().map(|(kind, schema)| {
        let name = format!("{PREFIX}{}", kind.kind);
        kinds.push(CalicoKind {
            definition: name.clone(),
            ..kind
        });
        (name, schema)
    });
    let spec_definitions = generated
        .into_iter()
        .map(|(name, schema)| (format!("{PREFIX}{name}"), schema));
    for (name, mut schema) in objects
        .collect::<Vec<_>>()
        .into_iter()
        .chain(spec_definitions)
    {
        prefix_references(&mut schema, &names);
        drop_null(&mut schema);
        strict::tighten_definition(&mut schema);
        join_string_constants(&mut schema);
        definitions.insert(name, schema);
    }
    CalicoSchemas { kinds, definitions }
}

/// The kind `R` with the spec `S`: the object schema (before renaming) and its kind entry.
fn resource<R, S>(generator: &mut SchemaGenerator) -> (CalicoKind, Value)
where
    R: Resource,
    R::Scope: 'static,
    S: JsonSchema,
{
    let spec = generator.subschema_for::<S>().to_value();
    // As in the CRDs: type meta as plain strings (the kind table routes by them), metadata as
    // the API server reads it, and a spec required.
    let object = json!({
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"$ref": format!("#/$defs/{OBJECT_META}")},
            "spec": spec,
        },
    });
    let kind = CalicoKind {
        api_version: R::API_VERSION,
        kind: R::KIND,
        namespaced: TypeId::of::<R::Scope>() == TypeId::of::<NamespaceResourceScope>(),
        definition: String::new(),
    };
    (kind, object)
}

/// Points the references to generated definitions at their prefixed names.
fn prefix_references(schema: &mut Value, names: &[String]) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                let target = reference.strip_prefix("#/$defs/").unwrap_or_default();
                if names.iter().any(|n| n == target) {
                    *reference = format!("#/$defs/{PREFIX}{target}");
                }
            }
            for child in map.values_mut() {
                prefix_references(child, names);
            }
        }
        Value::Array(items) => {
            for item in items {
                prefix_references(item, names);
            }
        }
        _ => {}
    }
}

/// Removes the `null` alternative schemars gives every `Option`: the validator drops `null`
/// members before validating (the API server treats them as absent), and an `anyOf` around a
/// field would hide its own error behind a "not valid under any of the schemas".
fn drop_null(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            map.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
        branches.retain(|b| b != &json!({"type": "null"}));
        if let [Value::Object(only)] = branches.as_slice() {
            let only = only.clone();
            map.remove("anyOf");
            for (key, value) in only {
                map.entry(key).or_insert(value);
            }
        }
    }
    for (key, child) in map.iter_mut() {
        match (key.as_str(), child) {
            ("properties" | "$defs", Value::Object(children)) => {
                children.values_mut().for_each(drop_null);
            }
            ("anyOf" | "oneOf" | "allOf", Value::Array(children)) => {
                children.iter_mut().for_each(drop_null);
            }
            ("items" | "additionalProperties" | "if" | "then" | "else", child) => {
                drop_null(child);
            }
            _ => {}
        }
    }
}

/// A unit enum whose variants have doc comments comes out of schemars as a `oneOf` of one
/// `const` per variant; once the descriptions are stripped, that is a plain string `enum`,
/// which fails with the value's own error ("`Allw` is not one of ...") and a did-you-mean.
fn join_string_constants(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    let Some(Value::Array(branches)) = map.get("oneOf") else {
        return;
    };
    let mut values = Vec::new();
    for branch in branches {
        let Some(branch) = branch.as_object() else {
            return;
        };
        if branch.get("type") != Some(&json!("string"))
            || branch
                .keys()
                .any(|k| !matches!(k.as_str(), "type" | "const" | "enum"))
        {
            return;
        }
        match (branch.get("const"), branch.get("enum")) {
            (Some(value), None) => values.push(value.clone()),
            (None, Some(Value::Array(list))) => values.extend(list.iter().cloned()),
            _ => return,
        }
    }
    map.remove("oneOf");
    map.insert("type".into(), json!("string"));
    map.insert("enum".into(), Value::Array(values));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(name: &str) -> &'static Value {
        &schemas().definitions[&format!("{PREFIX}{name}")]
    }

    #[test]
    fn both_policy_kinds_are_described_with_their_scope() {
        let kinds: Vec<(&str, &str, bool)> = schemas()
            .kinds
            .iter()
            .map(|k| (k.api_version, k.kind, k.namespaced))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("projectcalico.org/v3", "NetworkPolicy", true),
                ("projectcalico.org/v3", "GlobalNetworkPolicy", false),
            ]
        );
        assert_eq!(
            schemas().kinds[0].definition,
            "org.projectcalico.v3.NetworkPolicy"
        );
    }

    #[test]
    fn objects_are_closed_and_references_stay_inside_the_set() {
        let rule = definition("Rule");
        assert_eq!(rule["additionalProperties"], json!(false));
        assert_eq!(rule["required"], json!(["action"]));
        assert_eq!(
            rule["properties"]["action"]["$ref"],
            json!("#/$defs/org.projectcalico.v3.Action")
        );
        assert_eq!(
            definition("NetworkPolicy")["properties"]["metadata"]["$ref"],
            json!(format!("#/$defs/{OBJECT_META}"))
        );
        let text = serde_json::to_string(&schemas().definitions).unwrap();
        for (at, _) in text.match_indices("\"$ref\":\"#/$defs/") {
            let rest = &text[at + 16..];
            assert!(
                rest.starts_with(PREFIX) || rest.starts_with(OBJECT_META),
                "stray reference at {}",
                &rest[..40.min(rest.len())]
            );
        }
    }

    fn findings(spec: Value) -> Vec<(String, String, Option<String>)> {
        let object = json!({
            "apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "p"}, "spec": spec,
        });
        super::super::Validator::new("1.35")
            .unwrap()
            .validate(0, &object)
            .into_iter()
            .map(|f| (f.pointer, f.message, f.help))
            .collect()
    }

    #[test]
    fn every_version_validates_calico_policies_from_these_schemas() {
        for version in super::super::SUPPORTED_VERSIONS {
            let set = super::super::SchemaSet::get(version).unwrap();
            let info = set.kind("projectcalico.org/v3", "NetworkPolicy").unwrap();
            assert!(info.namespaced);
            assert_eq!(
                set.definitions[&info.definition],
                schemas().definitions[&info.definition]
            );
        }
    }

    #[test]
    fn user_mistakes_read_as_for_kubernetes_kinds() {
        let spec = json!({
            "selector": "all()",
            "ingress": [{
                "action": "Allw", "protocol": "tcp", "ipVersion": 5,
                "source": {"notNet": ["10.0.0.0/8"]},
                "http": {"paths": [{"exact": "/a", "prefix": "/b"}]},
            }],
            "egress": [{"action": "Allow", "protocol": 300, "destination": {"ports": [true]}}],
        });
        let found = findings(spec);
        let summary: Vec<(&str, &str, Option<&str>)> = found
            .iter()
            .map(|(p, m, h)| (p.as_str(), m.as_str(), h.as_deref()))
            .collect();
        assert_eq!(
            summary[..5],
            [
                (
                    "/spec/egress/0/destination/ports/0",
                    "expected integer or string, found boolean true",
                    None
                ),
                (
                    "/spec/egress/0/protocol",
                    "300 is greater than the maximum of 255",
                    None
                ),
                (
                    "/spec/ingress/0/action",
                    "`Allw` is not one of Allow, Deny, Log, Pass",
                    Some("did you mean `Allow`?")
                ),
                ("/spec/ingress/0/http/paths/0", summary[3].1, None),
                ("/spec/ingress/0/ipVersion", "`5` is not one of 4, 6", None),
            ]
        );
        assert_eq!(
            summary[5..],
            [
                (
                    "/spec/ingress/0/protocol",
                    "`tcp` is not one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite",
                    Some("did you mean `TCP`?")
                ),
                (
                    "/spec/ingress/0/source/notNet",
                    "unknown field `notNet`",
                    Some("did you mean `notNets`?")
                ),
            ]
        );
    }

    #[test]
    fn the_widened_fields_are_accepted() {
        let spec = json!({
            "selector": "all()", "performanceHints": ["AssumeNeededOnEveryNode"],
            "ingress": [{
                "action": "Allow", "protocol": "TCP",
                "http": {"methods": ["GET"], "paths": [{"exact": "/healthz"}, {"prefix": "/api/"}]},
                "metadata": {"annotations": {"team": "infra"}},
                "source": {"serviceAccounts": {"names": ["api"], "selector": "role == 'x'"}},
            }],
        });
        assert_eq!(findings(spec), vec![]);
    }

    #[test]
    fn enums_and_optional_fields_have_no_null_alternative() {
        assert_eq!(
            definition("Action")["enum"],
            json!(["Allow", "Deny", "Log", "Pass"])
        );
        let icmp = &definition("Rule")["properties"]["icmp"];
        assert_eq!(
            icmp,
            &json!({"$ref": "#/$defs/org.projectcalico.v3.IcmpMatch"})
        );
        let selector = &definition("EntityRule")["properties"]["selector"];
        assert_eq!(selector, &json!({"type": "string"}));
        assert_eq!(
            definition("PerformanceHint"),
            &json!({"type": "string", "enum": ["AssumeNeededOnEveryNode"]})
        );
        let icmp_type = &definition("IcmpMatch")["properties"]["type"];
        assert_eq!(icmp_type["maximum"], json!(254));
    }
}
