//! Raw manifests from `spec.resources`: passed through as they are, one object per document.

use serde_json::Value;

use super::Expansion;
use crate::diagnostic::Diagnostic;
use crate::model::manifest::parse_manifests;
use crate::model::{Object, field_path};

pub(super) fn expand(x: &mut Expansion<'_>) {
    let loaded = x.loaded;
    let paths = &loaded.blueprint.spec.resources;
    for (i, path) in paths.iter().enumerate() {
        let pointer = format!("/spec/resources/{i}");
        let Some(text) = x.file(&pointer, path) else {
            continue;
        };
        let documents = match parse_manifests(&text, false) {
            Ok(documents) => documents,
            Err(error) => {
                let d = Diagnostic::error(
                    "invalid-manifest",
                    format!("`{path}` is not valid YAML: {}", error.message),
                )
                .path(field_path(&pointer))
                .at(x.loaded.spans.value(&pointer), "this file");
                x.diagnostics.push(d);
                continue;
            }
        };
        for (n, manifest) in documents.into_iter().enumerate() {
            let complete = ["/apiVersion", "/kind", "/metadata/name"]
                .iter()
                .all(|field| manifest.body.pointer(field).is_some_and(Value::is_string));
            if !complete {
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
            }
            x.objects
                .push(Object::from_body(manifest.body, pointer.clone()));
        }
    }
}
