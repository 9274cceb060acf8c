//! ingress-nginx: the controller (a NodePort Service by default, IngressClass `nginx`), its
//! validating admission webhook, and the two kube-webhook-certgen Jobs that make the webhook's
//! certificate Secret and put its CA into the webhook configuration.

use k8s_openapi::api::admissionregistration::v1::{
    RuleWithOperations, ServiceReference, ValidatingWebhook, ValidatingWebhookConfiguration,
    WebhookClientConfig,
};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{IngressClass, IngressClassSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::json;

use super::{LabelsFn, Part, Patch, images, meta, object, resources};
use crate::load::blueprint::{IngressNginxAddon, ServiceType};
use crate::model::Object;

const AT: &str = "/spec/addons/ingressNginx";
pub const CONTROLLER: &str = "ingress-nginx-controller";
pub const ADMISSION: &str = "ingress-nginx-controller-admission";
pub const WEBHOOK: &str = "ingress-nginx-admission";
const CERT_SECRET: &str = "ingress-nginx-admission";
const CREATE: &str = "ingress-nginx-admission-create";
const PATCH: &str = "ingress-nginx-admission-patch";
/// The controller's webhook port (its HTTP and HTTPS ports are 8080 and 8443, so it needs no
/// capability to bind them).
const WEBHOOK_PORT: i32 = 8444;

pub fn namespace(a: &IngressNginxAddon) -> String {
    a.namespace
        .clone()
        .unwrap_or_else(|| "ingress-nginx".into())
}

pub fn parts(a: &IngressNginxAddon) -> Vec<Part> {
    let ns = namespace(a);
    let image = images::pick(
        images::INGRESS_NGINX,
        a.image.as_deref(),
        a.version.as_deref(),
    );
    let service_type = a.service_type.unwrap_or(ServiceType::NodePort);
    let mut controller = Part::new(
        json!({
            "name": CONTROLLER,
            "namespace": ns,
            "image": image,
            "replicas": a.replicas.unwrap_or(1),
            "args": [
                "/nginx-ingress-controller",
                format!("--publish-service={ns}/{CONTROLLER}"),
                "--election-id=ingress-nginx-leader",
                "--controller-class=k8s.io/ingress-nginx",
                "--ingress-class=nginx",
                "--watch-ingress-without-class=false",
                "--http-port=8080",
                "--https-port=8443",
                format!("--validating-webhook=:{WEBHOOK_PORT}"),
                "--validating-webhook-certificate=/usr/local/certificates/cert",
                "--validating-webhook-key=/usr/local/certificates/key",
            ],
            "ports": [
                {"name": "http", "port": 8080, "servicePort": 80},
                {"name": "https", "port": 8443, "servicePort": 443},
            ],
            "resources": resources(a.resources.as_ref(), json!({
                "requests": {"cpu": "100m", "memory": "90Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            })),
            "probes": {
                "liveness": {"http": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 10, "periodSeconds": 10, "failureThreshold": 5},
                "readiness": {"http": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
            },
            "securityContext": {"runAsNonRoot": true, "runAsUser": 101, "runAsGroup": 82, "readOnlyRootFilesystem": false},
            "service": {"type": service_type.as_str(), "nodePorts": a.node_ports},
            // Clients come from anywhere (node ports, the API server calling the webhook):
            // allowed even when the namespace is isolated.
            "network": {"ingress": [{"from": {"cidr": "0.0.0.0/0"}}]},
            "rbac": {
                "rules": [
                    {"apiGroups": [""], "resources": ["configmaps", "pods", "secrets", "endpoints"], "verbs": ["get"]},
                    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
                    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["ingress-nginx-leader"], "verbs": ["get", "update"]},
                ],
                "clusterRules": [
                    {"apiGroups": [""], "resources": ["configmaps", "endpoints", "nodes", "pods", "secrets", "namespaces"], "verbs": ["list", "watch"]},
                    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]},
                    {"apiGroups": [""], "resources": ["services"], "verbs": ["get", "list", "watch"]},
                    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
                    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["list", "watch"]},
                    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "ingressclasses"], "verbs": ["get", "list", "watch"]},
                    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses/status"], "verbs": ["update"]},
                    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
                ],
            },
            "lint": {"allow": [{"rule": "KF304", "reason": "the controller writes nginx.conf and its Lua state under /etc/nginx and /etc/ingress-controller at run time"}]},
        }),
        AT,
    );
    for port in a.node_ports.keys() {
        controller = controller.field(
            &format!("/service/nodePorts/{port}"),
            &format!("{AT}/nodePorts/{port}"),
        );
    }
    let job = |name: &str, args: serde_json::Value, rbac: serde_json::Value| {
        Part::new(
            json!({
                "name": name,
                "namespace": ns,
                "workload": "Job",
                "image": images::WEBHOOK_CERTGEN,
                "args": args,
                "job": {"backoffLimit": 6, "restartPolicy": "OnFailure"},
                "resources": {"requests": {"cpu": "10m", "memory": "20Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
                "securityContext": {"runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532},
                "rbac": rbac,
            }),
            AT,
        )
    };
    vec![
        controller,
        job(
            CREATE,
            json!([
                "create",
                format!("--host={ADMISSION},{ADMISSION}.{ns}.svc"),
                format!("--namespace={ns}"),
                format!("--secret-name={CERT_SECRET}"),
            ]),
            json!({"rules": [
                {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [CERT_SECRET], "verbs": ["get"]},
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
            ]}),
        ),
        job(
            PATCH,
            json!([
                "patch",
                format!("--webhook-name={WEBHOOK}"),
                format!("--namespace={ns}"),
                "--patch-mutating=false",
                format!("--secret-name={CERT_SECRET}"),
                "--patch-failure-policy=Fail",
            ]),
            json!({
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": [CERT_SECRET], "verbs": ["get"]}],
                "clusterRules": [{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"], "resourceNames": [WEBHOOK], "verbs": ["get", "update"]}],
            }),
        ),
    ]
}

pub fn objects(a: &IngressNginxAddon, labels: &LabelsFn<'_>) -> Vec<Object> {
    let ns = namespace(a);
    let class = IngressClass {
        metadata: meta(labels, "nginx", None, CONTROLLER),
        spec: Some(IngressClassSpec {
            controller: Some("k8s.io/ingress-nginx".into()),
            ..Default::default()
        }),
    };
    let selector = super::selector(labels, CONTROLLER);
    let admission = Service {
        metadata: meta(labels, ADMISSION, Some(&ns), CONTROLLER),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector),
            ports: Some(vec![ServicePort {
                name: Some("https-webhook".into()),
                port: 443,
                target_port: Some(IntOrString::Int(WEBHOOK_PORT)),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let webhook = ValidatingWebhookConfiguration {
        metadata: meta(labels, WEBHOOK, None, CONTROLLER),
        webhooks: Some(vec![ValidatingWebhook {
            name: "validate.nginx.ingress.kubernetes.io".into(),
            admission_review_versions: vec!["v1".into()],
            side_effects: "None".into(),
            failure_policy: Some("Fail".into()),
            match_policy: Some("Equivalent".into()),
            client_config: WebhookClientConfig {
                service: Some(ServiceReference {
                    namespace: ns.clone(),
                    name: ADMISSION.into(),
                    path: Some("/networking/v1/ingresses".into()),
                    port: Some(443),
                }),
                ..Default::default()
            },
            rules: Some(vec![RuleWithOperations {
                api_groups: Some(vec!["networking.k8s.io".into()]),
                api_versions: Some(vec!["v1".into()]),
                operations: Some(vec!["CREATE".into(), "UPDATE".into()]),
                resources: Some(vec!["ingresses".into()]),
                ..Default::default()
            }]),
            ..Default::default()
        }]),
    };
    vec![
        object(&class, "nginx", None, AT),
        object(&admission, ADMISSION, Some(&ns), AT),
        object(&webhook, WEBHOOK, None, AT),
    ]
}

pub fn patches(a: &IngressNginxAddon) -> Vec<((&'static str, String, String), Patch)> {
    let at = ("Deployment", namespace(a), CONTROLLER.to_owned());
    vec![
        (
            at.clone(),
            Patch::FieldEnv(vec![
                ("POD_NAME", "metadata.name"),
                ("POD_NAMESPACE", "metadata.namespace"),
            ]),
        ),
        (
            at,
            // Optional: the create Job makes the Secret; until then the controller restarts.
            Patch::Volume(
                json!({"name": "webhook-cert", "secret": {"secretName": CERT_SECRET, "optional": true}}),
                json!({"name": "webhook-cert", "mountPath": "/usr/local/certificates", "readOnly": true}),
            ),
        ),
    ]
}
