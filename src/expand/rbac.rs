//! RBAC: a ServiceAccount per app with rules, a Role + RoleBinding for namespaced rules and a
//! ClusterRole + ClusterRoleBinding (named `<namespace>-<app>`) for cluster-wide ones.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};

use super::Expansion;
use super::labels::non_empty_vec;
use crate::load::blueprint::{self as bp, App};

fn rules(rules: &[bp::PolicyRule]) -> Option<Vec<PolicyRule>> {
    non_empty_vec(
        rules
            .iter()
            .map(|r| PolicyRule {
                api_groups: non_empty_vec(r.api_groups.clone())
                    .or_else(|| (!r.resources.is_empty()).then(|| vec![String::new()])),
                resources: non_empty_vec(r.resources.clone()),
                resource_names: non_empty_vec(r.resource_names.clone()),
                non_resource_urls: non_empty_vec(r.non_resource_urls.clone()),
                verbs: r.verbs.clone(),
            })
            .collect(),
    )
}

fn subject(app: &App) -> Option<Vec<Subject>> {
    Some(vec![Subject {
        kind: "ServiceAccount".into(),
        name: app.name.clone(),
        namespace: Some(app.namespace.clone()),
        api_group: None,
    }])
}

pub(super) fn expand(x: &mut Expansion<'_>, index: usize) {
    let loaded = x.loaded;
    let app = &loaded.blueprint.spec.apps[index];
    let Some(rbac) = &app.rbac else { return };
    let origin = format!("/spec/apps/{index}/rbac");
    let namespace = Some(app.namespace.as_str());
    let account = ServiceAccount {
        metadata: x.labels.meta(&app.name, namespace, &app.name),
        ..Default::default()
    };
    x.push(&account, &app.name, namespace, &origin);
    if !rbac.rules.is_empty() {
        let role = Role {
            metadata: x.labels.meta(&app.name, namespace, &app.name),
            rules: rules(&rbac.rules),
        };
        x.push(&role, &app.name, namespace, &format!("{origin}/rules"));
        let binding = RoleBinding {
            metadata: x.labels.meta(&app.name, namespace, &app.name),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: app.name.clone(),
            },
            subjects: subject(app),
        };
        x.push(&binding, &app.name, namespace, &format!("{origin}/rules"));
    }
    if !rbac.cluster_rules.is_empty() {
        let name = format!("{}-{}", app.namespace, app.name);
        let role = ClusterRole {
            metadata: x.labels.meta(&name, None, &app.name),
            rules: rules(&rbac.cluster_rules),
            ..Default::default()
        };
        x.push(&role, &name, None, &format!("{origin}/clusterRules"));
        let binding = ClusterRoleBinding {
            metadata: x.labels.meta(&name, None, &app.name),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: name.clone(),
            },
            subjects: subject(app),
        };
        x.push(&binding, &name, None, &format!("{origin}/clusterRules"));
    }
}
