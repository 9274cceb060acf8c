//! One Kubernetes object and its identity: group, kind, the namespace it lives in (cluster
//! scope included) and name, plus the blueprint field it came from.

use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

use k8s_openapi::Resource;
use serde::Serialize;
use serde_json::Value;

/// One Kubernetes object, ready to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// The whole object, `apiVersion` and `kind` included.
    pub body: Value,
    /// JSON pointer of the blueprint field the object came from.
    pub origin: String,
}

impl Object {
    /// Wraps a typed object; `namespace` is `None` for cluster-scoped kinds.
    pub fn new<T: Resource + Serialize>(
        value: &T,
        name: &str,
        namespace: Option<&str>,
        origin: &str,
    ) -> Object {
        Object {
            api_version: T::API_VERSION.to_owned(),
            kind: T::KIND.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
            body: serde_json::to_value(value).unwrap_or(Value::Null),
            origin: origin.to_owned(),
        }
    }

    /// An object as a manifest spells it: its identity read from its own `apiVersion`, `kind`
    /// and `metadata` (empty where a field is missing or not a string).
    pub fn from_body(body: Value, origin: String) -> Object {
        let text = |pointer: &str| body.pointer(pointer).and_then(Value::as_str);
        Object {
            api_version: text("/apiVersion").unwrap_or_default().to_owned(),
            kind: text("/kind").unwrap_or_default().to_owned(),
            namespace: text("/metadata/namespace").map(str::to_owned),
            name: text("/metadata/name").unwrap_or_default().to_owned(),
            origin,
            body,
        }
    }

    /// `group/version/Kind/namespace/name`, the identity kforge prints for objects.
    /// Whether the object is a Kubernetes Secret (built by kforge or passed through
    /// `resources`): its file is sealed before it is written, its values forgotten after.
    pub fn is_secret(&self) -> bool {
        self.kind == "Secret" && self.api_version == "v1"
    }

    pub fn id(&self) -> String {
        let version = if self.api_version.contains('/') {
            self.api_version.clone()
        } else {
            format!("core/{}", self.api_version)
        };
        format!(
            "{version}/{}/{}/{}",
            self.kind,
            self.namespace.as_deref().unwrap_or(""),
            self.name
        )
    }
}

/// The group of an `apiVersion` (`""` for the core group).
pub fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Kinds without a namespace; any other kind without `metadata.namespace` lives in `default`.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "GlobalNetworkPolicy",
    "GlobalNetworkSet",
    "IPPool",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// The namespace an object lives in: its own, `default` when unset, `""` for cluster scope.
pub fn namespace_of(object: &Object) -> &str {
    if CLUSTER_SCOPED.contains(&object.kind.as_str()) {
        ""
    } else {
        object.namespace.as_deref().unwrap_or("default")
    }
}

/// Identity of an object as the cluster sees it: group, kind, namespace (`""` for cluster
/// scope, see [`namespace_of`]), name.
pub type Key<'a> = (&'a str, &'a str, &'a str, &'a str);

/// The identity of `object`.
pub fn key(object: &Object) -> Key<'_> {
    (
        group(&object.api_version),
        object.kind.as_str(),
        namespace_of(object),
        object.name.as_str(),
    )
}

/// Objects whose identity an earlier object of the set already has, as `(first, again)`
/// index pairs in the order of `again`: applied, the second would overwrite the first.
pub fn duplicates(objects: &[Object]) -> Vec<(usize, usize)> {
    // Hashed and borrowed: at 50,000 objects an ordered map of owned keys spent its time
    // comparing strings that share long prefixes.
    let mut seen: FxHashMap<Key<'_>, usize> =
        FxHashMap::with_capacity_and_hasher(objects.len(), Default::default());
    let mut found = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        match seen.entry(key(object)) {
            Entry::Occupied(first) => found.push((*first.get(), i)),
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Object {
        let mut body = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}});
        if let Some(namespace) = namespace {
            body["metadata"]["namespace"] = json!(namespace);
        }
        Object::from_body(body, String::new())
    }

    #[test]
    fn identity_comes_from_the_manifest_fields() {
        let o = object("apps/v1", "Deployment", Some("web"), "api");
        assert_eq!(
            (
                o.api_version.as_str(),
                o.kind.as_str(),
                o.namespace.as_deref(),
                o.name.as_str()
            ),
            ("apps/v1", "Deployment", Some("web"), "api")
        );
        assert_eq!(o.id(), "apps/v1/Deployment/web/api");
        assert_eq!(
            object("v1", "ConfigMap", None, "a").id(),
            "core/v1/ConfigMap//a"
        );
        assert_eq!(
            Object::from_body(json!({"kind": 3}), String::new()).kind,
            ""
        );
    }

    #[test]
    fn namespaces_default_and_cluster_scope_has_none() {
        assert_eq!(
            namespace_of(&object("v1", "ConfigMap", None, "a")),
            "default"
        );
        assert_eq!(
            namespace_of(&object("v1", "ConfigMap", Some("x"), "a")),
            "x"
        );
        assert_eq!(namespace_of(&object("v1", "Namespace", Some("x"), "x")), "");
        assert_eq!(group("v1"), "");
        assert_eq!(group("networking.k8s.io/v1"), "networking.k8s.io");
    }

    #[test]
    fn duplicates_share_group_kind_namespace_and_name() {
        let objects = [
            object("v1", "ConfigMap", None, "a"),
            object("v1", "ConfigMap", Some("default"), "a"),
            object("v1", "ConfigMap", Some("other"), "a"),
            object("example.com/v1", "ConfigMap", None, "a"),
            object("v1", "ConfigMap", None, "a"),
        ];
        assert_eq!(duplicates(&objects), vec![(0, 1), (0, 4)]);
    }
}
