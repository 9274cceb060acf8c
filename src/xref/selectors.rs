//! Selectors that should select pods of their namespace: a Service's `selector`, a
//! PodDisruptionBudget's `selector`, a NetworkPolicy's `podSelector` and a Calico
//! NetworkPolicy's `selector`. One that selects no pod template of the set is a reference to
//! pods the set does not hold. Selectors that select everything (`{}`, `all()`) are fine even
//! in an empty namespace: they are meant for pods to come.

use serde_json::Value;

use super::Ctx;
use super::index::Template;
use crate::json::At;
use crate::model::namespace_of;
use crate::model::pods::text;
use crate::selector::LabelSet;
use crate::selector::calico::Selector;
use crate::selector::labels::LabelSelector;

/// Labels Calico gives every workload endpoint in addition to the pod's own.
fn calico_labels<'a>(template: &Template<'a>, service_account: &'a str) -> LabelSet<'a> {
    let mut labels = template.labels.clone();
    labels.insert("projectcalico.org/namespace", template.namespace);
    labels.insert("projectcalico.org/orchestrator", "k8s");
    labels.insert("projectcalico.org/serviceaccount", service_account);
    labels
}

pub(super) fn check(cx: &mut Ctx<'_, '_>) {
    for (i, object) in cx.each() {
        let namespace = namespace_of(object);
        let body = &object.body;
        let (selector, pointer) = match (
            crate::model::group(&object.api_version),
            object.kind.as_str(),
        ) {
            ("", "Service") => {
                let Some(selector) = body.at("/spec/selector") else {
                    continue; // endpoints managed by hand, or ExternalName
                };
                (LabelSelector::from_map(Some(selector)), "/spec/selector")
            }
            ("policy", "PodDisruptionBudget") => {
                match parsed(cx, i, body.at("/spec/selector"), "/spec/selector") {
                    Some(s) => (s, "/spec/selector"),
                    None => continue,
                }
            }
            ("networking.k8s.io", "NetworkPolicy") => {
                match parsed(cx, i, body.at("/spec/podSelector"), "/spec/podSelector") {
                    Some(s) => (s, "/spec/podSelector"),
                    None => continue,
                }
            }
            ("projectcalico.org", "NetworkPolicy") => {
                calico(cx, i, namespace);
                continue;
            }
            _ => continue,
        };
        if selector.is_everything() {
            continue;
        }
        let found = cx.index.any_template(namespace, &selector.required(), |t| {
            selector.matches(&t.labels)
        });
        if !found {
            cx.missing(
                i,
                pointer.into(),
                format!(
                    "the selector `{}` matches no pod template in namespace `{namespace}`",
                    selector.describe()
                ),
                "compare it with the workload's pod labels".into(),
            );
        }
    }
}

fn parsed(
    cx: &mut Ctx<'_, '_>,
    i: usize,
    value: Option<&Value>,
    pointer: &str,
) -> Option<LabelSelector> {
    match LabelSelector::parse(value?) {
        Ok(selector) => Some(selector),
        Err(error) => {
            cx.wrong(
                i,
                pointer.into(),
                format!("invalid label selector: {error}"),
                "operators are In, NotIn, Exists and DoesNotExist".into(),
            );
            None
        }
    }
}

fn calico(cx: &mut Ctx<'_, '_>, i: usize, namespace: &str) {
    let body = &cx.objects()[i].body;
    let text_form = text(body, "/spec/selector").unwrap_or("");
    let selector = match Selector::parse(text_form) {
        Ok(selector) => selector,
        Err(error) => {
            cx.wrong(
                i,
                "/spec/selector".into(),
                format!("invalid Calico selector `{text_form}`: {error}"),
                "e.g. app == 'web' && has(tier); see Calico's selector syntax".into(),
            );
            return;
        }
    };
    if selector == Selector::All {
        return;
    }
    // Calico's own labels are not in the index; only the pod's labels narrow candidates.
    let required: Vec<(&str, &str)> = selector
        .required()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("projectcalico.org/"))
        .collect();
    let found = cx.index.any_template(namespace, &required, |t| {
        let account = cx
            .index
            .pod_template(t.object)
            .and_then(|p| text(p.spec, "/serviceAccountName"))
            .unwrap_or("default");
        selector.matches(&calico_labels(t, account))
    });
    if !found {
        cx.missing(
            i,
            "/spec/selector".into(),
            format!(
                "the selector `{text_form}` matches no pod template in namespace `{namespace}`"
            ),
            "compare it with the workload's pod labels".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{messages, run};

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web, tier: front}}\n    spec: {containers: [{name: web, image: nginx:1}]}\n";

    fn with_deployment(object: &str) -> Vec<String> {
        messages(&format!("{DEPLOYMENT}---\n{object}"))
    }

    #[test]
    fn service_selector() {
        let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: web}\nspec: {selector: {app: web}}\n";
        assert!(with_deployment(service).is_empty());
        assert_eq!(
            with_deployment(&service.replace("app: web}", "app: wbe}")),
            ["the selector `app=wbe` matches no pod template in namespace `web`"]
        );
        assert_eq!(
            with_deployment(&service.replace("namespace: web", "namespace: api")).len(),
            1
        );
        let manual = "apiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: web}\nspec: {type: ExternalName, externalName: example.com}\n";
        assert!(messages(manual).is_empty());
    }

    #[test]
    fn disruption_budget_selector() {
        let pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: web}\nspec: {minAvailable: 1, selector: {matchExpressions: [{key: tier, operator: In, values: [front]}]}}\n";
        assert!(with_deployment(pdb).is_empty());
        assert_eq!(
            with_deployment(&pdb.replace("[front]", "[back]")),
            ["the selector `tier in (back)` matches no pod template in namespace `web`"]
        );
    }

    #[test]
    fn kubernetes_network_policy() {
        let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: web}\nspec: {podSelector: {matchLabels: {app: db}}}\n";
        assert_eq!(with_deployment(policy).len(), 1);
        let all = policy.replace("{matchLabels: {app: db}}", "{}");
        assert!(
            messages(&all).is_empty(),
            "an empty selector is for pods to come"
        );
    }

    #[test]
    fn calico_network_policy() {
        let policy = |selector: &str| {
            format!(
                "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: web}}\nspec: {{selector: \"{selector}\"}}\n"
            )
        };
        for good in [
            "app == 'web' && has(tier)",
            "tier in {'front', 'back'} || app == 'x'",
            "projectcalico.org/namespace == 'web' && !has(canary)",
            "projectcalico.org/serviceaccount == 'default'",
            "all()",
        ] {
            assert!(with_deployment(&policy(good)).is_empty(), "{good}");
        }
        assert_eq!(
            with_deployment(&policy("app == 'web' && tier == 'back'")),
            [
                "the selector `app == 'web' && tier == 'back'` matches no pod template in namespace `web`"
            ]
        );
        let bad = run(
            &format!("{DEPLOYMENT}---\n{}", policy("app = 'web'")),
            false,
        );
        assert_eq!(bad[0].0, "error");
        assert!(
            bad[0].3.starts_with("invalid Calico selector"),
            "{}",
            bad[0].3
        );
    }
}
