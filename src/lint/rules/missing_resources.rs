use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{containers, where_};
use crate::json::At;
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;
use crate::model::namespace_of;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags containers without CPU and memory requests or a memory limit. A value a
    /// LimitRange of the namespace supplies as a default counts as set. A CPU limit is not
    /// required: it throttles even on an idle node.
    ///
    /// ## Why it matters
    /// Without requests the scheduler packs pods blindly and the pod is the first evicted
    /// under pressure; without a memory limit one leak can push the whole node out of memory.
    ///
    /// ## How to fix
    /// Set `resources.requests.cpu`, `resources.requests.memory` and
    /// `resources.limits.memory`, or give the namespace `limits.default` and
    /// `limits.defaultRequest` (a LimitRange).
    ///
    /// ## Example
    /// ```yaml
    /// resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}
    /// ```
    pub struct MissingResources;
}

/// (field, resource) pairs every container needs.
const REQUIRED: [(&str, &str); 3] = [
    ("requests", "cpu"),
    ("requests", "memory"),
    ("limits", "memory"),
];

/// What the LimitRanges of each namespace fill in: (`requests`|`limits`, resource).
fn defaults(objects: &[Object]) -> BTreeMap<&str, BTreeSet<(&'static str, &str)>> {
    let mut out: BTreeMap<&str, BTreeSet<(&'static str, &str)>> = BTreeMap::new();
    for object in objects.iter().filter(|o| o.kind == "LimitRange") {
        let items = object
            .body
            .at("/spec/limits")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for item in items {
            if item.get("type").and_then(Value::as_str) != Some("Container") {
                continue;
            }
            let entry = out.entry(namespace_of(object)).or_default();
            // A default limit is also the default request when no defaultRequest is given.
            for (field, targets) in [
                ("default", &["limits", "requests"][..]),
                ("defaultRequest", &["requests"][..]),
            ] {
                for resource in item
                    .get(field)
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|m| m.keys())
                {
                    for target in targets {
                        entry.insert((target, resource.as_str()));
                    }
                }
            }
        }
    }
    out
}

impl Rule for MissingResources {
    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        let defaults = defaults(objects);
        let none = BTreeSet::new();
        let mut out = Vec::new();
        for site in containers(objects) {
            let filled = defaults
                .get(namespace_of(&objects[site.object]))
                .unwrap_or(&none);
            let missing: Vec<String> = REQUIRED
                .iter()
                .filter(|(field, resource)| {
                    site.container
                        .value
                        .at(&format!("/resources/{field}/{resource}"))
                        .is_none()
                        && !filled.contains(&(*field, *resource))
                })
                .map(|(field, resource)| format!("{field}.{resource}"))
                .collect();
            if missing.is_empty() {
                continue;
            }
            out.push(
                Hit::new(
                    site.object,
                    site.container.pointer.clone(),
                    format!("{} has no {}", where_(objects, &site), missing.join(", ")),
                )
                .help("set resources.requests (cpu, memory) and resources.limits.memory"),
            );
        }
        out
    }
}
