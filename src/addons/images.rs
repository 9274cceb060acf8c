//! The pinned upstream images of every add-on part (`docs/addons.md` lists them). A part's
//! `image` replaces the whole reference, its `version` the tag.

pub const INGRESS_NGINX: &str = "registry.k8s.io/ingress-nginx/controller:v1.13.3";
pub const WEBHOOK_CERTGEN: &str = "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.3";
pub const NFS_PLUGIN: &str = "registry.k8s.io/sig-storage/nfsplugin:v4.12.0";
pub const CSI_PROVISIONER: &str = "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0";
pub const CSI_REGISTRAR: &str = "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.15.0";
pub const CSI_LIVENESS: &str = "registry.k8s.io/sig-storage/livenessprobe:v2.17.0";
pub const METRICS_SERVER: &str = "registry.k8s.io/metrics-server/metrics-server:v0.8.0";
/// Elasticsearch and Kibana share a version.
pub const ELASTIC_VERSION: &str = "8.19.4";
pub const ELASTICSEARCH: &str = "docker.elastic.co/elasticsearch/elasticsearch";
pub const KIBANA: &str = "docker.elastic.co/kibana/kibana";
pub const FLUENT_BIT: &str = "cr.fluentbit.io/fluent/fluent-bit:4.0.9";
pub const PROMETHEUS: &str = "quay.io/prometheus/prometheus:v3.6.0";
pub const NODE_EXPORTER: &str = "quay.io/prometheus/node-exporter:v1.9.1";
pub const KUBE_STATE_METRICS: &str =
    "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.17.0";
pub const GRAFANA: &str = "docker.io/grafana/grafana:12.2.0";

/// `pinned` (`repo:tag`) with the overrides: a whole `image`, or a `version` as the tag.
pub fn pick(pinned: &str, image: Option<&str>, version: Option<&str>) -> String {
    if let Some(image) = image {
        return image.to_owned();
    }
    let repository = pinned.rsplit_once(':').map_or(pinned, |(repo, _)| repo);
    match version {
        Some(tag) => format!("{repository}:{tag}"),
        None => pinned.to_owned(),
    }
}
