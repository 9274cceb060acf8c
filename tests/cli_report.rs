//! How `render`, `check` and `validate` report many findings, driven through the real binary:
//! the first drawn in full (`--max-diagnostics`), the rest one per line, a count per rule at
//! the end; JSON with every finding. Whole messages and exit statuses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;

mod common;
use common::{Run, run_kforge};

/// A repository holding `blueprints/app.yaml`.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new(blueprint: &str) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("blueprints")).unwrap();
        fs::write(dir.path().join("blueprints/app.yaml"), blueprint).unwrap();
        Repo { dir }
    }

    fn kforge(&self, args: &[&str]) -> Run {
        run_kforge(self.dir.path(), args, &[], None)
    }
}

/// A blueprint of `apps` apps, each with a port and `extra` added to it.
fn blueprint(apps: usize, extra: &str) -> String {
    let mut text =
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: app\nspec:\n  apps:\n"
            .to_owned();
    for i in 0..apps {
        text.push_str(&format!(
            "    - name: web-{i}
      namespace: web
      ports: [{{name: http, port: 8080}}]
{extra}"
        ));
    }
    text
}

/// A pinned image, but no resources, no probes and a writable root filesystem: each app
/// draws KF102, KF201 and KF304.
const PINNED: &str = "      image: nginx:1.27.2
      securityContext: {readOnlyRootFilesystem: false}
";
/// Everything in order but the image's tag: each app draws KF101.
const HARDENED: &str = "      image: nginx
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
      probes: {liveness: {tcp: http}, readiness: {tcp: http}}
";

#[test]
fn findings_past_the_limit_are_listed_one_per_line_and_counted_by_rule() {
    let repo = Repo::new(&blueprint(4, PINNED));
    let run = repo.kforge(&["check", "--max-diagnostics", "2"]);
    assert_eq!(run.code, 0, "warnings do not fail check: {}", run.stderr);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn max_diagnostics_zero_lists_every_finding_and_render_takes_it_too() {
    let repo = Repo::new(&blueprint(4, PINNED));
    let run = repo.kforge(&["render", "--max-diagnostics", "0"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn a_rule_that_fires_many_times_is_counted_after_every_drawing() {
    // Ten unpinned images, everything else hardened: ten KF101 drawings, all under the
    // default limit, then the count.
    let repo = Repo::new(&blueprint(10, HARDENED));
    let run = repo.kforge(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.matches("\nwarning[KF101]").count(), 9);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn the_default_limit_draws_twenty_and_all_draws_every_one() {
    let repo = Repo::new(&blueprint(10, PINNED));
    let drawn = |stderr: &str| stderr.matches("  help: ").count();
    let listed = |stderr: &str| stderr.lines().filter(|l| l.contains(": warning[")).count();
    let default = repo.kforge(&["check"]);
    assert_eq!((drawn(&default.stderr), listed(&default.stderr)), (20, 10));
    assert!(
        default.stderr.ends_with(
            "30 warnings in all; 20 drawn in full, 10 listed one per line (`--max-diagnostics all` draws every one)\napp/base: ok (21 objects)\n"
        ),
        "{}",
        default.stderr
    );
    let all = repo.kforge(&["check", "--max-diagnostics", "all"]);
    assert_eq!((drawn(&all.stderr), listed(&all.stderr)), (30, 0));
    assert!(
        all.stderr
            .ends_with("\n30 warnings in all\napp/base: ok (21 objects)\n"),
        "{}",
        all.stderr
    );
}

#[test]
fn json_output_keeps_every_finding_whatever_the_limit() {
    let repo = Repo::new(&blueprint(10, PINNED));
    let run = repo.kforge(&["check", "--output", "json", "--max-diagnostics", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 30);
    assert_eq!(run.stderr, "app/base: ok (21 objects)\n");
}

#[test]
fn validate_takes_the_limit_too() {
    let repo = Repo::new(&blueprint(2, PINNED));
    assert_eq!(repo.kforge(&["render"]).code, 0);
    let run = repo.kforge(&["validate", "out/app/base", "--max-diagnostics", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn a_limit_that_is_not_a_number_is_bad_usage() {
    let repo = Repo::new(&blueprint(1, PINNED));
    let run = repo.kforge(&["check", "--max-diagnostics", "some"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("invalid value 'some' for '--max-diagnostics <N>': expected a number or `all`, not `some`"),
        "{}",
        run.stderr
    );
}
