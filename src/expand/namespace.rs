//! Namespaces: every namespace listed or used, with its ResourceQuota, LimitRange and
//! isolation policies.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::Expansion;
use super::labels::non_empty;
use crate::load::blueprint::{Isolation, Namespace as NamespaceSpec, PodSecurityLevel};
use crate::load::quantity;

/// The prefix of the Pod Security admission labels.
const PSA: &str = "pod-security.kubernetes.io";

/// The most permissive Pod Security level of the apps in each namespace: what the
/// namespace's admission labels enforce.
fn pod_security_levels<'a>(x: &Expansion<'a>) -> BTreeMap<&'a str, PodSecurityLevel> {
    let mut levels: BTreeMap<&str, PodSecurityLevel> = BTreeMap::new();
    for app in &x.loaded.blueprint.spec.apps {
        let level = levels.entry(app.namespace.as_str()).or_default();
        *level = (*level).max(app.security_level());
    }
    levels
}

/// Namespaces Kubernetes creates itself; kforge never writes them.
pub const BUILT_IN: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Every namespace the blueprint lists or uses, with the pointer of the field that made it.
pub(crate) fn used_namespaces(x: &Expansion<'_>) -> BTreeMap<String, String> {
    let spec = &x.loaded.blueprint.spec;
    let mut out = BTreeMap::new();
    let mut add = |name: &str, origin: String| {
        out.entry(name.to_owned()).or_insert(origin);
    };
    for (i, ns) in spec.namespaces.iter().enumerate() {
        add(&ns.name, format!("/spec/namespaces/{i}"));
    }
    for (i, app) in spec.apps.iter().enumerate() {
        add(&app.namespace, format!("/spec/apps/{i}/namespace"));
    }
    for (i, cm) in spec.config_maps.iter().enumerate() {
        add(&cm.namespace, format!("/spec/configMaps/{i}/namespace"));
    }
    for (i, secret) in spec.secrets.iter().enumerate() {
        add(&secret.namespace, format!("/spec/secrets/{i}/namespace"));
    }
    for (i, claim) in spec
        .storage
        .iter()
        .flat_map(|s| s.claims.iter())
        .enumerate()
    {
        add(
            &claim.namespace,
            format!("/spec/storage/claims/{i}/namespace"),
        );
    }
    out
}

fn quantities(map: &BTreeMap<String, quantity::Quantity>) -> Option<BTreeMap<String, Quantity>> {
    non_empty(
        map.iter()
            .map(|(k, v)| (k.clone(), Quantity(v.0.clone())))
            .collect(),
    )
}

pub(super) fn expand(x: &mut Expansion<'_>) {
    let listed: BTreeMap<&str, (usize, &NamespaceSpec)> = x
        .loaded
        .blueprint
        .spec
        .namespaces
        .iter()
        .enumerate()
        .map(|(i, ns)| (ns.name.as_str(), (i, ns)))
        .collect();
    let levels = pod_security_levels(x);
    let version = format!(
        "v{}",
        x.loaded
            .blueprint
            .spec
            .kubernetes_version
            .as_deref()
            .unwrap_or(crate::model::DEFAULT_KUBERNETES_VERSION)
    );
    for (name, origin) in used_namespaces(x) {
        let spec = listed.get(name.as_str()).map(|(_, ns)| *ns);
        if !BUILT_IN.contains(&name.as_str()) {
            let mut meta = x.labels.meta(&name, None, &name);
            let level = levels.get(name.as_str()).copied().unwrap_or_default();
            let labels = meta.labels.get_or_insert_default();
            for mode in ["enforce", "audit", "warn"] {
                labels.insert(format!("{PSA}/{mode}"), level.as_str().to_owned());
                labels.insert(format!("{PSA}/{mode}-version"), version.clone());
            }
            if let Some(spec) = spec {
                meta.labels
                    .get_or_insert_default()
                    .extend(spec.labels.clone());
                meta.annotations = non_empty(spec.annotations.clone());
                let isolation = match spec.isolation {
                    Isolation::None => None,
                    Isolation::DefaultDeny => Some("default-deny"),
                    Isolation::Strict => Some("strict"),
                };
                if let Some(isolation) = isolation {
                    meta.labels.get_or_insert_default().insert(
                        crate::model::labels::ISOLATION_LABEL.into(),
                        isolation.into(),
                    );
                }
            }
            x.push(
                &Namespace {
                    metadata: meta,
                    ..Default::default()
                },
                &name,
                None,
                &origin,
            );
        }
        let Some(spec) = spec else { continue };
        if !spec.quota.is_empty() {
            let quota = ResourceQuota {
                metadata: x.labels.meta(&name, Some(&name), &name),
                spec: Some(ResourceQuotaSpec {
                    hard: quantities(&spec.quota),
                    ..Default::default()
                }),
                ..Default::default()
            };
            x.push(&quota, &name, Some(&name), &format!("{origin}/quota"));
        }
        if let Some(limits) = &spec.limits {
            let item = LimitRangeItem {
                type_: "Container".into(),
                default: quantities(&limits.default),
                default_request: quantities(&limits.default_request),
                max: quantities(&limits.max),
                min: quantities(&limits.min),
                ..Default::default()
            };
            let range = LimitRange {
                metadata: x.labels.meta(&name, Some(&name), &name),
                spec: Some(LimitRangeSpec { limits: vec![item] }),
            };
            x.push(&range, &name, Some(&name), &format!("{origin}/limits"));
        }
        if spec.isolation != Isolation::None {
            super::calico::expand_isolation(
                x,
                &name,
                spec.isolation,
                &format!("{origin}/isolation"),
            );
        }
    }
}
