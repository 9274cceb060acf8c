//! The order objects are applied in: Argo CD sync waves and the Flux stage of every object.
//!
//! One ranking serves both controllers. Flux has two stages: everything cluster-scoped (the
//! `_cluster/` directory) before everything namespaced; Argo CD gets the same split refined
//! into waves, each of which it applies and waits to be healthy before the next:
//!
//! | wave | objects                                                              | Flux stage |
//! |------|----------------------------------------------------------------------|------------|
//! | 0    | Namespaces, CustomResourceDefinitions                                | cluster    |
//! | 1    | other cluster-scoped objects: StorageClasses, PriorityClasses, ClusterRoles, ... | cluster |
//! | 2    | cluster-scoped objects that refer to those: PersistentVolumes, ClusterRoleBindings | cluster |
//! | 3    | config and namespace policy: ConfigMaps, Secrets, ResourceQuotas, LimitRanges, NetworkPolicies | apps |
//! | 4    | ServiceAccounts, Roles, RoleBindings                                 | apps       |
//! | 5    | claims and workloads, and namespaced kinds kforge does not know      | apps       |
//! | 6    | Services, Ingresses, HorizontalPodAutoscalers, PodDisruptionBudgets  | apps       |
//!
//! Claims share the workloads' wave: Argo CD waits for a wave to be healthy, and a claim of a
//! `WaitForFirstConsumer` class stays Pending (unhealthy) until a pod uses it, so a wave of
//! its own would never end. Within a wave Argo CD applies claims before workloads anyway
//! (its kind order).

use crate::model::Object;

/// A Flux Kustomization of an environment; the earlier stage is a `dependsOn` of the later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Cluster-scoped prerequisites: the `_cluster/` directory.
    Cluster,
    /// Everything namespaced: the namespace directories.
    Apps,
}

impl Stage {
    pub const ALL: [Stage; 2] = [Stage::Cluster, Stage::Apps];

    /// The suffix of the stage's Kustomization name and the name of its directory's role.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Cluster => "cluster",
            Stage::Apps => "apps",
        }
    }
}

/// The stage of an object: where its file lies (`_cluster/` when it names no namespace).
pub fn stage(object: &Object) -> Stage {
    if object.namespace.is_none() {
        Stage::Cluster
    } else {
        Stage::Apps
    }
}

/// The Argo CD sync wave of an object (see the module's table).
pub fn wave(object: &Object) -> i32 {
    let kind = object.kind.as_str();
    match stage(object) {
        Stage::Cluster => match kind {
            "Namespace" | "CustomResourceDefinition" => 0,
            "PersistentVolume" | "ClusterRoleBinding" => 2,
            _ => 1,
        },
        Stage::Apps => match kind {
            "ConfigMap" | "Secret" | "ResourceQuota" | "LimitRange" | "NetworkPolicy" => 3,
            "ServiceAccount" | "Role" | "RoleBinding" => 4,
            "Service" | "Ingress" | "HorizontalPodAutoscaler" | "PodDisruptionBudget" => 6,
            _ => 5,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: &str, namespace: Option<&str>) -> Object {
        Object {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: namespace.map(Into::into),
            name: "x".into(),
            body: serde_json::Value::Null,
            origin: String::new(),
        }
    }

    #[test]
    fn waves_refine_the_stages() {
        let objects = [
            object("Namespace", None),
            object("StorageClass", None),
            object("PersistentVolume", None),
            object("Secret", Some("a")),
            object("ServiceAccount", Some("a")),
            object("PersistentVolumeClaim", Some("a")),
            object("Deployment", Some("a")),
            object("Ingress", Some("a")),
        ];
        let waves: Vec<i32> = objects.iter().map(wave).collect();
        assert_eq!(waves, [0, 1, 2, 3, 4, 5, 5, 6]);
        // Every cluster-scoped object comes in a wave before every namespaced one.
        let last_cluster = objects
            .iter()
            .filter(|o| stage(o) == Stage::Cluster)
            .map(wave)
            .max();
        let first_apps = objects
            .iter()
            .filter(|o| stage(o) == Stage::Apps)
            .map(wave)
            .min();
        assert!(last_cluster < first_apps);
    }
}
