//! Golden tests, one per feature: each blueprint under `tests/fixtures/features/` is rendered
//! in memory and the whole tree is compared with its reviewed snapshot.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use kforge::pipeline::{self, Failure, Plan, RepoPath, WorkTree};

/// Renders one fixture through the pipeline, as `kforge render` does: every stage, with the
/// fixture directory as the repository. Each feature's output must pass the schemas of its
/// Kubernetes version and the cross-resource checks (lint warnings are allowed here).
fn render(fixture: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features");
    let tree = WorkTree::new(&dir).unwrap();
    let plan = Plan::new(&tree, &[RepoPath::new(fixture).unwrap()], &[]).unwrap_or_else(fail);
    let compiled = pipeline::compile_all(plan, &tree, &|_| None).unwrap_or_else(fail);
    let [rendering] = compiled.renderings.as_slice() else {
        panic!("one environment expected");
    };
    rendering
        .tree
        .iter()
        .map(|(path, artifact)| format!("### {path}\n{}", artifact.text().unwrap()))
        .collect()
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

#[test]
fn storage_classes_volumes_and_claims() {
    insta::assert_snapshot!(render("storage.yaml"));
}

#[test]
fn every_workload_kind() {
    insta::assert_snapshot!(render("workloads.yaml"));
}

#[test]
fn config_maps_env_prefixes_and_mounts() {
    insta::assert_snapshot!(render("config.yaml"));
}

#[test]
fn services_of_every_type_and_ingress_with_tls() {
    insta::assert_snapshot!(render("services.yaml"));
}

#[test]
fn rbac_scaling_isolation_and_calico_policies() {
    insta::assert_snapshot!(render("access.yaml"));
}

#[test]
fn raw_resources_pass_through() {
    insta::assert_snapshot!(render("raw.yaml"));
}
