//! Manifest text -> the objects in it, fast: multi-document YAML or JSON, `kind: List` and
//! `<Kind>List` items unpacked, duplicate keys refused (YAML allows parsers to keep either
//! value; the API server's decoder rejects them). The one reader of manifests: `kforge
//! validate`'s input, `spec.resources` files and the lint and reference test fixtures. No
//! spans here: `kforge validate` finds lines only for the documents that have findings.
//!
//! serde_yaml bounds nesting depth and alias expansion, so deep or explosive input ends in
//! an error, not a stack overflow or an exhausted memory.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::Object;

/// One object found in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Index of the YAML document in the file (0 for JSON).
    pub document: usize,
    /// JSON pointer of the object inside its document: empty, or `/items/N` in a list.
    pub prefix: String,
    pub body: Value,
}

/// Why a file could not be read as manifests, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// 1-based line and column, when the parser knows them.
    pub location: Option<(usize, usize)>,
}

/// Every object in a manifest file. `json` selects the JSON parser (for `.json` files).
pub fn parse_manifests(text: &str, json: bool) -> Result<Vec<Manifest>, ParseError> {
    let documents = if json {
        let value = serde_json::from_str::<Strict>(text).map_err(|e| ParseError {
            message: e.to_string(),
            location: Some((e.line(), e.column())),
        })?;
        vec![value.0]
    } else {
        let mut documents = Vec::new();
        for document in serde_yaml::Deserializer::from_str(text) {
            let value = Strict::deserialize(document).map_err(|e| ParseError {
                location: e.location().map(|l| (l.line(), l.column())),
                message: e.to_string(),
            })?;
            documents.push(value.0);
        }
        documents
    };
    let mut out = Vec::new();
    for (document, value) in documents.into_iter().enumerate() {
        unpack(document, value, &mut out);
    }
    Ok(out)
}

/// The objects of YAML manifest text, with an empty origin: what `kforge validate` checks, as
/// the rule and reference tests build them.
pub fn objects(text: &str) -> Result<Vec<Object>, ParseError> {
    Ok(parse_manifests(text, false)?
        .into_iter()
        .map(|manifest| Object::from_body(manifest.body, String::new()))
        .collect())
}

/// A document's objects: itself, or the items of a list.
fn unpack(document: usize, value: Value, out: &mut Vec<Manifest>) {
    if value.is_null() {
        return;
    }
    let is_list = value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.ends_with("List"))
        && value.get("items").is_some_and(Value::is_array);
    if !is_list {
        out.push(Manifest {
            document,
            prefix: String::new(),
            body: value,
        });
        return;
    }
    if let Value::Object(mut map) = value
        && let Some(Value::Array(items)) = map.remove("items")
    {
        for (i, item) in items.into_iter().enumerate() {
            out.push(Manifest {
                document,
                prefix: format!("/items/{i}"),
                body: item,
            });
        }
    }
}

/// A JSON value read from YAML or JSON that refuses duplicate keys and stringifies scalar
/// keys (`1: a` becomes `"1": "a"`, as Kubernetes' YAML-to-JSON conversion does).
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("{v} is not a number JSON can hold")))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Strict::deserialize(d).map(|s| s.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element::<Strict>()? {
            items.push(item.0);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value::<Strict>()?;
            if out.insert(key.0.clone(), value.0).is_some() {
                return Err(de::Error::custom(format!(
                    "duplicate key `{}` (YAML mappings need unique keys; the API server rejects them)",
                    key.0
                )));
            }
        }
        Ok(Value::Object(out))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Value, A::Error> {
        Err(de::Error::custom(
            "YAML tags (`!tag`) are not valid in Kubernetes manifests",
        ))
    }
}

/// A mapping key: a string, or a scalar turned into one.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match StrictVisitor.visit_some(deserializer)? {
            Value::String(s) => Ok(Key(s)),
            Value::Null => Ok(Key("null".into())),
            Value::Bool(b) => Ok(Key(b.to_string())),
            Value::Number(n) => Ok(Key(n.to_string())),
            _ => Err(de::Error::custom(
                "mapping keys must be scalars in Kubernetes manifests",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_document_and_unpacks_lists() {
        let text = "apiVersion: v1\nkind: ConfigMap\n---\n---\nkind: List\napiVersion: v1\nitems:\n- {kind: A}\n- {kind: B}\n";
        let found = parse_manifests(text, false).unwrap();
        let summary: Vec<(usize, &str, &Value)> = found
            .iter()
            .map(|m| (m.document, m.prefix.as_str(), &m.body["kind"]))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, "", &json!("ConfigMap")),
                (2, "/items/0", &json!("A")),
                (2, "/items/1", &json!("B")),
            ]
        );
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_place() {
        let error = parse_manifests("a: 1\nb:\n  c: 1\n  c: 2\n", false).unwrap_err();
        assert!(error.message.contains("duplicate key `c`"), "{error:?}");
        // serde_yaml places the error at the start of the mapping that holds the duplicate.
        assert_eq!(error.location.map(|l| l.0), Some(3));
        let error = parse_manifests("{\"a\": 1, \"a\": 2}", true).unwrap_err();
        assert!(error.message.contains("duplicate key `a`"), "{error:?}");
    }

    #[test]
    fn anchors_expand_and_scalar_keys_become_strings() {
        let found = parse_manifests("base: &b {x: 1}\ncopy: *b\n1: one\n", false).unwrap();
        assert_eq!(
            found[0].body,
            json!({"base": {"x": 1}, "copy": {"x": 1}, "1": "one"})
        );
    }
}
