use std::collections::BTreeMap;

use serde_json::Value;

use crate::json::At;
use crate::json::escape_segment;
use crate::lint::rule::{Hit, Rule};
use crate::model::Object;
use crate::model::labels::ISOLATION_LABEL;
use crate::model::namespace_of;
use crate::model::pods::{self, text};
use crate::selector::LabelSet;
use crate::selector::calico::Selector;
use crate::selector::labels::LabelSelector;

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags namespaces that request isolation but have no policy that denies traffic by
    /// default. A namespace requests it with the label `kforge.io/isolation`, which kforge sets
    /// from the blueprint's `isolation`: `default-deny` needs a policy that selects every pod
    /// of the namespace for Ingress without allowing all of it; `strict` needs the same for
    /// Egress too. Calico NetworkPolicies and GlobalNetworkPolicies (`all()` or an empty
    /// selector, or a global selector that covers the namespace) and Kubernetes
    /// NetworkPolicies (`podSelector: {}`) count. This rule is an error: the namespace
    /// promises an isolation it does not have.
    ///
    /// ## Why it matters
    /// Without the catch-all policy every pod the namespace runs is reachable from anywhere
    /// in the cluster, whatever the label says; per-app policies only protect the apps they
    /// select.
    ///
    /// ## How to fix
    /// Let kforge emit the policy (`isolation: default-deny` on the namespace in the
    /// blueprint), or add a policy that selects all pods and lists the direction in its types
    /// without an unrestricted Allow rule.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: projectcalico.org/v3
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny, namespace: web}
    /// spec: {selector: all(), types: [Ingress]}
    /// ```
    pub struct MissingDefaultDeny;
}

/// Whether a rule list allows everything in one rule (no peer, port or protocol).
fn open(rules: Option<&Value>, calico: bool) -> bool {
    let empty = |v: Option<&Value>| v.is_none_or(|v| v.as_object().is_none_or(|m| m.is_empty()));
    rules
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .any(|rule| {
            if calico {
                text(rule, "/action") == Some("Allow")
                    && rule.get("protocol").is_none()
                    && empty(rule.get("source"))
                    && empty(rule.get("destination"))
            } else {
                rule.get("from")
                    .is_none_or(|f| f.as_array().is_none_or(Vec::is_empty))
                    && rule
                        .get("to")
                        .is_none_or(|f| f.as_array().is_none_or(Vec::is_empty))
                    && rule
                        .get("ports")
                        .is_none_or(|f| f.as_array().is_none_or(Vec::is_empty))
            }
        })
}

/// Whether `policy` denies `direction` (Ingress, Egress) by default for every pod of
/// `namespace`, whose labels are `namespace_labels`.
fn denies(
    policy: &Object,
    direction: &str,
    namespace: &str,
    namespace_labels: &LabelSet<'_>,
) -> bool {
    let body = &policy.body;
    let rules_field = direction.to_lowercase();
    match (
        crate::model::group(&policy.api_version),
        policy.kind.as_str(),
    ) {
        ("networking.k8s.io", "NetworkPolicy") => {
            let all = body
                .at("/spec/podSelector")
                .and_then(|s| LabelSelector::parse(s).ok())
                .is_some_and(|s| s.is_everything());
            let types = body.at("/spec/policyTypes").and_then(Value::as_array);
            // Without policyTypes, Ingress always applies and Egress only when rules exist.
            let listed = match types {
                Some(types) => types.iter().any(|t| t.as_str() == Some(direction)),
                None => direction == "Ingress" || body.at("/spec/egress").is_some(),
            };
            all && listed && !open(body.at(&format!("/spec/{rules_field}")), false)
        }
        ("projectcalico.org", kind @ ("NetworkPolicy" | "GlobalNetworkPolicy")) => {
            let Ok(selector) = Selector::parse(text(body, "/spec/selector").unwrap_or("")) else {
                return false;
            };
            let covers = if kind == "NetworkPolicy" {
                selector == Selector::All
            } else {
                let pseudo: LabelSet<'_> = [("projectcalico.org/namespace", namespace)]
                    .into_iter()
                    .collect();
                let in_namespace = match text(body, "/spec/namespaceSelector") {
                    Some(ns) => Selector::parse(ns).is_ok_and(|s| s.matches(namespace_labels)),
                    None => true,
                };
                in_namespace && selector.matches(&pseudo)
            };
            let listed = body
                .at("/spec/types")
                .and_then(Value::as_array)
                .is_some_and(|t| t.iter().any(|t| t.as_str() == Some(direction)));
            covers && listed && !open(body.at(&format!("/spec/{rules_field}")), true)
        }
        _ => false,
    }
}

impl Rule for MissingDefaultDeny {
    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        let mut policies: BTreeMap<&str, Vec<&Object>> = BTreeMap::new();
        let mut global = Vec::new();
        for object in objects {
            match object.kind.as_str() {
                "NetworkPolicy" => policies
                    .entry(namespace_of(object))
                    .or_default()
                    .push(object),
                "GlobalNetworkPolicy" => global.push(object),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (i, namespace) in objects.iter().enumerate() {
            if (namespace.api_version.as_str(), namespace.kind.as_str()) != ("v1", "Namespace") {
                continue;
            }
            let mut labels = pods::string_map(namespace.body.at("/metadata/labels"));
            let directions: &[&str] = match labels.get(ISOLATION_LABEL).copied() {
                Some("default-deny") => &["Ingress"],
                Some("strict") => &["Ingress", "Egress"],
                _ => continue,
            };
            let name = namespace.name.as_str();
            labels.insert("projectcalico.org/name", name);
            let candidates: Vec<&Object> = policies
                .get(name)
                .into_iter()
                .flatten()
                .chain(global.iter())
                .copied()
                .collect();
            let missing: Vec<&str> = directions
                .iter()
                .copied()
                .filter(|d| !candidates.iter().any(|p| denies(p, d, name, &labels)))
                .collect();
            if missing.is_empty() {
                continue;
            }
            out.push(
                Hit::new(
                    i,
                    format!("/metadata/labels/{}", escape_segment(ISOLATION_LABEL)),
                    format!(
                        "namespace `{name}` requests isolation `{}` but no policy denies {} by default",
                        labels.get(ISOLATION_LABEL).copied().unwrap_or(""),
                        missing.join(" and ").to_lowercase()
                    ),
                )
                .help("add a policy selecting all() of the namespace with those types and no open Allow rule"),
            );
        }
        out
    }
}
