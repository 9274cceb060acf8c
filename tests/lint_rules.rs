//! Every lint rule against its fixtures in `tests/fixtures/lint/<ID>/`: `fires.yaml` triggers
//! it (the findings are snapshotted), `quiet.yaml` does not, `suppressed.yaml` is silenced by
//! its suppression and fires again without it. A rule without complete documentation,
//! fixtures or snapshot fails here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use kforge::diagnostic::SourceFile;
use kforge::finding::Finding;
use kforge::lint::rule::HEADINGS;
use kforge::lint::suppress::ANNOTATION;
use kforge::lint::{self, CODES, Code, Settings};
use kforge::load::{self, Loaded};
use kforge::model::Object;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

fn fixture(code: &Code, name: &str) -> String {
    let path = dir().join(code.id).join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} needs the fixture {}: {e}", code.id, path.display()))
}

fn is_blueprint(text: &str) -> bool {
    text.contains("kind: Blueprint")
}

fn blueprint(name: &str, text: &str) -> Loaded {
    load::load_blueprint(SourceFile::new(name, text), PathBuf::from("."))
        .unwrap_or_else(|e| panic!("{}", e.iter().map(|d| d.render(false)).collect::<String>()))
}

/// The rule's findings on a fixture, one line each; `suppress`: honour the suppressions.
fn lines(code: &Code, name: &str, suppress: bool) -> Vec<String> {
    let text = fixture(code, name);
    if is_blueprint(&text) {
        let loaded = blueprint(&format!("{}/{name}", code.id), &text);
        let settings = if suppress {
            Settings::from_blueprint(&loaded.blueprint)
        } else {
            Settings::default()
        };
        return lint::blueprint_rules(&loaded, &settings)
            .into_iter()
            .filter(|d| d.code == code.id)
            .map(|d| d.render(false))
            .collect();
    }
    let mut objects = kforge::model::manifest::objects(&text).unwrap();
    if !suppress {
        for object in &mut objects {
            if let Some(annotations) = object
                .body
                .pointer_mut("/metadata/annotations")
                .and_then(|a| a.as_object_mut())
            {
                annotations.remove(ANNOTATION);
            }
        }
    }
    lint::run(&objects, &Settings::default())
        .iter()
        .filter(|f| f.rule == code.id)
        .map(|f| line(&objects, f))
        .collect()
}

fn line(objects: &[Object], f: &Finding) -> String {
    let object = &objects[f.object];
    let severity = if f.is_error() { "error" } else { "warning" };
    format!(
        "{severity}[{}] {}/{} {}: {}\n  help: {}",
        f.rule,
        object.kind,
        object.name,
        f.pointer,
        f.message,
        f.help.as_deref().unwrap_or("-")
    )
}

#[test]
fn every_rule_has_its_documentation_headings_in_order() {
    for code in CODES {
        let mut at = 0;
        for heading in HEADINGS {
            let found = code.docs[at..].find(heading).unwrap_or_else(|| {
                panic!("{} lacks `{heading}` (or has it out of order)", code.id)
            });
            at += found + heading.len();
        }
        assert!(
            !lint::rule::summary(code.docs).is_empty(),
            "{} has no summary",
            code.id
        );
    }
}

#[test]
fn ids_are_unique_and_in_their_band() {
    let mut seen = std::collections::BTreeSet::new();
    for code in CODES {
        assert!(seen.insert(code.id), "{} is used twice", code.id);
        assert!(seen.insert(code.name), "{} is used twice", code.name);
        assert!(
            code.id.len() == 5 && code.id.starts_with("KF"),
            "{} is not KFnnn",
            code.id
        );
    }
}

#[test]
fn every_fixture_directory_belongs_to_a_rule() {
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            CODES.iter().any(|c| c.id == name),
            "tests/fixtures/lint/{name} names no rule"
        );
    }
}

#[test]
fn every_rule_fires_on_its_fixture_and_matches_its_snapshot() {
    for code in CODES {
        let found = lines(code, "fires.yaml", true);
        assert!(!found.is_empty(), "{} does not fire on fires.yaml", code.id);
        insta::assert_snapshot!(format!("fires_{}", code.id), found.join("\n"));
    }
}

#[test]
fn every_rule_is_quiet_on_its_quiet_fixture() {
    for code in CODES {
        let found = lines(code, "quiet.yaml", true);
        assert!(
            found.is_empty(),
            "{} fires on quiet.yaml: {found:#?}",
            code.id
        );
    }
}

#[test]
fn every_rule_is_silenced_by_its_suppression_and_only_by_it() {
    for code in CODES {
        let found = lines(code, "suppressed.yaml", true);
        assert!(
            found.is_empty(),
            "{} fires despite suppression: {found:#?}",
            code.id
        );
        let unsuppressed = lines(code, "suppressed.yaml", false);
        assert!(
            !unsuppressed.is_empty(),
            "{}: suppressed.yaml must fire without its suppression",
            code.id
        );
    }
}

#[test]
fn literal_secret_values_are_never_shown() {
    let code = lint::lookup("KF501").unwrap();
    let text = lines(code, "fires.yaml", true).join("\n");
    assert!(text.contains("API_TOKEN"), "{text}");
    for value in ["s3cr3t-token", "{value: wp}"] {
        assert!(!text.contains(value), "the value leaked: {text}");
    }
}

#[test]
fn a_suppression_needs_a_known_rule_and_a_reason() {
    let text = fixture(lint::lookup("KF301").unwrap(), "suppressed.yaml").replace(
        "KF-privileged: the CNI plugin programs the node's routes",
        "KF301, KF-privilegd: typo",
    );
    let objects = kforge::model::manifest::objects(&text).unwrap();
    let found: Vec<String> = lint::run(&objects, &Settings::default())
        .iter()
        .map(|f| line(&objects, f))
        .collect();
    insta::assert_snapshot!(found.join("\n"));
}

#[test]
fn disabled_rules_do_not_run() {
    let code = lint::lookup("KF301").unwrap();
    let objects = kforge::model::manifest::objects(&fixture(code, "fires.yaml")).unwrap();
    let settings = Settings {
        disabled: ["KF301"].into_iter().collect(),
        ..Settings::default()
    };
    assert!(
        lint::run(&objects, &settings)
            .iter()
            .all(|f| f.rule != "KF301")
    );
}
