#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `kforge validate` as a user runs it: output formats, exit codes, stdin, CRDs, and bad input
//! that must end in a clear error instead of a panic or a stack overflow.

use std::path::Path;

mod common;
use common::{Run, run_kforge};

fn kforge(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let run = run_kforge(dir, args, &[], stdin);
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("overflow"),
        "{}",
        run.stderr
    );
    run
}

fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

const BAD_DEPLOYMENT: &[u8] = b"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replcas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27.2
          resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}
          readinessProbe: {httpGet: {path: /, port: 80}}
          livenessProbe: {tcpSocket: {port: 80}}
          securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
";

#[test]
fn text_output_points_at_the_field_with_a_did_you_mean() {
    let dir = dir_with(&[("k8s/web.yaml", BAD_DEPLOYMENT)]);
    let run = kforge(dir.path(), &["validate", "k8s"], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with(
            "error[schema]: spec.replcas: unknown field `replcas`\n  --> k8s/web.yaml:7:3\n"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("help: did you mean `replicas`?"));
    assert!(run.stderr.ends_with("1 objects: 1 errors, 0 warnings\n"));
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = dir_with(&[("web.yaml", BAD_DEPLOYMENT)]);
    let run = kforge(
        dir.path(),
        &["validate", "--output", "json", "web.yaml"],
        None,
    );
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"objects": 1, "findings": [{
            "severity": "error", "rule": "schema", "file": "web.yaml", "line": 7, "column": 3,
            "object": "apps/v1/Deployment/shop/web", "path": "spec.replcas",
            "message": "unknown field `replcas`"
        }]})
    );
}

#[test]
fn sarif_output_names_rules_levels_and_regions() {
    let dir = dir_with(&[("web.yaml", BAD_DEPLOYMENT)]);
    let run = kforge(
        dir.path(),
        &["validate", "--output", "sarif", "web.yaml"],
        None,
    );
    assert_eq!(run.code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "kforge");
    assert_eq!(run0["tool"]["driver"]["rules"][0]["id"], "schema");
    let result = &run0["results"][0];
    assert_eq!(result["ruleId"], "schema");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "web.yaml");
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 7, "startColumn": 3})
    );
}

#[test]
fn stdin_is_read_with_a_dash() {
    let dir = tempfile::tempdir().unwrap();
    let good = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n";
    let run = kforge(dir.path(), &["validate", "-"], Some(good));
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (0, "1 objects: 0 errors, 0 warnings\n")
    );
    let run = kforge(dir.path(), &["validate", "-"], Some(BAD_DEPLOYMENT));
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--> <stdin>:7:3"), "{}", run.stderr);
}

