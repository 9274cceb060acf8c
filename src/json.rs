//! JSON pointers (RFC 6901): escaping and unescaping segments, and lookup without
//! allocating. `serde_json::Value::pointer` unescapes every segment into a new `String`; the
//! cross-resource checks and lint rules look up a handful of pointers in every object, and
//! that was a fifth of their time. Also the one way to walk a map in key order.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// A map's entries in key order. serde_json's maps keep insertion order here (its
/// `preserve_order` feature, see ARCHITECTURE.md), so whatever is written for people or
/// compared byte for byte walks them through this.
pub fn sorted(map: &Map<String, Value>) -> Vec<(&str, &Value)> {
    let mut entries: Vec<(&str, &Value)> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Pretty JSON with every map in key order: what kforge prints and commits (`--output json`,
/// SARIF, the blueprint schema) reads the same whichever order its maps were built in.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(&Sorted(value)).unwrap_or_default()
}

/// Serialises a value with every map in key order.
struct Sorted<'a>(&'a Value);

impl serde::Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.0 {
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in sorted(map) {
                    out.serialize_entry(key, &Sorted(value))?;
                }
                out.end()
            }
            Value::Array(items) => serializer.collect_seq(items.iter().map(Sorted)),
            scalar => scalar.serialize(serializer),
        }
    }
}

/// Escapes one segment: `~` as `~0`, `/` as `~1`.
pub fn escape_segment(segment: &str) -> String {
    let mut escaped = String::with_capacity(segment.len());
    push_escaped(&mut escaped, segment);
    escaped
}

/// Appends one escaped segment to `pointer`.
pub fn push_escaped(pointer: &mut String, segment: &str) {
    if !segment.contains(['~', '/']) {
        pointer.push_str(segment);
        return;
    }
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// One segment as written in a pointer, unescaped (borrowed when it has nothing escaped).
pub fn unescape_segment(raw: &str) -> Cow<'_, str> {
    if raw.contains('~') {
        Cow::Owned(raw.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(raw)
    }
}

/// The unescaped segments of a pointer (`/a/b~1c` gives `a`, `b/c`; `` gives none).
pub fn segments(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
    pointer.split('/').skip(1).map(unescape_segment)
}

/// `value.at("/spec/template/spec")`: the node at an RFC 6901 pointer, as
/// `serde_json::Value::pointer` finds it.
pub trait At {
    fn at(&self, pointer: &str) -> Option<&Value>;
}

impl At for Value {
    fn at(&self, pointer: &str) -> Option<&Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        if !pointer.starts_with('/') {
            return None;
        }
        let mut target = self;
        for token in segments(pointer) {
            target = match target {
                Value::Object(map) => map.get(token.as_ref())?,
                Value::Array(items) => items.get(index(&token)?)?,
                _ => return None,
            };
        }
        Some(target)
    }
}

/// An array index as RFC 6901 writes it: digits, no sign, no leading zero.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn printed_json_has_its_maps_in_key_order_whatever_order_they_were_built_in() {
        // serde_json keeps insertion order here: `json!` builds these maps as written.
        let value = json!({"z": 1, "a": {"y": [{"b": 2, "a": 1}], "x": null}, "m": "s"});
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#"{"z":1,"a":{"y":[{"b":2,"a":1}],"x":null},"m":"s"}"#
        );
        let printed: String = pretty(&value).split_whitespace().collect();
        assert_eq!(
            printed,
            r#"{"a":{"x":null,"y":[{"a":1,"b":2}]},"m":"s","z":1}"#
        );
        let keys: Vec<&str> = sorted(value.as_object().unwrap())
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["a", "m", "z"]);
    }

    #[test]
    fn finds_what_serde_json_finds() {
        let value = json!({"a": {"b/c": [1, {"d~e": 2}], "": 3}, "n": null});
        for pointer in [
            "",
            "/a",
            "/a/b~1c",
            "/a/b~1c/0",
            "/a/b~1c/1/d~0e",
            "/a/",
            "/n",
            "/x",
            "/a/b~1c/01",
            "/a/b~1c/+1",
            "/a/b~1c/9",
            "a",
            "/a/b~1c/0/x",
        ] {
            assert_eq!(value.at(pointer), value.pointer(pointer), "{pointer}");
        }
    }

    #[test]
    fn segments_round_trip() {
        for segment in ["plain", "a/b", "a~b", "~1", "/~0", ""] {
            let pointer = format!("/x/{}", escape_segment(segment));
            let back: Vec<_> = segments(&pointer).collect();
            assert_eq!(back, ["x", segment], "{pointer}");
        }
        assert_eq!(segments("").count(), 0);
    }
}
