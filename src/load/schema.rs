//! The blueprint's JSON Schema (derived from the serde types), and its violations as
//! diagnostics: [`crate::model::violation`] words them, this places them at their spans.
//!
//! Validating against the schema before deserialising is what lets kforge report every error
//! of a file in one run: serde stops at the first.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::Value;

use super::blueprint::Blueprint;
use super::yaml::SpanMap;
use crate::diagnostic::Diagnostic;
use crate::model::field_path;
use crate::model::violation::{self, Words, property_names};

/// The `$id` of the published schema.
pub const SCHEMA_ID: &str = "https://kforge.io/schemas/blueprint.schema.json";

/// The JSON Schema of the blueprint format, as committed in `schemas/blueprint.schema.json`.
pub fn blueprint_schema() -> Value {
    let schema = schemars::schema_for!(Blueprint);
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        object.insert("$id".into(), Value::String(SCHEMA_ID.into()));
        object.insert(
            "title".into(),
            Value::String("kforge blueprint v1alpha1".into()),
        );
    }
    value
}

/// The schema text as committed: pretty JSON with a trailing newline.
pub fn blueprint_schema_text() -> String {
    let mut text = crate::json::pretty(&blueprint_schema());
    text.push('\n');
    text
}

struct Compiled {
    schema: Value,
    validator: Option<Validator>,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let schema = blueprint_schema();
        let validator = jsonschema::validator_for(&schema).ok();
        Compiled { schema, validator }
    })
}

/// The names of the fields of a blueprint's `spec`.
pub fn spec_fields() -> Vec<String> {
    property_names(&compiled().schema, "/spec")
}

/// Every schema violation of a document, as diagnostics.
pub fn validate(document: &Value, spans: &SpanMap) -> Vec<Diagnostic> {
    let compiled = compiled();
    let Some(validator) = &compiled.validator else {
        return vec![Diagnostic::error(
            "internal",
            "the blueprint schema failed to compile; this is a bug in kforge",
        )];
    };
    let mut messages = Vec::new();
    for error in validator.iter_errors(document) {
        violation::translate(&compiled.schema, &error, Words::Blueprint, &mut messages);
    }
    let mut out: Vec<Diagnostic> = messages
        .into_iter()
        .map(|m| {
            let span = if m.at_key {
                spans.key(&m.place)
            } else {
                spans.value(&m.place)
            };
            let mut diagnostic = Diagnostic::error(m.code, m.text)
                .path(field_path(&m.pointer))
                .at(span, m.label);
            diagnostic.help = m.help;
            diagnostic
        })
        .collect();
    out.sort_by_key(|d| d.primary.as_ref().map(|(s, _)| s.range.start));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_knows_app_fields() {
        let schema = blueprint_schema();
        let names = property_names(&schema, "/spec/apps/0");
        assert!(names.contains(&"replicas".to_owned()));
        assert!(names.contains(&"secretEnv".to_owned()));
    }

    #[test]
    fn the_schema_compiles() {
        assert!(compiled().validator.is_some());
    }
}
