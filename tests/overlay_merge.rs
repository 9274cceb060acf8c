//! Property tests of the overlay merge rules (issue 5): an empty patch is the identity, the
//! merge is deterministic, and a `$delete` followed by a re-add yields the re-added item.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kforge::diagnostic::SourceFile;
use kforge::load::parse_document;
use kforge::overlay::{merge, parse_overlay, show};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        "[a-z]{1,6}( [a-z]{1,4})?".prop_map(|s| json!(s)),
    ]
}

/// Blueprint-like trees: maps, plain lists, and lists of items with unique names.
fn tree() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::btree_map("[a-z]{1,5}", inner.clone(), 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            prop::collection::vec(scalar(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 1..4).prop_map(|items| {
                Value::Array(
                    items
                        .into_iter()
                        .map(|(name, body)| {
                            let mut item = match body {
                                Value::Object(map) => map,
                                other => Map::from_iter([("value".to_owned(), other)]),
                            };
                            item.insert("name".into(), json!(name));
                            Value::Object(item)
                        })
                        .collect(),
                )
            }),
        ]
    })
}

fn spec() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-z]{1,6}", tree(), 1..6).prop_map(|m| m.into_iter().collect())
}

fn blueprint_text(spec: &Map<String, Value>) -> String {
    let document = json!({
        "apiVersion": "kforge.io/v1alpha1",
        "kind": "Blueprint",
        "metadata": {"name": "demo"},
        "spec": spec,
    });
    serde_yaml::to_string(&document).unwrap()
}

fn overlay_text(patch: &Value) -> String {
    let document = json!({
        "apiVersion": "kforge.io/v1alpha1",
        "kind": "Overlay",
        "metadata": {"name": "prod"},
        "spec": {"blueprint": "demo", "patch": patch},
    });
    serde_yaml::to_string(&document).unwrap()
}

/// Merges and returns the merged document and its `kforge show` text.
fn merged(base: &str, overlay: &str) -> (Value, String) {
    let (document, spans) = parse_document(&SourceFile::new("bp.yaml", base)).unwrap();
    let overlay = parse_overlay(SourceFile::new("prod.yaml", overlay)).unwrap();
    let (value, spans) = merge(&document, &spans, &overlay).unwrap();
    let text = show(&value, &spans);
    (value, text)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn an_empty_patch_is_the_identity(spec in spec()) {
        let base = blueprint_text(&spec);
        let (document, _) = parse_document(&SourceFile::new("bp.yaml", base.as_str())).unwrap();
        let (value, _) = merged(&base, &overlay_text(&json!({})));
        prop_assert_eq!(value, document);
    }

    #[test]
    fn merging_is_deterministic(spec in spec(), patch in spec()) {
        let base = blueprint_text(&spec);
        let overlay = overlay_text(&Value::Object(patch));
        let first = std::panic::catch_unwind(|| try_merge(&base, &overlay));
        let second = std::panic::catch_unwind(|| try_merge(&base, &overlay));
        prop_assert!(first.is_ok(), "merge panicked");
        prop_assert_eq!(first.unwrap(), second.unwrap());
    }

    #[test]
    fn a_delete_then_a_readd_gives_the_readded_item(
        items in prop::collection::btree_map("[a-z]{1,4}", scalar(), 1..5),
        pick in any::<prop::sample::Index>(),
        fresh in scalar(),
    ) {
        let names: Vec<&String> = items.keys().collect();
        let target = names[pick.index(names.len())].clone();
        let list: Vec<Value> = items
            .iter()
            .map(|(name, v)| json!({"name": name, "old": v}))
            .collect();
        let mut spec = Map::new();
        spec.insert("apps".into(), Value::Array(list));
        let patch = json!({"apps": [
            {"name": target, "$delete": true},
            {"name": target, "new": fresh},
        ]});
        let (value, _) = merged(&blueprint_text(&spec), &overlay_text(&patch));
        let apps = value["spec"]["apps"].as_array().unwrap();
        let found: Vec<&Value> = apps.iter().filter(|a| a["name"] == json!(target)).collect();
        let expected = json!({"name": target, "new": fresh});
        prop_assert_eq!(found, vec![&expected]);
        prop_assert_eq!(apps.len(), items.len());
    }
}

/// The merge outcome as comparable text: the document and show output, or the errors.
fn try_merge(base: &str, overlay: &str) -> Result<(Value, String), Vec<String>> {
    let (document, spans) = parse_document(&SourceFile::new("bp.yaml", base)).unwrap();
    let overlay = parse_overlay(SourceFile::new("prod.yaml", overlay)).unwrap();
    match merge(&document, &spans, &overlay) {
        Ok((value, spans)) => {
            let text = show(&value, &spans);
            Ok((value, text))
        }
        Err(errors) => Err(errors.iter().map(|e| e.render(false)).collect()),
    }
}

#[test]
fn named_lists_keep_base_order_and_append_new_names_in_patch_order() {
    let mut spec = Map::new();
    spec.insert(
        "apps".into(),
        json!([{"name": "c"}, {"name": "a"}, {"name": "b"}]),
    );
    let patch = json!({"apps": [{"name": "z"}, {"name": "a", "x": 1}, {"name": "y"}]});
    let (value, _) = merged(&blueprint_text(&spec), &overlay_text(&patch));
    let names: Vec<&str> = value["spec"]["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c", "a", "b", "z", "y"]);
}
