//! `field: null` in a manifest: the API server treats it as an absent field, so the schema
//! pass does too.

use serde_json::Value;

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
}
