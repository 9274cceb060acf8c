//! Add-ons (issue 18): the objects `blueprints/platform.yaml`'s add-ons render to, read back
//! from the committed `out/` (which the golden test holds equal to a fresh render) and judged
//! by what they mean — who may do what, which Service each part reaches — and the blueprint
//! errors the add-ons add, through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use serde_json::Value;

mod common;
use common::run_kforge;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every object of `out/platform/base`, by (kind, namespace, name).
fn objects() -> BTreeMap<(String, String, String), Value> {
    let mut out = BTreeMap::new();
    let dir = Path::new(ROOT).join("out/platform/base");
    for entry in walkdir::WalkDir::new(&dir) {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy();
        if !name.ends_with(".yaml")
            || name == "kustomization.yaml"
            || path.starts_with(dir.join("nodes"))
            || path.starts_with(dir.join("delivery"))
        {
            continue;
        }
        let value: Value = serde_yaml::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        let text = |p: &str| {
            value
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        out.insert(
            (
                text("/kind"),
                text("/metadata/namespace"),
                text("/metadata/name"),
            ),
            value,
        );
    }
    out
}

fn get<'a>(
    objects: &'a BTreeMap<(String, String, String), Value>,
    kind: &str,
    ns: &str,
    name: &str,
) -> &'a Value {
    objects
        .get(&(kind.into(), ns.into(), name.into()))
        .unwrap_or_else(|| panic!("no {kind} {ns}/{name} in out/platform/base"))
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Every (apiGroup, resource[/resourceName], verb) a ServiceAccount is granted through the
/// (Cluster)RoleBindings of the output.
fn grants(
    objects: &BTreeMap<(String, String, String), Value>,
    ns: &str,
    account: &str,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for ((kind, binding_ns, _), binding) in objects {
        if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
            continue;
        }
        let bound = binding["subjects"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["kind"] == "ServiceAccount" && s["name"] == account && s["namespace"] == ns);
        if !bound {
            continue;
        }
        let role_kind = binding["roleRef"]["kind"].as_str().unwrap();
        let role_name = binding["roleRef"]["name"].as_str().unwrap();
        let role_ns = if role_kind == "Role" {
            binding_ns.as_str()
        } else {
            ""
        };
        let Some(role) = objects.get(&(
            role_kind.to_owned(),
            role_ns.to_owned(),
            role_name.to_owned(),
        )) else {
            // A role the cluster brings (system:auth-delegator, extension-apiserver-...).
            out.insert(format!("{role_kind} {role_name}"));
            continue;
        };
        for rule in role["rules"].as_array().into_iter().flatten() {
            let names = strings(&rule["resourceNames"]);
            for verb in strings(&rule["verbs"]) {
                for url in strings(&rule["nonResourceURLs"]) {
                    out.insert(format!("{url} {verb}"));
                }
                for group in strings(&rule["apiGroups"]) {
                    for resource in strings(&rule["resources"]) {
                        let scope = if kind == "RoleBinding" {
                            binding_ns.clone()
                        } else {
                            "*".into()
                        };
                        if names.is_empty() {
                            out.insert(format!("{scope}:{group}/{resource} {verb}"));
                        } else {
                            for n in &names {
                                out.insert(format!("{scope}:{group}/{resource}/{n} {verb}"));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn expand(groups: &[(&str, &[&str], &[&str])]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (prefix, resources, verbs) in groups {
        for r in *resources {
            for v in *verbs {
                out.insert(format!("{prefix}/{r} {v}"));
            }
        }
    }
    out
}

#[test]
fn fluent_bit_may_only_read_pods_and_namespaces() {
    let objects = objects();
    let role = get(&objects, "ClusterRole", "", "logging-fluent-bit");
    assert_eq!(
        role["rules"],
        serde_json::json!([{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}])
    );
    assert_eq!(
        grants(&objects, "logging", "fluent-bit"),
        expand(&[("*:", &["pods", "namespaces"], &["get", "list", "watch"])])
    );
    let ds = get(&objects, "DaemonSet", "logging", "fluent-bit");
    assert_eq!(
        ds["spec"]["template"]["spec"]["serviceAccountName"],
        "fluent-bit"
    );
}

/// The minimum each add-on part uses: a grant beyond it (or a missing one) fails.
#[test]
fn every_add_on_service_account_has_only_what_its_part_uses() {
    let objects = objects();
    let expected: Vec<(&str, &str, BTreeSet<String>)> = vec![
        ("ingress-nginx", "ingress-nginx-controller", {
            let mut s = expand(&[
                (
                    "*:",
                    &[
                        "configmaps",
                        "endpoints",
                        "nodes",
                        "pods",
                        "secrets",
                        "namespaces",
                    ],
                    &["list", "watch"],
                ),
                ("*:", &["nodes"], &["get"]),
                ("*:", &["services"], &["get", "list", "watch"]),
                ("*:", &["events"], &["create", "patch"]),
                ("*:coordination.k8s.io", &["leases"], &["list", "watch"]),
                (
                    "*:networking.k8s.io",
                    &["ingresses", "ingressclasses"],
                    &["get", "list", "watch"],
                ),
                ("*:networking.k8s.io", &["ingresses/status"], &["update"]),
                (
                    "*:discovery.k8s.io",
                    &["endpointslices"],
                    &["get", "list", "watch"],
                ),
                (
                    "ingress-nginx:",
                    &["configmaps", "pods", "secrets", "endpoints"],
                    &["get"],
                ),
                (
                    "ingress-nginx:coordination.k8s.io",
                    &["leases"],
                    &["create"],
                ),
                (
                    "ingress-nginx:coordination.k8s.io",
                    &["leases/ingress-nginx-leader"],
                    &["get", "update"],
                ),
            ]);
            s.extend(set(&[]));
            s
        }),
        (
            "ingress-nginx",
            "ingress-nginx-admission-create",
            set(&[
                "ingress-nginx:/secrets/ingress-nginx-admission get",
                "ingress-nginx:/secrets create",
            ]),
        ),
        (
            "ingress-nginx",
            "ingress-nginx-admission-patch",
            set(&[
                "ingress-nginx:/secrets/ingress-nginx-admission get",
                "*:admissionregistration.k8s.io/validatingwebhookconfigurations/ingress-nginx-admission get",
                "*:admissionregistration.k8s.io/validatingwebhookconfigurations/ingress-nginx-admission update",
            ]),
        ),
        (
            "kube-system",
            "csi-nfs-controller",
            expand(&[
                (
                    "*:",
                    &["persistentvolumes"],
                    &["get", "list", "watch", "create", "delete"],
                ),
                (
                    "*:",
                    &["persistentvolumeclaims"],
                    &["get", "list", "watch", "update"],
                ),
                (
                    "*:",
                    &["events"],
                    &["get", "list", "watch", "create", "update", "patch"],
                ),
                ("*:", &["nodes"], &["get", "list", "watch"]),
                (
                    "*:storage.k8s.io",
                    &["storageclasses", "csinodes"],
                    &["get", "list", "watch"],
                ),
                (
                    "kube-system:coordination.k8s.io",
                    &["leases"],
                    &["get", "list", "watch", "create", "update", "patch"],
                ),
            ]),
        ),
        ("kube-system", "csi-nfs-node", BTreeSet::new()),
        ("kube-system", "metrics-server", {
            let mut s = expand(&[
                ("*:", &["nodes/metrics"], &["get"]),
                ("*:", &["pods", "nodes"], &["get", "list", "watch"]),
            ]);
            s.extend(set(&[
                "ClusterRole system:auth-delegator",
                "Role extension-apiserver-authentication-reader",
            ]));
            s
        }),
        (
            "monitoring",
            "prometheus",
            expand(&[
                ("*:", &["nodes", "pods"], &["list", "watch"]),
                ("*:", &["nodes/metrics"], &["get"]),
            ]),
        ),
    ];
    for (ns, account, want) in expected {
        get(&objects, "ServiceAccount", ns, account);
        assert_eq!(grants(&objects, ns, account), want, "{ns}/{account}");
    }
    // kube-state-metrics lists and watches, never reads Secrets or ConfigMaps.
    let ksm = grants(&objects, "monitoring", "kube-state-metrics");
    assert!(!ksm.is_empty());
    for grant in &ksm {
        assert!(
            grant.ends_with(" list") || grant.ends_with(" watch"),
            "{grant}"
        );
        assert!(
            !grant.contains("/secrets") && !grant.contains("/configmaps"),
            "{grant}"
        );
    }
    // No wildcard anywhere in the add-ons' roles.
    for ((kind, _, name), role) in &objects {
        if kind == "ClusterRole" || kind == "Role" {
            assert!(
                !role["rules"].to_string().contains("\"*\""),
                "{kind} {name}"
            );
        }
    }
}

/// The Service `name` in `ns` exists and has `port`.
fn service_port(
    objects: &BTreeMap<(String, String, String), Value>,
    ns: &str,
    name: &str,
    port: u64,
) {
    let service = get(objects, "Service", ns, name);
    let ports: Vec<u64> = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_u64().unwrap())
        .collect();
    assert!(
        ports.contains(&port),
        "Service {ns}/{name} has ports {ports:?}, not {port}"
    );
}

/// `host:port` of a `<service>.<ns>.svc.cluster.local` address, checked against the output.
fn service_address(
    objects: &BTreeMap<(String, String, String), Value>,
    address: &str,
) -> (String, String) {
    let (host, port) = address.rsplit_once(':').unwrap();
    let parts: Vec<&str> = host.split('.').collect();
    assert_eq!(&parts[2..], ["svc", "cluster", "local"], "{address}");
    service_port(objects, parts[1], parts[0], port.parse().unwrap());
    (parts[1].to_owned(), parts[0].to_owned())
}

#[test]
fn prometheus_scrapes_the_exporters_services_kubelets_and_annotated_pods() {
    let objects = objects();
    let config = get(&objects, "ConfigMap", "monitoring", "prometheus-config");
    let config: Value =
        serde_yaml::from_str(config["data"]["prometheus.yml"].as_str().unwrap()).unwrap();
    let jobs: BTreeMap<&str, &Value> = config["scrape_configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["job_name"].as_str().unwrap(), j))
        .collect();
    // node-exporter: DNS discovery of its headless Service (every node's exporter).
    let dns = &jobs["node-exporter"]["dns_sd_configs"][0];
    let name = dns["names"][0].as_str().unwrap();
    let port = dns["port"].as_u64().unwrap();
    assert_eq!(
        service_address(&objects, &format!("{name}:{port}")),
        ("monitoring".into(), "node-exporter".into())
    );
    let exporter_service = get(&objects, "Service", "monitoring", "node-exporter");
    assert_eq!(exporter_service["spec"]["clusterIP"], "None");
    // kube-state-metrics by its Service.
    let target = jobs["kube-state-metrics"]["static_configs"][0]["targets"][0]
        .as_str()
        .unwrap();
    assert_eq!(
        service_address(&objects, target),
        ("monitoring".into(), "kube-state-metrics".into())
    );
    // The kubelets and cAdvisor on every node, over HTTPS with the ServiceAccount's token.
    for (job, path) in [("kubelet", "/metrics"), ("cadvisor", "/metrics/cadvisor")] {
        assert_eq!(jobs[job]["kubernetes_sd_configs"][0]["role"], "node");
        assert_eq!(jobs[job]["scheme"], "https");
        assert_eq!(jobs[job]["metrics_path"], path);
    }
    // Annotated pods only.
    let keep = &jobs["pods"]["relabel_configs"][0];
    assert_eq!(keep["action"], "keep");
    assert_eq!(
        keep["source_labels"][0],
        "__meta_kubernetes_pod_annotation_prometheus_io_scrape"
    );
    assert_eq!(keep["regex"], "true");
    // Mounted where --config.file reads it.
    let sts = get(&objects, "StatefulSet", "monitoring", "prometheus");
    let container = &sts["spec"]["template"]["spec"]["containers"][0];
    assert!(strings(&container["args"]).contains("--config.file=/etc/prometheus/prometheus.yml"));
    assert!(
        container["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["mountPath"] == "/etc/prometheus")
    );
}

#[test]
fn grafana_kibana_and_fluent_bit_reach_their_backends_by_service_dns() {
    let objects = objects();
    let grafana = get(&objects, "ConfigMap", "monitoring", "grafana-config");
    let sources: Value =
        serde_yaml::from_str(grafana["data"]["prometheus.yaml"].as_str().unwrap()).unwrap();
    let url = sources["datasources"][0]["url"].as_str().unwrap();
    assert_eq!(sources["datasources"][0]["type"], "prometheus");
    assert_eq!(
        service_address(&objects, url.strip_prefix("http://").unwrap()),
        ("monitoring".into(), "prometheus".into())
    );

    let kibana = get(&objects, "Deployment", "logging", "kibana");
    let env = kibana["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let hosts = env
        .iter()
        .find(|e| e["name"] == "ELASTICSEARCH_HOSTS")
        .unwrap()["value"]
        .as_str()
        .unwrap();
    assert_eq!(
        service_address(&objects, hosts.strip_prefix("http://").unwrap()),
        ("logging".into(), "elasticsearch".into())
    );

    let conf = get(&objects, "ConfigMap", "logging", "fluent-bit-config");
    let conf = conf["data"]["fluent-bit.conf"].as_str().unwrap();
    let output = conf.split("[OUTPUT]").nth(1).unwrap();
    let field = |key: &str| {
        output
            .lines()
            .map(str::split_whitespace)
            .find_map(|mut w| (w.next() == Some(key)).then(|| w.next().unwrap().to_owned()))
            .unwrap()
    };
    assert_eq!(field("Name"), "es");
    assert_eq!(
        service_address(&objects, &format!("{}:{}", field("Host"), field("Port"))),
        ("logging".into(), "elasticsearch".into())
    );

    // Calico lets exactly those clients reach Elasticsearch.
    let policy = get(&objects, "NetworkPolicy", "logging", "elasticsearch");
    let sources: BTreeSet<String> = policy["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"]["selector"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        sources.iter().any(|s| s.contains("'fluent-bit'")),
        "{sources:?}"
    );
    assert!(
        sources.iter().any(|s| s.contains("'kibana'")),
        "{sources:?}"
    );
}

#[test]
fn ingress_controller_has_the_blueprints_node_ports_class_and_webhook() {
    let objects = objects();
    let blueprint: Value = serde_yaml::from_str(
        &fs::read_to_string(Path::new(ROOT).join("blueprints/platform.yaml")).unwrap(),
    )
    .unwrap();
    let wanted = &blueprint["spec"]["addons"]["ingressNginx"]["nodePorts"];
    let service = get(
        &objects,
        "Service",
        "ingress-nginx",
        "ingress-nginx-controller",
    );
    assert_eq!(service["spec"]["type"], "NodePort");
    let ports: BTreeMap<String, Value> = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["nodePort"].clone(),
            )
        })
        .collect();
    assert_eq!(ports.len(), 2);
    for (name, node_port) in wanted.as_object().unwrap() {
        assert_eq!(&ports[name], node_port, "{name}");
    }
    let class = get(&objects, "IngressClass", "", "nginx");
    assert_eq!(class["spec"]["controller"], "k8s.io/ingress-nginx");
    let webhook = get(
        &objects,
        "ValidatingWebhookConfiguration",
        "",
        "ingress-nginx-admission",
    );
    let svc = &webhook["webhooks"][0]["clientConfig"]["service"];
    service_port(
        &objects,
        svc["namespace"].as_str().unwrap(),
        svc["name"].as_str().unwrap(),
        svc["port"].as_u64().unwrap(),
    );
    // The admission Service's target port is the port the controller's webhook listens on.
    let admission = get(
        &objects,
        "Service",
        "ingress-nginx",
        svc["name"].as_str().unwrap(),
    );
    let target = admission["spec"]["ports"][0]["targetPort"]
        .as_u64()
        .unwrap();
    let controller = get(
        &objects,
        "Deployment",
        "ingress-nginx",
        "ingress-nginx-controller",
    );
    assert!(
        strings(&controller["spec"]["template"]["spec"]["containers"][0]["args"])
            .contains(&format!("--validating-webhook=:{target}"))
    );
}

#[test]
fn storage_daemons_and_metrics_server_are_wired() {
    let objects = objects();
    for (ns, name, class, size) in [
        ("logging", "elasticsearch", "nfs-storage", "5Gi"),
        ("monitoring", "prometheus", "nfs-storage", "10Gi"),
    ] {
        let sts = get(&objects, "StatefulSet", ns, name);
        let claim = &sts["spec"]["volumeClaimTemplates"][0]["spec"];
        assert_eq!(claim["storageClassName"], class, "{name}");
        assert_eq!(claim["resources"]["requests"]["storage"], size, "{name}");
        get(&objects, "StorageClass", "", class);
    }
    // On every node, control planes included, with the host access allowed for a stated reason.
    for (ns, name) in [
        ("monitoring", "node-exporter"),
        ("kube-system", "csi-nfs-node"),
        ("logging", "fluent-bit"),
    ] {
        let ds = get(&objects, "DaemonSet", ns, name);
        let tolerations = ds["spec"]["template"]["spec"]["tolerations"].to_string();
        assert!(
            tolerations.contains("node-role.kubernetes.io/control-plane"),
            "{name}: {tolerations}"
        );
        let annotations = &ds["metadata"]["annotations"];
        assert_eq!(
            annotations["kforge.io/pod-security"], "privileged",
            "{name}"
        );
        assert!(
            annotations["kforge.io/pod-security-reason"]
                .as_str()
                .unwrap()
                .len()
                > 20,
            "{name}"
        );
    }
    let driver = get(&objects, "CSIDriver", "", "nfs.csi.k8s.io");
    assert_eq!(driver["spec"]["attachRequired"], false);
    let class = get(&objects, "StorageClass", "", "nfs-storage");
    assert_eq!(class["provisioner"], "nfs.csi.k8s.io");
    let node = get(&objects, "DaemonSet", "kube-system", "csi-nfs-node");
    let containers: BTreeSet<String> = node["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        containers,
        set(&["csi-nfs-node", "liveness-probe", "node-driver-registrar"])
    );
    let metrics = get(&objects, "Deployment", "kube-system", "metrics-server");
    assert!(
        strings(&metrics["spec"]["template"]["spec"]["containers"][0]["args"])
            .contains("--kubelet-insecure-tls")
    );
    let api = get(&objects, "APIService", "", "v1beta1.metrics.k8s.io");
    service_port(
        &objects,
        api["spec"]["service"]["namespace"].as_str().unwrap(),
        api["spec"]["service"]["name"].as_str().unwrap(),
        api["spec"]["service"]["port"].as_u64().unwrap(),
    );
}

/// A blueprint with `spec` appended, checked by the binary: exit 2 and each `(code, line:col)`.
fn refused(spec: &str, expected: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("blueprints")).unwrap();
    let text = format!(
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata: {{name: x}}\nspec:\n{spec}"
    );
    fs::write(dir.path().join("blueprints/x.yaml"), text).unwrap();
    let run = run_kforge(dir.path(), &["check"], &[], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for (code, at) in expected {
        assert!(
            run.stderr.contains(&format!("[{code}]")),
            "no {code} in\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("blueprints/x.yaml:{at}")),
            "no {code} at {at} in\n{}",
            run.stderr
        );
    }
    run.stderr
}

#[test]
fn an_unknown_add_on_is_refused_with_a_suggestion() {
    let stderr = refused(
        "  addons:\n    ingressNgnix: {}\n",
        &[("unknown-field", "6:5")],
    );
    assert!(stderr.contains("`ingressNginx`"), "{stderr}");
}

#[test]
fn an_option_of_the_wrong_type_is_refused() {
    refused(
        "  addons:\n    metricsServer: {insecureKubeletTLS: maybe}\n",
        &[("wrong-type", "6:41")],
    );
    refused(
        "  addons:\n    ingressNginx: {nodePorts: {http: high}}\n",
        &[("wrong-type", "6:38")],
    );
}

#[test]
fn a_storage_class_that_does_not_exist_is_refused_at_the_option() {
    refused(
        "  storage:\n    classes: [{name: nfs-storage, nfs: {server: 10.0.0.1, share: /srv}}]\n  addons:\n    logging:\n      elasticsearch: {storageClass: nfs-storag}\n    monitoring:\n      prometheus: {storageClass: fast}\n",
        &[
            ("unknown-storage-class", "9:37"),
            ("unknown-storage-class", "11:34"),
        ],
    );
    // The path names the option written, not the generated app.
    let stderr = refused(
        "  addons:\n    logging:\n      elasticsearch: {storageClass: nfs-storag}\n",
        &[("unknown-storage-class", "7:37")],
    );
    assert!(
        stderr.contains(
            "spec.addons.logging.elasticsearch.storageClass: storage class `nfs-storag` does not exist"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("spec.apps["), "{stderr}");
}

#[test]
fn two_claims_on_one_node_port_are_refused() {
    // An add-on and an app.
    refused(
        "  apps:\n    - name: web\n      image: nginx:1.27\n      ports: [{name: http, port: 80}]\n      service: {type: NodePort, nodePorts: {http: 30080}}\n  addons:\n    ingressNginx: {nodePorts: {http: 30080}}\n",
        &[("node-port-conflict", "11:38")],
    );
    // Two apps.
    refused(
        "  apps:\n    - name: a\n      image: nginx:1.27\n      ports: [{name: http, port: 80}]\n      service: {type: NodePort, nodePorts: {http: 30080}}\n    - name: b\n      image: nginx:1.27\n      ports: [{name: http, port: 80}]\n      service: {type: NodePort, nodePorts: {http: 30080}}\n",
        &[("node-port-conflict", "13:51")],
    );
}

#[test]
fn an_add_on_namespace_isolated_strictly_is_refused() {
    refused(
        "  namespaces:\n    - {name: monitoring, isolation: strict}\n  addons:\n    monitoring: {prometheus: {}, grafana: {}}\n",
        &[("addon-namespace-isolated", "6:37")],
    );
}

/// Acceptance 1: every environment of the committed platform, add-ons and delivery objects
/// included, validates strictly (the pinned Flux and Argo CD CRDs given for the delivery
/// objects) with no error and no lint finding at all.
#[test]
#[ignore = "needs the pinned Flux and Argo CD CRDs: run scripts/test.sh"]
fn the_committed_platform_validates_with_no_finding() {
    let crds: Vec<String> = ["flux-source", "flux-kustomize", "argocd"]
        .into_iter()
        .map(|name| common::third_party(name).to_str().unwrap().to_owned())
        .collect();
    let envs: Vec<_> = fs::read_dir(Path::new(ROOT).join("out/platform"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert!(
        envs.len() >= 3,
        "out/platform holds its environments: {envs:?}"
    );
    for env in envs {
        let mut args = vec!["validate".to_owned(), env.to_str().unwrap().to_owned()];
        for crd in &crds {
            args.extend(["--crd".to_owned(), crd.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = run_kforge(Path::new(ROOT), &args, &[], None);
        assert_eq!(run.code, 0, "{}: {}", env.display(), run.stderr);
        assert!(
            run.stderr.trim_end().ends_with(" 0 errors, 0 warnings"),
            "{}: {}",
            env.display(),
            run.stderr
        );
    }
}
