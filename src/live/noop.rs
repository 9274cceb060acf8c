//! When a dry-run apply can be skipped: the apply is provably a no-op, so the object is in
//! sync without asking the server. Pure.
//!
//! An apply by manager `kforge` changes nothing when (1) kforge already owns, through its
//! own `Apply` entry in the live `metadata.managedFields`, only fields the rendered object
//! still sets — a field kforge owns but no longer renders would be removed — and (2) every
//! leaf the rendered object sets already has that value in the live object. Maps compare as
//! a subset (the server adds defaults and other managers' fields); lists must have the same
//! length and their items compare pairwise as a subset (a longer live list may hold another
//! manager's items, which would not change, but proving that needs the list's schema, so it
//! is left to the dry run). Values compare as JSON, not by meaning: `"0.5"` and `"500m"`
//! differ here although the server would store one as the other, and that too goes to the
//! dry run. Any doubt answers `false`.

use serde_json::{Map, Value};

/// Whether applying `rendered` as `manager` (server-side, forced) would leave `live` as it is.
pub fn apply_is_noop(rendered: &Value, live: &Value, manager: &str) -> bool {
    let Some(owned) = own_fields(live, manager, rendered) else {
        return false;
    };
    fields_present(owned, rendered) && subset(rendered, live)
}

/// The `fieldsV1` set of `manager`'s one `Apply` entry at the rendered apiVersion, not for a
/// subresource. None when there is no such entry, or more than one.
fn own_fields<'a>(
    live: &'a Value,
    manager: &str,
    rendered: &Value,
) -> Option<&'a Map<String, Value>> {
    let api_version = rendered.get("apiVersion").and_then(Value::as_str)?;
    let text = |entry: &'a Value, key: &str| entry.get(key).and_then(Value::as_str).unwrap_or("");
    let mut mine = live
        .pointer("/metadata/managedFields")?
        .as_array()?
        .iter()
        .filter(|e| text(e, "manager") == manager && text(e, "subresource").is_empty());
    let entry = mine.next()?;
    if mine.next().is_some()
        || text(entry, "operation") != "Apply"
        || text(entry, "apiVersion") != api_version
        || text(entry, "fieldsType") != "FieldsV1"
    {
        return None;
    }
    entry.get("fieldsV1")?.as_object()
}

/// Whether every field path of the set is present in `value`.
fn fields_present(set: &Map<String, Value>, value: &Value) -> bool {
    set.iter().all(|(key, child)| {
        if key == "." {
            return true;
        }
        let Some(child_set) = child.as_object() else {
            return false;
        };
        let item = if let Some(name) = key.strip_prefix("f:") {
            value.as_object().and_then(|m| m.get(name))
        } else if let Some(keys) = key.strip_prefix("k:") {
            keyed_item(value, keys)
        } else if let Some(json) = key.strip_prefix("v:") {
            let Ok(wanted) = serde_json::from_str::<Value>(json) else {
                return false;
            };
            value
                .as_array()
                .and_then(|items| items.iter().find(|i| **i == wanted))
        } else {
            // `i:<n>` and anything newer: not provable here.
            None
        };
        item.is_some_and(|item| fields_present(child_set, item))
    })
}

/// The item of list `value` whose key fields equal those of `keys` (a JSON object).
fn keyed_item<'a>(value: &'a Value, keys: &str) -> Option<&'a Value> {
    let keys: Map<String, Value> = serde_json::from_str(keys).ok()?;
    let mut found = value.as_array()?.iter().filter(|item| {
        keys.iter()
            .all(|(k, v)| item.as_object().and_then(|m| m.get(k)) == Some(v))
    });
    let item = found.next()?;
    // Two items with one key: the server would reject the apply; let it say so.
    found.next().is_none().then_some(item)
}

