//! `kforge render`/`check` with the cross-resource checks and lint rules, and `kforge rules`,
//! driven through the real binary: whole messages and exit statuses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;
use common::{Run, run_kforge};

/// Runs kforge in a fresh repository holding `blueprints/app.yaml` (when given).
fn kforge(blueprint: Option<&str>, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = blueprint {
        fs::create_dir_all(dir.path().join("blueprints")).unwrap();
        fs::write(dir.path().join("blueprints/app.yaml"), text).unwrap();
    }
    run_kforge(dir.path(), args, &[], None)
}

const HARDENED: &str = "      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
      probes: {liveness: {tcp: http}, readiness: {tcp: http}}
      securityContext: {runAsNonRoot: true, runAsUser: 101, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
";

fn blueprint(app: &str) -> String {
    format!(
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: app\nspec:\n  apps:\n    - name: web\n      namespace: web\n      ports: [{{name: http, port: 80}}]\n{HARDENED}{app}"
    )
}

#[test]
fn a_missing_tls_secret_stops_render_and_fails_check() {
    let text = blueprint(
        "      image: nginx:1.27.2\n      ingress:\n        hosts: [{host: a.example.com, paths: [{path: /}]}]\n        tls: {secretName: a-tls}\n",
    );
    let render = kforge(Some(&text), &["render"]);
    assert_eq!(render.code, 2, "{}", render.stderr);
    insta::assert_snapshot!(render.stderr);
    let check = kforge(Some(&text), &["check"]);
    assert_eq!(check.code, 1, "check exits 1 on findings: {}", check.stderr);
    let fine = text.replace(
        "        tls:",
        "        annotations: {cert-manager.io/cluster-issuer: ca}\n        tls:",
    );
    assert_eq!(kforge(Some(&fine), &["check"]).code, 0);
}

#[test]
fn lint_warnings_point_at_the_blueprint_field_and_do_not_stop_render() {
    let text = blueprint("      image: nginx\n");
    let run = kforge(Some(&text), &["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stderr);
    let allowed = format!(
        "{text}      lint:\n        allow: [{{rule: latest-image-tag, reason: always the newest demo}}]\n"
    );
    let run = kforge(Some(&allowed), &["check"]);
    assert_eq!(run.code, 0);
    assert!(!run.stderr.contains("KF101"), "{}", run.stderr);
}

#[test]
fn an_unknown_rule_in_the_blueprint_is_an_error_with_a_suggestion() {
    let text = format!(
        "{}  lint: {{disable: [KF-privilegd]}}\n",
        blueprint("      image: nginx:1.27.2\n")
    );
    let run = kforge(Some(&text), &["check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "error[unknown-rule]: spec.lint.disable[0]: `KF-privilegd` is not a lint rule"
        ) && run.stderr.contains("did you mean `privileged`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn rules_lists_every_rule_and_documents_one() {
    let run = kforge(None, &["rules"]);
    assert_eq!(run.code, 0);
    for code in kforge::lint::CODES {
        assert!(run.stdout.contains(code.id), "{}", run.stdout);
    }
    let one = kforge(None, &["rules", "KF-privileged"]);
    assert_eq!(one.code, 0);
    insta::assert_snapshot!(one.stdout);
    let unknown = kforge(None, &["rules", "KF31"]);
    assert_eq!(unknown.code, 2);
    assert_eq!(
        unknown.stderr,
        "error[usage]: `KF31` is not a lint rule; did you mean `KF301`?\n"
    );
}

#[test]
fn the_example_blueprints_review_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = Command::new(env!("CARGO_BIN_EXE_kforge"))
        .arg("check")
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("[KF") && !stderr.contains("[reference]"),
        "the examples must be free of lint and reference findings: {stderr}"
    );
}
