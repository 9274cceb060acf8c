//! JSON-Schema errors -> messages a person can act on: which field, what is wrong, and a
//! did-you-mean drawn from the names the schema allows at that place. The one translator
//! of `jsonschema`'s errors, for blueprints (`load::schema`) and for manifests
//! (`validate`); each caller only places the messages (spans, or findings of an object).
//!
//! The two readers were answered in different words before there was one translator, and
//! users' scripts and snapshots know those words, so [`Words`] keeps them apart where they
//! differ; everything else (what each error means, the schema walk that finds the allowed
//! names, the expected types) is shared.

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::json::{escape_segment, segments};
use crate::suggest;

/// How every unknown-field message begins.
pub const UNKNOWN_FIELD: &str = "unknown field `";

/// Whose words a message is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// A blueprint author's: a diagnostic code, a label at the span, help for every error.
    Blueprint,
    /// A manifest author's (`kforge validate`): terse, with the allowed values listed.
    Manifest,
}

/// One problem, ready to be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The diagnostic code (blueprints; manifest findings carry the rule `schema`).
    pub code: &'static str,
    /// JSON pointer of the field the message is about.
    pub pointer: String,
    /// JSON pointer of the place to show, and whether to show its key rather than its value:
    /// a missing field is shown at the key of the mapping that lacks it.
    pub place: String,
    pub at_key: bool,
    pub text: String,
    pub label: String,
    pub help: Option<String>,
}

impl Message {
    fn new(code: &'static str, pointer: &str, text: impl Into<String>) -> Message {
        Message {
            code,
            pointer: pointer.to_owned(),
            place: pointer.to_owned(),
            at_key: false,
            text: text.into(),
            label: "here".to_owned(),
            help: None,
        }
    }

    fn label(mut self, label: impl Into<String>) -> Message {
        self.label = label.into();
        self
    }

    fn help(mut self, help: impl Into<String>) -> Message {
        self.help = Some(help.into());
        self
    }
}

/// Adds the messages of one schema error; `root` is the schema validated against.
pub fn translate(root: &Value, error: &ValidationError<'_>, words: Words, out: &mut Vec<Message>) {
    let pointer = error.instance_path().as_str().to_owned();
    let instance = error.instance();
    let blueprint = words == Words::Blueprint;
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = property_names(root, &pointer);
            for name in unexpected {
                let child = format!("{pointer}/{}", escape_segment(name));
                let mut message =
                    Message::new("unknown-field", &child, format!("{UNKNOWN_FIELD}{name}`"))
                        .label("not a field here");
                message.at_key = true;
                let names = allowed.iter().map(String::as_str);
                message.help = if blueprint {
                    Some(suggest::hint(name, names))
                } else if let Some(best) = suggest::did_you_mean(name, names) {
                    Some(format!("did you mean `{best}`?"))
                } else if !allowed.is_empty() && allowed.len() <= 12 {
                    Some(format!("allowed here: {}", allowed.join(", ")))
                } else {
                    None
                };
                out.push(message);
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let text = format!("missing required field `{name}`");
            if !blueprint {
                out.push(
                    Message::new("missing-field", &pointer, text).help(format!("add `{name}`")),
                );
                return;
            }
            let what = if pointer.is_empty() {
                "the document".to_owned()
            } else {
                format!("`{}`", super::field_path(&pointer))
            };
            let mut message = Message::new(
                "missing-field",
                &format!("{pointer}/{}", escape_segment(name)),
                text,
            )
            .label(format!("{what} needs `{name}`"))
            .help(format!("add `{name}: ...`"));
            message.place = pointer;
            message.at_key = true;
            out.push(message);
        }
        ValidationErrorKind::Type { kind } => {
            let expected = expected_types(kind);
            out.push(if blueprint {
                type_mismatch(&expected, instance, &pointer)
            } else {
                let message = Message::new(
                    "wrong-type",
                    &pointer,
                    format!("expected {expected}, found {}", describe(instance)),
                );
                if expected == "string" && !instance.is_object() {
                    message.help(format!("quote it: \"{instance}\""))
                } else {
                    message
                }
            });
        }
        ValidationErrorKind::Enum { options } if blueprint => {
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
                Message::new(
                    "invalid-value",
                    &pointer,
                    format!("`{shown}` is not a valid value"),
                )
                .label("invalid value")
                .help(suggest::hint(&shown, options.iter().map(String::as_str))),
            );
        }
        ValidationErrorKind::Enum { options } => {
            // Numbers too: Calico's `ipVersion` is the integer 4 or 6.
            let allowed: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(shown).collect())
                .unwrap_or_default();
            let found = shown(instance);
            let mut message = Message::new(
                "invalid-value",
                &pointer,
                format!("`{found}` is not one of {}", allowed.join(", ")),
            );
            if let Some(best) = suggest::did_you_mean(&found, allowed.iter().map(String::as_str)) {
                message = message.help(format!("did you mean `{best}`?"));
            }
            out.push(message);
        }
        ValidationErrorKind::Constant { expected_value } if blueprint => {
            out.push(
                Message::new(
                    "invalid-value",
                    &pointer,
                    format!("`{}` is not a valid value", scalar_text(instance)),
                )
                .label("invalid value")
                .help(format!("expected `{}`", scalar_text(expected_value))),
            );
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context }
            if blueprint =>
        {
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
                    translate(root, inner, words, out);
                }
            } else {
                out.push(no_branch_matched(root, instance, &pointer));
            }
        }
        ValidationErrorKind::Pattern { .. } if blueprint => {
            out.push(no_branch_matched(root, instance, &pointer));
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit }
            if blueprint =>
        {
            out.push(out_of_range(
                instance,
                &pointer,
                format!("at least {limit}"),
            ));
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit }
            if blueprint =>
        {
            out.push(out_of_range(instance, &pointer, format!("at most {limit}")));
        }
        _ => out.push(Message::new("invalid-value", &pointer, error.to_string())),
    }
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

