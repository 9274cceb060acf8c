//! `kforge show`: the merged blueprint as YAML, each field followed by a comment naming the
//! file and line that set it. Literal secret values are never printed.

use serde_json::Value;

use crate::json::{escape_segment, sorted};
use crate::load::{SpanMap, is_secret_value};

/// The merged document as commented YAML.
pub fn show(document: &Value, spans: &SpanMap) -> String {
    let mut out = String::new();
    if let Value::Object(map) = document {
        // apiVersion, kind and metadata first, as in the blueprint.
        let order = ["apiVersion", "kind", "metadata"];
        let entries = sorted(map);
        let keys = order
            .iter()
            .filter_map(|k| entries.iter().find(|(key, _)| key == k))
            .chain(entries.iter().filter(|(k, _)| !order.contains(k)));
        for (key, value) in keys {
            field(
                &mut out,
                spans,
                0,
                key,
                value,
                &format!("/{}", escape_segment(key)),
            );
        }
    }
    out
}

fn field(
    out: &mut String,
    spans: &SpanMap,
    indent: usize,
    key: &str,
    value: &Value,
    pointer: &str,
) {
    let pad = " ".repeat(indent);
    let key = scalar(&Value::String(key.to_owned()));
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str(&format!("{pad}{key}:\n"));
            for (k, v) in sorted(map) {
                field(
                    out,
                    spans,
                    indent + 2,
                    k,
                    v,
                    &format!("{pointer}/{}", escape_segment(k)),
                );
            }
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str(&format!("{pad}{key}:\n"));
            list(out, spans, indent + 2, items, pointer);
        }
        leaf => {
            let text = leaf_text(leaf, pointer);
            out.push_str(&format!("{pad}{key}: {text}{}\n", source(spans, pointer)));
        }
    }
}

fn list(out: &mut String, spans: &SpanMap, indent: usize, items: &[Value], pointer: &str) {
    let pad = " ".repeat(indent);
    for (i, item) in items.iter().enumerate() {
        let at = format!("{pointer}/{i}");
        match item {
            Value::Object(map) if !map.is_empty() => {
                // `- ` followed by the first field; the rest line up under it.
                let mut first = true;
                // The item's name first: it is what the list merges by.
                let named = map.get("name").map(|v| ("name", v));
                for (k, v) in named
                    .into_iter()
                    .chain(sorted(map).into_iter().filter(|(k, _)| *k != "name"))
                {
                    let mut text = String::new();
                    field(
                        &mut text,
                        spans,
                        indent + 2,
                        k,
                        v,
                        &format!("{at}/{}", escape_segment(k)),
                    );
                    if first {
                        text.replace_range(indent..indent + 2, "- ");
                        first = false;
                    }
                    out.push_str(&text);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push_str(&format!("{pad}-\n"));
                list(out, spans, indent + 2, inner, &at);
            }
            leaf => {
                let text = leaf_text(leaf, &at);
                out.push_str(&format!("{pad}- {text}{}\n", source(spans, &at)));
            }
        }
    }
}

fn leaf_text(value: &Value, pointer: &str) -> String {
    if is_secret_value(pointer) {
        return "\"<redacted>\"".to_owned();
    }
    match value {
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        other => scalar(other),
    }
}

/// A scalar as YAML: plain where that reads back as the same value, else double-quoted.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let text = crate::emit::canonical_yaml(value);
            let text = text.trim_end_matches('\n');
            if s.contains('\n') || text.contains('\n') {
                serde_json::to_string(s).unwrap_or_default()
            } else {
                text.to_owned()
            }
        }
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

fn source(spans: &SpanMap, pointer: &str) -> String {
    match spans.value(pointer) {
        Some(span) => format!("  # {}", span.location()),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;
    use crate::overlay::{merge, parse_overlay};

    #[test]
    fn every_field_names_its_source_and_secrets_are_redacted() {
        let base = SourceFile::new(
            "bp.yaml",
            "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: demo\nspec:\n  apps:\n    - name: web\n      image: nginx\n      args: [\"on\", b]\n  secrets:\n    - name: s\n      data: {k: {value: hunter2}}\n",
        );
        let (document, spans) = crate::load::parse_document(&base).unwrap();
        let overlay = parse_overlay(SourceFile::new(
            "prod.yaml",
            "apiVersion: kforge.io/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n  blueprint: demo\n  patch:\n    apps:\n      - name: web\n        replicas: 3\n",
        ))
        .unwrap();
        let (merged, spans) = merge(&document, &spans, &overlay).unwrap();
        let text = show(&merged, &spans);
        assert_eq!(
            text,
            "apiVersion: kforge.io/v1alpha1  # bp.yaml:1:13\n\
             kind: Blueprint  # bp.yaml:2:7\n\
             metadata:\n  name: demo  # bp.yaml:4:9\n\
             spec:\n  apps:\n    \
             - name: web  # bp.yaml:7:13\n      \
             args:\n        - \"on\"  # bp.yaml:9:14\n        - b  # bp.yaml:9:20\n      \
             image: nginx  # bp.yaml:8:14\n      \
             replicas: 3  # prod.yaml:10:19\n  \
             secrets:\n    - name: s  # bp.yaml:11:13\n      \
             data:\n        k:\n          value: \"<redacted>\"  # bp.yaml:12:25\n"
        );
        let reparsed: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(reparsed["spec"]["apps"][0]["args"][0], "on");
    }
}
