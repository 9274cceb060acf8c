use std::collections::BTreeMap;

use serde_json::Value;

use crate::json::At;
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;
use crate::model::namespace_of;
use crate::model::pods::text;
use crate::selector::labels::LabelSelector;
use crate::xref::index::Index;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags PodDisruptionBudgets that block every drain. That is `maxUnavailable: 0`,
    /// `minAvailable: 100%`, or a `minAvailable` of at least the selected workload's replicas
    /// (typically one replica with `minAvailable: 1`). Replicas come from the workload, or
    /// from the minimum of an autoscaler that targets it.
    ///
    /// ## Why it matters
    /// `kubectl drain` waits for the budget forever: node upgrades and autoscaler scale-downs
    /// stall until someone deletes the budget or the pod by hand.
    ///
    /// ## How to fix
    /// Run at least one more replica than `minAvailable`, or use `maxUnavailable: 1`.
    ///
    /// ## Example
    /// ```yaml
    /// replicas: 1
    /// disruption: {minAvailable: 1}     # flagged: blocks every drain
    /// disruption: {maxUnavailable: 1}   # fine
    /// ```
    pub struct UndrainableDisruptionBudget;
}

/// An int-or-percent value: `Ok(n)` for numbers, `Err(p)` for percentages.
fn amount(value: &Value) -> Option<Result<i64, i64>> {
    match value {
        Value::Number(n) => n.as_i64().map(Ok),
        Value::String(s) => match s.strip_suffix('%') {
            Some(p) => p.trim().parse().ok().map(Err),
            None => s.trim().parse().ok().map(Ok),
        },
        _ => None,
    }
}

/// Autoscaler minimums by (namespace, kind, name) of their target.
fn autoscaled(objects: &[Object]) -> BTreeMap<(&str, &str, &str), i64> {
    objects
        .iter()
        .filter(|o| o.kind == "HorizontalPodAutoscaler")
        .filter_map(|o| {
            let kind = text(&o.body, "/spec/scaleTargetRef/kind")?;
            let name = text(&o.body, "/spec/scaleTargetRef/name")?;
            let min = o
                .body
                .at("/spec/minReplicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            Some(((namespace_of(o), kind, name), min))
        })
        .collect()
}

impl Rule for UndrainableDisruptionBudget {
    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        self.check_indexed(&Index::new(objects))
    }

    fn uses_index(&self) -> bool {
        true
    }

    fn check_indexed(&self, index: &Index<'_>) -> Vec<Hit> {
        let objects = index.objects;
        let minimums = autoscaled(objects);
        let mut out = Vec::new();
        for (i, budget) in objects.iter().enumerate() {
            if budget.kind != "PodDisruptionBudget" {
                continue;
            }
            let body = &budget.body;
            let max_unavailable = body.at("/spec/maxUnavailable").and_then(amount);
            if matches!(max_unavailable, Some(Ok(0) | Err(0))) {
                out.push(
                    Hit::new(
                        i,
                        "/spec/maxUnavailable",
                        format!(
                            "PodDisruptionBudget `{}` allows no pod to be unavailable",
                            budget.name
                        ),
                    )
                    .help("allow at least one: `maxUnavailable: 1`"),
                );
                continue;
            }
            let Some(min_available) = body.at("/spec/minAvailable").and_then(amount) else {
                continue;
            };
            let Some(selector) = body
                .at("/spec/selector")
                .and_then(|s| LabelSelector::parse(s).ok())
            else {
                continue;
            };
            let namespace = namespace_of(budget);
            for &id in index.candidates(namespace, &selector.required()) {
                let template = &index.templates[id];
                let workload = &objects[template.object];
                let scalable = matches!(
                    workload.kind.as_str(),
                    "Deployment" | "StatefulSet" | "ReplicaSet"
                );
                if !scalable || !selector.matches(&template.labels) {
                    continue;
                }
                let key = (namespace, workload.kind.as_str(), workload.name.as_str());
                let count = minimums.get(&key).copied().unwrap_or_else(|| {
                    workload
                        .body
                        .at("/spec/replicas")
                        .and_then(Value::as_i64)
                        .unwrap_or(1)
                });
                let blocks = match min_available {
                    Ok(n) => n >= count,
                    Err(percent) => percent >= 100,
                };
                if blocks {
                    out.push(
                        Hit::new(
                            i,
                            "/spec/minAvailable",
                            format!(
                                "PodDisruptionBudget `{}` keeps all {count} replica(s) of {} `{}` up, so no node can be drained",
                                budget.name, workload.kind, workload.name
                            ),
                        )
                        .help("run more replicas than minAvailable, or use `maxUnavailable: 1`"),
                    );
                }
            }
        }
        out
    }
}
