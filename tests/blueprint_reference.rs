//! The blueprint reference: every field of the schema is described, `docs/blueprint.md` is
//! what `kforge explain --markdown` prints, and `kforge explain` answers for every field path
//! (a wrong one gets a did-you-mean and exit 2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use kforge::load::reference::{explain, lookup, markdown, reference};
use kforge::load::schema::blueprint_schema;
use serde_json::Value;

mod common;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Subtrees another change documents: the test fails once they are documented, so that the
/// exemption is dropped then.
const DOCUMENTED_ELSEWHERE: &[&str] = &[];

/// Every property of the raw schema as `(where, name, description)`: the root's and every
/// definition's, independent of the reference's own walk.
fn schema_properties() -> Vec<(String, String, String)> {
    let schema = blueprint_schema();
    let mut out = Vec::new();
    let mut objects: Vec<(String, &Value)> = vec![("(root)".to_owned(), &schema)];
    for (name, definition) in schema["$defs"].as_object().unwrap() {
        objects.push((name.clone(), definition));
    }
    for (owner, object) in objects {
        for (name, node) in object
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let description = node["description"].as_str().unwrap_or_default().to_owned();
            out.push((owner.clone(), name.clone(), description));
        }
    }
    out
}

#[test]
fn every_field_has_a_description() {
    let fields = &reference().fields;
    assert!(
        fields.len() > 250,
        "the walk reaches every field: {}",
        fields.len()
    );
    let exempt = |path: &str| DOCUMENTED_ELSEWHERE.iter().any(|p| path.starts_with(p));
    let missing: Vec<&str> = fields
        .iter()
        .filter(|f| f.description.trim().is_empty() && !exempt(&f.path))
        .map(|f| f.path.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "fields without a doc comment in src/load/blueprint.rs:\n{}",
        missing.join("\n")
    );
    for prefix in DOCUMENTED_ELSEWHERE {
        assert!(
            fields
                .iter()
                .any(|f| f.path.starts_with(prefix) && f.description.is_empty()),
            "every field under `{prefix}` is documented now: remove it from DOCUMENTED_ELSEWHERE"
        );
    }
    // The walk reaches every property of every definition (a field's description is its
    // property's, so the check above covers them all).
    for (owner, name, _) in schema_properties() {
        assert!(
            fields.iter().any(|f| f.name() == name),
            "{owner}.{name} is not reached by the reference"
        );
    }
}

#[test]
fn docs_blueprint_md_is_generated_from_the_schema() {
    let path = Path::new(ROOT).join("docs/blueprint.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = markdown();
    assert!(
        committed == generated,
        "docs/blueprint.md is not what the schema says; regenerate it with\n  \
         cargo run -- explain --markdown > docs/blueprint.md\n(first differing line: {:?})",
        committed
            .lines()
            .zip(generated.lines())
            .find(|(a, b)| a != b)
    );
    for field in &reference().fields {
        let heading = format!(" `{}`\n", field.path);
        assert!(
            committed.contains(&heading),
            "docs/blueprint.md lacks {}",
            field.path
        );
        let first_words: String = field
            .description
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        let flat = committed.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&first_words), "{}: {first_words}", field.path);
    }
}

#[test]
fn explain_answers_for_every_field_path() {
    for field in &reference().fields {
        let text = explain(Some(&field.path)).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            text.starts_with(&format!("FIELD:    {} <{}>\n", field.path, field.type_name)),
            "{text}"
        );
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let description = field
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(&description), "{}: {text}", field.path);
        if let Some(default) = &field.default {
            assert!(text.contains("DEFAULT:  "), "{}: {default}", field.path);
        }
        for child in &field.children {
            assert!(
                text.contains(&format!("\n  {} <{}>", child.name, child.type_name)),
                "{} lists {}: {text}",
                field.path,
                child.name
            );
        }
        if let Some(short) = field.path.strip_prefix("spec.") {
            assert_eq!(
                lookup(short).unwrap().path,
                field.path,
                "`spec.` may be left out"
            );
        }
    }
}

