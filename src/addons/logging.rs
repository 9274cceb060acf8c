//! Logging (EFK): a single-node Elasticsearch StatefulSet with its own volume, Fluent Bit on
//! every node sending container logs to the Elasticsearch Service, and Kibana reading it.

use serde_json::{Value, json};

use super::{Part, data_volume, image, images, resources, server_probes};
use crate::load::blueprint::LoggingAddon;

const AT: &str = "/spec/addons/logging";
pub const ELASTICSEARCH: &str = "elasticsearch";
pub const KIBANA: &str = "kibana";
pub const FLUENT_BIT: &str = "fluent-bit";
pub const ES_PORT: u16 = 9200;

pub fn namespace(a: &LoggingAddon) -> String {
    a.namespace.clone().unwrap_or_else(|| "logging".into())
}

/// The Elasticsearch Service's URL, by its cluster DNS name.
pub fn elasticsearch_url(ns: &str) -> String {
    format!("http://{ELASTICSEARCH}.{ns}.svc.cluster.local:{ES_PORT}")
}

fn version(a: &LoggingAddon) -> String {
    a.elasticsearch
        .as_ref()
        .and_then(|e| e.version.clone())
        .unwrap_or_else(|| images::ELASTIC_VERSION.to_owned())
}

/// Fluent Bit's configuration: container logs (CRI and Docker formats), Kubernetes metadata
/// from the API server, out to Elasticsearch.
fn fluent_bit_conf(ns: &str) -> String {
    format!(
        "[SERVICE]
    Flush         5
    Log_Level     info
    Daemon        off
    HTTP_Server   On
    HTTP_Listen   0.0.0.0
    HTTP_Port     2020
    Health_Check  On

[INPUT]
    Name              tail
    Tag               kube.*
    Path              /var/log/containers/*.log
    multiline.parser  docker, cri
    Mem_Buf_Limit     5MB
    Skip_Long_Lines   On
    Refresh_Interval  10

[FILTER]
    Name                kubernetes
    Match               kube.*
    Kube_URL            https://kubernetes.default.svc:443
    Merge_Log           On
    Keep_Log            Off
    K8S-Logging.Parser  On
    K8S-Logging.Exclude On

[OUTPUT]
    Name               es
    Match              kube.*
    Host               {ELASTICSEARCH}.{ns}.svc.cluster.local
    Port               {ES_PORT}
    Logstash_Format    On
    Replace_Dots       On
    Suppress_Type_Name On
    Retry_Limit        False
"
    )
}

pub fn parts(a: &LoggingAddon) -> Vec<Part> {
    let ns = namespace(a);
    let version = version(a);
    let mut out = Vec::new();
    if let Some(es) = &a.elasticsearch {
        let at = format!("{AT}/elasticsearch");
        let heap = es.heap.clone().unwrap_or_else(|| "512m".into());
        let mut peers: Vec<Value> = Vec::new();
        if a.fluent_bit.is_some() {
            peers.push(json!({"from": {"app": FLUENT_BIT}, "ports": ["http"]}));
        }
        if a.kibana.is_some() {
            peers.push(json!({"from": {"app": KIBANA}, "ports": ["http"]}));
        }
        let data = data_volume(
            "/usr/share/elasticsearch/data",
            es.storage.as_ref(),
            "5Gi",
            es.storage_class.as_deref(),
        );
        let part = Part::new(
            json!({
                "name": ELASTICSEARCH,
                "namespace": ns,
                "workload": "StatefulSet",
                "image": es.image.clone().unwrap_or_else(|| format!("{}:{version}", images::ELASTICSEARCH)),
                "replicas": 1,
                "ports": [{"name": "http", "port": ES_PORT}, {"name": "transport", "port": 9300}],
                "env": {
                    "discovery.type": "single-node",
                    // Plain HTTP inside the cluster; the namespace's network rules limit who talks to it.
                    "xpack.security.enabled": "false",
                    // No memory-mapped store: no vm.max_map_count sysctl, so no privileged init container.
                    "node.store.allow_mmap": "false",
                    "ES_JAVA_OPTS": format!("-Xms{heap} -Xmx{heap}"),
                },
                "volumes": [data],
                "resources": resources(es.resources.as_ref(), json!({
                    "requests": {"cpu": "500m", "memory": "1Gi"},
                    "limits": {"cpu": "1", "memory": "2Gi"},
                })),
                "probes": server_probes("/_cluster/health?local=true"),
                "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000, "readOnlyRootFilesystem": false},
                "service": {"type": "ClusterIP"},
                "network": {"ingress": peers},
                "lint": {"allow": [{"rule": "KF304", "reason": "Elasticsearch writes its keystore and node files under /usr/share/elasticsearch/config at start"}]},
            }),
            &at,
        );
        out.push(part.stored(es.storage.is_some(), es.storage_class.is_some()));
    }
    if let Some(kibana) = &a.kibana {
        out.push(Part::new(
            json!({
                "name": KIBANA,
                "namespace": ns,
                "image": kibana.image.clone().unwrap_or_else(|| format!("{}:{}", images::KIBANA, kibana.version.clone().unwrap_or_else(|| version.clone()))),
                "replicas": 1,
                "ports": [{"name": "http", "port": 5601}],
                "env": {"ELASTICSEARCH_HOSTS": elasticsearch_url(&ns)},
                "resources": resources(kibana.resources.as_ref(), json!({
                    "requests": {"cpu": "100m", "memory": "512Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                })),
                "probes": server_probes("/api/status"),
                "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "readOnlyRootFilesystem": false},
                "service": {"type": "ClusterIP"},
                "lint": {"allow": [{"rule": "KF304", "reason": "Kibana writes its UUID and optimizer cache under /usr/share/kibana/data at start"}]},
            }),
            &format!("{AT}/kibana"),
        ));
    }
    if let Some(fb) = &a.fluent_bit {
        out.push(Part::new(
            json!({
                "name": FLUENT_BIT,
                "namespace": ns,
                "workload": "DaemonSet",
                "image": image(Some(fb), images::FLUENT_BIT),
                "args": ["-c", "/fluent-bit/etc/kforge/fluent-bit.conf"],
                "ports": [{"name": "http", "port": 2020}],
                "config": {"files": {"fluent-bit.conf": fluent_bit_conf(&ns)}, "mountPath": "/fluent-bit/etc/kforge"},
                "volumes": [{"name": "varlog", "mountPath": "/var/log", "hostPath": "/var/log", "readOnly": true}],
                "runOnControlPlane": true,
                "resources": resources(fb.resources.as_ref(), json!({
                    "requests": {"cpu": "50m", "memory": "64Mi"},
                    "limits": {"cpu": "200m", "memory": "128Mi"},
                })),
                "probes": {
                    "liveness": {"http": {"path": "/", "port": "http"}, "periodSeconds": 20},
                    "readiness": {"http": {"path": "/api/v1/health", "port": "http"}, "periodSeconds": 10},
                },
                "securityContext": {
                    "profile": "privileged",
                    "reason": "Fluent Bit reads every container's log files from the node's /var/log (a read-only hostPath), which belong to root",
                    "runAsNonRoot": false,
                    "runAsUser": 0,
                    "readOnlyRootFilesystem": true,
                    "allowPrivilegeEscalation": false,
                    "capabilities": {"drop": ["ALL"]},
                },
                "service": {"type": "None"},
                "rbac": {"clusterRules": [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}]},
            }),
            &format!("{AT}/fluentBit"),
        ));
    }
    out
}
