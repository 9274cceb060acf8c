//! Monitoring: Prometheus (a StatefulSet with its own volume), node-exporter on every node,
//! kube-state-metrics and Grafana with the Prometheus data source provisioned.

use serde_json::{Value, json};

use super::{Part, data_volume, image, images, resources};
use crate::load::blueprint::MonitoringAddon;

const AT: &str = "/spec/addons/monitoring";
pub const PROMETHEUS: &str = "prometheus";
pub const NODE_EXPORTER: &str = "node-exporter";
pub const KUBE_STATE_METRICS: &str = "kube-state-metrics";
pub const GRAFANA: &str = "grafana";
pub const PROMETHEUS_PORT: u16 = 9090;
pub const NODE_EXPORTER_PORT: u16 = 9100;
pub const KSM_PORT: u16 = 8080;

/// What kube-state-metrics reports on, by API group: everything but Secrets and ConfigMaps
/// (their metrics would need read access to every Secret). Its `--resources` flag and its
/// ClusterRole both come from this table.
const KSM_RESOURCES: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "limitranges",
            "namespaces",
            "nodes",
            "persistentvolumeclaims",
            "persistentvolumes",
            "pods",
            "replicationcontrollers",
            "resourcequotas",
            "services",
        ],
    ),
    (
        "admissionregistration.k8s.io",
        &[
            "mutatingwebhookconfigurations",
            "validatingwebhookconfigurations",
        ],
    ),
    (
        "apps",
        &["daemonsets", "deployments", "replicasets", "statefulsets"],
    ),
    ("autoscaling", &["horizontalpodautoscalers"]),
    ("batch", &["cronjobs", "jobs"]),
    ("certificates.k8s.io", &["certificatesigningrequests"]),
    ("coordination.k8s.io", &["leases"]),
    ("discovery.k8s.io", &["endpointslices"]),
    (
        "networking.k8s.io",
        &["ingressclasses", "ingresses", "networkpolicies"],
    ),
    ("policy", &["poddisruptionbudgets"]),
    ("storage.k8s.io", &["storageclasses", "volumeattachments"]),
];

pub fn namespace(a: &MonitoringAddon) -> String {
    a.namespace.clone().unwrap_or_else(|| "monitoring".into())
}

/// The cluster DNS name of a Service of the add-on.
pub fn host(name: &str, ns: &str) -> String {
    format!("{name}.{ns}.svc.cluster.local")
}

