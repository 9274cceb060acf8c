//! CustomResourceDefinitions (`apiextensions.k8s.io/v1`) -> one strict schema per served
//! version, for validating custom resources as the API server would.
//!
//! Used for `--crd` files at run time. Pure; no kforge types.

use serde_json::{Value, json};

use super::strict::tighten_crd_schema;

/// The `$defs` name of the ObjectMeta definition in the embedded schemas.
pub const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// One served version of a custom resource kind.
#[derive(Debug, Clone, PartialEq)]
pub struct CrdKind {
    /// `group/version`.
    pub api_version: String,
    pub kind: String,
    pub namespaced: bool,
    /// The strict schema; `metadata` refers to `#/$defs/<OBJECT_META>`.
    pub schema: Value,
}

/// The kinds a CRD serves, or what is wrong with it.
pub fn crd_kinds(crd: &Value) -> Result<Vec<CrdKind>, String> {
    let api_version = crd.get("apiVersion").and_then(Value::as_str);
    let kind = crd.get("kind").and_then(Value::as_str);
    if kind != Some("CustomResourceDefinition") {
        return Err(format!(
            "not a CustomResourceDefinition (kind is {})",
            kind.map_or("missing".to_owned(), |k| format!("`{k}`"))
        ));
    }
    if api_version != Some("apiextensions.k8s.io/v1") {
        return Err(format!(
            "apiVersion must be `apiextensions.k8s.io/v1`, not {}",
            api_version.map_or("nothing".to_owned(), |v| format!("`{v}`"))
        ));
    }
    let text = |pointer: &str| {
        crd.pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("`{}` is missing or not a string", dotted(pointer)))
    };
    let group = text("/spec/group")?;
    let kind = text("/spec/names/kind")?;
    let namespaced = match text("/spec/scope")? {
        "Namespaced" => true,
        "Cluster" => false,
        other => {
            return Err(format!(
                "`spec.scope` must be `Namespaced` or `Cluster`, not `{other}`"
            ));
        }
    };
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        .ok_or("`spec.versions` is missing or empty")?;
    let mut out = Vec::new();
    for (i, version) in versions.iter().enumerate() {
        let name = version
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`spec.versions[{i}].name` is missing"))?;
        if version.get("served") != Some(&Value::Bool(true)) {
            continue;
        }
        let schema = version
            .pointer("/schema/openAPIV3Schema")
            .ok_or_else(|| format!("`spec.versions[{i}].schema.openAPIV3Schema` is missing"))?;
        if !schema.is_object() {
            return Err(format!(
                "`spec.versions[{i}].schema.openAPIV3Schema` is not an object"
            ));
        }
        out.push(CrdKind {
            api_version: format!("{group}/{name}"),
            kind: kind.to_owned(),
            namespaced,
            schema: resource_schema(schema.clone()),
        });
    }
    Ok(out)
}

/// The schema of a whole custom resource: the CRD's own, tightened, with the fields every
/// object has (the API server validates `metadata` as ObjectMeta, whatever the CRD says).
fn resource_schema(mut schema: Value) -> Value {
    tighten_crd_schema(&mut schema);
    if let Some(object) = schema.as_object_mut() {
        object.insert("type".into(), json!("object"));
        let properties = object
            .entry("properties")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(properties) = properties {
            properties.insert("apiVersion".into(), json!({"type": "string"}));
            properties.insert("kind".into(), json!({"type": "string"}));
            properties.insert(
                "metadata".into(),
                json!({"$ref": format!("#/$defs/{OBJECT_META}")}),
            );
        }
        if object.get("x-kubernetes-preserve-unknown-fields") != Some(&Value::Bool(true)) {
            object.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
    schema
}

fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(scope: &str) -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": scope,
                "names": {"kind": "Widget", "plural": "widgets"},
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                        "type": "object",
                        "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}
                    }}},
                    {"name": "v0", "served": false, "storage": false}
                ]
            }
        })
    }

    #[test]
    fn reads_the_served_versions() {
        let kinds = crd_kinds(&crd("Namespaced")).unwrap();
        assert_eq!(kinds.len(), 1);
        assert_eq!(kinds[0].api_version, "example.com/v1");
        assert_eq!(kinds[0].kind, "Widget");
        assert!(kinds[0].namespaced);
        assert_eq!(kinds[0].schema["additionalProperties"], json!(false));
        assert_eq!(
            kinds[0].schema["properties"]["spec"]["additionalProperties"],
            json!(false)
        );
    }

    #[test]
    fn says_what_is_wrong_with_a_bad_crd() {
        assert_eq!(
            crd_kinds(&crd("Everywhere")).unwrap_err(),
            "`spec.scope` must be `Namespaced` or `Cluster`, not `Everywhere`"
        );
        assert_eq!(
            crd_kinds(&json!({"kind": "ConfigMap"})).unwrap_err(),
            "not a CustomResourceDefinition (kind is `ConfigMap`)"
        );
        let mut no_group = crd("Cluster");
        no_group["spec"].as_object_mut().unwrap().remove("group");
        assert_eq!(
            crd_kinds(&no_group).unwrap_err(),
            "`spec.group` is missing or not a string"
        );
    }
}
