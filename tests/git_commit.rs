//! `kforge render --commit` on temporary repositories built with git2: a commit when the
//! output changes and none when it does not, other dirty files left alone, refusals (staged
//! changes, a merge in progress, edited output, no identity, a plain-text Secret) before
//! anything is written, and a message that counts objects by kind and names the source.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::ffi::OsStr;

use common::git::{GitRepo, IDENTITY};
use common::{Run, run_kforge};

const WEB: &str = "apiVersion: kforge.io/v1alpha1
kind: Blueprint
metadata:
  name: web
spec:
  apps:
    - name: web
      image: nginx:1.27.2
      ports: [{name: http, port: 80}]
    - name: api
      image: nginx:1.27.2
      ports: [{name: http, port: 80}]
";

/// A repository whose first commit holds the blueprint `web` and a README.
fn repository() -> GitRepo {
    let repo = GitRepo::new();
    repo.write("blueprints/web.yaml", WEB);
    repo.write("README.md", "hello\n");
    repo.commit_all("blueprint");
    repo
}

fn kforge(repo: &GitRepo, args: &[&str]) -> Run {
    kforge_with(repo, args, &[])
}

fn kforge_with(repo: &GitRepo, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let home = repo.file(".home");
    let mut env: Vec<(&str, &OsStr)> = IDENTITY.iter().map(|(k, v)| (*k, OsStr::new(v))).collect();
    env.push(("HOME", home.as_os_str()));
    env.push(("XDG_CONFIG_HOME", home.as_os_str()));
    env.extend(vars.iter().map(|(k, v)| (*k, OsStr::new(v))));
    run_kforge(repo.path(), args, &env, None)
}