#[test]
fn the_kubernetes_version_is_one_of_the_supported_set() {
    let dir = dir_with(&[(
        "a.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    )]);
    let run = kforge(
        dir.path(),
        &["validate", "--kubernetes-version", "1.20", "a.yaml"],
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error[usage]: Kubernetes 1.20 is not supported; kforge has schemas for 1.33, 1.34, 1.35\n"
    );
    let run = kforge(
        dir.path(),
        &["validate", "--kubernetes-version", "1.35", "a.yaml"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

const CRD: &[u8] = b"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
";

#[test]
fn custom_resources_are_checked_against_their_crd() {
    let widget = b"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 3\n  extra: {anything: [1, 2]}\n  colour: red\n";
    let dir = dir_with(&[("crds/widget.yaml", CRD), ("w.yaml", widget)]);
    let run = kforge(dir.path(), &["validate", "w.yaml"], None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[unknown-kind]"), "{}", run.stderr);
    let run = kforge(
        dir.path(),
        &["validate", "--ignore-missing-schemas", "w.yaml"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = kforge(dir.path(), &["validate", "--crd", "crds", "w.yaml"], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error[schema]: spec.colour: unknown field `colour`\n  --> w.yaml:7:3"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_invalid_crd_file_is_a_clear_error() {
    let broken = b"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: example.com\n  scope: Somewhere\n  names: {kind: Widget}\n  versions: []\n";
    let dir = dir_with(&[("crd.yaml", broken), ("a.yaml", b"{}")]);
    let run = kforge(
        dir.path(),
        &["validate", "--crd", "crd.yaml", "a.yaml"],
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error[invalid-crd]: `crd.yaml` is not a usable CRD: `spec.scope` must be `Namespaced` or `Cluster`, not `Somewhere`\n"
    );
}

#[test]
fn binary_data_is_refused_as_not_text() {
    let dir = dir_with(&[("blob.yaml", &[0xff, 0xfe, 0x00, 0x81, 0x92][..])]);
    let run = kforge(dir.path(), &["validate", "blob.yaml"], None);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error[unreadable-file]: `blob.yaml` is not a text file (invalid UTF-8 at byte 0)\n"
    );
}

#[test]
fn a_ten_megabyte_line_is_handled_without_flooding_the_terminal() {
    let mut line = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    line.extend(b", b: 1}\n");
    let dir = dir_with(&[("big.yaml", &line)]);
    let run = kforge(dir.path(), &["validate", "big.yaml"], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.len() < 2_000,
        "{} bytes of stderr",
        run.stderr.len()
    );
    assert!(
        run.stderr
            .contains("data.b: expected string, found number 1"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> big.yaml:4:"), "{}", run.stderr);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = "[".repeat(100_000);
    let dir = dir_with(&[
        ("deep.yaml", deep.as_bytes()),
        ("deep.json", deep.as_bytes()),
    ]);
    for file in ["deep.yaml", "deep.json"] {
        let run = kforge(dir.path(), &["validate", file], None);
        assert_eq!(run.code, 2, "{file}");
        assert!(
            run.stderr.contains("recursion limit exceeded"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut previous = 'a';
    for name in 'b'..='m' {
        let refs = vec![format!("*{previous}"); 10].join(", ");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        previous = name;
    }
    let dir = dir_with(&[("bomb.yaml", bomb.as_bytes())]);
    let run = kforge(dir.path(), &["validate", "bomb.yaml"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("repetition limit exceeded"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_api_version_is_a_finding_with_the_versions_that_exist() {
    let dir = dir_with(&[(
        "a.yaml",
        b"apiVersion: apps/v9\nkind: Deployment\nmetadata: {name: a}\n",
    )]);
    let run = kforge(dir.path(), &["validate", "a.yaml"], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("error[unknown-kind]: apiVersion: Kubernetes 1.33 has no kind Deployment at apiVersion apps/v9\n  --> a.yaml:1:13"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("help: Deployment exists at: apps/v1"));
}

#[test]
fn a_missing_path_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let run = kforge(dir.path(), &["validate", "nowhere"], None);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (2, "error[unreadable-file]: `nowhere` does not exist\n")
    );
}

#[test]
fn an_operational_error_is_reported_in_json_too() {
    let dir = tempfile::tempdir().unwrap();
    let run = kforge(
        dir.path(),
        &["validate", "nowhere", "--output", "json"],
        None,
    );
    assert_eq!(run.code, 2);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report,
        serde_json::json!({
            "findings": [],
            "errors": [{
                "rule": "unreadable-file",
                "file": "nowhere",
                "message": "`nowhere` does not exist",
            }],
        })
    );
}

#[test]
fn the_committed_schemas_are_the_ones_embedded() {
    // The staleness check proper (regenerating with tools/schemagen) is
    // `scripts/gen-schemas.sh --check`, run by scripts/test.sh; this holds the embedded copy
    // to the files and the generator's inputs to the files.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for version in kforge::validate::SUPPORTED_VERSIONS {
        let file = root.join(format!("schemas/k8s/v{version}.json"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            Some(text.as_str()),
            kforge::validate::schemas::embedded_text(version)
        );
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["kubernetesVersion"], *version);
    }
}

const BLUEPRINT: &str = "apiVersion: kforge.io/v1alpha1
kind: Blueprint
metadata:
  name: demo
spec:
  kubernetesVersion: \"VERSION\"
  namespaces:
    - name: web
  resources:
    - extra.yaml
";

#[test]
fn render_validates_raw_resources_at_their_own_line() {
    let extra = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: web\ndata:\n  a: b\nbinaryDta: {}\n";
    let blueprint = BLUEPRINT.replace("VERSION", "1.33");
    let dir = dir_with(&[
        ("blueprints/demo.yaml", blueprint.as_bytes()),
        ("blueprints/extra.yaml", extra),
    ]);
    let run = kforge(dir.path(), &["render"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error[schema]: binaryDta: core/v1/ConfigMap/web/extra: unknown field `binaryDta`\n  --> extra.yaml:8:1\n"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("help: did you mean `binaryData`?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("included by the blueprint here"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn render_refuses_an_unsupported_kubernetes_version() {
    let extra = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: web}\n";
    let blueprint = BLUEPRINT.replace("VERSION", "1.29");
    let dir = dir_with(&[
        ("blueprints/demo.yaml", blueprint.as_bytes()),
        ("blueprints/extra.yaml", extra),
    ]);
    let run = kforge(dir.path(), &["render"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error[unsupported-version]: spec.kubernetesVersion: Kubernetes 1.29 is not supported; kforge has schemas for 1.33, 1.34, 1.35\n  --> blueprints/demo.yaml:6:22"
        ),
        "{}",
        run.stderr
    );
}

/// kforge's own output passes `kforge validate` without a finding: the SOPS metadata of
/// Secrets, kustomization.yaml and the apps' `lint.allow` (carried as the
/// `kforge.io/lint-allow` annotation) are all understood. The Flux and Argo CD objects of
/// `delivery/` need those projects' CRDs (`--crd`), which `tests/delivery.rs` passes.
#[test]
fn the_committed_output_validates_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut trees = 0;
    for blueprint in std::fs::read_dir(root.join("out")).unwrap() {
        for env in std::fs::read_dir(blueprint.unwrap().path()).unwrap() {
            let dir = env.unwrap().path();
            let mut entries: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| {
                    (path.is_dir() && !path.ends_with("delivery"))
                        || path.ends_with("kustomization.yaml")
                })
                .map(|path| path.to_str().unwrap().to_owned())
                .collect();
            entries.sort();
            let mut args = vec!["validate"];
            args.extend(entries.iter().map(String::as_str));
            let run = kforge(root, &args, None);
            assert_eq!(run.code, 0, "{}", run.stderr);
            assert!(
                run.stderr.ends_with(" 0 errors, 0 warnings\n"),
                "{}: {}",
                dir.display(),
                run.stderr
            );
            trees += 1;
        }
    }
    assert!(trees >= 4, "out/ holds the example trees");
}
