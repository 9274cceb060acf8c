//! Secure by default: every pod kforge renders meets the Pod Security Standards `restricted`
//! profile unless its app relaxes it with a reason; a relaxed app's workload says so and its
//! namespace's Pod Security admission labels follow; and none of it draws a security lint
//! warning. Checked field by field on the rendered objects of the example blueprints (every
//! environment), the feature fixtures and a generated 1,000-app blueprint with no
//! `securityContext` at all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use kforge::model::Object;
use kforge::pipeline::{self, Compiled, Failure, MemoryFiles, Plan, RepoPath, Source, WorkTree};
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn compile(source: &dyn Source, blueprints: &[&str]) -> Compiled {
    let paths: Vec<RepoPath> = blueprints
        .iter()
        .map(|b| RepoPath::new(b).unwrap())
        .collect();
    let plan = Plan::new(source, &paths, &[]).unwrap_or_else(fail);
    pipeline::compile_all(plan, source, &|_| None).unwrap_or_else(fail)
}

fn fail<T>(failure: Failure) -> T {
    match failure {
        Failure::Problems { diagnostics, .. } => panic!(
            "{}",
            diagnostics
                .iter()
                .map(|d| d.render(false))
                .collect::<String>()
        ),
        Failure::Error(error) => panic!("{error}"),
    }
}

const LEVELS: [&str; 3] = ["restricted", "baseline", "privileged"];

fn rank(level: &str) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap()
}

/// The pod spec of a workload, if it is one.
fn pod_spec(object: &Object) -> Option<&Value> {
    let pointer = match object.kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicaSet" => "/spec/template/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        "Pod" => "/spec",
        _ => return None,
    };
    object.body.pointer(pointer)
}

/// What a pod does that `restricted` forbids (Pod Security Standards, v1.33), one line each.
fn restricted_violations(pod: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[field] == Value::Bool(true) {
            out.push(format!("{field}: true"));
        }
    }
    const VOLUMES: [&str; 8] = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for volume in pod["volumes"].as_array().into_iter().flatten() {
        let volume = volume.as_object().unwrap();
        for kind in volume.keys().filter(|k| *k != "name") {
            if !VOLUMES.contains(&kind.as_str()) {
                out.push(format!("volume type {kind}"));
            }
        }
    }
    let pod_sc = &pod["securityContext"];
    let containers = ["initContainers", "containers"]
        .iter()
        .flat_map(|list| pod[list].as_array().into_iter().flatten());
    for container in containers {
        let name = container["name"].as_str().unwrap_or_default();
        let sc = &container["securityContext"];
        let field = |f: &str| {
            if sc[f].is_null() { &pod_sc[f] } else { &sc[f] }
        };
        if sc["privileged"] == Value::Bool(true) {
            out.push(format!("{name}: privileged"));
        }
        if sc["allowPrivilegeEscalation"] != Value::Bool(false) {
            out.push(format!("{name}: allowPrivilegeEscalation is not false"));
        }
        if field("runAsNonRoot") != &Value::Bool(true) {
            out.push(format!("{name}: runAsNonRoot is not true"));
        }
        if field("runAsUser").as_i64() == Some(0) {
            out.push(format!("{name}: runAsUser 0"));
        }
        let seccomp = field("seccompProfile")["type"].as_str().unwrap_or_default();
        if !["RuntimeDefault", "Localhost"].contains(&seccomp) {
            out.push(format!("{name}: seccompProfile is `{seccomp}`"));
        }
        let drop: Vec<&str> = sc["capabilities"]["drop"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !drop.contains(&"ALL") {
            out.push(format!("{name}: capabilities.drop lacks ALL"));
        }
        for add in sc["capabilities"]["add"].as_array().into_iter().flatten() {
            if add != "NET_BIND_SERVICE" {
                out.push(format!("{name}: adds capability {add}"));
            }
        }
    }
    out
}

/// Checks every rendering: restricted pods unless relaxed with a reason, namespaces labelled
/// with their most permissive app's level, no security lint warning. Returns the number of
/// pods checked and the relaxed workloads (kind/name: level).
fn assert_secure(compiled: &Compiled) -> (usize, Vec<String>) {
    let security_rules = ["KF301", "KF302", "KF303", "KF304", "KF305", "KF306"];
    let warned: Vec<String> = compiled
        .warnings
        .iter()
        .filter(|d| security_rules.contains(&d.code))
        .map(|d| d.headline())
        .collect();
    assert!(warned.is_empty(), "security warnings: {warned:#?}");
    let mut pods = 0;
    let mut relaxed = Vec::new();
    for rendering in &compiled.renderings {
        let mut needed: BTreeMap<&str, usize> = BTreeMap::new();
        for object in &rendering.objects {
            let Some(pod) = pod_spec(object) else {
                continue;
            };
            pods += 1;
            let annotations = &object.body["metadata"]["annotations"];
            let level = annotations["kforge.io/pod-security"]
                .as_str()
                .unwrap_or("restricted");
            let namespace = object.namespace.as_deref().unwrap();
            let entry = needed.entry(namespace).or_default();
            *entry = (*entry).max(rank(level));
            if level == "restricted" {
                let violations = restricted_violations(pod);
                assert!(
                    violations.is_empty(),
                    "{}/{} {} {}: {violations:#?}",
                    rendering.blueprint,
                    rendering.env,
                    object.kind,
                    object.name
                );
            } else {
                let reason = annotations["kforge.io/pod-security-reason"]
                    .as_str()
                    .unwrap_or_default();
                assert!(
                    !reason.trim().is_empty(),
                    "{} relaxed without a reason",
                    object.name
                );
                relaxed.push(format!("{}/{}: {level}", object.kind, object.name));
            }
        }
        for object in rendering.objects.iter().filter(|o| o.kind == "Namespace") {
            let labels = &object.body["metadata"]["labels"];
            let level = needed.get(object.name.as_str()).copied().unwrap_or(0);
            for mode in ["enforce", "audit", "warn"] {
                assert_eq!(
                    labels[format!("pod-security.kubernetes.io/{mode}")].as_str(),
                    Some(LEVELS[level]),
                    "namespace {} of {}/{}",
                    object.name,
                    rendering.blueprint,
                    rendering.env
                );
            }
        }
    }
    (pods, relaxed)
}

