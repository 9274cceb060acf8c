//! The serde types of the blueprint format v1alpha1. Their doc comments are the format's
//! reference: `kforge explain` prints them and `docs/blueprint.md` is generated from them.
//!
//! Every struct denies unknown fields; the JSON Schema in `schemas/` is derived from these
//! types, so a doc comment here is also the hover text an editor shows.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::quantity::Quantity;

/// A map of string keys to string values (labels, annotations, env, data).
pub type StringMap = BTreeMap<String, String>;

/// A kforge blueprint: one typed file that expands into a whole platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Blueprint {
    /// Always `kforge.io/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `Blueprint`.
    pub kind: BlueprintKind,
    /// The blueprint's name and the labels every generated object carries.
    pub metadata: Metadata,
    /// What the platform holds: namespaces, storage, config, apps, cluster nodes, delivery.
    pub spec: Spec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "kforge.io/v1alpha1")]
    V1Alpha1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum BlueprintKind {
    Blueprint,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// The blueprint's name (DNS-1123 label): the output goes to `out/<name>/<env>/` and every
    /// object gets the label `app.kubernetes.io/part-of: <name>`.
    #[schemars(example = &"platform")]
    pub name: String,
    /// Labels added to every generated object, e.g. {team: platform}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: StringMap,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    /// The Kubernetes minor version the output targets (`1.33` to `1.35`), e.g. "1.33"; quote it,
    /// or YAML reads 1.30 as the number 1.3. Objects are validated against that version's
    /// schemas and namespaces get its `pod-security.kubernetes.io/*-version` labels. Default `1.33`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"1.33")]
    pub kubernetes_version: Option<String>,
    /// The cluster's nodes and kubeadm settings. Expands into per-node files under
    /// `out/<blueprint>/<env>/nodes/` (cloud-init user-data, `bootstrap.sh`, `kubeadm.yaml`, the
    /// CNI manifest) plus the cluster CA and bootstrap token, sealed like a Secret; requires
    /// `spec.encryption`. `kforge nodes` lists what each node runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Cluster>,
    /// Namespaces kforge creates, with their quota, limits, isolation and labels. A namespace an
    /// app or claim names but this list lacks is created with defaults.
    /// Expands into: a Namespace (with `pod-security.kubernetes.io` labels), ResourceQuota,
    /// LimitRange and Calico NetworkPolicy per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<Namespace>,
    /// StorageClasses, static PersistentVolumes and standalone PersistentVolumeClaims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
    /// Standalone ConfigMaps that several apps can `uses`. An app's own settings belong in
    /// `apps.config` instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_maps: Vec<ConfigMap>,
    /// Standalone Secrets that several apps can `uses`; each value comes from a literal, an
    /// environment variable or a file. Written to `out/` only SOPS-encrypted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// The workloads: one entry per app expands into its workload (Deployment by default), Service,
    /// ConfigMap, Secret, Ingress, NetworkPolicy, RBAC, HPA and PDB as its fields ask.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<App>,
    /// Curated bundles (logging, monitoring, ingress controller, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addons: Option<Addons>,
    /// Cluster-wide Calico defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<NetworkPolicyDefaults>,
    /// The age recipients every Secret in `out/` is SOPS-encrypted for. Without them (and without a
    /// `.sops.yaml` rule for the output path) a blueprint with Secrets does not render: kforge never
    /// writes a Secret in plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    /// Flux / Argo CD objects that deploy the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// Raw manifest files (paths relative to the blueprint), added to the output as they are and
    /// validated, cross-checked and linted like the generated objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["manifests/cert-manager-issuer.yaml"])]
    pub resources: Vec<String>,
    /// Lint rules switched off for the whole blueprint (`kforge rules` lists them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint: Option<LintSettings>,
}

// ---------------------------------------------------------------- cluster

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    /// The cluster's name (kubeadm `clusterName`), e.g. `lab`.
    #[schemars(example = &"lab")]
    pub name: String,
    /// The kubelet, kubeadm and kubectl version the node script installs (a full version), e.g.
    /// `1.33.4`; its minor should match `spec.kubernetesVersion`.
    #[schemars(example = &"1.33.4")]
    pub version: String,
    /// `host:port` of the API server that nodes join (kubeadm `controlPlaneEndpoint`), e.g.
    /// `192.168.56.3:6443`; the first control-plane node's address unless a load balancer fronts it.
    #[schemars(example = &"192.168.56.3:6443")]
    pub control_plane_endpoint: String,
    /// The pod network (kubeadm `networking.podSubnet` and the CNI's pool), e.g. `10.244.0.0/16`;
    /// must not overlap `serviceCIDR` or a node address.
    #[serde(rename = "podCIDR")]
    #[schemars(example = &"10.244.0.0/16")]
    pub pod_cidr: String,
    /// kubeadm networking.serviceSubnet: the range Service ClusterIPs come from. Must not overlap
    /// `podCIDR` or a node address.
    #[serde(rename = "serviceCIDR", default = "default_service_cidr")]
    pub service_cidr: String,
    /// The pod network: `calico` (an operator `Installation` with `podCIDR` as its pool) or
    /// `flannel` (its ConfigMap with `podCIDR` as the network).
    #[serde(default)]
    pub cni: Cni,
    /// The CNI release the node script installs, e.g. `v3.29.1` for Calico; default: the version
    /// kforge pins for the chosen CNI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"v3.29.1")]
    pub cni_version: Option<String>,
    /// The container runtime the nodes install and kubelet talks to.
    #[serde(default)]
    pub runtime: Runtime,
    /// kubelet and containerd cgroup driver; `systemd` on systemd hosts (kubeadm's default).
    #[serde(default)]
    pub cgroup_driver: CgroupDriver,
    /// Every machine of the cluster. The first `control-plane` node runs `kubeadm init`, the others
    /// join. Each expands into `out/<blueprint>/<env>/nodes/<node>/` (cloud-init user-data,
    /// `bootstrap.sh`, `kubeadm.yaml`).
    pub nodes: Vec<Node>,
}

