//! `spec.delivery`: the Flux and Argo CD objects kforge writes and the order they apply an
//! environment in, over the committed `out/` of the example blueprints (the platform delivers
//! with both) and over every feature fixture rendered with a delivery section added.
//!
//! - the delivery objects validate strictly against the pinned Flux and Argo CD CRDs
//!   (`kforge validate --crd`; ignored by a plain `cargo test`, scripts/test.sh fetches them);
//! - `kubectl kustomize` builds every environment and every Flux stage, and the stages split
//!   the environment's objects exactly (ignored: needs kubectl);
//! - every object comes in a sync wave and a Flux stage no earlier than each object it refers
//!   to (its namespace, storage class, claim, config map, secret, service account, role, CRD,
//!   scale target), and a cluster-scoped one strictly earlier. The references are found by
//!   walking each object's fields, not from a list of kinds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// Delivery sections the fixtures are rendered with, in turn: the defaults, and every
/// optional field set.
const DELIVERY: [&str; 2] = [
    "  delivery:\n    repoURL: https://git.example.com/org/gitops.git\n    flux: {}\n    argocd: {}\n",
    "  delivery:\n    repoURL: ssh://git@git.example.com/org/gitops.git\n    branch: release/1.2\n    flux: {interval: 1m30s, timeout: 10m, prune: false, decryptionSecret: sops-age, gitSecret: git-credentials, namespace: gitops}\n    argocd: {project: platform, autoSync: true, prune: true, namespace: gitops, plugin: sops-kustomize, destination: {name: prod, namespace: default}}\n",
];

/// One rendered environment on disk: the repository root its delivery paths are relative
/// to, and its directory `out/<blueprint>/<env>`.
struct Environment {
    repo: PathBuf,
    dir: PathBuf,
}

impl Environment {
    fn label(&self) -> String {
        self.dir.display().to_string()
    }
}

