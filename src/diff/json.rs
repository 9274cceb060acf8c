//! A [`Diff`] as JSON, the stable format of `kforge diff --output json` (docs/diff.md):
//! maps in key order, changes in the order the text shows them.

use serde_json::{Map, Value, json};

use super::{Change, Counts, Diff, Subject};

fn counts(c: &Counts) -> Value {
    json!({"add": c.add, "change": c.change, "move": c.moved, "remove": c.remove})
}

fn subject(s: &Subject) -> Value {
    match s {
        Subject::Object {
            group,
            kind,
            namespace,
            name,
        } => json!({"group": group, "kind": kind, "namespace": namespace, "name": name}),
        Subject::File { path, .. } => json!({"kind": s.kind(), "file": path}),
    }
}

fn change(c: &Change) -> Value {
    let mut out = Map::new();
    out.insert("action".into(), json!(c.action.word()));
    if let Value::Object(fields) = subject(&c.subject) {
        out.extend(fields);
    }
    out.insert("path".into(), json!(c.path));
    if let Some(from) = &c.from {
        out.insert("from".into(), subject(from));
    }
    out.insert("fields".into(), json!(c.fields));
    out.insert("diff".into(), json!(c.diff));
    if let Some(secret) = &c.secret {
        out.insert(
            "secretKeys".into(),
            json!({"added": secret.added, "removed": secret.removed, "changed": secret.changed}),
        );
    }
    if !c.managers.is_empty() {
        out.insert("managers".into(), json!(c.managers));
    }
    Value::Object(out)
}

/// The JSON value of a diff.
pub fn value(diff: &Diff) -> Value {
    let environments: Vec<Value> = diff
        .environments
        .iter()
        .map(|env| {
            let kinds: Map<String, Value> = env
                .by_kind()
                .iter()
                .map(|(k, c)| (k.clone(), counts(c)))
                .collect();
            json!({
                "blueprint": env.blueprint,
                "environment": env.env,
                "summary": counts(&env.counts()),
                "kinds": kinds,
                "changes": env.changes.iter().map(change).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut out = json!({
        "base": diff.base,
        "head": diff.head,
        "different": diff.different(),
        "summary": counts(&diff.counts()),
        "environments": environments,
        "notes": diff.notes,
    });
    if let (Some(live), Value::Object(map)) = (&diff.live, &mut out) {
        map.insert(
            "live".into(),
            json!({"inSync": live.in_sync, "notServed": live.not_served}),
        );
    }
    out
}

/// The JSON text of a diff.
pub fn render(diff: &Diff) -> String {
    let mut text = crate::json::pretty(&value(diff));
    text.push('\n');
    text
}