/// A scrape job of the kubelets (its own metrics, or cAdvisor's): every node, over HTTPS
/// with the ServiceAccount's token. kubeadm's kubelets serve self-signed certificates.
fn kubelet_job(name: &str, path: &str) -> Value {
    json!({
        "job_name": name,
        "scheme": "https",
        "metrics_path": path,
        "authorization": {"credentials_file": "/var/run/secrets/kubernetes.io/serviceaccount/token"},
        "tls_config": {"ca_file": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", "insecure_skip_verify": true},
        "kubernetes_sd_configs": [{"role": "node"}],
        "relabel_configs": [{"action": "labelmap", "regex": "__meta_kubernetes_node_label_(.+)"}],
    })
}

/// `prometheus.yml`: the parts of this add-on by their Service DNS names, the kubelets and
/// cAdvisor, and every pod annotated `prometheus.io/scrape: "true"`.
pub fn prometheus_config(a: &MonitoringAddon) -> Value {
    let ns = namespace(a);
    let mut jobs = vec![json!({
        "job_name": "prometheus",
        "static_configs": [{"targets": [format!("localhost:{PROMETHEUS_PORT}")]}],
    })];
    if a.node_exporter.is_some() {
        // The headless Service resolves to every node's exporter.
        jobs.push(json!({
            "job_name": NODE_EXPORTER,
            "dns_sd_configs": [{"names": [host(NODE_EXPORTER, &ns)], "type": "A", "port": NODE_EXPORTER_PORT}],
        }));
    }
    if a.kube_state_metrics.is_some() {
        jobs.push(json!({
            "job_name": KUBE_STATE_METRICS,
            "static_configs": [{"targets": [format!("{}:{KSM_PORT}", host(KUBE_STATE_METRICS, &ns))]}],
        }));
    }
    jobs.push(kubelet_job("kubelet", "/metrics"));
    jobs.push(kubelet_job("cadvisor", "/metrics/cadvisor"));
    jobs.push(json!({
        "job_name": "pods",
        "kubernetes_sd_configs": [{"role": "pod"}],
        "relabel_configs": [
            {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "action": "keep", "regex": "true"},
            {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"], "action": "replace", "target_label": "__metrics_path__", "regex": "(.+)"},
            {"source_labels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"], "action": "replace", "regex": "([^:]+)(?::\\d+)?;(\\d+)", "replacement": "$1:$2", "target_label": "__address__"},
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }));
    json!({
        "global": {"scrape_interval": "30s", "evaluation_interval": "30s"},
        "scrape_configs": jobs,
    })
}

/// Grafana's provisioned data sources: the Prometheus Service.
pub fn grafana_datasources(ns: &str) -> Value {
    json!({
        "apiVersion": 1,
        "datasources": [{
            "name": "Prometheus",
            "type": "prometheus",
            "access": "proxy",
            "url": format!("http://{}:{PROMETHEUS_PORT}", host(PROMETHEUS, ns)),
            "isDefault": true,
            "editable": false,
        }],
    })
}

pub fn parts(a: &MonitoringAddon) -> Vec<Part> {
    let ns = namespace(a);
    let mut out = Vec::new();
    if let Some(p) = &a.prometheus {
        let at = format!("{AT}/prometheus");
        let data = data_volume(
            "/prometheus",
            p.storage.as_ref(),
            "10Gi",
            p.storage_class.as_deref(),
        );
        let mut peers = Vec::new();
        if a.grafana.is_some() {
            peers.push(json!({"from": {"app": GRAFANA}, "ports": ["http"]}));
        }
        let part = Part::new(
            json!({
                "name": PROMETHEUS,
                "namespace": ns,
                "workload": "StatefulSet",
                "image": images::pick(images::PROMETHEUS, p.image.as_deref(), p.version.as_deref()),
                "replicas": 1,
                "args": [
                    "--config.file=/etc/prometheus/prometheus.yml",
                    "--storage.tsdb.path=/prometheus",
                    format!("--storage.tsdb.retention.time={}", p.retention.as_deref().unwrap_or("15d")),
                ],
                "ports": [{"name": "http", "port": PROMETHEUS_PORT}],
                "config": {"files": {"prometheus.yml": crate::emit::canonical_yaml(&prometheus_config(a))}, "mountPath": "/etc/prometheus"},
                "volumes": [data],
                "resources": resources(p.resources.as_ref(), json!({
                    "requests": {"cpu": "200m", "memory": "512Mi"},
                    "limits": {"cpu": "1", "memory": "2Gi"},
                })),
                "probes": {
                    "liveness": {"http": {"path": "/-/healthy", "port": "http"}, "periodSeconds": 20},
                    "readiness": {"http": {"path": "/-/ready", "port": "http"}, "periodSeconds": 10},
                },
                "securityContext": {"runAsNonRoot": true, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534},
                "service": {"type": "ClusterIP"},
                "network": {"ingress": peers},
                "rbac": {"clusterRules": [
                    {"apiGroups": [""], "resources": ["nodes", "pods"], "verbs": ["list", "watch"]},
                    {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
                ]},
            }),
            &at,
        );
        out.push(part.stored(p.storage.is_some(), p.storage_class.is_some()));
    }
    if let Some(n) = &a.node_exporter {
        out.push(Part::new(
            json!({
                "name": NODE_EXPORTER,
                "namespace": ns,
                "workload": "DaemonSet",
                "image": image(Some(n), images::NODE_EXPORTER),
                "args": ["--path.rootfs=/host", format!("--web.listen-address=:{NODE_EXPORTER_PORT}")],
                "ports": [{"name": "metrics", "port": NODE_EXPORTER_PORT}],
                "hostNetwork": true,
                "hostPID": true,
                "runOnControlPlane": true,
                "volumes": [{"name": "root", "mountPath": "/host", "hostPath": "/", "readOnly": true}],
                "resources": resources(n.resources.as_ref(), json!({
                    "requests": {"cpu": "50m", "memory": "32Mi"},
                    "limits": {"cpu": "200m", "memory": "64Mi"},
                })),
                "probes": {
                    "liveness": {"tcp": "metrics", "periodSeconds": 20},
                    "readiness": {"http": {"path": "/", "port": "metrics"}, "periodSeconds": 10},
                },
                "securityContext": {
                    "profile": "privileged",
                    "reason": "node-exporter reports the node itself: it needs the host's network and PID namespaces and reads its filesystems through a read-only hostPath of /",
                    "runAsNonRoot": true,
                    "runAsUser": 65534,
                    "readOnlyRootFilesystem": true,
                    "allowPrivilegeEscalation": false,
                    "capabilities": {"drop": ["ALL"]},
                },
                // Headless: its DNS name resolves to every node's exporter.
                "service": {"type": "Headless"},
            }),
            &format!("{AT}/nodeExporter"),
        ));
    }
    if let Some(k) = &a.kube_state_metrics {
        let names: Vec<&str> = KSM_RESOURCES
            .iter()
            .flat_map(|(_, r)| r.iter().copied())
            .collect();
        let rules: Vec<Value> = KSM_RESOURCES
            .iter()
            .map(|(group, resources)| json!({"apiGroups": [group], "resources": resources, "verbs": ["list", "watch"]}))
            .collect();
        let mut peers = Vec::new();
        if a.prometheus.is_some() {
            peers.push(json!({"from": {"app": PROMETHEUS}, "ports": ["http-metrics"]}));
        }
        out.push(Part::new(
            json!({
                "name": KUBE_STATE_METRICS,
                "namespace": ns,
                "image": image(Some(k), images::KUBE_STATE_METRICS),
                "replicas": 1,
                "args": [format!("--port={KSM_PORT}"), "--telemetry-port=8081", format!("--resources={}", names.join(","))],
                "ports": [{"name": "http-metrics", "port": KSM_PORT}, {"name": "telemetry", "port": 8081}],
                "resources": resources(k.resources.as_ref(), json!({
                    "requests": {"cpu": "10m", "memory": "64Mi"},
                    "limits": {"cpu": "200m", "memory": "256Mi"},
                })),
                "probes": {
                    "liveness": {"http": {"path": "/livez", "port": "http-metrics"}, "initialDelaySeconds": 5, "periodSeconds": 20},
                    "readiness": {"http": {"path": "/readyz", "port": "telemetry"}, "periodSeconds": 10},
                },
                "securityContext": {"runAsNonRoot": true, "runAsUser": 65534, "runAsGroup": 65534},
                "service": {"type": "ClusterIP"},
                "network": {"ingress": peers},
                "rbac": {"clusterRules": rules},
            }),
            &format!("{AT}/kubeStateMetrics"),
        ));
    }
    if let Some(g) = &a.grafana {
        out.push(Part::new(
            json!({
                "name": GRAFANA,
                "namespace": ns,
                "image": image(Some(g), images::GRAFANA),
                "replicas": 1,
                "ports": [{"name": "http", "port": 3000}],
                "config": {"files": {"prometheus.yaml": crate::emit::canonical_yaml(&grafana_datasources(&ns))}, "mountPath": "/etc/grafana/provisioning/datasources"},
                "volumes": [
                    {"name": "data", "mountPath": "/var/lib/grafana", "emptyDir": {}},
                    {"name": "logs", "mountPath": "/var/log/grafana", "emptyDir": {}},
                ],
                "resources": resources(g.resources.as_ref(), json!({
                    "requests": {"cpu": "50m", "memory": "128Mi"},
                    "limits": {"cpu": "500m", "memory": "512Mi"},
                })),
                "probes": {
                    "liveness": {"tcp": "http", "periodSeconds": 20},
                    "readiness": {"http": {"path": "/api/health", "port": "http"}, "periodSeconds": 10},
                },
                "securityContext": {"runAsNonRoot": true, "runAsUser": 472, "runAsGroup": 472, "fsGroup": 472},
                "service": {"type": "ClusterIP"},
            }),
            &format!("{AT}/grafana"),
        ));
    }
    out
}
