//! JSON Schema errors -> findings a person can act on: which field, what is wrong, and a
//! did-you-mean drawn from the names the schema allows at that place.

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::SCHEMA;
use crate::finding::Finding;
use crate::json::{escape_segment, segments};
use crate::suggest;

/// How every unknown-field message begins.
pub const UNKNOWN_FIELD: &str = "unknown field `";

/// Adds the findings of one schema error.
pub fn translate(root: &Value, error: &ValidationError<'_>, index: usize, out: &mut Vec<Finding>) {
    let pointer = error.instance_path().as_str().to_owned();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = property_names(root, &pointer);
            for name in unexpected {
                let mut finding = Finding::error(SCHEMA, index, format!("{UNKNOWN_FIELD}{name}`"))
                    .at(format!("{pointer}/{}", escape_segment(name)));
                if let Some(best) = suggest::did_you_mean(name, allowed.iter().map(String::as_str))
                {
                    finding = finding.help(format!("did you mean `{best}`?"));
                } else if !allowed.is_empty() && allowed.len() <= 12 {
                    finding = finding.help(format!("allowed here: {}", allowed.join(", ")));
                }
                out.push(finding);
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            out.push(
                Finding::error(SCHEMA, index, format!("missing required field `{name}`"))
                    .at(pointer)
                    .help(format!("add `{name}`")),
            );
        }
        ValidationErrorKind::Type { kind } => {
            let expected = crate::load::schema::expected_types(kind);
            let mut finding = Finding::error(
                SCHEMA,
                index,
                format!("expected {expected}, found {}", describe(error.instance())),
            )
            .at(pointer);
            if expected == "string" && !error.instance().is_object() {
                finding = finding.help(format!("quote it: \"{}\"", error.instance()));
            }
            out.push(finding);
        }
        ValidationErrorKind::Enum { options } => {
            // Numbers too: Calico's `ipVersion` is the integer 4 or 6.
            let allowed: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(shown).collect())
                .unwrap_or_default();
            let found = shown(error.instance());
            let mut finding = Finding::error(
                SCHEMA,
                index,
                format!("`{found}` is not one of {}", allowed.join(", ")),
            )
            .at(pointer);
            if let Some(best) = suggest::did_you_mean(&found, allowed.iter().map(String::as_str)) {
                finding = finding.help(format!("did you mean `{best}`?"));
            }
            out.push(finding);
        }
        _ => out.push(Finding::error(SCHEMA, index, error.to_string()).at(pointer)),
    }
}

/// A string as itself, anything else as JSON.
fn shown(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// "string \"80\"", "a mapping", "a list", "true", "3".
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) if s.chars().count() > 40 => "a string".into(),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// A copy without the `null` members of mappings, or `None` when there are none: the API
/// server treats `field: null` as an absent field.
pub fn without_nulls(value: &Value) -> Option<Value> {
    fn has_null_member(value: &Value) -> bool {
        match value {
            Value::Object(map) => map.values().any(|v| v.is_null() || has_null_member(v)),
            Value::Array(items) => items.iter().any(has_null_member),
            _ => false,
        }
    }
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|_, v| !v.is_null());
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    if !has_null_member(value) {
        return None;
    }
    let mut copy = value.clone();
    strip(&mut copy);
    Some(copy)
}

/// The property names the schema allows at an instance pointer, sorted.
fn property_names(root: &Value, pointer: &str) -> Vec<String> {
    let mut names: Vec<String> = schema_at(root, pointer)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The schema that applies at an instance pointer, following `$ref`s into `$defs`.
fn schema_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut schema = resolve(root, root)?;
    for segment in segments(pointer) {
        let next = schema
            .get("properties")
            .and_then(|p| p.get(segment.as_ref()))
            .or_else(|| schema.get("additionalProperties").filter(|s| s.is_object()))
            .or_else(|| schema.get("items"))?;
        schema = resolve(root, next)?;
    }
    Some(schema)
}

fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> Option<&'a Value> {
    // Bounded: a cycle of bare references would otherwise never end.
    for _ in 0..16 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return Some(schema);
        };
        let name = reference.strip_prefix("#/$defs/")?;
        schema = root.get("$defs")?.get(name)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_in_mappings_are_dropped_and_nothing_is_copied_without_them() {
        assert_eq!(
            without_nulls(&json!({"a": null, "b": [{"c": null, "d": 1}]})),
            Some(json!({"b": [{"d": 1}]}))
        );
        assert_eq!(without_nulls(&json!({"a": 1})), None);
    }

    #[test]
    fn finds_the_schema_of_a_nested_field() {
        let root = json!({
            "$ref": "#/$defs/A",
            "$defs": {
                "A": {"properties": {"list": {"items": {"$ref": "#/$defs/B"}}}},
                "B": {"properties": {"x": {}, "y": {}}}
            }
        });
        assert_eq!(property_names(&root, "/list/3"), vec!["x", "y"]);
        assert!(property_names(&root, "/nowhere").is_empty());
    }
}