/// Every environment to look at: the committed `out/` of the examples with a `delivery/`
/// directory, and each feature fixture rendered by the kforge binary into a scratch
/// repository with a delivery section appended to its `spec`. The scratch directories live
/// as long as the returned guard.
fn environments() -> (Vec<tempfile::TempDir>, Vec<Environment>) {
    let root = Path::new(ROOT);
    let mut envs = Vec::new();
    for blueprint in sorted_dir(&root.join("out")) {
        for dir in sorted_dir(&blueprint) {
            if dir.join("delivery").is_dir() {
                envs.push(Environment {
                    repo: root.to_owned(),
                    dir,
                });
            }
        }
    }
    assert!(
        envs.len() >= 3,
        "the platform delivers its three environments"
    );
    let fixtures = root.join("tests/fixtures/features");
    let mut scratch = Vec::new();
    let names: Vec<PathBuf> = sorted_dir(&fixtures)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert!(names.len() >= 6, "the feature fixtures");
    for (i, fixture) in names.iter().enumerate() {
        let temp = tempfile::tempdir().unwrap();
        copy_dir(&fixtures, &temp.path().join("blueprints"));
        let target = temp
            .path()
            .join("blueprints")
            .join(fixture.file_name().unwrap());
        let mut text = fs::read_to_string(fixture).unwrap();
        assert!(text.ends_with('\n'));
        text.push_str(DELIVERY[i % DELIVERY.len()]);
        fs::write(&target, text).unwrap();
        let relative = format!(
            "blueprints/{}",
            fixture.file_name().unwrap().to_str().unwrap()
        );
        let run = common::run_kforge(temp.path(), &["render", &relative], &[], None);
        assert_eq!(run.code, 0, "{}: {}", fixture.display(), run.stderr);
        envs.push(Environment {
            repo: temp.path().to_owned(),
            dir: temp.path().join("out/feature/base"),
        });
        scratch.push(temp);
    }
    (scratch, envs)
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in sorted_dir(from) {
        let target = to.join(entry.file_name().unwrap());
        if entry.is_dir() {
            copy_dir(&entry, &target);
        } else {
            fs::copy(&entry, &target).unwrap();
        }
    }
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn read_documents(path: &Path) -> Vec<Value> {
    documents(&fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// `apiVersion/kind/namespace/name`.
fn identity(object: &Value) -> String {
    let text = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    format!(
        "{}/{}/{}/{}",
        text("/apiVersion"),
        text("/kind"),
        text("/metadata/namespace"),
        text("/metadata/name")
    )
}

/// The object files a kustomization directory lists, following listed directories, as
/// kustomize would (without running it).
fn listed_files(dir: &Path) -> Vec<PathBuf> {
    let kustomization = &read_documents(&dir.join("kustomization.yaml"))[0];
    let mut files = Vec::new();
    for resource in kustomization["resources"].as_array().unwrap() {
        let path = dir.join(resource.as_str().unwrap());
        if path.is_dir() {
            files.extend(listed_files(&path));
        } else {
            files.push(fs::canonicalize(&path).unwrap());
        }
    }
    files
}

/// A Flux stage: its Kustomization's name, the directory it applies (from the repository
/// root) and the stages it depends on.
struct FluxStage {
    name: String,
    path: PathBuf,
    depends_on: Vec<String>,
}

fn flux_stages(env: &Environment) -> Vec<FluxStage> {
    let mut stages = Vec::new();
    for file in sorted_dir(&env.dir.join("delivery/flux")) {
        for object in read_documents(&file) {
            if object["kind"] != "Kustomization" {
                continue;
            }
            let path = object["spec"]["path"].as_str().unwrap();
            stages.push(FluxStage {
                name: object["metadata"]["name"].as_str().unwrap().to_owned(),
                path: env.repo.join(path.trim_start_matches("./")),
                depends_on: object["spec"]["dependsOn"]
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .map(|d| d["name"].as_str().unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
    assert!(!stages.is_empty(), "{}: no Flux stage", env.label());
    stages
}

/// How many stages come before each stage (the length of its `dependsOn` chain).
fn stage_ranks(stages: &[FluxStage]) -> BTreeMap<String, usize> {
    fn rank(name: &str, stages: &[FluxStage], depth: usize) -> usize {
        assert!(depth <= stages.len(), "dependsOn forms a cycle at {name}");
        let stage = stages.iter().find(|s| s.name == name).unwrap_or_else(|| {
            panic!("dependsOn names `{name}`, which is no stage of this environment")
        });
        stage
            .depends_on
            .iter()
            .map(|d| rank(d, stages, depth + 1) + 1)
            .max()
            .unwrap_or(0)
    }
    stages
        .iter()
        .map(|s| (s.name.clone(), rank(&s.name, stages, 0)))
        .collect()
}

/// An object of an environment with where it is applied.
#[derive(Clone)]
struct Placed {
    body: Value,
    wave: i32,
    stage: usize,
}

fn kind(object: &Value) -> &str {
    object["kind"].as_str().unwrap_or("")
}

fn namespace(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
}

fn name(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The environment's objects, each with its sync wave and the rank of the one Flux stage
/// that applies it.
fn placed(env: &Environment) -> Vec<Placed> {
    let stages = flux_stages(env);
    let ranks = stage_ranks(&stages);
    let mut stage_of: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for stage in &stages {
        for file in listed_files(&stage.path) {
            let before = stage_of.insert(file.clone(), ranks[&stage.name]);
            assert!(
                before.is_none(),
                "{}: {} is in two Flux stages",
                env.label(),
                file.display()
            );
        }
    }
    let mut out = Vec::new();
    for file in listed_files(&env.dir) {
        let stage = *stage_of
            .get(&file)
            .unwrap_or_else(|| panic!("{}: {} is in no Flux stage", env.label(), file.display()));
        for body in read_documents(&file) {
            let wave = body
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(SYNC_WAVE))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{}: {} has no sync wave", env.label(), identity(&body)))
                .parse()
                .unwrap();
            out.push(Placed { body, wave, stage });
        }
    }
    assert_eq!(
        stage_of.len(),
        out.len(),
        "{}: the stages hold files the environment does not list",
        env.label()
    );
    out
}

/// What `object` refers to, as (kind, namespace, name), found by walking its fields: the
/// names Kubernetes resolves in the object's namespace or at cluster scope.
fn references(
    object: &Value,
    crds: &[(String, String, String)],
) -> Vec<(String, Option<String>, String)> {
    let ns = namespace(object).map(str::to_owned);
    let mut out = Vec::new();
    if let Some(ns) = &ns {
        out.push(("Namespace".to_owned(), None, ns.clone()));
    }
    let group = object["apiVersion"]
        .as_str()
        .and_then(|v| v.rsplit_once('/'))
        .map_or("", |(g, _)| g);
    for (crd_group, crd_kind, crd_name) in crds {
        if crd_group == group && crd_kind == kind(object) {
            out.push((
                "CustomResourceDefinition".to_owned(),
                None,
                crd_name.clone(),
            ));
        }
    }
    walk(object, &ns, &mut out);
    out
}

fn walk(value: &Value, ns: &Option<String>, out: &mut Vec<(String, Option<String>, String)>) {
    let local = |kind: &str, name: &str| (kind.to_owned(), ns.clone(), name.to_owned());
    match value {
        Value::Object(map) => {
            for (key, field) in map {
                let text = field.as_str();
                let named = field.get("name").and_then(Value::as_str);
                match (key.as_str(), text) {
                    ("storageClassName", Some(n)) => {
                        out.push(("StorageClass".into(), None, n.into()))
                    }
                    ("volumeName", Some(n)) => {
                        out.push(("PersistentVolume".into(), None, n.into()))
                    }
                    ("claimName", Some(n)) => out.push(local("PersistentVolumeClaim", n)),
                    ("serviceAccountName", Some(n)) => out.push(local("ServiceAccount", n)),
                    ("secretName", Some(n)) => out.push(local("Secret", n)),
                    _ => {}
                }
                match (key.as_str(), named) {
                    ("configMapRef" | "configMapKeyRef" | "configMap", Some(n)) => {
                        out.push(local("ConfigMap", n));
                    }
                    ("secretRef" | "secretKeyRef" | "secret", Some(n)) => {
                        out.push(local("Secret", n))
                    }
                    ("roleRef" | "scaleTargetRef", Some(n)) => {
                        let kind = field["kind"].as_str().unwrap_or("");
                        let scope = if kind.starts_with("Cluster") {
                            None
                        } else {
                            ns.clone()
                        };
                        out.push((kind.to_owned(), scope, n.to_owned()));
                    }
                    _ => {}
                }
                if key == "imagePullSecrets" {
                    for item in field.as_array().into_iter().flatten() {
                        if let Some(n) = item["name"].as_str() {
                            out.push(local("Secret", n));
                        }
                    }
                }
                if key != "metadata" {
                    walk(field, ns, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| walk(item, ns, out)),
        _ => {}
    }
}

/// Every object applied before something it refers to, or a cluster-scoped prerequisite not
/// strictly earlier; and how many references were held to that.
fn order_violations(objects: &[Placed]) -> (Vec<String>, usize) {
    let by_identity: BTreeMap<(&str, Option<&str>, &str), &Placed> = objects
        .iter()
        .map(|p| ((kind(&p.body), namespace(&p.body), name(&p.body)), p))
        .collect();
    let crds: Vec<(String, String, String)> = objects
        .iter()
        .filter(|p| kind(&p.body) == "CustomResourceDefinition")
        .map(|p| {
            let text = |pointer: &str| {
                p.body
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            (
                text("/spec/group"),
                text("/spec/names/kind"),
                name(&p.body).to_owned(),
            )
        })
        .collect();
    let mut problems = Vec::new();
    let mut checked = 0;
    for object in objects {
        for (kind, ns, target) in references(&object.body, &crds) {
            let Some(need) = by_identity.get(&(kind.as_str(), ns.as_deref(), target.as_str()))
            else {
                continue;
            };
            if std::ptr::eq(*need, object) {
                continue;
            }
            checked += 1;
            let cluster_scoped = namespace(&need.body).is_none();
            let wave_ok = if cluster_scoped {
                need.wave < object.wave
            } else {
                need.wave <= object.wave
            };
            let stage_ok = if cluster_scoped && namespace(&object.body).is_some() {
                need.stage < object.stage
            } else {
                need.stage <= object.stage
            };
            if !wave_ok || !stage_ok {
                problems.push(format!(
                    "{} (wave {}, stage {}) needs {} (wave {}, stage {})",
                    identity(&object.body),
                    object.wave,
                    object.stage,
                    identity(&need.body),
                    need.wave,
                    need.stage
                ));
            }
        }
    }
    (problems, checked)
}

#[test]
fn every_object_comes_after_what_it_needs() {
    let (_scratch, envs) = environments();
    let mut checked = 0;
    let mut kinds_needed = BTreeSet::new();
    for env in &envs {
        let objects = placed(env);
        let (problems, count) = order_violations(&objects);
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            env.label(),
            problems.join("\n")
        );
        checked += count;
        let crds = Vec::new();
        for object in &objects {
            for (kind, _, _) in references(&object.body, &crds) {
                kinds_needed.insert(kind);
            }
        }
    }
    // Not vacuous: many references were held to the order, of every kind the issue names.
    assert!(checked >= 100, "{checked} references checked");
    for kind in [
        "Namespace",
        "StorageClass",
        "PersistentVolumeClaim",
        "ConfigMap",
        "Secret",
        "ServiceAccount",
        "Role",
        "ClusterRole",
    ] {
        assert!(kinds_needed.contains(kind), "no object refers to a {kind}");
    }
}

#[test]
fn the_order_check_finds_an_object_before_what_it_needs() {
    let (_scratch, envs) = environments();
    let objects = placed(&envs[0]);
    let tamper = |wanted: &str, change: &dyn Fn(&mut Placed)| {
        let mut objects = objects.clone();
        let target = objects
            .iter_mut()
            .find(|p| format!("{}/{}", kind(&p.body), name(&p.body)) == wanted)
            .unwrap_or_else(|| panic!("{wanted} in {}", envs[0].label()));
        change(target);
        order_violations(&objects).0
    };
    assert_eq!(tamper("Namespace/web", &|_| ()), Vec::<String>::new());
    // A namespace in the wave of the config maps in it: cluster scope must be strictly earlier.
    assert!(!tamper("Namespace/web", &|p| p.wave = 3).is_empty());
    assert!(!tamper("Namespace/web", &|p| p.stage = 1).is_empty());
    assert!(!tamper("StorageClass/nfs-storage", &|p| p.wave = 5).is_empty());
    assert!(!tamper("ConfigMap/info", &|p| p.wave = 6).is_empty());
    assert!(!tamper("Secret/mariadb-credentials", &|p| p.wave = 6).is_empty());
    assert!(!tamper("ServiceAccount/cluster-reader", &|p| p.wave = 6).is_empty());
    assert!(!tamper("Role/cluster-reader", &|p| p.wave = 5).is_empty());
    assert!(!tamper("PersistentVolumeClaim/web-pvc", &|p| p.wave = 6).is_empty());
}

/// The identities of what `kubectl kustomize DIR` builds.
fn kustomize(kubectl: &Path, dir: &Path) -> Vec<String> {
    let output = std::process::Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"));
    assert!(
        output.status.success(),
        "kubectl kustomize {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut ids: Vec<String> = documents(&String::from_utf8(output.stdout).unwrap())
        .iter()
        .map(identity)
        .collect();
    ids.sort();
    ids
}

#[test]
#[ignore = "needs kubectl: run scripts/test.sh"]
fn kubectl_kustomize_builds_every_environment_and_every_flux_stage() {
    let kubectl = common::tool("kubectl");
    let (_scratch, envs) = environments();
    let mut stages_built = 0;
    for env in &envs {
        let whole = kustomize(&kubectl, &env.dir);
        assert!(!whole.is_empty(), "{}", env.label());
        let mut union: Vec<String> = Vec::new();
        for stage in flux_stages(env) {
            let built = kustomize(&kubectl, &stage.path);
            assert!(
                !built.is_empty(),
                "{}: stage {} is empty",
                env.label(),
                stage.name
            );
            union.extend(built);
            stages_built += 1;
        }
        union.sort();
        let distinct: BTreeSet<&String> = union.iter().collect();
        assert_eq!(
            distinct.len(),
            union.len(),
            "{}: an object is in two stages",
            env.label()
        );
        assert_eq!(
            union,
            whole,
            "{}: the stages are not the environment",
            env.label()
        );
    }
    assert!(stages_built >= 2 * 3, "{stages_built} stages built");
}

#[test]
#[ignore = "needs the pinned Flux and Argo CD CRDs: run scripts/test.sh"]
fn every_delivery_object_validates_against_the_pinned_crds() {
    let crds: Vec<PathBuf> = ["flux-source", "flux-kustomize", "argocd"]
        .into_iter()
        .map(common::third_party)
        .collect();
    let validate = |paths: &[PathBuf]| {
        let mut args: Vec<String> = vec!["validate".into()];
        args.extend(paths.iter().map(|p| p.to_str().unwrap().to_owned()));
        for crd in &crds {
            args.extend(["--crd".to_owned(), crd.to_str().unwrap().to_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::run_kforge(Path::new(ROOT), &args, &[], None)
    };
    let (scratch, envs) = environments();
    let mut kinds = BTreeSet::new();
    for env in &envs {
        let dir = env.dir.join("delivery");
        let files: Vec<PathBuf> = sorted_dir(&dir.join("flux"))
            .into_iter()
            .chain(sorted_dir(&dir.join("argocd")))
            .collect();
        for file in &files {
            kinds.insert(kind(&read_documents(file)[0]).to_owned());
        }
        let run = validate(&[dir]);
        assert_eq!(run.code, 0, "{}: {}", env.label(), run.stderr);
        assert!(
            run.stderr
                .ends_with(&format!("{} objects: 0 errors, 0 warnings\n", files.len())),
            "{}: {}",
            env.label(),
            run.stderr
        );
    }
    assert_eq!(
        kinds,
        BTreeSet::from(["Application", "GitRepository", "Kustomization"].map(String::from))
    );
    // The validation is strict: an invented field or a URL Flux refuses fails it.
    let flux = envs[0].dir.join("delivery/flux");
    let broken = scratch[0].path().join("broken");
    fs::create_dir_all(&broken).unwrap();
    for (file, from, to) in [
        (
            "kustomization",
            "  prune: true\n",
            "  prune: true\n  pruning: true\n",
        ),
        ("gitrepository", "url: \"https://", "url: \""),
    ] {
        let source = sorted_dir(&flux)
            .into_iter()
            .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(file))
            .unwrap();
        let text = fs::read_to_string(&source).unwrap();
        assert!(text.contains(from), "{text}");
        let target = broken.join(format!("{file}.yaml"));
        fs::write(&target, text.replacen(from, to, 1)).unwrap();
        let run = validate(&[target]);
        assert_eq!(run.code, 1, "{file}: {}", run.stderr);
    }
}
