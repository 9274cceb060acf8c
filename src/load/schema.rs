//! The blueprint's JSON Schema (derived from the serde types) and the translation of schema
//! violations into diagnostics with spans, field paths and did-you-mean hints.
//!
//! Validating against the schema before deserialising is what lets kforge report every error
//! of a file in one run: serde stops at the first.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::blueprint::Blueprint;
use super::yaml::SpanMap;
use crate::diagnostic::Diagnostic;
use crate::json::{escape_segment, segments};
use crate::model::field_path;
use crate::suggest;

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

/// What a type error expected, as words: `integer`, or `string or integer` (null, which
/// stands for "may be absent", left out).
pub fn expected_types(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => t.to_string(),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| t.to_string())
            .filter(|t| t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
    }
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
    let mut out = Vec::new();
    for error in validator.iter_errors(document) {
        translate(&compiled.schema, &error, spans, &mut out);
    }
    out.sort_by_key(|d| d.primary.as_ref().map(|(s, _)| s.range.start));
    out
}

fn translate(
    root: &Value,
    error: &ValidationError<'_>,
    spans: &SpanMap,
    out: &mut Vec<Diagnostic>,
) {
    let pointer = error.instance_path().as_str().to_owned();
    let instance = error.instance();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = property_names(root, &pointer);
            for name in unexpected {
                let child = format!("{pointer}/{}", escape_segment(name));
                let help = suggest::hint(name, allowed.iter().map(String::as_str));
                out.push(
                    Diagnostic::error("unknown-field", format!("unknown field `{name}`"))
                        .path(field_path(&child))
                        .at(spans.key(&child), "not a field here")
                        .help(help),
                );
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let what = if pointer.is_empty() {
                "the document".to_owned()
            } else {
                format!("`{}`", field_path(&pointer))
            };
            out.push(
                Diagnostic::error("missing-field", format!("missing required field `{name}`"))
                    .path(field_path(&format!("{pointer}/{}", escape_segment(name))))
                    .at(spans.key(&pointer), format!("{what} needs `{name}`"))
                    .help(format!("add `{name}: ...`")),
            );
        }
        ValidationErrorKind::Type { kind } => {
            let expected = expected_types(kind);
            out.push(type_mismatch(&expected, instance, &pointer, spans));
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|o| o.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let shown = scalar_text(instance);
            out.push(
                Diagnostic::error("invalid-value", format!("`{shown}` is not a valid value"))
                    .path(field_path(&pointer))
                    .at(spans.value(&pointer), "invalid value")
                    .help(suggest::hint(&shown, options.iter().map(String::as_str))),
            );
        }
        ValidationErrorKind::Constant { expected_value } => {
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    format!("`{}` is not a valid value", scalar_text(instance)),
                )
                .path(field_path(&pointer))
                .at(spans.value(&pointer), "invalid value")
                .help(format!("expected `{}`", scalar_text(expected_value))),
            );
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // The branch of the same JSON type as the value explains the problem best.
            let same_type: Vec<&ValidationError<'static>> = context
                .iter()
                .filter(|branch| {
                    !branch.iter().any(|e| {
                        matches!(e.kind(), ValidationErrorKind::Type { .. })
                            && e.instance_path().as_str() == pointer
                    })
                })
                .flatten()
                .collect();
            if !same_type.is_empty() && !describes_quantity(root, &pointer) {
                for inner in same_type {
                    translate(root, inner, spans, out);
                }
            } else {
                out.push(no_branch_matched(root, instance, &pointer, spans));
            }
        }
        ValidationErrorKind::Pattern { .. } => {
            out.push(no_branch_matched(root, instance, &pointer, spans));
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            out.push(out_of_range(
                instance,
                &pointer,
                spans,
                format!("at least {limit}"),
            ));
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            out.push(out_of_range(
                instance,
                &pointer,
                spans,
                format!("at most {limit}"),
            ));
        }
        _ => {
            out.push(
                Diagnostic::error("invalid-value", error.to_string())
                    .path(field_path(&pointer))
                    .at(spans.value(&pointer), "here"),
            );
        }
    }
}

