//! API versions Kubernetes has stopped serving, with the version that replaces each, from the
//! Kubernetes deprecated API migration guide. A removed version gets a precise finding
//! (`removed-api`) instead of a bare "unknown kind".

/// One kind at one API version that is no longer served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovedApi {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The Kubernetes minor that stopped serving it (`"1.22"`).
    pub removed_in: &'static str,
    /// The API version to use instead; `None` when the kind itself is gone.
    pub replacement: Option<&'static str>,
}

const fn removed(
    api_version: &'static str,
    kind: &'static str,
    removed_in: &'static str,
    replacement: Option<&'static str>,
) -> RemovedApi {
    RemovedApi {
        api_version,
        kind,
        removed_in,
        replacement,
    }
}

const APPS: Option<&str> = Some("apps/v1");
const NETWORKING: Option<&str> = Some("networking.k8s.io/v1");
const RBAC: Option<&str> = Some("rbac.authorization.k8s.io/v1");
const STORAGE: Option<&str> = Some("storage.k8s.io/v1");
const ADMISSION: Option<&str> = Some("admissionregistration.k8s.io/v1");
const FLOWCONTROL: Option<&str> = Some("flowcontrol.apiserver.k8s.io/v1");

pub const REMOVED_APIS: &[RemovedApi] = &[
    // 1.16
    removed("extensions/v1beta1", "Deployment", "1.16", APPS),
    removed("apps/v1beta1", "Deployment", "1.16", APPS),
    removed("apps/v1beta2", "Deployment", "1.16", APPS),
    removed("extensions/v1beta1", "DaemonSet", "1.16", APPS),
    removed("apps/v1beta2", "DaemonSet", "1.16", APPS),
    removed("extensions/v1beta1", "ReplicaSet", "1.16", APPS),
    removed("apps/v1beta1", "ReplicaSet", "1.16", APPS),
    removed("apps/v1beta2", "ReplicaSet", "1.16", APPS),
    removed("apps/v1beta1", "StatefulSet", "1.16", APPS),
    removed("apps/v1beta2", "StatefulSet", "1.16", APPS),
    removed("extensions/v1beta1", "NetworkPolicy", "1.16", NETWORKING),
    removed("extensions/v1beta1", "PodSecurityPolicy", "1.16", None),
    // 1.22
    removed("extensions/v1beta1", "Ingress", "1.22", NETWORKING),
    removed("networking.k8s.io/v1beta1", "Ingress", "1.22", NETWORKING),
    removed(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        "1.22",
        NETWORKING,
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        "1.22",
        RBAC,
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        "1.22",
        RBAC,
    ),
    removed("rbac.authorization.k8s.io/v1beta1", "Role", "1.22", RBAC),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        "1.22",
        RBAC,
    ),
    removed(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        "1.22",
        ADMISSION,
    ),
    removed(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        "1.22",
        ADMISSION,
    ),
    removed(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        "1.22",
        Some("apiextensions.k8s.io/v1"),
    ),
    removed(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        "1.22",
        Some("apiregistration.k8s.io/v1"),
    ),
    removed(
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        "1.22",
        Some("authentication.k8s.io/v1"),
    ),
    removed(
        "authorization.k8s.io/v1beta1",
        "SubjectAccessReview",
        "1.22",
        Some("authorization.k8s.io/v1"),
    ),
    removed(
        "authorization.k8s.io/v1beta1",
        "LocalSubjectAccessReview",
        "1.22",
        Some("authorization.k8s.io/v1"),
    ),
    removed(
        "authorization.k8s.io/v1beta1",
        "SelfSubjectAccessReview",
        "1.22",
        Some("authorization.k8s.io/v1"),
    ),
    removed(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        "1.22",
        Some("certificates.k8s.io/v1"),
    ),
    removed(
        "coordination.k8s.io/v1beta1",
        "Lease",
        "1.22",
        Some("coordination.k8s.io/v1"),
    ),
    removed(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        "1.22",
        Some("scheduling.k8s.io/v1"),
    ),
    removed("storage.k8s.io/v1beta1", "CSIDriver", "1.22", STORAGE),
    removed("storage.k8s.io/v1beta1", "CSINode", "1.22", STORAGE),
    removed("storage.k8s.io/v1beta1", "StorageClass", "1.22", STORAGE),
    removed(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        "1.22",
        STORAGE,
    ),
    // 1.25
    removed("batch/v1beta1", "CronJob", "1.25", Some("batch/v1")),
    removed(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        "1.25",
        Some("discovery.k8s.io/v1"),
    ),
    removed(
        "events.k8s.io/v1beta1",
        "Event",
        "1.25",
        Some("events.k8s.io/v1"),
    ),
    removed(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        "1.25",
        Some("autoscaling/v2"),
    ),
    removed(
        "policy/v1beta1",
        "PodDisruptionBudget",
        "1.25",
        Some("policy/v1"),
    ),
    removed("policy/v1beta1", "PodSecurityPolicy", "1.25", None),
    removed(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        "1.25",
        Some("node.k8s.io/v1"),
    ),
    // 1.26
    removed(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        "1.26",
        Some("autoscaling/v2"),
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema",
        "1.26",
        FLOWCONTROL,
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        "1.26",
        FLOWCONTROL,
    ),
    // 1.27
    removed(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        "1.27",
        STORAGE,
    ),
    // 1.29
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        "1.29",
        FLOWCONTROL,
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        "1.29",
        FLOWCONTROL,
    ),
    // 1.32
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        "1.32",
        FLOWCONTROL,
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        "1.32",
        FLOWCONTROL,
    ),
];

/// The removal of `kind` at `api_version`, if it happened at or before `version` (`"1.33"`).
pub fn removed_api(api_version: &str, kind: &str, version: &str) -> Option<&'static RemovedApi> {
    REMOVED_APIS.iter().find(|r| {
        r.api_version == api_version && r.kind == kind && minor(r.removed_in) <= minor(version)
    })
}

impl RemovedApi {
    /// "extensions/v1beta1 Ingress was removed in Kubernetes 1.22".
    pub fn message(&self) -> String {
        format!(
            "{} {} was removed in Kubernetes {}",
            self.api_version, self.kind, self.removed_in
        )
    }

    /// "use networking.k8s.io/v1" or why there is nothing to use.
    pub fn help(&self) -> String {
        match self.replacement {
            Some(replacement) => format!("use apiVersion: {replacement}"),
            None => format!(
                "{} has no replacement at any API version; remove it (Pod Security Admission replaces PodSecurityPolicy)",
                self.kind
            ),
        }
    }
}

fn minor(version: &str) -> u32 {
    version
        .split_once('.')
        .and_then(|(_, minor)| minor.parse().ok())
        .unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingress_at_extensions_is_gone_since_1_22() {
        let gone = removed_api("extensions/v1beta1", "Ingress", "1.33").unwrap();
        assert_eq!(
            gone.message(),
            "extensions/v1beta1 Ingress was removed in Kubernetes 1.22"
        );
        assert_eq!(gone.help(), "use apiVersion: networking.k8s.io/v1");
        assert!(removed_api("networking.k8s.io/v1", "Ingress", "1.33").is_none());
    }

    #[test]
    fn a_removal_counts_only_from_its_version_on() {
        assert!(
            removed_api("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "1.31").is_none()
        );
        assert!(
            removed_api("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "1.32").is_some()
        );
    }
}
