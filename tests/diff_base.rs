//! `kforge diff --base REV` on temporary repositories built with git2: snapshots of the
//! text, markdown and JSON output for an added, removed, changed and moved object, a
//! Secret whose keys change, and node files; no Secret value in any output; the errors
//! (unknown revision, no repository, a blueprint invalid at the revision); a blueprint new
//! since the revision; and a PR comment of a 5,000-object change within GitHub's limit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::git::GitRepo;
use common::{Run, run_kforge};

const HEAD: &str = "apiVersion: kforge.io/v1alpha1
kind: Blueprint
metadata:
  name: shop
spec:
";

/// An app in the default namespace with probes and resources, so that lint stays quiet.
fn app(name: &str, image: &str, extra: &str) -> String {
    format!(
        "    - name: {name}
      image: {image}
      ports: [{{name: http, port: 80}}]{extra}
"
    )
}

fn blueprint(apps: &[String], rest: &str) -> String {
    format!("{HEAD}  apps:\n{}{rest}", apps.concat())
}

/// A repository whose HEAD holds `base`; the work tree then holds `head`.
fn repository(base: &[(&str, &str)], head: &[(&str, Option<&str>)]) -> GitRepo {
    let repo = GitRepo::new();
    for (path, text) in base {
        repo.write(path, text);
    }
    repo.commit_all("base");
    for (path, text) in head {
        match text {
            Some(text) => repo.write(path, text),
            None => repo.remove(path),
        }
    }
    repo
}

fn diff(repo: &GitRepo, args: &[&str]) -> Run {
    let mut all = vec!["diff", "--base", "HEAD"];
    all.extend(args);
    run_kforge(repo.path(), &all, &[], None)
}

/// Runs the three formats, checks the exit code and that no value leaks, and snapshots each.
fn snapshots(name: &str, repo: &GitRepo, secrets: &[&str]) {
    for output in ["text", "markdown", "json"] {
        let run = diff(repo, &["--output", output]);
        assert_eq!(run.code, 1, "{name} {output}: {}", run.stderr);
        for value in secrets {
            assert!(
                !run.stdout.contains(value) && !run.stderr.contains(value),
                "{name} {output}: a Secret value leaked"
            );
            let encoded = base64_of(value);
            assert!(!run.stdout.contains(&encoded) && !run.stderr.contains(&encoded));
        }
        if output == "json" {
            let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(value["different"], true);
        }
        insta::assert_snapshot!(format!("{name}_{output}"), run.stdout);
    }
}

fn base64_of(value: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(value)
}

#[test]
fn an_added_object() {
    let before = blueprint(&[app("web", "nginx:1.27.2", "")], "");
    let after = blueprint(
        &[
            app("web", "nginx:1.27.2", ""),
            app("api", "nginx:1.27.2", ""),
        ],
        "",
    );
    let repo = repository(
        &[("blueprints/shop.yaml", &before)],
        &[("blueprints/shop.yaml", Some(&after))],
    );
    snapshots("added", &repo, &[]);
}

#[test]
fn a_removed_object() {
    let before = blueprint(
        &[
            app("web", "nginx:1.27.2", ""),
            app("api", "nginx:1.27.2", ""),
        ],
        "",
    );
    let after = blueprint(&[app("web", "nginx:1.27.2", "")], "");
    let repo = repository(
        &[("blueprints/shop.yaml", &before)],
        &[("blueprints/shop.yaml", Some(&after))],
    );
    snapshots("removed", &repo, &[]);
}

#[test]
fn a_changed_object() {
    let before = blueprint(&[app("web", "nginx:1.27.2", "")], "");
    let after = blueprint(&[app("web", "nginx:1.27.3", "\n      replicas: 3")], "");
    let repo = repository(
        &[("blueprints/shop.yaml", &before)],
        &[("blueprints/shop.yaml", Some(&after))],
    );
    snapshots("changed", &repo, &[]);
}

#[test]
fn a_moved_object() {
    let config = "  configMaps:\n    - name: settings\n      data: {mode: fast}\n";
    let moved = "  namespaces:\n    - name: store\n  configMaps:\n    - name: settings\n      namespace: store\n      data: {mode: fast}\n";
    let before = blueprint(&[app("web", "nginx:1.27.2", "")], config);
    let after = blueprint(&[app("web", "nginx:1.27.2", "")], moved);
    let repo = repository(
        &[("blueprints/shop.yaml", &before)],
        &[("blueprints/shop.yaml", Some(&after))],
    );
    snapshots("moved", &repo, &[]);
}

const OLD_PASSWORD: &str = "0ld-pa55w0rd-value";
const NEW_PASSWORD: &str = "n3w-pa55w0rd-value";
const TOKEN: &str = "t0ken-4dded-value";
const USER: &str = "us3r-r3moved-value";
const CERT: &str = "c3rt-unchang3d-value";

