//! Node bootstrap: from the checked `spec.cluster`, per node, the files that turn a fresh
//! Debian/Ubuntu VM into a kubeadm node, under `nodes/<node>/` of the tree (outside its
//! `kustomization.yaml`):
//!
//! - `bootstrap.sh` (0755): idempotent named steps, from the minijinja template
//!   `templates/bootstrap.sh.j2`, where every value goes through the `sh` filter;
//! - `kubeadm.yaml` ([`kubeadm`]);
//! - `user-data`: `#cloud-config` that writes these with `write_files` (and, on the first
//!   control plane, `cni.yaml`: the Calico Installation or the Flannel network) and runs the
//!   script.
//!
//! The cluster CA and tokens are [`material`]. The committed files hold the CA certificate
//! and placeholders where the token and CA key go; [`node_files`] with the opened secrets
//! gives the final user-data (`kforge nodes user-data NODE --decrypt`).
//!
//! Architecture invariant: pure; values reach a script only quoted by the `sh` filter and
//! only after `check` refused every shape that is not a name, address, interface, label,
//! taint or version.

pub mod kubeadm;
pub mod material;

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::load::blueprint::{CgroupDriver, Cluster, Cni, Node, NodeRole};
use crate::model::artifact::{Artifact, ArtifactKind, ArtifactTree};
use material::{PLACEHOLDER_CERTIFICATE_KEY, PLACEHOLDER_TOKEN, Public, Secrets};

/// Calico's version when `cniVersion` is not set.
pub const DEFAULT_CALICO: &str = "v3.30.3";
/// Flannel's version when `cniVersion` is not set.
pub const DEFAULT_FLANNEL: &str = "v0.27.4";
/// Where the user-data puts kforge's files on a node.
pub const NODE_DIR: &str = "/etc/kforge";

/// What a node does when its script runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// `kubeadm init`: the first control-plane node.
    Init,
    /// `kubeadm join` as another control plane.
    JoinControlPlane,
    /// `kubeadm join` as a worker.
    Join,
}

impl Duty {
    pub fn describe(self) -> &'static str {
        match self {
            Duty::Init => "kubeadm init",
            Duty::JoinControlPlane => "kubeadm join (control plane)",
            Duty::Join => "kubeadm join",
        }
    }
}

/// One node and its duty.
pub struct NodePlan<'a> {
    pub node: &'a Node,
    pub duty: Duty,
}

/// Every node in blueprint order; the first control-plane node initialises the cluster.
pub fn plan(cluster: &Cluster) -> Vec<NodePlan<'_>> {
    let first = cluster
        .nodes
        .iter()
        .position(|n| n.role == NodeRole::ControlPlane);
    cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| NodePlan {
            node,
            duty: match node.role {
                _ if Some(i) == first => Duty::Init,
                NodeRole::ControlPlane => Duty::JoinControlPlane,
                NodeRole::Worker => Duty::Join,
            },
        })
        .collect()
}

/// The CNI and its pinned version.
pub fn cni(cluster: &Cluster) -> (&'static str, &str) {
    match cluster.cni {
        Cni::Calico => (
            "calico",
            cluster.cni_version.as_deref().unwrap_or(DEFAULT_CALICO),
        ),
        Cni::Flannel => (
            "flannel",
            cluster.cni_version.as_deref().unwrap_or(DEFAULT_FLANNEL),
        ),
    }
}

/// What a node will run, for `kforge nodes`.
pub fn summary(cluster: &Cluster, plan: &NodePlan<'_>) -> String {
    let base = format!(
        "containerd, kubelet/kubeadm/kubectl {}, {}",
        cluster.version,
        plan.duty.describe()
    );
    match plan.duty {
        Duty::Init => {
            let (name, version) = cni(cluster);
            format!("{base}, {name} {version} (pool {})", cluster.pod_cidr)
        }
        _ => format!("{base} {}", cluster.control_plane_endpoint),
    }
}

/// The values that differ between the committed files and the decrypted user-data.
pub struct Tokens<'a> {
    pub token: &'a str,
    pub certificate_key: &'a str,
    pub ca_cert_hash: &'a str,
}

/// Single-quotes a value for bash: the only way a value enters a script.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn environment() -> &'static minijinja::Environment<'static> {
    static ENV: OnceLock<minijinja::Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.add_filter("sh", |value: minijinja::Value| -> String {
            match value.as_str() {
                Some(s) => shell_quote(s),
                None => shell_quote(&value.to_string()),
            }
        });
        let template = include_str!("templates/bootstrap.sh.j2");
        if let Err(e) = env.add_template("bootstrap.sh", template) {
            // The template is part of the binary; a test renders it.
            debug_assert!(false, "bootstrap.sh template: {e}");
        }
        env
    })
}