/// A string as itself, anything else as JSON.
fn shown(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

fn out_of_range(instance: &Value, pointer: &str, bound: String) -> Message {
    Message::new(
        "invalid-value",
        pointer,
        format!("`{}` is out of range", scalar_text(instance)),
    )
    .label(format!("must be {bound}"))
}

fn type_mismatch(expected: &str, instance: &Value, pointer: &str) -> Message {
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
    Message::new(
        "wrong-type",
        pointer,
        format!("expected {expected}, found {found}"),
    )
    .label(format!("this is {}", article(found)))
    .help(help)
}

fn no_branch_matched(root: &Value, instance: &Value, pointer: &str) -> Message {
    // The allowed forms are the type's to describe (a quantity, a port reference), not the
    // field's: the deepest description wins.
    let description = schemas_at(root, pointer)
        .iter()
        .rev()
        .find_map(|s| s.get("description").and_then(Value::as_str))
        .map(str::to_owned);
    let (code, text) = if describes_quantity(root, pointer) {
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
    Message::new(code, pointer, text)
        .label("invalid value")
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

/// The names of the properties the schema allows on the object at `pointer`, sorted.
pub fn property_names(root: &Value, pointer: &str) -> Vec<String> {
    let mut names: Vec<String> = schemas_at(root, pointer)
        .iter()
        .filter_map(|s| s.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Every subschema that may apply to the instance at `pointer` (`$ref`s followed, `anyOf`,
/// `oneOf` and `allOf` branches included).
fn schemas_at<'a>(root: &'a Value, pointer: &str) -> Vec<&'a Value> {
    let mut current = expand(root, root, 0);
    for segment in segments(pointer) {
        let mut next = Vec::new();
        for schema in current {
            let child = schema
                .get("properties")
                .and_then(|p| p.get(segment.as_ref()))
                .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
                .or_else(|| schema.get("items").filter(|i| i.is_object()));
            if let Some(child) = child {
                next.extend(expand(root, child, 0));
            }
        }
        current = next;
    }
    current
}

/// A schema and every schema it stands for through `$ref` and the combinators. Bounded: a
/// cycle of bare references would otherwise never end.
fn expand<'a>(root: &'a Value, schema: &'a Value, depth: usize) -> Vec<&'a Value> {
    let mut out = vec![schema];
    if depth >= 16 {
        return out;
    }
    if let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| root.pointer(p))
    {
        out.extend(expand(root, target, depth + 1));
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            for branch in branches {
                out.extend(expand(root, branch, depth + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(schema: &Value, instance: &Value, words: Words) -> Vec<Message> {
        let validator = jsonschema::validator_for(schema).unwrap();
        let mut out = Vec::new();
        for error in validator.iter_errors(instance) {
            translate(schema, &error, words, &mut out);
        }
        out
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

    #[test]
    fn a_cycle_of_references_ends() {
        let root = json!({"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/A"}}});
        assert!(property_names(&root, "/x").is_empty());
    }

    #[test]
    fn one_error_in_each_readers_words() {
        let schema = json!({
            "type": "object",
            "properties": {"replicas": {"type": "integer"}, "image": {"type": "string"}},
            "required": ["image"],
            "additionalProperties": false
        });
        let instance = json!({"replcas": 2});
        let blueprint = messages(&schema, &instance, Words::Blueprint);
        let manifest = messages(&schema, &instance, Words::Manifest);
        let summary = |found: &[Message]| -> Vec<(String, String, Option<String>)> {
            let mut out: Vec<_> = found
                .iter()
                .map(|m| (m.pointer.clone(), m.text.clone(), m.help.clone()))
                .collect();
            out.sort();
            out
        };
        assert_eq!(
            summary(&blueprint),
            vec![
                (
                    "/image".into(),
                    "missing required field `image`".into(),
                    Some("add `image: ...`".into())
                ),
                (
                    "/replcas".into(),
                    "unknown field `replcas`".into(),
                    Some("did you mean `replicas`?".into())
                ),
            ]
        );
        assert_eq!(
            summary(&manifest),
            vec![
                (
                    "".into(),
                    "missing required field `image`".into(),
                    Some("add `image`".into())
                ),
                (
                    "/replcas".into(),
                    "unknown field `replcas`".into(),
                    Some("did you mean `replicas`?".into())
                ),
            ]
        );
        let wrong = messages(&schema, &json!({"image": 80}), Words::Manifest);
        assert_eq!(wrong[0].text, "expected string, found number 80");
        assert_eq!(wrong[0].help.as_deref(), Some("quote it: \"80\""));
    }
}