#[test]
fn explain_reads_paths_as_users_write_them() {
    assert_eq!(
        lookup("spec.apps.autoscale").unwrap().path,
        "spec.apps.autoscale"
    );
    assert_eq!(
        lookup("apps.autoscale").unwrap().path,
        "spec.apps.autoscale"
    );
    assert_eq!(
        lookup("spec.apps[0].probes.readiness.http").unwrap().path,
        "spec.apps.probes.readiness.http"
    );
    let autoscale = lookup("apps.autoscale").unwrap();
    assert_eq!(autoscale.type_name, "object");
    let names: Vec<&str> = autoscale.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "minReplicas",
            "maxReplicas",
            "cpuUtilization",
            "memoryUtilization"
        ]
    );
    let min = lookup("apps.autoscale.minReplicas").unwrap();
    assert_eq!(min.default, Some(serde_json::json!(1)));
    assert_eq!(lookup("apps.workload").unwrap().values[0], "Deployment");
    let top = explain(None).unwrap();
    assert!(top.contains("\n  spec <object> -required-\n"), "{top}");
}

#[test]
fn a_wrong_path_gets_a_did_you_mean() {
    let cases = [
        ("spec.apps.autoscal", "did you mean `spec.apps.autoscale`?"),
        ("apps.replcas", "did you mean `spec.apps.replicas`?"),
        ("spec.namespace", "did you mean `spec.namespaces`?"),
        ("metdata", "did you mean `metadata`?"),
        (
            "spec.apps.image.tag",
            "`spec.apps.image` has no fields below it",
        ),
    ];
    for (path, help) in cases {
        let error = lookup(path).unwrap_err();
        assert_eq!(error.help, help, "{path}");
        assert!(
            error
                .to_string()
                .contains(&format!("`{path}` is not a blueprint field"))
        );
    }
}

#[test]
fn the_binary_explains_and_refuses_like_kubectl_explain() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::run_kforge(dir.path(), &["explain", "spec.apps.autoscale"], &[], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, explain(Some("spec.apps.autoscale")).unwrap());
    let run = common::run_kforge(dir.path(), &["explain", "apps.autoscal"], &[], None);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error[usage]: `apps.autoscal` is not a blueprint field; did you mean `spec.apps.autoscale`?\n"
    );
    let run = common::run_kforge(dir.path(), &["explain", "--markdown"], &[], None);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, markdown());
}

/// The YAML example under a field's heading in the generated reference.
fn example_of<'a>(markdown: &'a str, path: &str) -> &'a str {
    let heading = format!(" `{path}`\n");
    let start = markdown
        .find(&heading)
        .unwrap_or_else(|| panic!("{path}: no heading"));
    let rest = &markdown[start..];
    let open = rest.find("```yaml\n").unwrap() + "```yaml\n".len();
    let close = rest[open..].find("```\n").unwrap();
    &rest[open..open + close]
}

#[test]
fn every_example_is_yaml_that_holds_the_field_in_its_place() {
    let text = markdown();
    let fields = &reference().fields;
    for field in fields {
        let example = example_of(&text, &field.path);
        let value: serde_json::Value = serde_yaml::from_str(example)
            .unwrap_or_else(|e| panic!("{}: {e}\n{example}", field.path));
        let mut current = &value;
        let mut prefix = String::new();
        for segment in field.path.split('.') {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(segment);
            current = current
                .get(segment)
                .unwrap_or_else(|| panic!("{}: no `{segment}` in\n{example}", field.path));
            if prefix == field.path {
                break;
            }
            let parent = fields.iter().find(|f| f.path == prefix).unwrap();
            let mut shape = parent.type_name.as_str();
            loop {
                if let Some(inner) = shape.strip_prefix("[]") {
                    current = &current[0];
                    shape = inner;
                } else if let Some(inner) = shape.strip_prefix("map[string]") {
                    current = current.as_object().and_then(|m| m.values().next()).unwrap();
                    shape = inner;
                } else {
                    break;
                }
            }
        }
    }
}
