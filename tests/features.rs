//! Golden tests, one per feature: each blueprint under `tests/fixtures/features/` is rendered
//! in memory and the whole tree is compared with its reviewed snapshot.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use kforge::diagnostic::SourceFile;
use kforge::expand::Inputs;
use kforge::load::file_references;
use kforge::{check, emit, expand, load};

fn render(fixture: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features");
    let path = dir.join(fixture);
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = load::load_blueprint(SourceFile::new(fixture, text), dir.clone())
        .unwrap_or_else(|e| panic!("{}", e.iter().map(|d| d.render(false)).collect::<String>()));
    let problems: Vec<_> = check::check(&loaded)
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(
        problems.is_empty(),
        "{}",
        problems.iter().map(|d| d.render(false)).collect::<String>()
    );
    let files: BTreeMap<String, Result<String, String>> = file_references(&loaded)
        .into_iter()
        .map(|r| {
            let text = std::fs::read_to_string(dir.join(&r.path)).map_err(|e| e.to_string());
            (r.path, text)
        })
        .collect();
    let objects = expand::expand(
        &loaded,
        &Inputs {
            files,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}", e.iter().map(|d| d.render(false)).collect::<String>()));
    // Every feature's output is valid as a whole: schemas of its Kubernetes version, and
    // references between its objects (lint warnings are allowed here).
    let inputs = Inputs::default();
    let invalid: Vec<_> = kforge::validate::render::diagnostics(&loaded, &inputs, &objects)
        .into_iter()
        .chain(kforge::review::objects(&loaded, &objects))
        .filter(|d| d.is_error())
        .collect();
    assert!(
        invalid.is_empty(),
        "{}",
        invalid.iter().map(|d| d.render(false)).collect::<String>()
    );
    let tree = emit::emit(loaded.name(), &objects).unwrap();
    tree.iter()
        .map(|(path, text)| format!("### {path}\n{text}"))
        .collect()
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
