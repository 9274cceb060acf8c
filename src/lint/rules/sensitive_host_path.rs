use serde_json::Value;

use crate::lint::rule::{Hit, Rule};
use crate::model::Object;
use crate::model::pods::{self, text};

crate::lint::rule::rule! {
    /// ## What it does
    /// Flags `hostPath` volumes of sensitive host paths. These are `/`, the container
    /// runtime's sockets (`/var/run/docker.sock`, `/run/containerd`, `/run/crio`), and
    /// anything under `/etc`, `/proc`, `/sys`, `/root`, `/boot`, `/var/lib/kubelet`,
    /// `/var/lib/docker` or `/var/lib/containerd`.
    ///
    /// ## Why it matters
    /// These paths hold the node's credentials, configuration and the runtime's control
    /// socket: a pod that mounts them can read kubelet certificates or start privileged
    /// containers of its own, even through a read-only mount in some cases.
    ///
    /// ## How to fix
    /// Mount a narrower path, use a ConfigMap or a CSI volume instead, or allow the rule with
    /// a reason for node agents that need it.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - {name: sock, mountPath: /var/run/docker.sock, hostPath: /var/run/docker.sock}  # flagged
    ///   - {name: logs, mountPath: /var/log, hostPath: /var/log, readOnly: true}           # fine
    /// ```
    pub struct SensitiveHostPath;
}

/// Paths flagged themselves only.
const EXACT: [&str; 3] = ["/", "/var/run", "/run"];
/// Paths flagged with everything below them.
const TREES: [&str; 14] = [
    "/etc",
    "/proc",
    "/sys",
    "/root",
    "/boot",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd",
    "/var/run/containerd",
    "/run/crio",
    "/var/run/crio",
];

/// Whether a host path is sensitive; `..` and repeated or trailing slashes do not hide it.
pub fn sensitive(path: &str) -> bool {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let normal = format!("/{}", parts.join("/"));
    EXACT.contains(&normal.as_str())
        || TREES.iter().any(|tree| {
            normal
                .strip_prefix(tree)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
}

impl Rule for SensitiveHostPath {
    fn per_object(&self) -> bool {
        true
    }

    fn check(&self, objects: &[Object]) -> Vec<Hit> {
        let mut out = Vec::new();
        for (i, object) in objects.iter().enumerate() {
            let Some(template) = pods::pod_template(object) else {
                continue;
            };
            let volumes = template
                .spec
                .get("volumes")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for (v, volume) in volumes.iter().enumerate() {
                let Some(path) = text(volume, "/hostPath/path") else {
                    continue;
                };
                if sensitive(path) {
                    out.push(
                        Hit::new(
                            i,
                            format!("{}/volumes/{v}/hostPath/path", template.pointer),
                            format!(
                                "{} `{}` mounts the sensitive host path `{path}`",
                                object.kind, object.name
                            ),
                        )
                        .help("mount a narrower path, or allow the rule with a reason"),
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::sensitive;

    #[test]
    fn paths() {
        for bad in [
            "/",
            "//",
            "/etc",
            "/etc/kubernetes/pki",
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/proc/",
            "/var/log/../lib/kubelet",
            "/root",
        ] {
            assert!(sensitive(bad), "{bad}");
        }
        for fine in [
            "/var/log",
            "/mnt/data",
            "/etcetera",
            "/tmp/host-10m-pv",
            "/var/run/app",
        ] {
            assert!(!sensitive(fine), "{fine}");
        }
    }
}