fn out_of_range(instance: &Value, pointer: &str, spans: &SpanMap, bound: String) -> Diagnostic {
    Diagnostic::error(
        "invalid-value",
        format!("`{}` is out of range", scalar_text(instance)),
    )
    .path(field_path(pointer))
    .at(spans.value(pointer), format!("must be {bound}"))
}

fn type_mismatch(expected: &str, instance: &Value, pointer: &str, spans: &SpanMap) -> Diagnostic {
    let found = json_type(instance);
    let help = match (expected, instance) {
        ("string", Value::Number(_) | Value::Bool(_)) => {
            format!("quote it: \"{}\"", scalar_text(instance))
        }
        ("integer" | "number", Value::String(text)) if text.trim().parse::<f64>().is_ok() => {
            format!("remove the quotes: {text}")
        }
        (_, Value::Null) => "give it a value, or remove the key".to_owned(),
        ("array", _) => "write a list: `[a, b]` or one `- item` per line".to_owned(),
        ("object", _) => "write a mapping: `key: value` entries".to_owned(),
        _ => format!("write {}", article(expected)),
    };
    Diagnostic::error("wrong-type", format!("expected {expected}, found {found}"))
        .path(field_path(pointer))
        .at(spans.value(pointer), format!("this is {}", article(found)))
        .help(help)
}

fn no_branch_matched(root: &Value, instance: &Value, pointer: &str, spans: &SpanMap) -> Diagnostic {
    let description = schemas_at(root, pointer)
        .iter()
        .find_map(|s| s.get("description").and_then(Value::as_str))
        .map(str::to_owned);
    let (code, message) = if describes_quantity(root, pointer) {
        (
            "invalid-quantity",
            format!("`{}` is not a Kubernetes quantity", scalar_text(instance)),
        )
    } else {
        (
            "invalid-value",
            format!("`{}` is not a valid value here", scalar_text(instance)),
        )
    };
    let help = description.unwrap_or_else(|| "see `kforge schema` for the allowed forms".into());
    Diagnostic::error(code, message)
        .path(field_path(pointer))
        .at(spans.value(pointer), "invalid value")
        .help(help)
}

fn describes_quantity(root: &Value, pointer: &str) -> bool {
    schemas_at(root, pointer).iter().any(|s| {
        s.get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| d.contains("Kubernetes quantity"))
    })
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn article(kind: &str) -> String {
    match kind {
        "integer" | "array" | "object" => format!("an {kind}"),
        "null" => "empty".to_owned(),
        _ => format!("a {kind}"),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        Value::Array(_) => "[...]".to_owned(),
        Value::Object(_) => "{...}".to_owned(),
        other => other.to_string(),
    }
}

/// The names of the properties allowed on the object at `pointer`.
fn property_names(root: &Value, pointer: &str) -> Vec<String> {
    let mut names: Vec<String> = schemas_at(root, pointer)
        .iter()
        .filter_map(|s| s.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Every subschema that may apply to the instance at `pointer` ($ref and anyOf/oneOf expanded).
fn schemas_at<'a>(root: &'a Value, pointer: &str) -> Vec<&'a Value> {
    let mut current = expand(root, root);
    for segment in segments(pointer) {
        let mut next = Vec::new();
        for schema in current {
            let child = schema
                .get("properties")
                .and_then(|p| p.get(segment.as_ref()))
                .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
                .or_else(|| schema.get("items").filter(|i| i.is_object()));
            if let Some(child) = child {
                next.extend(expand(root, child));
            }
        }
        current = next;
    }
    current
}

fn expand<'a>(root: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let mut out = vec![schema];
    if let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| root.pointer(p))
    {
        out.extend(expand(root, target));
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            for branch in branches {
                out.extend(expand(root, branch));
            }
        }
    }
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