/// The `#cloud-config` comment the user-data starts with, and kforge's header after it.
const CLOUD_CONFIG: &str = "#cloud-config\n";

/// `bootstrap.sh` of one node.
pub fn script(header: &str, cluster: &Cluster, plan: &NodePlan<'_>) -> Result<String, String> {
    let node = plan.node;
    let (cni_name, cni_version) = cni(cluster);
    let minor = cluster
        .version
        .rsplit_once('.')
        .map_or(cluster.version.as_str(), |(minor, _)| minor);
    let cni_manifest = match cluster.cni {
        Cni::Calico => format!(
            "https://raw.githubusercontent.com/projectcalico/calico/{cni_version}/manifests/tigera-operator.yaml"
        ),
        Cni::Flannel => format!(
            "https://github.com/flannel-io/flannel/releases/download/{cni_version}/kube-flannel.yml"
        ),
    };
    let hosts: Vec<Value> = cluster
        .nodes
        .iter()
        .map(|n| json!({"name": n.name, "address": n.address}))
        .collect();
    let context = json!({
        "cluster": cluster.name,
        "node": node.name,
        "duty": plan.duty.describe(),
        "address": node.address,
        "interface": node.interface.as_deref().unwrap_or_default(),
        "version": cluster.version,
        "minor": minor,
        "systemd_cgroup": if cluster.cgroup_driver == CgroupDriver::Systemd { "true" } else { "false" },
        "placeholder_token": PLACEHOLDER_TOKEN,
        "placeholder_certificate_key": PLACEHOLDER_CERTIFICATE_KEY,
        "init": plan.duty == Duty::Init,
        "upload_certs": plan.duty == Duty::Init && cluster.nodes.iter().filter(|n| n.role == NodeRole::ControlPlane).count() > 1,
        "hosts": hosts,
        "hosts_range": format!("/^# kforge:begin {0}$/,/^# kforge:end {0}$/", cluster.name),
        "cni": cni_name,
        "cni_version": cni_version,
        "cni_manifest": cni_manifest,
        "cni_namespace": match cluster.cni { Cni::Calico => "calico-system", Cni::Flannel => "kube-flannel" },
        "kubeconfig": if plan.duty == Duty::Init { "admin.conf" } else { "kubelet.conf" },
    });
    let text = environment()
        .get_template("bootstrap.sh")
        .and_then(|t| t.render(context))
        .map_err(|e| format!("cannot render bootstrap.sh: {e}"))?;
    // The shebang stays first; kforge's header follows it.
    let (shebang, rest) = text.split_once('\n').unwrap_or((&text, ""));
    Ok(format!("{shebang}\n{header}{rest}"))
}

/// `cni.yaml` of the first control plane: the Calico operator's Installation with the pod
/// network as its IP pool, or Flannel's ConfigMap with the pod network.
pub fn cni_config(header: &str, cluster: &Cluster) -> String {
    let document = match cluster.cni {
        Cni::Calico => json!({
            "apiVersion": "operator.tigera.io/v1",
            "kind": "Installation",
            "metadata": {"name": "default"},
            "spec": {"calicoNetwork": {
                "ipPools": [{
                    "name": "default-ipv4-ippool",
                    "cidr": cluster.pod_cidr,
                    "encapsulation": "VXLANCrossSubnet",
                    "natOutgoing": "Enabled",
                    "nodeSelector": "all()",
                }],
                "nodeAddressAutodetectionV4": {"kubernetes": "NodeInternalIP"},
            }},
        }),
        Cni::Flannel => {
            let net = json!({"Network": cluster.pod_cidr, "EnableNFTables": false, "Backend": {"Type": "vxlan"}});
            let cni = json!({
                "name": "cbr0",
                "cniVersion": "0.3.1",
                "plugins": [
                    {"type": "flannel", "delegate": {"hairpinMode": true, "isDefaultGateway": true}},
                    {"type": "portmap", "capabilities": {"portMappings": true}},
                ],
            });
            json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "kube-flannel-cfg",
                    "namespace": "kube-flannel",
                    "labels": {"app": "flannel", "k8s-app": "flannel", "tier": "node"},
                },
                "data": {
                    "cni-conf.json": format!("{}\n", crate::json::pretty(&cni).trim_end()),
                    "net-conf.json": format!("{}\n", crate::json::pretty(&net).trim_end()),
                },
            })
        }
    };
    format!("{header}{}", crate::emit::canonical_yaml(&document))
}

