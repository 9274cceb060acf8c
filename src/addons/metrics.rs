//! metrics-server: the Deployment, the `APIService` that serves `metrics.k8s.io` from it
//! (what HPAs and `kubectl top` read), and its bindings to the API server's delegated
//! authentication.

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::json;

use super::{LabelsFn, Part, images, meta, object};
use crate::load::blueprint::MetricsServerAddon;
use crate::model::Object;

const AT: &str = "/spec/addons/metricsServer";
pub const NAME: &str = "metrics-server";
const RBAC: &str = "rbac.authorization.k8s.io";

pub fn namespace(a: &MetricsServerAddon) -> String {
    a.namespace.clone().unwrap_or_else(|| "kube-system".into())
}

pub fn parts(a: &MetricsServerAddon) -> Vec<Part> {
    let mut args = vec![
        "--cert-dir=/tmp",
        "--secure-port=10250",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        "--kubelet-use-node-status-port",
        "--metric-resolution=15s",
    ];
    if a.insecure_kubelet_tls {
        args.push("--kubelet-insecure-tls");
    }
    let app = json!({
        "name": NAME,
        "namespace": namespace(a),
        "image": images::pick(images::METRICS_SERVER, a.image.as_deref(), a.version.as_deref()),
        "replicas": 1,
        "args": args,
        "ports": [{"name": "https", "port": 10250, "servicePort": 443}],
        "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"cpu": "500m", "memory": "400Mi"}},
        "probes": {
            "liveness": {"http": {"path": "/livez", "port": "https", "scheme": "HTTPS"}, "periodSeconds": 10, "failureThreshold": 3},
            "readiness": {"http": {"path": "/readyz", "port": "https", "scheme": "HTTPS"}, "initialDelaySeconds": 20, "periodSeconds": 10, "failureThreshold": 3},
        },
        "securityContext": {"runAsNonRoot": true, "runAsUser": 1000},
        "rbac": {"clusterRules": [
            {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]},
        ]},
    });
    vec![Part::new(app, AT)]
}

/// `apiregistration.k8s.io/v1` `APIService` (kube-aggregator's type, which k8s-openapi does
/// not carry): the fields kforge sets.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiService {
    pub metadata: ObjectMeta,
    pub spec: ApiServiceSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiServiceSpec {
    pub group: String,
    pub version: String,
    pub group_priority_minimum: i32,
    pub version_priority: i32,
    #[serde(rename = "insecureSkipTLSVerify")]
    pub insecure_skip_tls_verify: bool,
    pub service: ApiServiceReference,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiServiceReference {
    pub name: String,
    pub namespace: String,
    pub port: i32,
}

impl k8s_openapi::Resource for ApiService {
    const API_VERSION: &'static str = "apiregistration.k8s.io/v1";
    const GROUP: &'static str = "apiregistration.k8s.io";
    const KIND: &'static str = "APIService";
    const VERSION: &'static str = "v1";
    const URL_PATH_SEGMENT: &'static str = "apiservices";
    type Scope = k8s_openapi::ClusterResourceScope;
}

/// The object's JSON with `apiVersion` and `kind`, as k8s-openapi's own types serialise.
fn api_service(value: &ApiService) -> Object {
    let mut o = object(value, "v1beta1.metrics.k8s.io", None, AT);
    if let Some(map) = o.body.as_object_mut() {
        map.insert("apiVersion".into(), json!("apiregistration.k8s.io/v1"));
        map.insert("kind".into(), json!("APIService"));
    }
    o
}

pub fn objects(a: &MetricsServerAddon, labels: &LabelsFn<'_>) -> Vec<Object> {
    let ns = namespace(a);
    let subjects = Some(vec![Subject {
        kind: "ServiceAccount".into(),
        name: NAME.into(),
        namespace: Some(ns.clone()),
        api_group: None,
    }]);
    let service = ApiService {
        metadata: meta(labels, "v1beta1.metrics.k8s.io", None, NAME),
        spec: ApiServiceSpec {
            group: "metrics.k8s.io".into(),
            version: "v1beta1".into(),
            group_priority_minimum: 100,
            version_priority: 100,
            // metrics-server serves a self-signed certificate (`--cert-dir=/tmp`).
            insecure_skip_tls_verify: true,
            service: ApiServiceReference {
                name: NAME.into(),
                namespace: ns.clone(),
                port: 443,
            },
        },
    };
    let delegator = ClusterRoleBinding {
        metadata: meta(labels, "metrics-server:system:auth-delegator", None, NAME),
        role_ref: RoleRef {
            api_group: RBAC.into(),
            kind: "ClusterRole".into(),
            name: "system:auth-delegator".into(),
        },
        subjects: subjects.clone(),
    };
    let reader = RoleBinding {
        metadata: meta(
            labels,
            "metrics-server-auth-reader",
            Some("kube-system"),
            NAME,
        ),
        role_ref: RoleRef {
            api_group: RBAC.into(),
            kind: "Role".into(),
            name: "extension-apiserver-authentication-reader".into(),
        },
        subjects,
    };
    let mut aggregated = meta(labels, "system:aggregated-metrics-reader", None, NAME);
    if let Some(l) = aggregated.labels.as_mut() {
        for role in ["view", "edit", "admin"] {
            l.insert(
                format!("rbac.authorization.k8s.io/aggregate-to-{role}"),
                "true".into(),
            );
        }
    }
    let metrics_reader = ClusterRole {
        metadata: aggregated,
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec!["metrics.k8s.io".into()]),
            resources: Some(vec!["pods".into(), "nodes".into()]),
            verbs: vec!["get".into(), "list".into(), "watch".into()],
            ..Default::default()
        }]),
        aggregation_rule: None,
    };
    vec![
        api_service(&service),
        object(&delegator, "metrics-server:system:auth-delegator", None, AT),
        object(
            &reader,
            "metrics-server-auth-reader",
            Some("kube-system"),
            AT,
        ),
        object(
            &metrics_reader,
            "system:aggregated-metrics-reader",
            None,
            AT,
        ),
    ]
}
