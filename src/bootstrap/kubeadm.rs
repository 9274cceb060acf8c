//! `kubeadm.yaml` per node (kubeadm.k8s.io/v1beta4): InitConfiguration, ClusterConfiguration
//! and KubeletConfiguration for the first control plane; JoinConfiguration with token
//! discovery pinned by `caCertHashes` for the others. Built as structured values and
//! written by the canonical YAML writer, one document each.

use serde_json::{Value, json};

use super::{Duty, NodePlan, Tokens};
use crate::check::split_endpoint;
use crate::load::blueprint::{CgroupDriver, Cluster, Node};

/// The kubeadm API version the files use.
pub const API_VERSION: &str = "kubeadm.k8s.io/v1beta4";
/// containerd's CRI socket.
pub const CRI_SOCKET: &str = "unix:///var/run/containerd/containerd.sock";

/// v1beta4's list form of extra arguments.
fn args(pairs: &[(&str, String)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect(),
    )
}

fn node_registration(node: &Node) -> Value {
    let mut kubelet = vec![("node-ip", node.address.clone())];
    if !node.labels.is_empty() {
        let labels: Vec<String> = node
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        kubelet.push(("node-labels", labels.join(",")));
    }
    let mut registration = json!({
        "name": node.name,
        "criSocket": CRI_SOCKET,
        "kubeletExtraArgs": args(&kubelet),
    });
    if !node.taints.is_empty() {
        registration["taints"] = node
            .taints
            .iter()
            .map(|t| {
                let mut taint = json!({"key": t.key, "effect": t.effect});
                if let Some(value) = &t.value {
                    taint["value"] = value.as_str().into();
                }
                taint
            })
            .collect();
    }
    registration
}

/// The port of the API server on a control-plane node: the endpoint's when it names this
/// node, else kubeadm's default.
fn bind_port(cluster: &Cluster, node: &Node) -> u16 {
    match split_endpoint(&cluster.control_plane_endpoint) {
        Some((host, port)) if host == node.address => port,
        _ => 6443,
    }
}

fn local_endpoint(cluster: &Cluster, node: &Node) -> Value {
    json!({"advertiseAddress": node.address, "bindPort": bind_port(cluster, node)})
}

/// The documents of one node's `kubeadm.yaml`, in order.
pub fn documents(cluster: &Cluster, plan: &NodePlan<'_>, tokens: &Tokens<'_>) -> Vec<Value> {
    let node = plan.node;
    let several_control_planes = cluster
        .nodes
        .iter()
        .filter(|n| n.role == crate::load::blueprint::NodeRole::ControlPlane)
        .count()
        > 1;
    match plan.duty {
        Duty::Init => {
            let mut init = json!({
                "apiVersion": API_VERSION,
                "kind": "InitConfiguration",
                "bootstrapTokens": [{
                    "token": tokens.token,
                    "description": format!("kforge: nodes of cluster {} join with it", cluster.name),
                    "ttl": "24h0m0s",
                    "usages": ["signing", "authentication"],
                    "groups": ["system:bootstrappers:kubeadm:default-node-token"],
                }],
                "localAPIEndpoint": local_endpoint(cluster, node),
                "nodeRegistration": node_registration(node),
            });
            if several_control_planes {
                init["certificateKey"] = tokens.certificate_key.into();
            }
            let mut sans: Vec<String> = Vec::new();
            if let Some((host, _)) = split_endpoint(&cluster.control_plane_endpoint) {
                sans.push(host.to_owned());
            }
            for n in cluster
                .nodes
                .iter()
                .filter(|n| n.role == crate::load::blueprint::NodeRole::ControlPlane)
            {
                if !sans.contains(&n.address) {
                    sans.push(n.address.clone());
                }
            }
            let cluster_config = json!({
                "apiVersion": API_VERSION,
                "kind": "ClusterConfiguration",
                "clusterName": cluster.name,
                "kubernetesVersion": format!("v{}", cluster.version),
                "controlPlaneEndpoint": cluster.control_plane_endpoint,
                "networking": {
                    "podSubnet": cluster.pod_cidr,
                    "serviceSubnet": cluster.service_cidr,
                },
                "apiServer": {"certSANs": sans},
                "encryptionAlgorithm": "ECDSA-P256",
            });
            let kubelet = json!({
                "apiVersion": "kubelet.config.k8s.io/v1beta1",
                "kind": "KubeletConfiguration",
                "cgroupDriver": match cluster.cgroup_driver {
                    CgroupDriver::Systemd => "systemd",
                    CgroupDriver::Cgroupfs => "cgroupfs",
                },
            });
            vec![init, cluster_config, kubelet]
        }
        Duty::Join | Duty::JoinControlPlane => {
            let mut join = json!({
                "apiVersion": API_VERSION,
                "kind": "JoinConfiguration",
                "discovery": {"bootstrapToken": {
                    "apiServerEndpoint": cluster.control_plane_endpoint,
                    "token": tokens.token,
                    "caCertHashes": [tokens.ca_cert_hash],
                }},
                "nodeRegistration": node_registration(node),
            });
            if plan.duty == Duty::JoinControlPlane {
                join["controlPlane"] = json!({
                    "localAPIEndpoint": local_endpoint(cluster, node),
                    "certificateKey": tokens.certificate_key,
                });
            }
            vec![join]
        }
    }
}

/// The text of `kubeadm.yaml`: the header, then the documents separated by `---` (kubeadm
/// takes an empty document before the first for one without a kind).
pub fn text(header: &str, documents: &[Value]) -> String {
    let mut out = header.to_owned();
    for (i, document) in documents.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&crate::emit::canonical_yaml(document));
    }
    out
}
