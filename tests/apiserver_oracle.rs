#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The real API server as the oracle for "would Kubernetes accept this" (tests/common/apiserver.rs
//! starts it; `scripts/test.sh` builds it).
//!
//! - Every object of the committed `out/` tree is accepted by a server-side apply dry run
//!   (`kubectl apply --server-side --dry-run=server --field-manager=kforge --validate=strict`),
//!   after the CRDs the objects need and the namespaces are really created.
//! - `kforge validate` and the server give the same verdict on every file of `tests/corpus/`,
//!   except the disagreements listed in `tests/corpus/apiserver-disagreements.txt`: a new one and
//!   a fixed one both fail the test and say what changed.
//!
//! What is not sent to the server, and why (each counted and printed):
//! - `kustomization.yaml` (`kustomize.config.k8s.io`): kustomize's input, not an API object.
//! - kubeadm/kubelet configuration (`kubeadm.k8s.io`, `kubelet.config.k8s.io`, ...) under
//!   `nodes/`: read by kubeadm on the node; `kubeadm config validate` judges those.
//! - YAML documents without `apiVersion` and `kind` (data files, not objects).
//!
//! Secrets: kforge commits them SOPS-encrypted, which no server accepts as they are; they are
//! decrypted in memory with the example blueprints' throwaway identity
//! (`tests/fixtures/age/dev.key`) and fed to kubectl on standard input, never written to disk.
//!
//! Calico: kforge writes `projectcalico.org/v3`, which a real cluster serves through the Calico
//! API server (or, since Calico 3.30, through `projectcalico.org/v3` CRDs). The pinned
//! third-party data holds Calico's `crd.projectcalico.org/v1` CRDs, generated from the same v3 Go
//! types (the same `spec` fields); the test serves each of them under `projectcalico.org/v3` too
//! (group and version renamed, schema unchanged). So unknown or misplaced fields and wrong types
//! are judged, but not Calico's enums, bounds and CEL rules, which those CRDs do not carry: the
//! corpus disagreements list names the cases this leaves to kforge alone. Against an external
//! cluster (`KFORGE_E2E_KUBECONFIG`) that already serves `projectcalico.org`, its own API is used.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_yaml::Value;

mod common;

use common::apiserver::{self, ApiServer};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const DRY_RUN: &[&str] = &[
    "apply",
    "--server-side",
    "--dry-run=server",
    "--field-manager=kforge",
    "--validate=strict",
    "-o",
    "name",
    "-f",
    "-",
];

/// The shared server with the CRDs installed, once per test binary.
fn server() -> &'static ApiServer {
    static READY: OnceLock<()> = OnceLock::new();
    let server = apiserver::shared();
    READY.get_or_init(|| install_crds(server));
    server
}

fn third_party() -> PathBuf {
    let dir = std::env::var_os("KFORGE_THIRD_PARTY")
        .map_or_else(|| Path::new(ROOT).join("target/third-party"), PathBuf::from);
    assert!(
        dir.join("calico/.pinned").is_file(),
        "this test needs the pinned third-party CRDs, not found in {}: {}",
        dir.display(),
        common::HOW_TO_GET
    );
    dir
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|path| path.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

/// The documents of a YAML stream, as text and as values.
fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|document| Value::deserialize(document).unwrap())
        .filter(|value| !value.is_null())
        .collect()
}

/// Objects as one JSON `List`: JSON, because a YAML text written by serde_yaml (YAML 1.2)
/// can be read differently by kubectl's YAML 1.1 parser (`off` unquoted is a boolean there).
fn as_list(objects: &[Value]) -> String {
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects}).to_string()
}

