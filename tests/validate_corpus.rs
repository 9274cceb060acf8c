#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The validation corpus: `tests/corpus/valid/` must pass `kforge validate`; every file of
//! `tests/corpus/invalid/` holds one defect and declares the finding it must produce on its
//! first line (`# expect: RULE PATH`, `-` for no path; a `.expect` sidecar for JSON files),
//! and, for the API server's semantic rules, its exact message (`# message: TEXT`).
//! Held against `kubernetes-validate --strict -k 1.33`: what it rejects kforge rejects, what it
//! accepts kforge accepts, except the cases marked `# kubernetes-validate: misses (why)` (a
//! semantic rule of the API server) and `# kubernetes-validate: refuses (why)` (a field the
//! server defaults though the schema requires it). That
//! comparison needs the tool, so a plain `cargo test` ignores it and `scripts/test.sh` runs it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn corpus(kind: &str) -> Vec<PathBuf> {
    common::corpus(kind)
}

/// The header lines of a case: from the file itself, or its `.expect` sidecar.
fn header(path: &Path) -> String {
    let sidecar = PathBuf::from(format!("{}.expect", path.display()));
    std::fs::read_to_string(&sidecar).unwrap_or_else(|_| std::fs::read_to_string(path).unwrap())
}

fn expectation(path: &Path) -> (String, String) {
    let text = header(path);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("# expect: "))
        .unwrap_or_else(|| panic!("{} declares no `# expect:`", path.display()));
    let (rule, field) = line.split_once(' ').unwrap();
    let field = if field == "-" { "" } else { field };
    (rule.to_owned(), field.to_owned())
}

/// The exact message a case declares, if it declares one.
fn expected_message(path: &Path) -> Option<String> {
    header(path)
        .lines()
        .find_map(|l| l.strip_prefix("# message: "))
        .map(str::to_owned)
}

fn missed_by_kubernetes_validate(path: &Path) -> bool {
    header(path).contains("# kubernetes-validate: misses")
}

/// Exit code and (rule, path) of every error finding of `kforge validate --output json`.
fn kforge(path: &Path) -> (i32, Vec<(String, String)>) {
    let (code, findings) = kforge_messages(path);
    (
        code,
        findings
            .into_iter()
            .map(|(rule, path, _)| (rule, path))
            .collect(),
    )
}

/// Exit code and (rule, path, message) of every error finding.
fn kforge_messages(path: &Path) -> (i32, Vec<(String, String, String)>) {
    let output = Command::new(env!("CARGO_BIN_EXE_kforge"))
        .args(["validate", "--output", "json"])
        .arg(path)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON on stdout ({e}); stderr: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let findings = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (output.status.code().unwrap(), findings)
}

#[test]
fn the_corpus_is_big_enough() {
    assert!(corpus("invalid").len() >= 40);
    assert!(corpus("valid").len() >= 20);
}

/// Acceptance 2 of issue 19: each semantic rule has a firing case with its exact message.
#[test]
fn every_semantic_case_declares_its_message() {
    let semantic: Vec<PathBuf> = corpus("invalid")
        .into_iter()
        .filter(|p| expectation(p).0 == "semantic")
        .collect();
    assert!(semantic.len() >= 40, "{}", semantic.len());
    for path in &semantic {
        assert!(expected_message(path).is_some(), "{}", path.display());
    }
}

#[test]
fn every_valid_manifest_passes() {
    for path in corpus("valid") {
        let (code, findings) = kforge(&path);
        assert_eq!((code, findings), (0, vec![]), "{}", path.display());
    }
}

#[test]
fn every_invalid_manifest_fails_with_exactly_its_declared_finding() {
    for path in corpus("invalid") {
        let (rule, field) = expectation(&path);
        let (code, findings) = kforge_messages(&path);
        let expected_code = if rule == "invalid-manifest" { 2 } else { 1 };
        let places: Vec<(String, String)> = findings
            .iter()
            .map(|(rule, path, _)| (rule.clone(), path.clone()))
            .collect();
        assert_eq!(
            (code, places),
            (expected_code, vec![(rule, field)]),
            "{}: {findings:?}",
            path.display()
        );
        if let Some(message) = expected_message(&path) {
            assert_eq!(findings[0].2, message, "{}", path.display());
        }
    }
}

/// kubernetes-validate's verdict per file: rejected when it prints an ERROR for the file or
/// cannot parse it. One run over every file: its start-up dominates.
fn kubernetes_validate(tool: &Path, files: &[PathBuf]) -> BTreeMap<PathBuf, bool> {
    let output = Command::new(tool)
        .args(["--strict", "-k", "1.33"])
        .args(files)
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    files
        .iter()
        .map(|file| {
            let name = file.display().to_string();
            let rejected = text.lines().any(|line| {
                line.starts_with(&format!("ERROR {name} "))
                    || line.contains(&format!("Couldn't parse YAML from file {name}:"))
            });
            (file.clone(), rejected)
        })
        .collect()
}

#[test]
#[ignore = "needs kubernetes-validate: run scripts/test.sh"]
fn kforge_agrees_with_kubernetes_validate_except_where_it_misses_a_defect() {
    let tool = common::tool("kubernetes-validate");
    let valid = corpus("valid");
    let invalid = corpus("invalid");
    let all: Vec<PathBuf> = valid.iter().chain(&invalid).cloned().collect();
    let verdicts = kubernetes_validate(&tool, &all);
    let mut disagreements = Vec::new();
    for path in &valid {
        // A valid file the schema alone refuses: a field the API server defaults.
        let refused = header(path).contains("# kubernetes-validate: refuses");
        match (verdicts[path], refused) {
            (true, false) => disagreements.push(format!(
                "{}: kubernetes-validate rejects it, kforge accepts it",
                path.display()
            )),
            (false, true) => disagreements.push(format!(
                "{}: marked as refused, but kubernetes-validate accepts it",
                path.display()
            )),
            _ => {}
        }
    }
    for path in &invalid {
        let missed = missed_by_kubernetes_validate(path);
        match (verdicts[path], missed) {
            (true, true) => disagreements.push(format!(
                "{}: marked as missed, but kubernetes-validate rejects it",
                path.display()
            )),
            (false, false) => disagreements.push(format!(
                "{}: kubernetes-validate accepts it; kforge rejects it and the case is not marked as missed",
                path.display()
            )),
            _ => {}
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
