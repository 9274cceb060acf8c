//! Who else set a field: the live object's `metadata.managedFields` read against the fields
//! an apply would change, so that a change can name the field manager (`kubectl-edit`, a
//! controller) whose value it would take back. Pure.
//!
//! A `fieldsV1` set is a tree of `f:<field>` (a map key), `k:<json>` (the list item whose
//! key fields have these values), `v:<json>` (the item of a set list with this value) and
//! `i:<n>` (an item by index); an empty map is a field the manager owns, and `.` marks the
//! node itself as owned. The tree is walked beside the live object to turn it into the
//! dotted field paths the diff reports.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::field_path;

/// For each of `fields` (dotted paths of the live object) that a manager other than `me`
/// owns, that manager. `managed` is the live object's `metadata.managedFields`; entries
/// for a subresource (`status`) are not what an apply touches and are skipped.
pub fn other_owners(
    managed: &[Value],
    live: &Value,
    fields: &[String],
    me: &str,
) -> BTreeMap<String, String> {
    let mut owned: Vec<(String, &str)> = Vec::new();
    for entry in managed {
        let manager = entry.get("manager").and_then(Value::as_str).unwrap_or("");
        let subresource = entry
            .get("subresource")
            .and_then(Value::as_str)
            .unwrap_or("");
        if manager == me || manager.is_empty() || !subresource.is_empty() {
            continue;
        }
        let Some(set) = entry.get("fieldsV1").and_then(Value::as_object) else {
            continue;
        };
        let mut leaves = Vec::new();
        walk(set, Some(live), &mut String::new(), &mut leaves);
        owned.extend(leaves.into_iter().map(|p| (field_path(&p), manager)));
    }
    owned.sort();
    let mut out = BTreeMap::new();
    for field in fields {
        let owner = owned
            .iter()
            .find(|(path, _)| covers(path, field) || covers(field, path));
        if let Some((_, manager)) = owner {
            out.insert(field.clone(), (*manager).to_owned());
        }
    }
    out
}

/// Whether the field at `outer` holds the one at `inner` (or is it).
fn covers(outer: &str, inner: &str) -> bool {
    inner == outer
        || (inner.starts_with(outer)
            && matches!(inner.as_bytes().get(outer.len()), Some(b'.' | b'[')))
}

fn walk(
    set: &Map<String, Value>,
    live: Option<&Value>,
    pointer: &mut String,
    out: &mut Vec<String>,
) {
    for (key, child) in set {
        if key == "." {
            out.push(pointer.clone());
            continue;
        }
        let len = pointer.len();
        let next = if let Some(name) = key.strip_prefix("f:") {
            pointer.push('/');
            crate::json::push_escaped(pointer, name);
            live.and_then(|v| v.get(name))
        } else if let Some(index) = item(key, live) {
            pointer.push_str(&format!("/{index}"));
            live.and_then(|v| v.get(index))
        } else {
            continue;
        };
        match child.as_object() {
            Some(children) if !children.is_empty() => walk(children, next, pointer, out),
            _ => out.push(pointer.clone()),
        }
        pointer.truncate(len);
    }
}

/// The index of the list item a `k:`, `v:` or `i:` key names in the live list.
fn item(key: &str, live: Option<&Value>) -> Option<usize> {
    let items = live?.as_array()?;
    if let Some(index) = key.strip_prefix("i:") {
        return index.parse().ok();
    }
    if let Some(wanted) = key.strip_prefix("v:") {
        let wanted: Value = serde_json::from_str(wanted).ok()?;
        return items.iter().position(|v| *v == wanted);
    }
    let wanted: Map<String, Value> = serde_json::from_str(key.strip_prefix("k:")?).ok()?;
    items
        .iter()
        .position(|v| wanted.iter().all(|(k, w)| v.get(k) == Some(w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live() -> Value {
        json!({
            "spec": {
                "replicas": 5,
                "template": {"spec": {"containers": [
                    {"name": "sidecar", "image": "s:1"},
                    {"name": "api", "image": "api:2", "args": ["a"]}
                ]}}
            }
        })
    }

    fn managed() -> Vec<Value> {
        vec![
            json!({"manager": "kforge", "operation": "Apply", "fieldsV1": {
                "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"api\"}": {".": {}, "f:name": {}, "f:image": {}}}}}}}}),
            json!({"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {
                "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"api\"}": {"f:args": {}}}}}}}}),
            json!({"manager": "kube-controller-manager", "operation": "Update",
                "subresource": "status", "fieldsV1": {"f:spec": {"f:replicas": {}}}}),
        ]
    }

    #[test]
    fn names_the_other_manager_of_a_changed_field() {
        let fields = vec![
            "spec.replicas".to_owned(),
            "spec.template.spec.containers[1].image".to_owned(),
            "spec.template.spec.containers[1].args[0]".to_owned(),
        ];
        let owners = other_owners(&managed(), &live(), &fields, "kforge");
        assert_eq!(
            owners,
            BTreeMap::from([
                ("spec.replicas".to_owned(), "kubectl-edit".to_owned()),
                (
                    "spec.template.spec.containers[1].args[0]".to_owned(),
                    "kubectl-edit".to_owned()
                ),
            ])
        );
    }

    #[test]
    fn a_field_only_kforge_owns_names_nobody() {
        let owners = other_owners(
            &managed()[..1],
            &live(),
            &["spec.replicas".to_owned()],
            "kforge",
        );
        assert!(owners.is_empty());
    }
}