#[test]
fn the_examples_are_restricted_but_for_the_apps_that_say_why() {
    let tree = WorkTree::new(Path::new(ROOT)).unwrap();
    let compiled = compile(
        &tree,
        &["blueprints/platform.yaml", "blueprints/minimal.yaml"],
    );
    let (pods, mut relaxed) = assert_secure(&compiled);
    assert!(pods >= 20, "{pods} pods");
    relaxed.sort();
    relaxed.dedup();
    assert_eq!(
        relaxed,
        [
            // The add-ons' node daemons and the NFS controller, each with its reason.
            "DaemonSet/csi-nfs-node: privileged",
            "DaemonSet/fluent-bit: privileged",
            "DaemonSet/node-exporter: privileged",
            "Deployment/csi-nfs-controller: privileged",
            "Deployment/wordpress: baseline",
            "StatefulSet/mariadb: baseline"
        ]
    );
}

#[test]
fn the_feature_fixtures_are_restricted_but_for_the_apps_that_say_why() {
    let dir = Path::new(ROOT).join("tests/fixtures/features");
    let tree = WorkTree::new(&dir).unwrap();
    let mut relaxed = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".yaml") {
            continue;
        }
        let compiled = compile(&tree, &[&name]);
        relaxed.extend(assert_secure(&compiled).1);
    }
    assert_eq!(relaxed, ["DaemonSet/agent: privileged"]);
}

#[test]
fn a_thousand_apps_without_any_security_context_are_restricted() {
    let text = kforge::synthetic::blueprint("big", 1000)
        .replace("\n      securityContext: {runAsUser: 1000}", "");
    assert!(!text.contains("securityContext"));
    let files = MemoryFiles::new()
        .with("blueprints/big.yaml", text)
        .unwrap();
    let compiled = compile(&files, &["blueprints/big.yaml"]);
    let (pods, relaxed) = assert_secure(&compiled);
    assert_eq!((pods, relaxed.len()), (1000, 0));
}

#[test]
fn relaxing_one_app_needs_a_reason_and_moves_its_namespace_label() {
    let base = "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: app\nspec:\n  apps:\n    - name: agent\n      namespace: ops\n      image: busybox:1.36\n      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}\n      probes: {liveness: {exec: [\"true\"]}, readiness: {exec: [\"true\"]}}\n";
    let restricted = MemoryFiles::new().with("bp.yaml", base).unwrap();
    let (_, relaxed) = assert_secure(&compile(&restricted, &["bp.yaml"]));
    assert!(relaxed.is_empty());
    // Privileged without a reason: refused, at the profile's line.
    let bare =
        format!("{base}      hostPID: true\n      securityContext: {{profile: privileged}}\n");
    let files = MemoryFiles::new().with("bp.yaml", bare).unwrap();
    let plan = Plan::new(&files, &[RepoPath::new("bp.yaml").unwrap()], &[]).unwrap();
    match pipeline::compile_all(plan, &files, &|_| None) {
        Err(Failure::Problems { diagnostics, .. }) => {
            let text: String = diagnostics.iter().map(|d| d.render(false)).collect();
            assert!(text.contains("error[missing-field]"), "{text}");
            assert!(text.contains("bp.yaml:13:34"), "{text}");
        }
        Err(Failure::Error(error)) => panic!("{error}"),
        Ok(_) => panic!("a privileged app without a reason must be refused"),
    }
    // With a reason: rendered, annotated, and the namespace enforces `privileged`.
    let with_reason = format!(
        "{base}      hostPID: true\n      securityContext: {{profile: privileged, reason: traces host processes}}\n"
    );
    let files = MemoryFiles::new().with("bp.yaml", with_reason).unwrap();
    let compiled = compile(&files, &["bp.yaml"]);
    let (_, relaxed) = assert_secure(&compiled);
    assert_eq!(relaxed, ["Deployment/agent: privileged"]);
    let namespace = compiled.renderings[0]
        .objects
        .iter()
        .find(|o| o.kind == "Namespace" && o.name == "ops")
        .unwrap();
    assert_eq!(
        namespace.body["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "privileged"
    );
}