/// The files of one node, by name inside `nodes/<node>/`.
pub struct NodeFiles {
    pub script: String,
    pub kubeadm: String,
    pub cni: Option<String>,
    pub user_data: String,
}

fn write_file(path: &str, permissions: &str, content: &str) -> Value {
    json!({"path": path, "permissions": permissions, "owner": "root:root", "content": content})
}

/// The files of one node. Without `secrets`, the token and certificate key are
/// placeholders and the CA key is left out (what is committed); with them, the user-data is
/// ready to use and holds secrets (never written to the tree).
pub fn node_files(
    header: &str,
    cluster: &Cluster,
    plan: &NodePlan<'_>,
    public: &Public,
    secrets: Option<&Secrets>,
) -> Result<NodeFiles, String> {
    let tokens = Tokens {
        token: secrets.map_or(PLACEHOLDER_TOKEN, |s| s.token.as_str()),
        certificate_key: secrets
            .map_or(PLACEHOLDER_CERTIFICATE_KEY, |s| s.certificate_key.as_str()),
        ca_cert_hash: &public.ca_cert_hash,
    };
    let script = script(header, cluster, plan)?;
    let kubeadm = kubeadm::text(header, &kubeadm::documents(cluster, plan, &tokens));
    let cni = (plan.duty == Duty::Init).then(|| cni_config(header, cluster));
    let mut files = vec![
        write_file(&format!("{NODE_DIR}/bootstrap.sh"), "0755", &script),
        write_file(&format!("{NODE_DIR}/kubeadm.yaml"), "0600", &kubeadm),
    ];
    if let Some(cni) = &cni {
        files.push(write_file(&format!("{NODE_DIR}/cni.yaml"), "0644", cni));
    }
    if plan.duty == Duty::Init {
        files.push(write_file(
            "/etc/kubernetes/pki/ca.crt",
            "0644",
            &public.ca_cert_pem,
        ));
        if let Some(secrets) = secrets {
            files.push(write_file(
                "/etc/kubernetes/pki/ca.key",
                "0600",
                &secrets.ca_key_pem,
            ));
        }
    }
    let mut config = json!({
        "hostname": plan.node.name,
        "manage_etc_hosts": false,
        "write_files": files,
        "runcmd": [["/bin/bash", format!("{NODE_DIR}/bootstrap.sh")]],
    });
    let body = crate::emit::canonical_yaml(&config);
    if let Some(Value::Array(files)) = config.get_mut("write_files") {
        for file in files {
            if let Some(Value::String(content)) = file.get_mut("content") {
                zeroize::Zeroize::zeroize(content);
            }
        }
    }
    Ok(NodeFiles {
        script,
        kubeadm,
        cni,
        user_data: format!("{CLOUD_CONFIG}{header}{body}"),
    })
}

/// Adds every node's committed files to `tree`, and the CA certificate.
pub fn add_to_tree(
    tree: &mut ArtifactTree,
    header: &str,
    cluster: &Cluster,
    public: &Public,
) -> Result<(), String> {
    let mut add = |path: String, artifact: Artifact| {
        tree.insert(path.clone(), artifact)
            .map_err(|_| format!("two files would be written to `{path}`"))
    };
    add(
        material::CA_CERT.to_owned(),
        Artifact::new(ArtifactKind::CloudInit, public.ca_cert_pem.clone()),
    )?;
    for plan in plan(cluster) {
        let files = node_files(header, cluster, &plan, public, None)?;
        let dir = format!("nodes/{}", plan.node.name);
        add(
            format!("{dir}/bootstrap.sh"),
            Artifact::new(ArtifactKind::Script, files.script).executable(),
        )?;
        add(
            format!("{dir}/kubeadm.yaml"),
            Artifact::new(ArtifactKind::CloudInit, files.kubeadm),
        )?;
        add(
            format!("{dir}/user-data"),
            Artifact::new(ArtifactKind::CloudInit, files.user_data),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_filter_quotes_everything() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's; $(id)"), r"'it'\''s; $(id)'");
    }

    /// Every value the template prints goes through `sh`.
    #[test]
    fn every_expression_of_the_template_is_quoted() {
        let template = include_str!("templates/bootstrap.sh.j2");
        let mut rest = template;
        let mut count = 0;
        while let Some(start) = rest.find("{{") {
            let end = rest[start..].find("}}").map(|e| start + e).unwrap();
            let expression = rest[start + 2..end].trim();
            assert!(expression.ends_with("| sh"), "unquoted: {expression}");
            count += 1;
            rest = &rest[end + 2..];
        }
        assert!(count > 10);
    }
}
