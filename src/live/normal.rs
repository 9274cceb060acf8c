//! What of a cluster's object is compared: both sides of a live diff (the live object and
//! the dry-run apply's result) lose the fields the server keeps for itself, so that only
//! what an apply would change remains. Pure.

use serde_json::Value;

/// Metadata fields the server sets and an apply never changes.
const SERVER_METADATA: [&str; 6] = [
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
];

/// The annotation `kubectl apply` (client-side) leaves behind.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drops `status`, the server's metadata and `last-applied-configuration` (an empty
/// `annotations` map goes too).
pub fn normalise(mut value: Value) -> Value {
    let Some(object) = value.as_object_mut() else {
        return value;
    };
    object.remove("status");
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in SERVER_METADATA {
            metadata.remove(field);
        }
        let empty = match metadata.get_mut("annotations") {
            Some(Value::Object(annotations)) => {
                annotations.remove(LAST_APPLIED);
                annotations.is_empty()
            }
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            metadata.remove("annotations");
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_fields_go_and_the_rest_stays() {
        let live = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {
                "name": "a", "namespace": "web", "uid": "u", "resourceVersion": "7",
                "generation": 2, "creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{"manager": "kforge"}],
                "annotations": {LAST_APPLIED: "{}"},
                "labels": {"x": "y"}
            },
            "data": {"k": "v"},
            "status": {"phase": "Active"}
        });
        assert_eq!(
            normalise(live),
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "a", "namespace": "web", "labels": {"x": "y"}},
                "data": {"k": "v"}
            })
        );
    }
}
