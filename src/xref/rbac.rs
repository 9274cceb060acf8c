//! RBAC and identities: a (Cluster)RoleBinding's `roleRef` names an existing (Cluster)Role
//! (Kubernetes' own ClusterRoles are known), and a pod's `serviceAccountName` names a
//! ServiceAccount of its namespace (`default` always exists).

use super::Ctx;
use crate::model::namespace_of;
use crate::model::pods::text;

const RBAC: &str = "rbac.authorization.k8s.io";
/// ClusterRoles every cluster has, besides the `system:` ones.
const BUILT_IN_CLUSTER_ROLES: [&str; 4] = ["admin", "cluster-admin", "edit", "view"];

/// Roles the API server makes in `kube-system` itself.
const KUBE_SYSTEM_ROLES: [&str; 1] = ["extension-apiserver-authentication-reader"];

fn built_in(name: &str) -> bool {
    BUILT_IN_CLUSTER_ROLES.contains(&name) || name.starts_with("system:")
}

pub(super) fn check(cx: &mut Ctx<'_, '_>) {
    for (i, object) in cx.each() {
        let namespace = namespace_of(object);
        let group = crate::model::group(&object.api_version);
        if group == RBAC && matches!(object.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
            let body = &object.body;
            let (Some(kind), Some(name)) =
                (text(body, "/roleRef/kind"), text(body, "/roleRef/name"))
            else {
                continue;
            };
            match kind {
                "ClusterRole" if built_in(name) => {}
                "ClusterRole" => {
                    if cx.index.get(RBAC, "ClusterRole", "", name).is_none() {
                        cx.missing_object(i, "/roleRef/name".into(), RBAC, "ClusterRole", "", name);
                    }
                }
                "Role" if namespace == "kube-system" && KUBE_SYSTEM_ROLES.contains(&name) => {}
                "Role" if object.kind == "RoleBinding" => {
                    if cx.index.get(RBAC, "Role", namespace, name).is_none() {
                        cx.missing_object(i, "/roleRef/name".into(), RBAC, "Role", namespace, name);
                    }
                }
                _ => cx.wrong(
                    i,
                    "/roleRef/kind".into(),
                    format!("a {} cannot refer to a {kind}", object.kind),
                    "a RoleBinding refers to a Role or ClusterRole, a ClusterRoleBinding to a ClusterRole"
                        .into(),
                ),
            }
        }
        let Some(template) = cx.index.pod_template(i) else {
            continue;
        };
        let (account, field) = match text(template.spec, "/serviceAccountName") {
            Some(a) => (a, "serviceAccountName"),
            None => match text(template.spec, "/serviceAccount") {
                Some(a) => (a, "serviceAccount"),
                None => continue,
            },
        };
        if account != "default"
            && cx
                .index
                .get("", "ServiceAccount", namespace, account)
                .is_none()
        {
            cx.missing_object(
                i,
                format!("{}/{field}", template.pointer),
                "",
                "ServiceAccount",
                namespace,
                account,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::messages;

    fn binding(kind: &str, role_kind: &str, role: &str) -> String {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: b, namespace: ns}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {role_kind}, name: {role}}}\nsubjects: []\n"
        )
    }

    #[test]
    fn bindings_refer_to_existing_roles() {
        let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: ns}\nrules: []\n";
        assert!(
            messages(&format!(
                "{role}---\n{}",
                binding("RoleBinding", "Role", "reader")
            ))
            .is_empty()
        );
        assert_eq!(
            messages(&binding("RoleBinding", "Role", "reader")),
            ["Role `reader` does not exist in namespace `ns`"]
        );
        for known in ["view", "cluster-admin", "system:auth-delegator"] {
            assert!(messages(&binding("ClusterRoleBinding", "ClusterRole", known)).is_empty());
        }
        assert_eq!(
            messages(&binding("ClusterRoleBinding", "ClusterRole", "viewer")),
            ["ClusterRole `viewer` does not exist"]
        );
        assert_eq!(
            messages(&binding("ClusterRoleBinding", "Role", "reader")),
            ["a ClusterRoleBinding cannot refer to a Role"]
        );
    }

    #[test]
    fn pods_use_existing_service_accounts() {
        let pod = |account: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: ns}}\nspec: {{serviceAccountName: {account}, containers: []}}\n"
            )
        };
        assert!(messages(&pod("default")).is_empty());
        assert_eq!(
            messages(&pod("reader")),
            ["ServiceAccount `reader` does not exist in namespace `ns`"]
        );
        let account =
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: reader, namespace: ns}\n";
        assert!(messages(&format!("{account}---\n{}", pod("reader"))).is_empty());
    }
}