#[test]
fn a_secret_whose_keys_change_shows_key_names_only() {
    let secret = |keys: &[(&str, &str)]| {
        let data: String = keys
            .iter()
            .map(|(k, v)| format!("        {k}: {{value: {v}}}\n"))
            .collect();
        format!("  secrets:\n    - name: db\n      data:\n{data}")
    };
    let before = blueprint(
        &[app("web", "nginx:1.27.2", "")],
        &secret(&[("cert", CERT), ("password", OLD_PASSWORD), ("user", USER)]),
    );
    let after = blueprint(
        &[app("web", "nginx:1.27.2", "")],
        &secret(&[("cert", CERT), ("password", NEW_PASSWORD), ("token", TOKEN)]),
    );
    let repo = repository(
        &[("blueprints/shop.yaml", &before)],
        &[("blueprints/shop.yaml", Some(&after))],
    );
    snapshots(
        "secret_keys",
        &repo,
        &[OLD_PASSWORD, NEW_PASSWORD, TOKEN, USER, CERT],
    );
}

#[test]
fn no_difference_exits_0() {
    let text = blueprint(&[app("web", "nginx:1.27.2", "")], "");
    let repo = repository(&[("blueprints/shop.yaml", &text)], &[]);
    let run = diff(&repo, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let head = repo.head().unwrap().to_string();
    assert_eq!(
        run.stdout,
        format!(
            "No differences between HEAD ({}) and the work tree.\n",
            &head[..7]
        )
    );
}

#[test]
fn a_blueprint_new_since_the_revision_is_added_whole() {
    let repo = repository(
        &[("README.md", "no blueprints yet\n")],
        &[(
            "blueprints/shop.yaml",
            Some(&blueprint(&[app("web", "nginx:1.27.2", "")], "")),
        )],
    );
    let run = diff(&repo, &["--output", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        value["summary"],
        serde_json::json!({"add": 3, "change": 0, "move": 0, "remove": 0})
    );
    // Named on the command line, the same.
    let run = diff(&repo, &["blueprints/shop.yaml", "--env", "base"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("Plan: 3 to add, 0 to change, 0 to move, 0 to remove."),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unknown_revision_is_an_error() {
    let text = blueprint(&[app("web", "nginx:1.27.2", "")], "");
    let repo = repository(&[("blueprints/shop.yaml", &text)], &[]);
    let run = run_kforge(
        repo.path(),
        &["diff", "--base", "no-such-branch"],
        &[],
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error[unknown-revision]: unknown revision `no-such-branch`: revspec 'no-such-branch' not found\n"
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn outside_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("blueprints")).unwrap();
    let run = run_kforge(dir.path(), &["diff", "--base", "main"], &[], None);
    assert_eq!(run.code, 2);
    let real = dir.path().canonicalize().unwrap();
    assert_eq!(
        run.stderr,
        format!(
            "error[not-a-repository]: `{}` is not inside a git repository\n",
            real.display()
        )
    );
}

#[test]
fn a_blueprint_invalid_at_the_revision_names_the_revision_and_the_line() {
    let broken = blueprint(&[app("web", "nginx:1.27.2", "\n      replicaz: 2")], "");
    let fixed = blueprint(&[app("web", "nginx:1.27.2", "")], "");
    let repo = repository(
        &[("blueprints/shop.yaml", &broken)],
        &[("blueprints/shop.yaml", Some(&fixed))],
    );
    let run = diff(&repo, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let head = repo.head().unwrap().to_string();
    assert!(
        run.stderr.starts_with(&format!(
            "error: the blueprints at HEAD ({}) do not compile:\n",
            &head[..7]
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("HEAD:blueprints/shop.yaml:10:7"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("replicaz"), "{}", run.stderr);
}

/// Node files are compared by path, as any file of the tree: a changed script and a new
/// cloud-init file. Built as trees directly: the diff model compares whatever artifacts a
/// tree holds, node files included.
#[test]
fn node_files() {
    use kforge::diff::{self, Tree};
    use kforge::model::artifact::{Artifact, ArtifactKind, ArtifactTree};
    let tree = |script: &str, extra: Option<&str>| {
        let mut tree = ArtifactTree::new();
        let bootstrap = Artifact::new(ArtifactKind::Script, script).executable();
        tree.insert("nodes/cp-1/bootstrap.sh".into(), bootstrap)
            .unwrap();
        if let Some(text) = extra {
            tree.insert(
                "nodes/worker-1/user-data.yaml".into(),
                Artifact::new(ArtifactKind::CloudInit, text),
            )
            .unwrap();
        }
        tree
    };
    let before = tree("#!/bin/sh\nset -eu\nmodprobe overlay\nswapoff -a\n", None);
    let after = tree(
        "#!/bin/sh\nset -eu\nmodprobe overlay\nmodprobe br_netfilter\nswapoff -a\n",
        Some("#cloud-config\nruncmd:\n  - [sh, /opt/bootstrap.sh]\n"),
    );
    let side = |tree| {
        [Tree {
            blueprint: "lab",
            env: "base",
            tree,
        }]
    };
    let diff = diff::compare(
        &side(&before),
        &side(&after),
        &[],
        ("main (1234567)", "the work tree"),
    );
    assert_eq!(diff.counts().add, 1);
    assert_eq!(diff.counts().change, 1);
    insta::assert_snapshot!("node_files_text", diff::text::render(&diff, false));
    insta::assert_snapshot!("node_files_markdown", diff::markdown::render(&diff));
    insta::assert_snapshot!("node_files_json", diff::json::render(&diff));
}

/// A change touching 5,000 objects (every object's `part-of` label, as renaming the
/// blueprint's system would) yields a comment within GitHub's limit whose summary still
/// names every changed object.
#[test]
fn a_change_of_5000_objects_fits_a_comment_and_names_every_object() {
    use kforge::diff::{self, Action, Subject, Tree};
    use kforge::model::artifact::{Artifact, ArtifactTree};
    use kforge::pipeline::{MemoryFiles, Plan, compile_all};
    let apps = kforge::synthetic::apps_for(5_100);
    let files = MemoryFiles::new()
        .with(
            "blueprints/big.yaml",
            kforge::synthetic::blueprint("big", apps),
        )
        .unwrap();
    let plan = Plan::new(&files, &[], &[]).unwrap_or_else(|_| panic!("plan"));
    let compiled = compile_all(plan, &files, &|_| None).unwrap_or_else(|_| panic!("compile"));
    let before = &compiled.renderings[0].tree;
    let mut after = ArtifactTree::new();
    for (path, artifact) in before.iter() {
        let text = artifact.text().unwrap();
        let text = text.replace(
            "app.kubernetes.io/part-of: big",
            "app.kubernetes.io/part-of: big-shop",
        );
        let mut changed = Artifact::new(artifact.kind, text);
        changed.mode = artifact.mode;
        after.insert(path.clone(), changed).unwrap();
    }
    let side = |tree| {
        [Tree {
            blueprint: "big",
            env: "base",
            tree,
        }]
    };
    let diff = diff::compare(
        &side(before),
        &side(&after),
        &[],
        ("main (1234567)", "the work tree"),
    );
    let changes = &diff.environments[0].changes;
    let objects: Vec<&diff::Change> = changes
        .iter()
        .filter(|c| matches!(c.subject, Subject::Object { .. }))
        .collect();
    assert!(objects.len() >= 5_000, "{} objects changed", objects.len());
    assert!(objects.iter().all(|c| c.action == Action::Change));
    let comment = diff::markdown::render(&diff);
    let length = comment.chars().count();
    assert!(length <= diff::markdown::LIMIT, "{length} characters");
    let summary = &comment[..comment.find("<details>").unwrap_or(comment.len())];
    for change in changes {
        let Subject::Object {
            kind,
            namespace,
            name,
            ..
        } = &change.subject
        else {
            continue;
        };
        let line = summary
            .lines()
            .find(|l| {
                l.contains(&format!(" ~ {kind} ")) && l.contains(&format!("in `{namespace}`: "))
                    || (namespace.is_empty() && l.contains(&format!(" ~ {kind} ")))
            })
            .unwrap_or_else(|| panic!("no summary line for {kind} in {namespace}"));
        assert!(
            line.split([':', ',', ';', ' '])
                .any(|word| word == name.as_str()),
            "{kind} {namespace}/{name} is not named in the summary"
        );
    }
    assert!(comment.contains("diffs were cut to fit") || comment.contains("have no diff section"));
}

/// The workflow docs/ci.md offers is valid YAML, checks the output on every pull request and
/// finds its comment by the marker kforge's markdown starts with.
#[test]
fn the_example_workflow_checks_and_posts_one_comment() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/github-workflow.yaml"),
    )
    .unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert!(
        workflow["on"]["pull_request"].is_null() || workflow["on"].get("pull_request").is_some()
    );
    let steps = workflow["jobs"]["render"]["steps"].as_sequence().unwrap();
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.iter().any(|r| r.contains("kforge render --check")));
    assert!(
        runs.iter()
            .any(|r| r.contains("kforge diff --base") && r.contains("--output markdown"))
    );
    assert!(text.contains(kforge::diff::markdown::MARKER));
}
