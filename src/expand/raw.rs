//! Raw manifests from `spec.resources`: passed through as they are, one object per document.

use serde_json::Value;

use super::{Expansion, Object};
use crate::diagnostic::Diagnostic;
use crate::load::schema::field_path;

/// Splits a multi-document YAML file into objects (`kind: List` items included).
pub fn parse_manifests(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value: Value = serde::Deserialize::deserialize(document).map_err(|e| e.to_string())?;
        match value {
            Value::Null => {}
            Value::Object(ref map) if map.get("kind").and_then(Value::as_str) == Some("List") => {
                out.extend(
                    map.get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                );
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

pub(super) fn expand(x: &mut Expansion<'_>) {
    let loaded = x.loaded;
    let paths = &loaded.blueprint.spec.resources;
    for (i, path) in paths.iter().enumerate() {
        let pointer = format!("/spec/resources/{i}");
        let Some(text) = x.file(&pointer, path) else {
            continue;
        };
        let documents = match parse_manifests(&text) {
            Ok(documents) => documents,
            Err(error) => {
                let d = Diagnostic::error(
                    "invalid-manifest",
                    format!("`{path}` is not valid YAML: {error}"),
                )
                .path(field_path(&pointer))
                .at(x.loaded.spans.value(&pointer), "this file");
                x.diagnostics.push(d);
                continue;
            }
        };
        for (n, document) in documents.into_iter().enumerate() {
            let text_of = |field: &str| {
                document
                    .pointer(field)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let (Some(api_version), Some(kind), Some(name)) = (
                text_of("/apiVersion"),
                text_of("/kind"),
                text_of("/metadata/name"),
            ) else {
                let d = Diagnostic::error(
                    "invalid-manifest",
                    format!(
                        "document {} of `{path}` lacks apiVersion, kind or metadata.name",
                        n + 1
                    ),
                )
                .path(field_path(&pointer))
                .at(x.loaded.spans.value(&pointer), "this file");
                x.diagnostics.push(d);
                continue;
            };
            x.objects.push(Object {
                api_version,
                kind,
                namespace: text_of("/metadata/namespace"),
                name,
                body: document,
                origin: pointer.clone(),
            });
        }
    }
}