/// The Calico CRDs served under `projectcalico.org/v3` as well as under their own
/// `crd.projectcalico.org/v1`, and the Flux and Argo CD CRDs.
fn crds(external_calico: bool) -> Vec<Value> {
    let dir = third_party();
    let mut crds = Vec::new();
    for path in yaml_files(&dir.join("calico")) {
        let crd = serde_yaml::from_str::<Value>(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if !external_calico {
            crds.push(as_projectcalico_v3(&crd));
        }
        crds.push(crd);
    }
    for sub in ["flux-source", "flux-kustomize", "argocd"] {
        for path in yaml_files(&dir.join(sub)) {
            crds.extend(documents(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    crds
}

/// A `crd.projectcalico.org/v1` CRD renamed to serve the same schema as `projectcalico.org/v3`.
fn as_projectcalico_v3(crd: &Value) -> Value {
    let mut crd = crd.clone();
    assert_eq!(crd["spec"]["group"], "crd.projectcalico.org", "{crd:?}");
    let plural = crd["spec"]["names"]["plural"].as_str().unwrap().to_owned();
    crd["metadata"]["name"] = Value::from(format!("{plural}.projectcalico.org"));
    crd["spec"]["group"] = Value::from("projectcalico.org");
    let versions = crd["spec"]["versions"].as_sequence_mut().unwrap();
    assert_eq!(versions.len(), 1, "one version per Calico CRD");
    versions[0]["name"] = Value::from("v3");
    crd
}

fn install_crds(server: &ApiServer) {
    let external_calico = server.external && {
        let out = server.kubectl(
            &[
                "api-resources",
                "--api-group=projectcalico.org",
                "-o",
                "name",
            ],
            None,
        );
        !String::from_utf8_lossy(&out.stdout).trim().is_empty()
    };
    let stream = as_list(&crds(external_calico));
    apply_for_real(server, &stream, "the CRDs");
    let wait = server.kubectl(
        &[
            "wait",
            "--for=condition=Established",
            "crd",
            "--all",
            "--timeout=120s",
        ],
        None,
    );
    assert!(
        wait.status.success(),
        "the CRDs were not established: {}",
        String::from_utf8_lossy(&wait.stderr)
    );
}

fn apply_for_real(server: &ApiServer, stream: &str, what: &str) {
    let out = server.kubectl(
        &[
            "apply",
            "--server-side",
            "--field-manager=kforge-test",
            "-o",
            "name",
            "-f",
            "-",
        ],
        Some(stream.as_bytes()),
    );
    assert!(
        out.status.success(),
        "creating {what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates every namespace in `names`, with the `default` ServiceAccount that a cluster's
/// controllers would add (the ServiceAccount admission plugin refuses a Pod without it).
fn ensure_namespaces(server: &ApiServer, names: &BTreeSet<String>) {
    let objects: Vec<Value> = names
        .iter()
        .flat_map(|name| {
            [
                serde_yaml::from_str(&format!("{{apiVersion: v1, kind: Namespace, metadata: {{name: {name}}}}}")).unwrap(),
                serde_yaml::from_str(&format!(
                    "{{apiVersion: v1, kind: ServiceAccount, metadata: {{name: default, namespace: {name}}}}}"
                ))
                .unwrap(),
            ]
        })
        .collect();
    if !objects.is_empty() {
        apply_for_real(server, &as_list(&objects), "the namespaces");
    }
}

fn api_group(object: &Value) -> &str {
    let version = object["apiVersion"].as_str().unwrap_or_default();
    version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// Why an object of `out/` is not sent to the server, or `None` when it is.
fn not_an_api_object(object: &Value) -> Option<&'static str> {
    if object.get("apiVersion").is_none() || object.get("kind").is_none() {
        return Some("no apiVersion and kind (data, not an object)");
    }
    match api_group(object) {
        "kustomize.config.k8s.io" => Some("kustomize input (kustomization.yaml)"),
        "kubeadm.k8s.io" | "kubelet.config.k8s.io" | "kubeproxy.config.k8s.io" => {
            Some("node configuration (judged by kubeadm config validate)")
        }
        _ => None,
    }
}

/// The example blueprints' throwaway age identity.
fn example_identities() -> Vec<age::x25519::Identity> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/age/dev.key")).unwrap();
    kforge::secrets::recipients::parse_identities(&zeroize::Zeroizing::new(text)).unwrap()
}

/// The plain text of a SOPS-encrypted file, in memory only.
fn decrypt(path: &Path, identities: &[age::x25519::Identity]) -> zeroize::Zeroizing<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    assert_eq!(
        docs.len(),
        1,
        "{}: one document per Secret file",
        path.display()
    );
    let opened = kforge::secrets::sops::decrypt(&docs.remove(0), identities)
        .unwrap_or_else(|e| panic!("{}: cannot decrypt: {e}", path.display()));
    let mut plain = zeroize::Zeroizing::new(String::new());
    yaml_rust2::YamlEmitter::new(&mut *plain)
        .dump(&opened.plain)
        .unwrap();
    plain.push('\n');
    plain
}

/// The objects kubectl reports as `<resource>/<name>` for each line of `-o name` output.
fn reported(stdout: &[u8]) -> usize {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.contains('/'))
        .count()
}

#[test]
#[ignore = "needs kube-apiserver: run scripts/test.sh"]
fn every_rendered_object_is_accepted_by_the_api_server() {
    let server = server();
    let out_dir = Path::new(ROOT).join("out");
    let identities = example_identities();

    // One stream per environment directory (out/<blueprint>/<env>/).
    let mut streams: BTreeMap<PathBuf, (String, usize)> = BTreeMap::new();
    let mut secret_streams: Vec<(PathBuf, zeroize::Zeroizing<String>)> = Vec::new();
    let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
    let mut namespaces = BTreeSet::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for path in yaml_files(&out_dir) {
        let relative = path.strip_prefix(&out_dir).unwrap();
        let env: PathBuf = relative.iter().take(2).collect();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut sent = 0;
        for object in documents(&text) {
            if let Some(why) = not_an_api_object(&object) {
                *skipped.entry(why).or_default() += 1;
                continue;
            }
            let kind = object["kind"].as_str().unwrap_or_default().to_owned();
            *kinds
                .entry(format!(
                    "{}/{kind}",
                    object["apiVersion"].as_str().unwrap_or_default()
                ))
                .or_default() += 1;
            if kind == "Namespace" {
                namespaces.insert(object["metadata"]["name"].as_str().unwrap().to_owned());
            }
            if let Some(namespace) = object["metadata"]["namespace"].as_str() {
                namespaces.insert(namespace.to_owned());
            }
            if object.get("sops").is_some() {
                assert_eq!(
                    kind,
                    "Secret",
                    "{}: only Secrets are encrypted",
                    path.display()
                );
                secret_streams.push((path.clone(), decrypt(&path, &identities)));
                continue;
            }
            sent += 1;
        }
        // The file as kforge wrote it, not a re-serialisation: the server judges the bytes
        // a user would apply.
        if sent > 0 {
            let entry = streams.entry(env).or_default();
            entry.0.push_str("---\n");
            entry.0.push_str(&text);
            entry.1 += sent;
        }
    }
    assert!(
        streams.len() >= 4,
        "out/ holds the example environments: {streams:?}"
    );
    assert!(!secret_streams.is_empty(), "out/ holds encrypted Secrets");
    // The delivery objects go to the server with the pinned Flux and Argo CD CRDs installed,
    // and the Calico policies with Calico's.
    for kind in [
        "source.toolkit.fluxcd.io/v1/GitRepository",
        "kustomize.toolkit.fluxcd.io/v1/Kustomization",
        "argoproj.io/v1alpha1/Application",
        "projectcalico.org/v3/NetworkPolicy",
    ] {
        assert!(
            kinds.contains_key(kind),
            "out/ holds no {kind} to send: {kinds:?}"
        );
    }

    // Namespaces first: a dry run does not create them.
    ensure_namespaces(server, &namespaces);

    let mut failures = Vec::new();
    let mut accepted = 0;
    for (env, (stream, count)) in &streams {
        let out = server.kubectl(DRY_RUN, Some(stream.as_bytes()));
        let ok = reported(&out.stdout);
        accepted += ok;
        if !out.status.success() || ok != *count {
            failures.push(format!(
                "out/{}: {ok} of {count} objects accepted:\n{}",
                env.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    for (path, plain) in &secret_streams {
        let out = server.kubectl(DRY_RUN, Some(plain.as_bytes()));
        // The server's answer may quote the object; it is checked, never printed, unless
        // it holds no value of the Secret.
        if out.status.success() && reported(&out.stdout) == 1 {
            accepted += 1;
        } else {
            failures.push(format!(
                "{}: the decrypted Secret is refused (exit {:?}; output withheld, it may hold values)",
                path.display(),
                out.status.code()
            ));
        }
    }
    let total: usize = streams.values().map(|(_, n)| n).sum::<usize>() + secret_streams.len();
    println!(
        "API server dry run: {accepted} of {total} objects of out/ accepted ({} decrypted Secrets); \
         not sent: {skipped:?}; kinds: {kinds:?}",
        secret_streams.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(accepted, total);
}

// ------------------------------------------------------------------------------ corpus ---

const DISAGREEMENTS: &str = "tests/corpus/apiserver-disagreements.txt";
/// The server's verdict on every corpus file, checked in so that the benchmark
/// (`scripts/bench.sh`) can score kforge and kubeconform against it without a server.
/// `KFORGE_UPDATE_VERDICTS=1` rewrites it; otherwise the test fails when it is stale.
const VERDICTS: &str = "tests/corpus/apiserver-verdicts.txt";

/// The verdicts file's text: a header, then `<file> accepts|rejects` per line, sorted.
fn verdicts_text(verdicts: &[(PathBuf, bool, (bool, String))]) -> String {
    let mut lines: Vec<String> = verdicts
        .iter()
        .map(|(path, _, (server, _))| format!("{} {}", relative(path), verdict(*server)))
        .collect();
    lines.sort();
    format!(
        "# The real kube-apiserver's verdict on each file of tests/corpus (server-side apply, dryRun=All,\n\
         # fieldValidation=Strict), written by tests/apiserver_oracle.rs with KFORGE_UPDATE_VERDICTS=1.\n\
         # scripts/bench.sh scores kforge validate and kubeconform against it.\n{}\n",
        lines.join("\n")
    )
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files = common::corpus("valid");
    files.extend(common::corpus("invalid"));
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(Path::new(ROOT).join("tests/corpus"))
        .unwrap()
        .display()
        .to_string()
}

/// Whether `kforge validate` accepts the file (exit 0; 1 is findings, 2 unreadable input).
fn kforge_accepts(path: &Path) -> bool {
    let output = Command::new(env!("CARGO_BIN_EXE_kforge"))
        .arg("validate")
        .arg(path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    match output.status.code() {
        Some(0) => true,
        Some(1 | 2) => false,
        other => panic!(
            "{}: kforge validate exited {other:?}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// Whether the server accepts every object of the file in a server-side apply dry run, and
/// what it said when it does not.
fn server_verdict(server: &ApiServer, path: &Path) -> (bool, String) {
    let file = path.display().to_string();
    let mut args: Vec<&str> = DRY_RUN.to_vec();
    args.pop();
    args.push(&file);
    let out = server.kubectl(&args, None);
    let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    (out.status.success(), why)
}

/// The namespaces the corpus's objects name (files that do not parse name none).
fn corpus_namespaces(files: &[PathBuf]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        let Ok(docs) = serde_yaml::Deserializer::from_str(&text)
            .map(Value::deserialize)
            .collect::<Result<Vec<_>, _>>()
        else {
            continue;
        };
        let mut queue: Vec<Value> = docs;
        while let Some(doc) = queue.pop() {
            if let Some(items) = doc.get("items").and_then(Value::as_sequence) {
                queue.extend(items.iter().cloned());
            }
            if let Some(ns) = doc
                .get("metadata")
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
            {
                names.insert(ns.to_owned());
            }
        }
    }
    names
}

/// The checked-in list: `<file> <kforge verdict> <server verdict>  # why`.
fn known_disagreements() -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(Path::new(ROOT).join(DISAGREEMENTS)).unwrap();
    text.lines()
        .map(|line| line.split('#').next().unwrap().trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "{DISAGREEMENTS}: bad line {line:?}");
            (
                fields[0].to_owned(),
                (fields[1].to_owned(), fields[2].to_owned()),
            )
        })
        .collect()
}

fn verdict(accepts: bool) -> String {
    if accepts { "accepts" } else { "rejects" }.to_owned()
}

#[test]
#[ignore = "needs kube-apiserver: run scripts/test.sh"]
fn kforge_validate_and_the_api_server_agree_on_the_corpus_except_the_known_cases() {
    let server = server();
    let files = corpus_files();
    ensure_namespaces(server, &corpus_namespaces(&files));

    // A few kubectl processes at a time: each spends most of its time starting.
    let verdicts: Vec<(PathBuf, bool, (bool, String))> = std::thread::scope(|scope| {
        let chunks: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|path| {
                            (
                                path.clone(),
                                kforge_accepts(path),
                                server_verdict(server, path),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });

    let text = verdicts_text(&verdicts);
    let path = Path::new(ROOT).join(VERDICTS);
    if std::env::var_os("KFORGE_UPDATE_VERDICTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let semantic = verdicts
        .iter()
        .filter(|(p, _, _)| {
            std::fs::read_to_string(p).is_ok_and(|t| t.starts_with("# expect: semantic "))
        })
        .count();
    println!(
        "corpus files whose refusal needs a rule beyond the schema (`# expect: semantic`): {semantic}"
    );

    let known = known_disagreements();
    let mut found = BTreeMap::new();
    let mut reasons = BTreeMap::new();
    for (path, kforge, (server, why)) in &verdicts {
        if kforge != server {
            found.insert(relative(path), (verdict(*kforge), verdict(*server)));
            reasons.insert(relative(path), why.clone());
        }
    }
    println!(
        "corpus: {} files, kforge validate and the API server agree on {}, disagree on {}",
        verdicts.len(),
        verdicts.len() - found.len(),
        found.len()
    );
    let mut changes = Vec::new();
    for (file, (kforge, server)) in &found {
        match known.get(file) {
            Some(listed) if listed == &(kforge.clone(), server.clone()) => {}
            _ => changes.push(format!(
                "new disagreement: {file} kforge {kforge}, the API server {server} ({})",
                if reasons[file].is_empty() {
                    "no message"
                } else {
                    &reasons[file]
                }
            )),
        }
    }
    for (file, (kforge, server)) in &known {
        if found.get(file) != Some(&(kforge.clone(), server.clone())) {
            changes.push(format!(
                "listed disagreement no longer holds: {file} (listed: kforge {kforge}, the API server {server}); \
                 remove it from {DISAGREEMENTS}"
            ));
        }
    }
    assert!(changes.is_empty(), "{}", changes.join("\n"));
    assert!(
        committed == text,
        "{VERDICTS} is stale: rerun this test with KFORGE_UPDATE_VERDICTS=1 and commit it"
    );
}

// ------------------------------------------------------------------------------ kforge init ---

/// A Pod made of a workload's pod template, as its controller would create it: Pod Security
/// admission enforces on Pods, and only warns about the workloads that hold them.
fn pod_of(workload: &Value) -> Option<Value> {
    let template = workload["spec"]["template"].as_mapping()?;
    let name = workload["metadata"]["name"].as_str()?;
    let mut pod: Value = serde_yaml::from_str("{apiVersion: v1, kind: Pod}").unwrap();
    pod["metadata"] = serde_yaml::from_str(&format!(
        "{{name: {name}-pod, namespace: {}}}",
        workload["metadata"]["namespace"].as_str()?
    ))
    .unwrap();
    pod["spec"] = template.get("spec")?.clone();
    Some(pod)
}

#[test]
#[ignore = "needs kube-apiserver: run scripts/test.sh"]
fn a_fresh_init_is_accepted_with_its_namespace_pod_security_labels_in_force() {
    // A server of its own: the starter's namespace must carry exactly its own labels.
    let server = ApiServer::start();
    install_crds(&server);
    let dir = tempfile::tempdir().unwrap();
    for args in [&["init"][..], &["render"]] {
        let run = common::run_kforge(dir.path(), args, &[], None);
        assert_eq!(run.code, 0, "kforge {args:?}: {}", run.stderr);
    }
    let mut namespaces = Vec::new();
    let mut objects = Vec::new();
    for path in yaml_files(&dir.path().join("out/starter/base")) {
        for object in documents(&std::fs::read_to_string(&path).unwrap()) {
            match object["kind"].as_str() {
                _ if not_an_api_object(&object).is_some() => {}
                Some("Namespace") => namespaces.push(object),
                _ => objects.push(object),
            }
        }
    }
    assert_eq!(namespaces.len(), 1, "the starter has one namespace");
    let namespace = namespaces[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        namespaces[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"].as_str(),
        Some("restricted")
    );
    // The namespace for real, with its labels, and the ServiceAccount a cluster would add.
    let account: Value = serde_yaml::from_str(&format!(
        "{{apiVersion: v1, kind: ServiceAccount, metadata: {{name: default, namespace: {namespace}}}}}"
    ))
    .unwrap();
    apply_for_real(&server, &as_list(&namespaces), "the starter's namespace");
    apply_for_real(&server, &as_list(&[account]), "the default ServiceAccount");

    let out = server.kubectl(DRY_RUN, Some(as_list(&objects).as_bytes()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(reported(&out.stdout), objects.len(), "{stderr}");
    assert!(
        !stderr.contains("PodSecurity"),
        "the workloads meet the namespace's level: {stderr}"
    );

    // Pods as the controllers would make them: admitted under `enforce: restricted`.
    let pods: Vec<Value> = objects.iter().filter_map(pod_of).collect();
    assert!(!pods.is_empty(), "the starter has a workload");
    let out = server.kubectl(DRY_RUN, Some(as_list(&pods).as_bytes()));
    assert!(
        out.status.success() && reported(&out.stdout) == pods.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The labels are in force: the same Pod as root is refused.
    let mut root = pods[0].clone();
    root["metadata"]["name"] = Value::from("as-root");
    for container in root["spec"]["containers"].as_sequence_mut().unwrap() {
        container["securityContext"]["runAsNonRoot"] = Value::from(false);
    }
    let out = server.kubectl(DRY_RUN, Some(as_list(&[root]).as_bytes()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("violates PodSecurity \"restricted"),
        "a root pod must be refused in {namespace}: {stderr}"
    );
}
