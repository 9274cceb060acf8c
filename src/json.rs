//! JSON-pointer lookup without allocating. `serde_json::Value::pointer` unescapes every
//! segment into a new `String`; the cross-resource checks and lint rules look up a handful of
//! pointers in every object, and that was a fifth of their time.

use serde_json::Value;

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
        let mut target = self;
        for token in pointer.strip_prefix('/')?.split('/') {
            let unescaped;
            let token = if token.contains('~') {
                unescaped = token.replace("~1", "/").replace("~0", "~");
                unescaped.as_str()
            } else {
                token
            };
            target = match target {
                Value::Object(map) => map.get(token)?,
                Value::Array(items) => items.get(index(token)?)?,
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
}
