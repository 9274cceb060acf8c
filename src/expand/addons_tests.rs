//! The add-ons through the checks and this stage (`crate::addons` sits below both).

use crate::check::testing::{check, load, warnings};
use crate::expand::{Inputs, expand};

const EVERY_ADDON: &str = "  storage:\n    classes: [{name: nfs, nfs: {server: 10.0.0.1, share: /srv}, default: true}]\n  addons:\n    ingressNginx: {nodePorts: {http: 30080, https: 30443}, replicas: 2}\n    nfsCsi: {}\n    metricsServer: {}\n    logging: {elasticsearch: {}, kibana: {}, fluentBit: {}}\n    monitoring: {prometheus: {}, nodeExporter: {}, kubeStateMetrics: {}, grafana: {}}\n";

#[test]
fn every_add_on_passes_the_checks_and_expands() {
    check(EVERY_ADDON, &[]);
    assert_eq!(warnings(EVERY_ADDON), Vec::new());
    let loaded = load(EVERY_ADDON);
    let objects = expand(&loaded, &Inputs::default()).unwrap_or_else(|d| panic!("{d:?}"));
    for kind in [
        "IngressClass",
        "ValidatingWebhookConfiguration",
        "CSIDriver",
        "APIService",
    ] {
        assert!(objects.iter().any(|o| o.kind == kind), "no {kind}");
    }
    // Defaults: the metrics-server does not skip kubelet TLS unless asked.
    let metrics = objects
        .iter()
        .find(|o| o.kind == "Deployment" && o.name == "metrics-server")
        .unwrap();
    assert!(!metrics.body.to_string().contains("--kubelet-insecure-tls"));
}

#[test]
fn parts_are_left_out_when_not_asked_for() {
    let loaded = load("  addons:\n    monitoring: {prometheus: {}}\n");
    let names: Vec<&str> = loaded
        .blueprint
        .spec
        .apps
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["prometheus"]);
    let config = crate::addons::monitoring::prometheus_config(
        &loaded
            .blueprint
            .spec
            .addons
            .as_ref()
            .unwrap()
            .monitoring
            .clone()
            .unwrap(),
    );
    let jobs: Vec<&str> = config["scrape_configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_name"].as_str().unwrap())
        .collect();
    assert_eq!(jobs, ["prometheus", "kubelet", "cadvisor", "pods"]);
}

#[test]
fn images_are_pinned_and_overridable() {
    let loaded = load(
        "  addons:\n    monitoring:\n      prometheus: {version: v3.5.0}\n      grafana: {image: mirror.example.com/grafana:12.1.0}\n      nodeExporter: {}\n    logging: {elasticsearch: {version: 7.17.29}, kibana: {}}\n",
    );
    let image = |name: &str| {
        loaded
            .blueprint
            .spec
            .apps
            .iter()
            .find(|a| a.name == name)
            .unwrap()
            .image
            .clone()
    };
    assert_eq!(image("prometheus"), "quay.io/prometheus/prometheus:v3.5.0");
    assert_eq!(image("grafana"), "mirror.example.com/grafana:12.1.0");
    assert_eq!(image("node-exporter"), crate::addons::images::NODE_EXPORTER);
    // Kibana follows Elasticsearch's version.
    assert_eq!(
        image("elasticsearch"),
        "docker.elastic.co/elasticsearch/elasticsearch:7.17.29"
    );
    assert_eq!(image("kibana"), "docker.elastic.co/kibana/kibana:7.17.29");
    // Every pinned image names an exact version, never `latest`.
    for pinned in [
        crate::addons::images::INGRESS_NGINX,
        crate::addons::images::NFS_PLUGIN,
        crate::addons::images::METRICS_SERVER,
        crate::addons::images::FLUENT_BIT,
        crate::addons::images::PROMETHEUS,
        crate::addons::images::KUBE_STATE_METRICS,
        crate::addons::images::GRAFANA,
    ] {
        let tag = pinned.rsplit_once(':').unwrap().1;
        assert!(tag.chars().any(|c| c.is_ascii_digit()), "{pinned}");
    }
}

#[test]
fn generated_fields_point_at_the_add_on() {
    let loaded = load("  addons:\n    logging:\n      elasticsearch: {storageClass: fast}\n");
    let span = loaded
        .spans
        .value("/spec/apps/0/volumes/0/storageClass")
        .unwrap();
    assert_eq!(span.line_col(), (8, 37));
    let span = loaded.spans.value("/spec/apps/0/image").unwrap();
    assert_eq!(span.line_col(), (8, 22));
}