fn default_service_cidr() -> String {
    "10.96.0.0/12".to_owned()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Cni {
    #[default]
    Calico,
    Flannel,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    #[default]
    Containerd,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CgroupDriver {
    #[default]
    Systemd,
    Cgroupfs,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Node {
    /// The node's hostname and Kubernetes node name (DNS-1123), e.g. `k8s-master`.
    #[schemars(example = &"k8s-master")]
    pub name: String,
    /// `control-plane` (runs the API server; the first one initialises the cluster) or `worker`.
    pub role: NodeRole,
    /// The node's IP address: kubelet's `--node-ip` and, for a control-plane node, the API server's
    /// advertise address.
    #[schemars(example = &"192.168.56.3")]
    pub address: String,
    /// The network interface that carries `address` (the second NIC of a VirtualBox VM), e.g.
    /// `enp0s8`: the node script checks that it holds the address, and Flannel is pinned to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"enp0s8")]
    pub interface: Option<String>,
    /// Kubernetes labels kubelet registers the node with (`--node-labels`), e.g. {disk: ssd}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: StringMap,
    /// Taints kubelet registers the node with (kubeadm `nodeRegistration.taints`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NodeRole {
    ControlPlane,
    Worker,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Taint {
    /// The taint's key, e.g. `dedicated`.
    #[schemars(example = &"dedicated")]
    pub key: String,
    /// The taint's value, e.g. `gpu`; none for a key-only taint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"gpu")]
    pub value: Option<String>,
    /// What the taint does to pods that do not tolerate it.
    pub effect: TaintEffect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

// ---------------------------------------------------------------- namespaces

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Namespace {
    /// The namespace's name (DNS-1123 label), e.g. `web`.
    #[schemars(example = &"web")]
    pub name: String,
    /// Labels on the Namespace object, besides kforge's own and the Pod Security ones.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: StringMap,
    /// Annotations on the Namespace object.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: StringMap,
    /// A ResourceQuota `<namespace>` with this `.spec.hard`, e.g. {requests.cpu: "4", pods: "50"}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quota: BTreeMap<String, Quantity>,
    /// A LimitRange `<namespace>` of type Container: default requests and limits, and bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// Namespace-wide network isolation, as a Calico NetworkPolicy `default-deny` in
    /// the namespace selecting every pod: `none` (nothing), `default-deny` (ingress denied unless an app's
    /// `network` rules allow it), `strict` (ingress and egress denied, DNS to kube-system allowed).
    #[serde(default)]
    pub isolation: Isolation,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// Default limits for containers that set none, e.g. {cpu: 500m, memory: 256Mi}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default: BTreeMap<String, Quantity>,
    /// Default requests for containers that set none, e.g. {cpu: 100m, memory: 128Mi}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_request: BTreeMap<String, Quantity>,
    /// The largest limit a container may set, per resource.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max: BTreeMap<String, Quantity>,
    /// The smallest request a container may set, per resource.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub min: BTreeMap<String, Quantity>,
}

/// `default-deny`: ingress denied unless an app's `network` rules allow it.
/// `strict`: ingress and egress denied, DNS to kube-system allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    #[default]
    None,
    DefaultDeny,
    Strict,
}

// ---------------------------------------------------------------- storage

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Storage {
    /// StorageClasses (storage.k8s.io/v1), by provisioner or the `nfs` shortcut.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<StorageClass>,
    /// Static PersistentVolumes, each with exactly one source (`local`, `hostPath`, `nfs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<PersistentVolume>,
    /// Standalone PersistentVolumeClaims that apps mount with `volumes.claim`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StorageClass {
    /// The StorageClass name that claims and volumes refer to, e.g. `nfs-client`.
    #[schemars(example = &"nfs-client")]
    pub name: String,
    /// Shortcut for provisioner nfs.csi.k8s.io with server and share parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfs: Option<NfsClass>,
    /// The CSI driver or provisioner, e.g. `rancher.io/local-path`; exactly one of this and `nfs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"rancher.io/local-path")]
    pub provisioner: Option<String>,
    /// Parameters handed to the provisioner.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: StringMap,
    /// What happens to a provisioned volume when its claim is deleted.
    #[serde(default)]
    pub reclaim_policy: ReclaimPolicy,
    /// When volumes are provisioned and bound: at once, or when the first pod that uses the claim
    /// is scheduled (needed for node-local storage).
    #[serde(default)]
    pub volume_binding_mode: VolumeBindingMode,
    /// Whether claims of this class may grow after creation.
    #[serde(default)]
    pub allow_volume_expansion: bool,
    /// Mount options of provisioned volumes, e.g. [nfsvers=4.1].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["nfsvers=4.1"])]
    pub mount_options: Vec<String>,
    /// Marks the class as the cluster default; at most one class may.
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NfsClass {
    /// The NFS server's host name or address, e.g. `192.168.56.10`.
    #[schemars(example = &"192.168.56.10")]
    pub server: String,
    /// The exported directory, e.g. `/srv/nfs`.
    #[schemars(example = &"/srv/nfs")]
    pub share: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ReclaimPolicy {
    #[default]
    Delete,
    Retain,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VolumeBindingMode {
    #[default]
    Immediate,
    WaitForFirstConsumer,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum AccessMode {
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteMany,
    ReadWriteOncePod,
}

impl AccessMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "ReadWriteOnce",
            AccessMode::ReadOnlyMany => "ReadOnlyMany",
            AccessMode::ReadWriteMany => "ReadWriteMany",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }
}

fn default_access_modes() -> Vec<AccessMode> {
    vec![AccessMode::ReadWriteOnce]
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersistentVolume {
    /// The PersistentVolume name (cluster-scoped), e.g. `web-content`.
    #[schemars(example = &"web-content")]
    pub name: String,
    /// The volume's size, e.g. `5Gi`.
    #[schemars(example = &"5Gi")]
    pub capacity: Quantity,
    /// How the volume may be mounted.
    #[serde(default = "default_access_modes")]
    pub access_modes: Vec<AccessMode>,
    /// What happens to the volume when its claim is deleted; `Retain` keeps the data.
    #[serde(default = "retain")]
    pub reclaim_policy: ReclaimPolicy,
    /// May name a class that is not in `classes` (a manual class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"manual")]
    pub storage_class: Option<String>,
    /// Mount options, e.g. [nfsvers=4.1].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["nfsvers=4.1"])]
    pub mount_options: Vec<String>,
    /// A local disk on one node; adds node affinity to that node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalSource>,
    /// A directory on the node that runs the pod (single-node and test clusters only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<HostPathSource>,
    /// An NFS export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfs: Option<NfsSource>,
}

fn retain() -> ReclaimPolicy {
    ReclaimPolicy::Retain
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalSource {
    /// The disk's mount point on the node, e.g. `/mnt/disks/ssd1`.
    #[schemars(example = &"/mnt/disks/ssd1")]
    pub path: String,
    /// The node that holds the disk.
    #[schemars(example = &"k8s-worker1")]
    pub node: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostPathSource {
    /// The directory on the node, e.g. `/data/web`.
    #[schemars(example = &"/data/web")]
    pub path: String,
    /// The hostPath type, e.g. DirectoryOrCreate.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"DirectoryOrCreate")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NfsSource {
    /// The NFS server's host name or address.
    #[schemars(example = &"192.168.56.10")]
    pub server: String,
    /// The exported directory, e.g. `/srv/nfs/web`.
    #[schemars(example = &"/srv/nfs/web")]
    pub path: String,
    /// Mount the export read-only.
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Claim {
    /// The PersistentVolumeClaim name, referred to by `apps.volumes.claim`.
    #[schemars(example = &"shared-content")]
    pub name: String,
    /// The claim's namespace; apps that mount it must be in the same one.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// A class in `storage.classes`, or the class of a static volume. Default: the default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"nfs-client")]
    pub storage_class: Option<String>,
    /// The requested size, e.g. `1Gi`.
    #[schemars(example = &"1Gi")]
    pub size: Quantity,
    /// How the claim may be mounted.
    #[serde(default = "default_access_modes")]
    pub access_modes: Vec<AccessMode>,
    /// Bind to this static PersistentVolume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"web-content")]
    pub volume_name: Option<String>,
}

pub fn default_namespace() -> String {
    "default".to_owned()
}

// ---------------------------------------------------------------- configMaps and secrets

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMap {
    /// The ConfigMap name, referred to by `apps.uses.configMap`.
    #[schemars(example = &"app-settings")]
    pub name: String,
    /// The ConfigMap's namespace; apps that use it must be in the same one.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Plain key-value entries, e.g. {LOG_LEVEL: info}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: StringMap,
    /// File contents, inline or `{fromFile: path}` relative to the blueprint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileContent>,
}

/// A file's content: inline text, or `{fromFile: path}` read at render time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FileContent {
    Inline(String),
    FromFile(FromFile),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FromFile {
    /// Path relative to the blueprint file.
    #[schemars(example = &"files/nginx.conf")]
    pub from_file: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secret {
    /// The Secret name, referred to by `apps.uses.secret` and `apps.ingress.tls.secretName`.
    #[schemars(example = &"db-credentials")]
    pub name: String,
    /// The Secret's namespace; apps that use it must be in the same one.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Opaque, kubernetes.io/tls, kubernetes.io/dockerconfigjson, ...
    #[serde(default = "opaque", rename = "type")]
    pub kind: String,
    /// Key -> where its value comes from; every value lands base64-encoded in the Secret's `data`,
    /// which kforge writes SOPS-encrypted.
    pub data: BTreeMap<String, SecretSource>,
}

fn opaque() -> String {
    "Opaque".to_owned()
}

/// Where a secret value comes from: exactly one of `value`, `fromEnv`, `fromFile`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretSource {
    /// A literal value: allowed, but lint warns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The name of an environment variable read at render time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"DB_PASSWORD")]
    pub from_env: Option<String>,
    /// A file relative to the blueprint, read at render time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"secrets/db-password")]
    pub from_file: Option<String>,
}

// ---------------------------------------------------------------- apps

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct App {
    /// The app's name (DNS-1123 label): its workload, Service, ConfigMap `<app>-config`, Secret
    /// `<app>-secret`, Ingress, policies and autoscaler are named after it, and its pods carry
    /// `app.kubernetes.io/name: <app>`.
    #[schemars(example = &"web")]
    pub name: String,
    /// The app's namespace; created with defaults when `spec.namespaces` does not list it.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// The kind of workload the app expands into. `StatefulSet` also gets a headless Service
    /// (`<app>-headless`, unless the app's own Service is headless) and turns sized `volumes`
    /// into volumeClaimTemplates; `DaemonSet` runs one pod per node; `Job` and `CronJob` run to
    /// completion (`job`, `schedule`).
    #[serde(default)]
    pub workload: Workload,
    /// The container image. Pin a tag or digest (lint KF101 warns about `latest` or none),
    /// e.g. `nginxinc/nginx-unprivileged:1.27.2`.
    #[schemars(example = &"nginxinc/nginx-unprivileged:1.27.2")]
    pub image: String,
    /// When kubelet pulls the image; default: Kubernetes' own (`Always` for `latest`, else
    /// `IfNotPresent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<PullPolicy>,
    /// How many pods a Deployment or StatefulSet runs (Kubernetes' default 1). With `autoscale`
    /// the HPA owns the count and this is ignored (a warning says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 2)]
    pub replicas: Option<i32>,
    /// The container's entrypoint (replaces the image's ENTRYPOINT), e.g. [nginx, -g].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["nginx", "-g", "daemon off;"])]
    pub command: Vec<String>,
    /// Arguments to the entrypoint (replace the image's CMD).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["--config", "/etc/app/config.yaml"])]
    pub args: Vec<String>,
    /// The container's ports. With ports and no `service`, the app gets a ClusterIP Service named
    /// after it; `name` is required when there is more than one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    /// Literal environment variables of the container, e.g. {LOG_LEVEL: info}. Secrets belong in
    /// `secretEnv`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: StringMap,
    /// The app's own ConfigMap `<app>-config`: `env` becomes environment variables, `files` are
    /// mounted at `mountPath`. The pods carry a checksum of it, so a change rolls them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<AppConfig>,
    /// Secret environment variables: env var name -> where the value comes from. Expands into the
    /// Secret `<app>-secret` (SOPS-encrypted in `out/`) and a `secretKeyRef` per variable.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_env: BTreeMap<String, SecretSource>,
    /// Standalone ConfigMaps and Secrets (`spec.configMaps`, `spec.secrets`) the app consumes, as
    /// environment variables (all keys, or some by name) or mounted as files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<Use>,
    /// Volumes mounted into the container; each has exactly one source: `claim`, `size` (a claim
    /// of its own), `hostPath`, `emptyDir` or `downwardAPI`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Container requests and limits (quantities such as `100m`, `128Mi`). Lint warns when
    /// they are missing (KF102).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Startup, liveness and readiness probes of the container. Lint warns when a long-running
    /// app lacks a readiness or liveness probe (KF201).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes: Option<Probes>,
    /// The Pod Security profile and the container's security settings; absent means `restricted`:
    /// `runAsNonRoot`, `allowPrivilegeEscalation: false`, `capabilities.drop: [ALL]`, `seccompProfile:
    /// RuntimeDefault`, `readOnlyRootFilesystem: true` and an `emptyDir` at `/tmp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    /// Run in the node's network namespace (pod `hostNetwork`); needs `securityContext.profile:
    /// privileged`.
    #[serde(default)]
    pub host_network: bool,
    /// Share the node's process namespace (pod `hostPID`); needs `securityContext.profile:
    /// privileged`.
    #[serde(default, rename = "hostPID")]
    pub host_pid: bool,
    /// Share the node's IPC namespace (pod `hostIPC`); needs `securityContext.profile:
    /// privileged`.
    #[serde(default, rename = "hostIPC")]
    pub host_ipc: bool,
    /// Node labels the pods must run on (pod `nodeSelector`), e.g. {disk: ssd}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: StringMap,
    /// Taints the pods tolerate (pod `tolerations`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// DaemonSet only: also run on control-plane nodes, by tolerating their
    /// `node-role.kubernetes.io/control-plane` taint.
    #[serde(default)]
    pub run_on_control_plane: bool,
    /// Annotations on the pod template (not on the workload), e.g. for a metrics scraper.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_annotations: StringMap,
    /// The app's Service, named after it. Default: a ClusterIP Service on the app's ports when it
    /// has any; `type: None` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceSpec>,
    /// An Ingress (networking.k8s.io/v1) named after the app, routing hosts and paths to its
    /// Service; needs ports and a Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,
    /// A Calico NetworkPolicy (projectcalico.org/v3) named after the app, selecting its pods: who
    /// may connect (`ingress`), who may not (`deny`) and, when given, where it may connect
    /// (`egress`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// A ServiceAccount `<app>` the pods run as, plus a Role and RoleBinding for `rules` and a
    /// ClusterRole and ClusterRoleBinding `<namespace>-<app>` for `clusterRules`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rbac: Option<Rbac>,
    /// A HorizontalPodAutoscaler (autoscaling/v2) named after the app, scaling its Deployment or
    /// StatefulSet on CPU and/or memory utilisation (of the requests). The workload then leaves
    /// `replicas` to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
    /// A PodDisruptionBudget (policy/v1) named after the app, limiting how many of its pods a
    /// node drain may evict at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption: Option<Disruption>,
    /// How the workload replaces its pods on update (`strategy` of a Deployment,
    /// `updateStrategy` of a StatefulSet or DaemonSet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Recorded as the workload's `kubernetes.io/change-cause` annotation (shown by `kubectl
    /// rollout history`), e.g. `nginx 1.27.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"nginx 1.27.2")]
    pub change_cause: Option<String>,
    /// CronJob only: when it runs, a five-field cron expression, e.g. `*/5 * * * *`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"*/5 * * * *")]
    pub schedule: Option<String>,
    /// Job and CronJob settings: completions, parallelism, retries, deadlines, restart policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSpec>,
    /// Lint findings accepted for this app, each with a reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint: Option<AppLint>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Workload {
    #[default]
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

impl Workload {
    pub fn as_str(self) -> &'static str {
        match self {
            Workload::Deployment => "Deployment",
            Workload::StatefulSet => "StatefulSet",
            Workload::DaemonSet => "DaemonSet",
            Workload::Job => "Job",
            Workload::CronJob => "CronJob",
        }
    }

    /// Whether pods of this workload are meant to keep running (and so can sit behind a Service).
    pub fn is_long_running(self) -> bool {
        !matches!(self, Workload::Job | Workload::CronJob)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Port {
    /// IANA-style port name (at most 15 characters); required when the app has several ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"http")]
    pub name: Option<String>,
    /// The container port, e.g. `8080`.
    #[schemars(example = 8080)]
    pub port: u16,
    /// The Service port, when it differs from the container port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 80)]
    pub service_port: Option<u16>,
    /// The port's protocol.
    #[serde(default)]
    pub protocol: Protocol,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Protocol {
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// A reference to one of the app's ports, by name or number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

impl std::fmt::Display for PortRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortRef::Number(n) => write!(f, "{n}"),
            PortRef::Name(s) => f.write_str(s),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppConfig {
    /// Exposed to the container with envFrom.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: StringMap,
    /// Prefix added to every `env` key (envFrom prefix), e.g. MARIADB_.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(example = &"MARIADB_")]
    pub env_prefix: String,
    /// Files mounted at `mountPath`: inline text or `{fromFile: path}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileContent>,
    /// Where the `files` are mounted (a directory), e.g. `/etc/nginx/conf.d`; required with `files`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"/etc/nginx/conf.d")]
    pub mount_path: Option<String>,
}

/// One standalone ConfigMap or Secret the app consumes: as env vars, or mounted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Use {
    /// A ConfigMap of `spec.configMaps` in the app's namespace; exactly one of this and `secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"app-settings")]
    pub config_map: Option<String>,
    /// A Secret of `spec.secrets` in the app's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"db-credentials")]
    pub secret: Option<String>,
    /// Env var name -> key. Without `env` and `mountPath`, every key becomes an env var (envFrom).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: StringMap,
    /// Prefix for envFrom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"DB_")]
    pub env_prefix: Option<String>,
    /// Mount the keys as files in this directory, e.g. `/etc/app/tls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"/etc/app")]
    pub mount_path: Option<String>,
    /// Only these keys are mounted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["tls.crt", "tls.key"])]
    pub items: Vec<String>,
}

impl Use {
    /// The name this entry refers to, whichever kind it is.
    pub fn target(&self) -> Option<&str> {
        self.config_map.as_deref().or(self.secret.as_deref())
    }
}

/// A pod volume mounted into the container; exactly one source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Volume {
    /// The volume's name in the pod (DNS-1123 label); names the app's claim `<app>-<name>`.
    #[schemars(example = &"data")]
    pub name: String,
    /// Where the volume is mounted in the container, e.g. `/var/lib/mysql`.
    #[schemars(example = &"/var/lib/mysql")]
    pub mount_path: String,
    /// Mount the volume read-only.
    #[serde(default)]
    pub read_only: bool,
    /// Mount only this path inside the volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"html")]
    pub sub_path: Option<String>,
    /// Mount the standalone claim of this name (`spec.storage.claims`, same namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"shared-content")]
    pub claim: Option<String>,
    /// A claim owned by the app, of this size, e.g. `10Gi`: a volumeClaimTemplate for a
    /// StatefulSet, else the PersistentVolumeClaim `<app>-<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"10Gi")]
    pub size: Option<Quantity>,
    /// The class of the app's own claim (with `size`); default: the default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"nfs-client")]
    pub storage_class: Option<String>,
    /// Access modes of the app's own claim (with `size`); default [ReadWriteOnce].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_modes: Vec<AccessMode>,
    /// A directory on the node; needs `securityContext.profile: privileged` (lint KF306 names
    /// sensitive paths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"/var/log")]
    pub host_path: Option<String>,
    /// A scratch directory that lives as long as the pod, e.g. {} or {medium: Memory}.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_dir: Option<EmptyDir>,
    /// Pod fields exposed as files: labels, annotations, name, namespace.
    #[serde(default, rename = "downwardAPI", skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["labels", "annotations"])]
    pub downward_api: Vec<DownwardField>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmptyDir {
    /// `Memory` for a tmpfs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"Memory")]
    pub medium: Option<String>,
    /// The most the volume may hold, e.g. `256Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"256Mi")]
    pub size_limit: Option<Quantity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DownwardField {
    Labels,
    Annotations,
    Name,
    Namespace,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves, e.g. {cpu: 100m, memory: 128Mi}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, Quantity>,
    /// The most the container may use, e.g. {cpu: 500m, memory: 256Mi}; memory over the limit is
    /// killed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Quantity>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probes {
    /// Holds liveness and readiness back until the app has started (slow starters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<Probe>,
    /// kubelet restarts the container when it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Probe>,
    /// The pod gets no Service traffic while it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Probe>,
}

/// One probe: exactly one of `exec`, `tcp`, `http`, plus its timing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probe {
    /// A command run in the container, e.g. [cat, /tmp/healthy]; exit 0 is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = ["cat", "/tmp/healthy"])]
    pub exec: Option<Vec<String>>,
    /// A port of the app, by name or number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"http")]
    pub tcp: Option<PortRef>,
    /// An HTTP GET on a port of the app; a 2xx or 3xx status is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpProbe>,
    /// Seconds after start before the first probe; Kubernetes' default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 5)]
    pub initial_delay_seconds: Option<i32>,
    /// Seconds between probes; Kubernetes' default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 10)]
    pub period_seconds: Option<i32>,
    /// Seconds a probe may take; Kubernetes' default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 1)]
    pub timeout_seconds: Option<i32>,
    /// Failures in a row before the probe gives up; Kubernetes' default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 3)]
    pub failure_threshold: Option<i32>,
    /// Successes in a row after a failure before it counts as healthy; Kubernetes' default 1
    /// (and 1 is the only value for liveness and startup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 1)]
    pub success_threshold: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpProbe {
    /// The HTTP path the probe requests.
    #[serde(default = "root_path")]
    pub path: String,
    /// A port of the app, by name or number.
    #[schemars(example = &"http")]
    pub port: PortRef,
    /// `HTTP` or `HTTPS`; default `HTTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<HttpScheme>,
}

fn root_path() -> String {
    "/".to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpScheme {
    Http,
    Https,
}

/// How an app's containers are locked down: the Pod Security Standards profile they meet,
/// `restricted` unless the app relaxes it with a reason. kforge fills in what the profile
/// asks for (see `docs/blueprint.md`); the fields below refine it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityContext {
    /// The Pod Security Standards level the app's pods meet. `restricted` (the default):
    /// non-root, no privilege escalation, every capability dropped (`NET_BIND_SERVICE` may be
    /// added back), the runtime's seccomp profile, a read-only root filesystem with an
    /// `emptyDir` at `/tmp`. `baseline` allows root and the default capabilities;
    /// `privileged` allows host namespaces, host paths and privileged containers. The
    /// namespace's `pod-security.kubernetes.io` labels follow its most permissive app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<PodSecurityLevel>,
    /// Why the app needs a profile below `restricted`; required with `baseline` or
    /// `privileged`. Carried on the workload as the `kforge.io/pod-security-reason`
    /// annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"the image starts as root to set up its data directory")]
    pub reason: Option<String>,
    /// Refuse to start a container whose user is root. Default `true` under `restricted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_non_root: Option<bool>,
    /// The user id processes run as, e.g. `101`; default: the image's user. `0` needs `baseline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 101)]
    pub run_as_user: Option<i64>,
    /// The group id processes run as; default: the image's group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 101)]
    pub run_as_group: Option<i64>,
    /// Pod-level fsGroup for volume ownership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 101)]
    pub fs_group: Option<i64>,
    /// Mount the root filesystem read-only. Default `true` under `restricted` (with an `emptyDir`
    /// at `/tmp`); set `false` for an image that writes elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_root_filesystem: Option<bool>,
    /// Run the container privileged (every device and capability); needs `profile: privileged`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// Whether a process may gain more privileges than its parent (setuid). Forced `false` under
    /// `restricted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_privilege_escalation: Option<bool>,
    /// Linux capabilities added to or dropped from the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
}

/// A Pod Security Standards level, from the most locked down to the most permissive.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurityLevel {
    #[default]
    Restricted,
    Baseline,
    Privileged,
}

impl PodSecurityLevel {
    /// The level's name, as Pod Security admission labels spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            PodSecurityLevel::Restricted => "restricted",
            PodSecurityLevel::Baseline => "baseline",
            PodSecurityLevel::Privileged => "privileged",
        }
    }
}

impl SecurityContext {
    /// The app's level: `restricted` unless it says otherwise.
    pub fn level(&self) -> PodSecurityLevel {
        self.profile.unwrap_or_default()
    }
}

/// The apps of a blueprint by namespace and name: what a network peer's `app` names (always
/// in the referring app's namespace). Built once per stage, so that a lookup does not walk
/// every app (which made thousands of egress rules quadratic).
pub type AppIndex<'a> = rustc_hash::FxHashMap<(&'a str, &'a str), &'a App>;

impl Spec {
    /// Every app by (namespace, name); of two with one name (a check error), the later.
    pub fn apps_by_name(&self) -> AppIndex<'_> {
        self.apps
            .iter()
            .map(|app| ((app.namespace.as_str(), app.name.as_str()), app))
            .collect()
    }
}

impl App {
    /// The Pod Security Standards level the app's pods meet.
    pub fn security_level(&self) -> PodSecurityLevel {
        self.security_context
            .as_ref()
            .map(SecurityContext::level)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Capabilities {
    /// Linux capabilities dropped; kforge drops `ALL` under `restricted` whatever this says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["ALL"])]
    pub drop: Vec<String>,
    /// Linux capabilities added, e.g. [NET_BIND_SERVICE] (the only one `restricted` allows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["NET_BIND_SERVICE"])]
    pub add: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    /// The taint key tolerated; none with `operator: Exists` tolerates every taint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"node-role.kubernetes.io/control-plane")]
    pub key: Option<String>,
    /// `Equal` (the key and value match; Kubernetes' default) or `Exists` (any value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<TolerationOperator>,
    /// The taint value matched with `Equal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"gpu")]
    pub value: Option<String>,
    /// The taint effect tolerated; none tolerates every effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
    /// With `NoExecute`: seconds the pod stays bound after the taint appears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 300)]
    pub toleration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TolerationOperator {
    Exists,
    Equal,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSpec {
    /// `ClusterIP` (the default), `NodePort`, `LoadBalancer`, `Headless` (clusterIP None, for
    /// StatefulSet peers) or `None` (no Service).
    #[serde(default, rename = "type")]
    pub kind: ServiceType,
    /// Port name (or number) -> the fixed node port (30000-32767) for `NodePort` and
    /// `LoadBalancer` Services, e.g. {http: 30080}; ignored with a warning on other types.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_ports: BTreeMap<String, i32>,
    /// Annotations on the Service, e.g. for a load balancer.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: StringMap,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
    Headless,
    None,
}

impl ServiceType {
    /// The name the blueprint spells.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
            ServiceType::Headless => "Headless",
            ServiceType::None => "None",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSpec {
    /// The IngressClass (`ingressClassName`), e.g. `nginx`; default: the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"nginx")]
    pub class_name: Option<String>,
    /// The host names and paths routed to the app's Service.
    pub hosts: Vec<IngressHost>,
    /// TLS for the hosts, with the certificate from a Secret of the app's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<IngressTls>,
    /// Annotations on the Ingress, e.g. for the controller or cert-manager.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: StringMap,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressHost {
    /// The host name routed, e.g. `www.example.com`.
    #[schemars(example = &"www.example.com")]
    pub host: String,
    /// The paths of this host routed to the app.
    pub paths: Vec<IngressPath>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressPath {
    /// The URL path routed.
    #[serde(default = "root_path")]
    pub path: String,
    /// How `path` matches: `Prefix` (by path element), `Exact`, or as the controller decides.
    #[serde(default)]
    pub path_type: PathType,
    /// A port of the app, by name or number. Default: the app's only port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PathType {
    #[default]
    Prefix,
    Exact,
    ImplementationSpecific,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressTls {
    /// A `kubernetes.io/tls` Secret in the app's namespace (from `spec.secrets`, or issued by
    /// cert-manager when the annotations ask for it).
    #[schemars(example = &"web-tls")]
    pub secret_name: String,
    /// Default: every host of the ingress.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["www.example.com"])]
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Network {
    /// Who may connect to the app; nothing else may when the namespace is isolated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<IngressRule>,
    /// Sources explicitly denied, evaluated before the `ingress` allow rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<IngressRule>,
    /// Where the app may connect; when present, everything else is denied (DNS stays allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<EgressRule>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressRule {
    /// The source allowed.
    pub from: Peer,
    /// Ports of this app, by name or number. Default: all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EgressRule {
    /// The destination.
    pub to: Peer,
    /// Destination port numbers (or names of the target app's ports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortRef>,
}

/// The other side of a network rule: exactly one of its fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Peer {
    /// An app in the same namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"web")]
    pub app: Option<String>,
    /// Any pod of that namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"monitoring")]
    pub namespace: Option<String>,
    /// An address range outside the cluster, e.g. `10.0.0.0/8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"10.0.0.0/8")]
    pub cidr: Option<String>,
    /// The ingress controller's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_controller: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rbac {
    /// Namespaced permissions: a Role and RoleBinding `<app>` for the app's ServiceAccount.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<PolicyRule>,
    /// Cluster-wide permissions: a ClusterRole and ClusterRoleBinding `<namespace>-<app>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_rules: Vec<PolicyRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyRule {
    /// API groups, `""` for the core group, e.g. ["", apps].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = [""])]
    pub api_groups: Vec<String>,
    /// Resources, e.g. [pods, configmaps].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["pods"])]
    pub resources: Vec<String>,
    /// Only these objects by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["leader-lock"])]
    pub resource_names: Vec<String>,
    /// Non-resource URLs such as `/metrics` (cluster rules only).
    #[serde(
        default,
        rename = "nonResourceURLs",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[schemars(example = ["/metrics"])]
    pub non_resource_urls: Vec<String>,
    /// Verbs, e.g. [get, list, watch].
    #[schemars(example = ["get", "list", "watch"])]
    pub verbs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscale {
    /// The fewest replicas the HPA keeps.
    #[serde(default = "one")]
    pub min_replicas: i32,
    /// The most replicas the HPA scales to; at least `minReplicas`.
    #[schemars(example = 5)]
    pub max_replicas: i32,
    /// Target average CPU utilisation, percent of requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 70)]
    pub cpu_utilization: Option<i32>,
    /// Target average memory utilisation, percent of requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 80)]
    pub memory_utilization: Option<i32>,
}

fn one() -> i32 {
    1
}

/// An integer or a percentage such as "25%".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IntOrPercent {
    Int(i32),
    Percent(String),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Disruption {
    /// Pods that must stay up during a voluntary disruption: a number or a percentage; exactly
    /// one of this and `maxUnavailable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrPercent>,
    /// Pods that may be down during a voluntary disruption: a number or a percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrPercent>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Strategy {
    /// RollingUpdate (default) or Recreate (Deployment) / OnDelete (StatefulSet, DaemonSet).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<StrategyType>,
    /// Pods above `replicas` during a rolling update (Deployment): a number or a percentage;
    /// Kubernetes' default `25%`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrPercent>,
    /// Pods that may be unavailable during a rolling update: a number or a percentage;
    /// Kubernetes' default `25%` (Deployment) or 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrPercent>,
    /// Seconds a new pod must be ready before it counts as available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 10)]
    pub min_ready_seconds: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum StrategyType {
    RollingUpdate,
    Recreate,
    OnDelete,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobSpec {
    /// How many pods must succeed (Job `completions`); default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 1)]
    pub completions: Option<i32>,
    /// How many pods run at once (Job `parallelism`); default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 1)]
    pub parallelism: Option<i32>,
    /// Retries before the Job is marked failed; Kubernetes' default is 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 4)]
    pub backoff_limit: Option<i32>,
    /// Seconds the Job may run before it is stopped and marked failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 600)]
    pub active_deadline_seconds: Option<i64>,
    /// Seconds after which a finished Job (and its pods) is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 3600)]
    pub ttl_seconds_after_finished: Option<i32>,
    /// The pods' `restartPolicy`: `OnFailure` restarts the container in place, `Never` starts a
    /// new pod.
    #[serde(default)]
    pub restart_policy: JobRestartPolicy,
    /// CronJob: Allow | Forbid | Replace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<ConcurrencyPolicy>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JobRestartPolicy {
    #[default]
    OnFailure,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ConcurrencyPolicy {
    Allow,
    Forbid,
    Replace,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppLint {
    /// The rules this app may break, e.g. [{rule: KF303, reason: "the image needs root"}].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<LintAllow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LintAllow {
    /// A lint rule id or name, e.g. `KF303` or `run-as-root`.
    #[schemars(example = &"KF303")]
    pub rule: String,
    /// Why the finding is acceptable for this app. Required.
    #[schemars(example = &"the image needs root to bind port 80")]
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LintSettings {
    /// Rule ids or names switched off everywhere, e.g. [KF101].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["KF101"])]
    pub disable: Vec<String>,
}

// ---------------------------------------------------------------- addons, policy, encryption, delivery

/// Curated bundles of platform services; each expands into apps (`docs/addons.md`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Addons {
    /// ingress-nginx: the controller (IngressClass `nginx`), its admission webhook and the
    /// Jobs that make the webhook's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_nginx: Option<IngressNginxAddon>,
    /// csi-driver-nfs: the controller, the node plugin on every node and the `CSIDriver`
    /// `nfs.csi.k8s.io` that `storage.classes[].nfs` provisions through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfs_csi: Option<NfsCsiAddon>,
    /// metrics-server and its `APIService` `v1beta1.metrics.k8s.io` (what HPAs read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_server: Option<MetricsServerAddon>,
    /// Elasticsearch, Fluent Bit on every node, Kibana.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingAddon>,
    /// Prometheus, node-exporter on every node, kube-state-metrics, Grafana.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringAddon>,
}

/// One part of an add-on: `{}` enables it with the pinned image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddonPart {
    /// The image tag in place of the pinned one, e.g. `v3.5.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The whole image reference in place of the pinned one (a mirror, a digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Requests and limits in place of the part's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressNginxAddon {
    /// The namespace of the controller (default `ingress-nginx`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The controller Service's type (default `NodePort`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<ServiceType>,
    /// Node ports of the controller Service by port name: `http`, `https`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_ports: BTreeMap<String, i32>,
    /// Controller replicas (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The controller's tag in place of the pinned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The controller's whole image reference in place of the pinned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The controller's requests and limits in place of the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NfsCsiAddon {
    /// The namespace of the controller and node plugin (default `kube-system`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The nfsplugin tag in place of the pinned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The nfsplugin's whole image reference in place of the pinned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricsServerAddon {
    /// Pass `--kubelet-insecure-tls`: accept the kubelets' self-signed serving certificates
    /// (kubeadm's default).
    #[serde(default, rename = "insecureKubeletTLS")]
    pub insecure_kubelet_tls: bool,
    /// The namespace (default `kube-system`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The tag in place of the pinned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The whole image reference in place of the pinned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggingAddon {
    /// The namespace of every part (default `logging`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A single-node Elasticsearch StatefulSet with its own volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elasticsearch: Option<ElasticsearchAddon>,
    /// Kibana, reading the Elasticsearch Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kibana: Option<AddonPart>,
    /// Fluent Bit on every node, sending container logs to the Elasticsearch Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fluent_bit: Option<AddonPart>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElasticsearchAddon {
    /// The Elasticsearch (and Kibana) version, e.g. `8.19.4` or `7.17.29`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The whole image reference in place of the pinned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The size of the data volume (default `5Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Quantity>,
    /// The StorageClass of the data volume (a class in `storage.classes`; default: the
    /// default class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// The JVM heap, `-Xms` and `-Xmx` (default `512m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heap: Option<String>,
    /// Requests and limits in place of the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MonitoringAddon {
    /// The namespace of every part (default `monitoring`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A Prometheus StatefulSet with its own volume, scraping the other parts, the kubelets
    /// (cAdvisor included) and pods annotated `prometheus.io/scrape: "true"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusAddon>,
    /// node-exporter on every node (host network and PID namespace, the host's root read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_exporter: Option<AddonPart>,
    /// kube-state-metrics (every resource but Secrets and ConfigMaps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_state_metrics: Option<AddonPart>,
    /// Grafana with the Prometheus data source provisioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grafana: Option<AddonPart>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrometheusAddon {
    /// The tag in place of the pinned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The whole image reference in place of the pinned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// How long samples are kept, `--storage.tsdb.retention.time` (default `15d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<String>,
    /// The size of the data volume (default `10Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Quantity>,
    /// The StorageClass of the data volume (a class in `storage.classes`; default: the
    /// default class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Requests and limits in place of the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicyDefaults {
    /// Calico GlobalNetworkPolicy: deny all but kube-system and DNS.
    #[serde(default)]
    pub global_default_deny: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Encryption {
    /// age recipients (public keys, `age1...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"])]
    pub age: Vec<String>,
}

/// How Flux or Argo CD picks the output up (`out/<blueprint>/<env>/delivery/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Delivery {
    /// The Git repository that holds `out/` at its root: `https://`, `http://` or `ssh://`
    /// (write `git@host:org/repo` as `ssh://git@host/org/repo`).
    #[serde(rename = "repoURL")]
    #[schemars(example = &"https://github.com/example/platform.git")]
    pub repo_url: String,
    /// The branch the controllers follow.
    #[serde(default = "main_branch")]
    pub branch: String,
    /// Flux: a GitRepository and the `-cluster` and `-apps` Kustomizations per environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flux: Option<FluxDelivery>,
    /// Argo CD: an Application per environment, and sync waves on every object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd: Option<ArgoDelivery>,
}

fn main_branch() -> String {
    "main".to_owned()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FluxDelivery {
    /// How often Flux fetches and reconciles, a Go duration such as `5m` or `1h30m`
    /// (default `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"5m")]
    pub interval: Option<String>,
    /// How long Flux waits for a stage to apply and become ready (default `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"5m")]
    pub timeout: Option<String>,
    /// Whether Flux deletes objects that left the output (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<bool>,
    /// The Secret (in the Flux namespace) holding the age identity that decrypts the
    /// SOPS-encrypted Secrets, e.g. `sops-age` with key `identity.agekey`. Required when the
    /// environment has Secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"sops-age")]
    pub decryption_secret: Option<String>,
    /// The Secret (in the Flux namespace) with the credentials for `repoURL`, as `flux create
    /// secret git` makes it; none for a public repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"flux-git")]
    pub git_secret: Option<String>,
    /// The namespace of the Flux objects (default `flux-system`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgoDelivery {
    /// The Argo CD project (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Sync automatically when the branch changes (default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_sync: Option<bool>,
    /// Delete objects that left the output; also adds the resources finalizer, so deleting
    /// the Application deletes its objects (default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<bool>,
    /// Revert changes made in the cluster (default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_heal: Option<bool>,
    /// The namespace of the Application (default `argocd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The Config Management Plugin that builds the environment, e.g. one that decrypts
    /// the SOPS-encrypted Secrets (see docs/delivery.md); default: Argo CD's own kustomize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"kustomize-sops")]
    pub plugin: Option<String>,
    /// The cluster to deploy to (default: the cluster Argo CD runs in,
    /// `server: https://kubernetes.default.svc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<ArgoDestination>,
}

/// An Argo CD destination: exactly one of `server` and `name`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgoDestination {
    /// The API server's URL, e.g. `https://kubernetes.default.svc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"https://kubernetes.default.svc")]
    pub server: Option<String>,
    /// The cluster's name as registered in Argo CD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"in-cluster")]
    pub name: Option<String>,
    /// The namespace for objects that name none (kforge's objects all name theirs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}