#[test]
fn a_render_that_changes_the_output_is_committed_with_counts_by_kind_and_the_source() {
    let repo = repository();
    let source = repo.head().unwrap();
    let run = kforge(&repo, &["render", "--commit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_ne!(repo.head(), Some(source));
    let message = repo.head_message();
    assert_eq!(
        message,
        format!(
            "kforge render: 5 added, 0 changed, 0 removed\n\nweb/base:\n  added: 2 Deployment, 2 Service, 1 kustomization\n\nRendered from commit {source}.\n"
        )
    );
    let commit = repo.repo.find_commit(repo.head().unwrap()).unwrap();
    assert_eq!(commit.author().name().ok(), Some("Render Bot"));
    assert_eq!(
        repo.committed_paths("out/"),
        [
            "out/web/base/.kforge-owned",
            "out/web/base/default/deployment-api.yaml",
            "out/web/base/default/deployment-web.yaml",
            "out/web/base/default/service-api.yaml",
            "out/web/base/default/service-web.yaml",
            "out/web/base/kustomization.yaml",
        ]
    );
    assert!(repo.status().is_empty(), "{:?}", repo.status());
    assert!(run.stderr.contains("committed "), "{}", run.stderr);

    // A change and a removal: only those files are staged, deletions included, and the
    // message says so by kind.
    let changed = WEB.replace(
        "    - name: api\n      image: nginx:1.27.2\n      ports: [{name: http, port: 80}]\n",
        "",
    );
    let changed = changed.replace("nginx:1.27.2", "nginx:1.27.3");
    repo.write("blueprints/web.yaml", &changed);
    repo.commit_all("drop api, bump web");
    let source = repo.head().unwrap();
    let run = kforge(&repo, &["render", "--commit", "--message", "Render web"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        repo.head_message(),
        format!(
            "Render web\n\n0 added, 2 changed, 2 removed\n\nweb/base:\n  changed: 1 Deployment, 1 kustomization\n  removed: 1 Deployment, 1 Service\n\nRendered from commit {source}.\n"
        )
    );
    assert!(
        !repo
            .committed_paths("out/")
            .iter()
            .any(|p| p.contains("api")),
        "the removed files are removed in the commit"
    );
    assert!(repo.status().is_empty(), "{:?}", repo.status());
}

#[test]
fn no_commit_when_the_output_does_not_change() {
    let repo = repository();
    assert_eq!(kforge(&repo, &["render", "--commit"]).code, 0);
    let head = repo.head();
    let run = kforge(&repo, &["render", "--commit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(repo.head(), head);
    assert!(
        run.stderr
            .contains("nothing changed in the output; no commit made"),
        "{}",
        run.stderr
    );
}

#[test]
fn other_dirty_files_are_left_alone_and_uncommitted() {
    let repo = repository();
    repo.write("README.md", "edited\n");
    repo.write("notes.txt", "mine\n");
    let run = kforge(&repo, &["render", "--commit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let status = repo.status();
    let paths: Vec<&str> = status.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["README.md", "notes.txt"]);
    assert!(status[0].1.contains(git2::Status::WT_MODIFIED));
    assert!(status[1].1.contains(git2::Status::WT_NEW));
    assert_eq!(repo.read("README.md"), "edited\n");
    assert!(!repo.committed_paths("").contains(&"notes.txt".to_owned()));
    assert!(
        repo.head_message().ends_with("with uncommitted changes.\n"),
        "the message says the source was not all committed: {}",
        repo.head_message()
    );
}

#[test]
fn staged_changes_are_refused_before_anything_is_written() {
    let repo = repository();
    repo.write("README.md", "staged\n");
    repo.stage("README.md");
    let head = repo.head();
    let run = kforge(&repo, &["render", "--commit"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error[repository-state]: changes are already staged (README.md); commit or unstage them first, so that the render's commit holds the render only\n"
    );
    assert!(!repo.file("out").exists(), "nothing is written");
    assert_eq!(repo.head(), head);
}

#[test]
fn a_merge_in_progress_is_refused_before_anything_is_written() {
    let repo = repository();
    let head = repo.head().unwrap();
    std::fs::write(repo.file(".git/MERGE_HEAD"), format!("{head}\n")).unwrap();
    let run = kforge(&repo, &["render", "--commit"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error[repository-state]: a merge is in progress; finish or abort it before `kforge render --commit`\n"
    );
    assert!(!repo.file("out").exists());
    assert_eq!(repo.head(), Some(head));
}

#[test]
fn edited_output_is_refused_unless_allowed() {
    let repo = repository();
    assert_eq!(kforge(&repo, &["render", "--commit"]).code, 0);
    let head = repo.head();
    let file = "out/web/base/default/service-web.yaml";
    repo.write(file, "edited by hand\n");
    let run = kforge(&repo, &["render", "--commit"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "error[repository-state]: the output has uncommitted edits (out/web/base/default/service-web.yaml); commit or discard them, or pass --allow-dirty to let the render's commit include them\n"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(repo.read(file), "edited by hand\n", "nothing is written");
    assert_eq!(repo.head(), head);
    // --allow-dirty: the render restores the file; the result equals HEAD, so no commit.
    let run = kforge(&repo, &["render", "--commit", "--allow-dirty"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(repo.head(), head);
    assert!(repo.status().is_empty(), "{:?}", repo.status());
}

#[test]
fn a_missing_identity_is_a_clear_error() {
    let repo = repository();
    let home = repo.file(".home");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kforge"))
        .args(["render", "--commit"])
        .current_dir(repo.path())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error[repository-state]: no git identity to commit as: set user.name and user.email (`git config user.name ...`) or GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL\n"
    );
    assert!(!repo.file("out").exists());
}

#[test]
fn an_identity_from_git_config_is_used() {
    let repo = repository();
    let mut config = repo.repo.config().unwrap();
    config.set_str("user.name", "Config User").unwrap();
    config.set_str("user.email", "config@example.com").unwrap();
    let home = repo.file(".home");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kforge"))
        .args(["render", "--commit"])
        .current_dir(repo.path())
        .env("HOME", &home)
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let commit = repo.repo.find_commit(repo.head().unwrap()).unwrap();
    assert_eq!(commit.author().email().ok(), Some("config@example.com"));
    assert_eq!(commit.committer().name().ok(), Some("Config User"));
}

#[test]
fn a_plain_text_secret_is_never_written_or_committed() {
    let repo = GitRepo::new();
    let value = "pl41n-t3xt-v4lue";
    repo.write(
        "blueprints/web.yaml",
        &format!(
            "{WEB}  secrets:\n    - name: db\n      data:\n        password: {{fromEnv: DB_PASSWORD}}\n"
        ),
    );
    repo.commit_all("blueprint with a secret and no recipients");
    let head = repo.head();
    let run = kforge_with(&repo, &["render", "--commit"], &[("DB_PASSWORD", value)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no-encryption-recipients"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.head(), head);
    assert!(!repo.file("out").exists());
    assert!(!run.stderr.contains(value) && !run.stdout.contains(value));
    assert!(!repo.history_text().contains(value));
}
