//! csi-driver-nfs: the controller (nfsplugin + csi-provisioner + livenessprobe), the node
//! plugin on every node (nfsplugin + node-driver-registrar + livenessprobe) and the
//! `CSIDriver` object. `storage.classes[].nfs` provisions through it (`nfs.csi.k8s.io`).

use k8s_openapi::api::core::v1::{
    Capabilities, Container, EnvVar, ResourceRequirements, SecurityContext, VolumeMount,
};
use k8s_openapi::api::storage::v1::{CSIDriver, CSIDriverSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde_json::json;

use super::{LabelsFn, Part, Patch, images, meta, object};
use crate::load::blueprint::NfsCsiAddon;
use crate::model::Object;

const AT: &str = "/spec/addons/nfsCsi";
pub const DRIVER: &str = "nfs.csi.k8s.io";
pub const CONTROLLER: &str = "csi-nfs-controller";
pub const NODE: &str = "csi-nfs-node";
const SOCKET: &str = "/csi/csi.sock";
const PLUGIN_DIR: &str = "/var/lib/kubelet/plugins/csi-nfsplugin";

pub fn namespace(a: &NfsCsiAddon) -> String {
    a.namespace.clone().unwrap_or_else(|| "kube-system".into())
}

/// The nfsplugin container: it mounts NFS shares, which takes `CAP_SYS_ADMIN` in a
/// privileged container.
fn plugin(a: &NfsCsiAddon, name: &str, ns: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut app = json!({
        "name": name,
        "namespace": ns,
        "image": images::pick(images::NFS_PLUGIN, a.image.as_deref(), a.version.as_deref()),
        "args": ["--v=2", "--nodeid=$(NODE_ID)", format!("--endpoint=unix://{SOCKET}"), format!("--drivername={DRIVER}")],
        "resources": {"requests": {"cpu": "10m", "memory": "20Mi"}, "limits": {"cpu": "200m", "memory": "300Mi"}},
        "securityContext": {
            "profile": "privileged",
            "reason": "the NFS CSI plugin mounts NFS shares (CAP_SYS_ADMIN in a privileged container) and, on the nodes, propagates them into the kubelet's pod directories",
            "privileged": true,
            "allowPrivilegeEscalation": true,
            "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]},
        },
        "service": {"type": "None"},
        "lint": {"allow": [{"rule": "KF201", "reason": "CSI sidecars serve no endpoint of their own: the livenessprobe sidecar checks the plugin over its socket and the plugin's liveness probe asks it; a CSI plugin has no readiness to report, the kubelet and provisioner wait on the socket"}]},
    });
    if let (Some(app), Some(extra)) = (app.as_object_mut(), extra.as_object()) {
        app.extend(extra.clone());
    }
    app
}

pub fn parts(a: &NfsCsiAddon) -> Vec<Part> {
    let ns = namespace(a);
    let controller = plugin(
        a,
        CONTROLLER,
        &ns,
        json!({
            "args": ["--v=2", "--nodeid=$(NODE_ID)", format!("--endpoint=unix://{SOCKET}"), format!("--drivername={DRIVER}"), "--mount-permissions=0", "--working-mount-dir=/tmp"],
            "replicas": 1,
            "ports": [{"name": "healthz", "port": 29652}],
            "probes": {"liveness": {"http": {"path": "/healthz", "port": "healthz"}, "initialDelaySeconds": 30, "periodSeconds": 30, "timeoutSeconds": 10, "failureThreshold": 5}},
            "volumes": [
                {"name": "socket-dir", "mountPath": "/csi", "emptyDir": {}},
                {"name": "tmp", "mountPath": "/tmp", "emptyDir": {}},
            ],
            "rbac": {
                "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "list", "watch", "create", "update", "patch"]}],
                "clusterRules": [
                    {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["get", "list", "watch", "create", "delete"]},
                    {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["get", "list", "watch", "update"]},
                    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch", "create", "update", "patch"]},
                    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
                    {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses", "csinodes"], "verbs": ["get", "list", "watch"]},
                ],
            },
        }),
    );
    let node = plugin(
        a,
        NODE,
        &ns,
        json!({
            "workload": "DaemonSet",
            "hostNetwork": true,
            "runOnControlPlane": true,
            "ports": [{"name": "healthz", "port": 29653}],
            "probes": {"liveness": {"http": {"path": "/healthz", "port": "healthz"}, "initialDelaySeconds": 30, "periodSeconds": 30, "timeoutSeconds": 10, "failureThreshold": 5}},
            "volumes": [
                {"name": "socket-dir", "mountPath": "/csi", "hostPath": PLUGIN_DIR},
                {"name": "pods-mount-dir", "mountPath": "/var/lib/kubelet/pods", "hostPath": "/var/lib/kubelet/pods"},
                {"name": "registration-dir", "mountPath": "/registration", "hostPath": "/var/lib/kubelet/plugins_registry"},
            ],
            "rbac": {},
        }),
    );
    vec![Part::new(controller, AT), Part::new(node, AT)]
}

/// A CSI sidecar: unprivileged, read-only, talking to the plugin over the socket.
fn sidecar(name: &str, image: &str, args: Vec<String>, mounts: &[(&str, &str)]) -> Container {
    let quantity = |q: &str| Quantity(q.to_owned());
    Container {
        name: name.to_owned(),
        image: Some(image.to_owned()),
        args: Some(args),
        env: None,
        volume_mounts: Some(
            mounts
                .iter()
                .map(|(volume, path)| VolumeMount {
                    name: (*volume).to_owned(),
                    mount_path: (*path).to_owned(),
                    ..Default::default()
                })
                .collect(),
        ),
        resources: Some(ResourceRequirements {
            requests: Some(
                [
                    ("cpu".to_owned(), quantity("10m")),
                    ("memory".to_owned(), quantity("20Mi")),
                ]
                .into(),
            ),
            limits: Some(
                [
                    ("cpu".to_owned(), quantity("100m")),
                    ("memory".to_owned(), quantity("100Mi")),
                ]
                .into(),
            ),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn patches(a: &NfsCsiAddon) -> Vec<((&'static str, String, String), Patch)> {
    let ns = namespace(a);
    let socket = format!("--csi-address={SOCKET}");
    let liveness = |port: u16| {
        sidecar(
            "liveness-probe",
            images::CSI_LIVENESS,
            vec![
                socket.clone(),
                "--probe-timeout=3s".into(),
                format!("--http-endpoint=:{port}"),
                "--v=2".into(),
            ],
            &[("socket-dir", "/csi")],
        )
    };
    let mut provisioner = sidecar(
        "csi-provisioner",
        images::CSI_PROVISIONER,
        vec![
            "--v=2".into(),
            socket.clone(),
            "--leader-election".into(),
            format!("--leader-election-namespace={ns}"),
            "--extra-create-metadata=true".into(),
            "--timeout=1200s".into(),
        ],
        &[("socket-dir", "/csi")],
    );
    provisioner.env = None::<Vec<EnvVar>>;
    let registrar = sidecar(
        "node-driver-registrar",
        images::CSI_REGISTRAR,
        vec![
            "--v=2".into(),
            socket.clone(),
            format!("--kubelet-registration-path={PLUGIN_DIR}/csi.sock"),
        ],
        &[
            ("socket-dir", "/csi"),
            ("registration-dir", "/registration"),
        ],
    );
    let controller = ("Deployment", ns.clone(), CONTROLLER.to_owned());
    let node = ("DaemonSet", ns, NODE.to_owned());
    vec![
        (
            controller.clone(),
            Patch::Sidecars(vec![provisioner, liveness(29652)]),
        ),
        (
            controller,
            Patch::FieldEnv(vec![("NODE_ID", "spec.nodeName")]),
        ),
        (
            node.clone(),
            Patch::Sidecars(vec![liveness(29653), registrar]),
        ),
        (
            node.clone(),
            Patch::FieldEnv(vec![("NODE_ID", "spec.nodeName")]),
        ),
        (node, Patch::Propagation("pods-mount-dir", "Bidirectional")),
    ]
}

pub fn objects(_a: &NfsCsiAddon, labels: &LabelsFn<'_>) -> Vec<Object> {
    let driver = CSIDriver {
        metadata: meta(labels, DRIVER, None, CONTROLLER),
        spec: CSIDriverSpec {
            attach_required: Some(false),
            fs_group_policy: Some("File".into()),
            volume_lifecycle_modes: Some(vec!["Persistent".into()]),
            ..Default::default()
        },
    };
    vec![object(&driver, DRIVER, None, AT)]
}