/// Whether every leaf of `rendered` has its value in `live`: maps as a subset, lists of the
/// same length item by item, everything else equal as JSON.
fn subset(rendered: &Value, live: &Value) -> bool {
    match (rendered, live) {
        (Value::Object(r), Value::Object(l)) => r
            .iter()
            .all(|(k, v)| l.get(k).is_some_and(|lv| subset(v, lv))),
        (Value::Array(r), Value::Array(l)) => {
            r.len() == l.len() && r.iter().zip(l).all(|(a, b)| subset(a, b))
        }
        (r, l) => r == l,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A live Deployment as the server keeps it: defaults, status, kforge's apply entry.
    fn live(image: &str, cpu: &str, owned_extra: Value) -> Value {
        let mut containers = json!({
            "k:{\"name\":\"web\"}": {
                ".": {},
                "f:name": {},
                "f:image": {},
                "f:resources": {"f:requests": {"f:cpu": {}}},
                "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}, "f:protocol": {}}}
            }
        });
        let web = containers
            .get_mut("k:{\"name\":\"web\"}")
            .and_then(Value::as_object_mut);
        if let (Some(web), Some(extra)) = (web, owned_extra.as_object()) {
            web.extend(extra.clone());
        }
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web", "namespace": "shop", "uid": "1", "resourceVersion": "7",
                "labels": {"app": "web"},
                "managedFields": [
                    {"manager": "kforge", "operation": "Apply", "apiVersion": "apps/v1",
                     "fieldsType": "FieldsV1", "fieldsV1": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": containers}}}
                    }},
                    {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
                     "subresource": "status", "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}
                ]
            },
            "spec": {
                "replicas": 2,
                "revisionHistoryLimit": 10,
                "template": {"spec": {"containers": [{
                    "name": "web", "image": image, "imagePullPolicy": "IfNotPresent",
                    "resources": {"requests": {"cpu": cpu}},
                    "ports": [{"containerPort": 80, "protocol": "TCP"}]
                }]}}
            },
            "status": {"replicas": 2}
        })
    }

    fn rendered(image: &str, cpu: &str) -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "template": {"spec": {"containers": [{
                    "name": "web", "image": image,
                    "resources": {"requests": {"cpu": cpu}},
                    "ports": [{"containerPort": 80, "protocol": "TCP"}]
                }]}}
            }
        })
    }

    #[test]
    fn equal_skips_the_dry_run() {
        let live = live("nginx:1.27", "500m", json!({}));
        assert!(apply_is_noop(
            &rendered("nginx:1.27", "500m"),
            &live,
            "kforge"
        ));
    }

    #[test]
    fn a_changed_value_needs_the_dry_run() {
        let live = live("nginx:1.27", "500m", json!({}));
        assert!(!apply_is_noop(
            &rendered("nginx:1.28", "500m"),
            &live,
            "kforge"
        ));
    }

    #[test]
    fn a_quantity_written_another_way_needs_the_dry_run() {
        let live = live("nginx:1.27", "500m", json!({}));
        assert!(!apply_is_noop(
            &rendered("nginx:1.27", "0.5"),
            &live,
            "kforge"
        ));
    }

    #[test]
    fn a_field_kforge_owns_but_no_longer_renders_needs_the_dry_run() {
        let mut live = live("nginx:1.27", "500m", json!({"f:args": {}}));
        live["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["--verbose"]);
        assert!(!apply_is_noop(
            &rendered("nginx:1.27", "500m"),
            &live,
            "kforge"
        ));
    }

    #[test]
    fn no_entry_of_kforge_needs_the_dry_run() {
        let live = live("nginx:1.27", "500m", json!({}));
        assert!(!apply_is_noop(
            &rendered("nginx:1.27", "500m"),
            &live,
            "someone"
        ));
        let mut update = live.clone();
        update["metadata"]["managedFields"][0]["operation"] = json!("Update");
        assert!(!apply_is_noop(
            &rendered("nginx:1.27", "500m"),
            &update,
            "kforge"
        ));
        let mut other_version = live;
        other_version["metadata"]["managedFields"][0]["apiVersion"] = json!("apps/v1beta2");
        assert!(!apply_is_noop(
            &rendered("nginx:1.27", "500m"),
            &other_version,
            "kforge"
        ));
    }

    #[test]
    fn a_list_item_added_by_someone_else_needs_the_dry_run() {
        let mut live = live("nginx:1.27", "500m", json!({}));
        let containers = &mut live["spec"]["template"]["spec"]["containers"];
        let sidecar = json!({"name": "proxy", "image": "envoy"});
        containers.as_array_mut().unwrap().push(sidecar);
        assert!(!apply_is_noop(
            &rendered("nginx:1.27", "500m"),
            &live,
            "kforge"
        ));
    }

    #[test]
    fn a_list_key_the_render_no_longer_has_needs_the_dry_run() {
        let live = live("nginx:1.27", "500m", json!({}));
        let mut moved = rendered("nginx:1.27", "500m");
        moved["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] =
            json!(8080);
        assert!(!apply_is_noop(&moved, &live, "kforge"));
    }

    #[test]
    fn set_items_are_matched_by_value() {
        let set = json!({"f:finalizers": {"v:\"a\"": {}, "v:\"b\"": {}}});
        let set = set.as_object().unwrap();
        assert!(fields_present(set, &json!({"finalizers": ["b", "a"]})));
        assert!(!fields_present(set, &json!({"finalizers": ["a"]})));
        let by_index = json!({"f:args": {"i:0": {}}});
        assert!(!fields_present(
            by_index.as_object().unwrap(),
            &json!({"args": ["x"]})
        ));
    }
}
