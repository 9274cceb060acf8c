//! The merge rules: maps merge recursively, scalars replace, `null` removes a key, lists of
//! named items merge by name (`$delete: true` removes one, a new name appends), other lists
//! replace. Spans follow the values, so every merged field points at the file that set it.

use serde_json::{Map, Value};

use super::Overlay;
use crate::diagnostic::Diagnostic;
use crate::json::escape_segment;
use crate::load::SpanMap;
use crate::model::field_path;

/// The key that removes a named list item.
pub const DELETE: &str = "$delete";

/// Merges an overlay's patch into a parsed blueprint document's `spec`. Returns the merged
/// document and its spans, or every problem of the patch.
pub fn merge(
    base: &Value,
    base_spans: &SpanMap,
    overlay: &Overlay,
) -> Result<(Value, SpanMap), Vec<Diagnostic>> {
    let mut merger = Merger {
        base_spans,
        patch_spans: &overlay.spans,
        spans: base_spans.clone(),
        errors: Vec::new(),
    };
    let mut document = base.clone();
    let patch = overlay.patch();
    if let Some(root) = document.as_object_mut() {
        match root.remove("spec") {
            Some(spec) => {
                let merged = merger.value(spec, "/spec", patch, Overlay::PATCH, "/spec");
                root.insert("spec".into(), merged);
            }
            None => {
                merger.spans.graft("/spec", &overlay.spans, Overlay::PATCH);
                root.insert("spec".into(), merger.fresh(patch, Overlay::PATCH));
            }
        }
    }
    if merger.errors.is_empty() {
        Ok((document, merger.spans))
    } else {
        Err(merger.errors)
    }
}

struct Merger<'a> {
    base_spans: &'a SpanMap,
    patch_spans: &'a SpanMap,
    /// The merged document's spans, built alongside it.
    spans: SpanMap,
    errors: Vec<Diagnostic>,
}

/// Where a merged list item came from.
enum Origin {
    /// Item `i` of the base list, with the patch items merged into it.
    Base(usize, Vec<usize>),
    /// Item `j` of the patch, new or re-added after a `$delete`.
    Patch(usize),
}

impl Merger<'_> {
    /// Merges `patch` (at `pp` in the overlay) into `base` (at `bp` in the blueprint); the
    /// result lives at `mp` in the merged document.
    fn value(&mut self, base: Value, bp: &str, patch: &Value, pp: &str, mp: &str) -> Value {
        match (base, patch) {
            (Value::Object(base), Value::Object(patch)) => {
                Value::Object(self.map(base, bp, patch, pp, mp))
            }
            (Value::Array(base), Value::Array(patch)) => self.list(base, bp, patch, pp, mp),
            (base @ (Value::Object(_) | Value::Array(_)), patch)
            | (base, patch @ (Value::Object(_) | Value::Array(_)))
                if !base.is_null() =>
            {
                self.errors.push(
                    Diagnostic::error(
                        "overlay-type-change",
                        format!(
                            "the patch changes this field from {} to {}",
                            shape(&base),
                            shape(patch)
                        ),
                    )
                    .path(field_path(mp))
                    .at(self.patch_spans.value(pp), format!("{} here", shape(patch)))
                    .also(
                        self.base_spans.value(bp),
                        format!("{} in the blueprint", shape(&base)),
                    )
                    .help("a patch replaces scalars and merges maps and lists; it cannot change a field's shape"),
                );
                base
            }
            // An unchanged value keeps its blueprint line: the patch did not set anything.
            (base, patch) if base == *patch => base,
            (_, patch) => {
                self.spans.graft(mp, self.patch_spans, pp);
                self.fresh(patch, pp)
            }
        }
    }

    fn map(
        &mut self,
        mut base: Map<String, Value>,
        bp: &str,
        patch: &Map<String, Value>,
        pp: &str,
        mp: &str,
    ) -> Map<String, Value> {
        for (key, patch_value) in patch {
            let segment = escape_segment(key);
            let (bk, pk, mk) = (
                format!("{bp}/{segment}"),
                format!("{pp}/{segment}"),
                format!("{mp}/{segment}"),
            );
            if key == DELETE {
                self.errors.push(
                    Diagnostic::error(
                        "overlay-misplaced-delete",
                        "`$delete` removes an item of a named list; here it is not in one",
                    )
                    .path(field_path(&pk))
                    .at(self.patch_spans.key(&pk), "not a named list item")
                    .help("to remove a field, set it to `null`"),
                );
                continue;
            }
            if patch_value.is_null() {
                base.remove(key);
                self.spans.remove_subtree(&mk);
                continue;
            }
            let merged = match base.remove(key) {
                Some(old) => self.value(old, &bk, patch_value, &pk, &mk),
                None => {
                    self.spans.graft(&mk, self.patch_spans, &pk);
                    self.fresh(patch_value, &pk)
                }
            };
            base.insert(key.clone(), merged);
        }
        base
    }

    fn list(
        &mut self,
        mut base: Vec<Value>,
        bp: &str,
        patch: &[Value],
        pp: &str,
        mp: &str,
    ) -> Value {
        let keyed = !patch.is_empty()
            && patch.iter().all(|item| item_key(item).is_some())
            && base.iter().all(|item| item_key(item).is_some());
        if !keyed {
            self.spans.graft(mp, self.patch_spans, pp);
            return self.fresh(&Value::Array(patch.to_vec()), pp);
        }
        let mut items: Vec<(String, Origin)> = base
            .iter()
            .enumerate()
            .filter_map(|(i, item)| Some((item_key(item)?, Origin::Base(i, Vec::new()))))
            .collect();
        for (j, item) in patch.iter().enumerate() {
            let Some(key) = item_key(item) else { continue };
            let pj = format!("{pp}/{j}");
            let position = items.iter().position(|(k, _)| *k == key);
            match item.get(DELETE) {
                Some(Value::Bool(true)) => match position {
                    Some(at) => {
                        items.remove(at);
                    }
                    None => self.errors.push(
                        Diagnostic::error(
                            "overlay-delete-missing",
                            format!("`$delete` of `{}`, which the blueprint does not have", key),
                        )
                        .path(field_path(&pj))
                        .at(
                            self.patch_spans.key(&format!("{pj}/{DELETE}")),
                            "nothing to delete",
                        )
                        .help(crate::suggest::hint(
                            &key,
                            items.iter().map(|(k, _)| k.as_str()),
                        )),
                    ),
                },
                Some(Value::Bool(false)) | None => match position {
                    Some(at) => match &mut items[at].1 {
                        Origin::Base(_, patches) if patches.is_empty() => patches.push(j),
                        _ => self.errors.push(
                            Diagnostic::error(
                                "overlay-duplicate-item",
                                format!("the patch names `{}` twice in this list", key),
                            )
                            .path(field_path(&pj))
                            .at(self.patch_spans.value(&pj), "second entry")
                            .help("merge the two entries into one"),
                        ),
                    },
                    None => items.push((key, Origin::Patch(j))),
                },
                Some(other) => self.errors.push(
                    Diagnostic::error(
                        "overlay-misplaced-delete",
                        format!("`$delete` must be `true`, not {}", shape(other)),
                    )
                    .path(field_path(&pj))
                    .at(self.patch_spans.value(&format!("{pj}/{DELETE}")), "here")
                    .help("write `$delete: true` to remove the item"),
                ),
            }
        }
        // The merged spans at `mp` still mirror the base list: only items that moved, went or
        // came need their spans rewritten.
        let stays = |k: usize, origin: &Origin| matches!(origin, Origin::Base(i, _) if *i == k);
        for i in 0..base.len() {
            if !items.get(i).is_some_and(|(_, origin)| stays(i, origin)) {
                self.spans.remove_subtree(&format!("{mp}/{i}"));
            }
        }
        let mut merged = Vec::with_capacity(items.len());
        for (k, (_, origin)) in items.into_iter().enumerate() {
            let mk = format!("{mp}/{k}");
            let moved = !stays(k, &origin);
            match origin {
                Origin::Base(i, patches) => {
                    let bi = format!("{bp}/{i}");
                    if moved {
                        self.spans.graft(&mk, self.base_spans, &bi);
                    }
                    let mut value = std::mem::take(&mut base[i]);
                    for j in patches {
                        let pj = format!("{pp}/{j}");
                        let mut item = patch[j].clone();
                        if let Some(map) = item.as_object_mut() {
                            map.remove(DELETE);
                        }
                        value = self.value(value, &bi, &item, &pj, &mk);
                    }
                    merged.push(value);
                }
                Origin::Patch(j) => {
                    let pj = format!("{pp}/{j}");
                    self.spans.graft(&mk, self.patch_spans, &pj);
                    self.spans.remove_subtree(&format!("{mk}/{DELETE}"));
                    // `fresh` leaves out `$delete: false` (and reports any other `$delete`).
                    merged.push(self.fresh(&patch[j], &pj));
                }
            }
        }
        Value::Array(merged)
    }

    /// A patch value taken as it is: `null` map entries are dropped (they mean "absent"), and
    /// a `$delete` inside new content is an error, since there is nothing to delete.
    fn fresh(&mut self, patch: &Value, pp: &str) -> Value {
        match patch {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(_, v)| !v.is_null())
                    .filter_map(|(k, v)| {
                        let pk = format!("{pp}/{}", escape_segment(k));
                        if k == DELETE {
                            if v != &Value::Bool(false) {
                                self.errors.push(
                                    Diagnostic::error(
                                        "overlay-delete-missing",
                                        "`$delete` inside a part the blueprint does not have",
                                    )
                                    .path(field_path(&pk))
                                    .at(self.patch_spans.key(&pk), "nothing to delete")
                                    .help("remove the item from the patch"),
                                );
                            }
                            return None;
                        }
                        Some((k.clone(), self.fresh(v, &pk)))
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.fresh(v, &format!("{pp}/{i}")))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// The key a list item merges by: its `name`, or for `uses` entries the configMap or secret
/// it names. Items without one make the list a plain list, which a patch replaces.
fn item_key(item: &Value) -> Option<String> {
    let map = item.as_object()?;
    if let Some(name) = map.get("name").and_then(Value::as_str) {
        return Some(name.to_owned());
    }
    ["configMap", "secret"].iter().find_map(|field| {
        map.get(*field)
            .and_then(Value::as_str)
            .map(|name| format!("{field}: {name}"))
    })
}

fn shape(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "a map",
        Value::Array(_) => "a list",
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;
    use crate::overlay::parse_overlay;
    use serde_json::json;

    const HEAD: &str = "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: demo\n";
    const OVERLAY: &str = "apiVersion: kforge.io/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n  blueprint: demo\n  patch:\n";

    fn merged(spec: &str, patch: &str) -> Result<(Value, SpanMap), Vec<Diagnostic>> {
        let file = SourceFile::new("bp.yaml", format!("{HEAD}spec:\n{spec}"));
        let (base, spans) = crate::load::parse_document(&file).unwrap();
        let overlay =
            parse_overlay(SourceFile::new("prod.yaml", format!("{OVERLAY}{patch}"))).unwrap();
        merge(&base, &spans, &overlay)
    }

    fn spec(spec: &str, patch: &str) -> Value {
        merged(spec, patch).unwrap().0["spec"].clone()
    }

    fn error(spec: &str, patch: &str) -> (String, String) {
        let errors = merged(spec, patch).unwrap_err();
        (errors[0].code.to_owned(), errors[0].location().unwrap())
    }

    const APPS: &str = "  apps:\n    - name: web\n      image: nginx\n      replicas: 2\n    - name: db\n      image: mariadb\n";

    #[test]
    fn named_items_merge_by_name_and_new_names_append() {
        let spec = spec(
            APPS,
            "    apps:\n      - name: db\n        image: mariadb:11\n      - name: debug\n        image: busybox\n",
        );
        assert_eq!(
            spec["apps"],
            json!([
                {"name": "web", "image": "nginx", "replicas": 2},
                {"name": "db", "image": "mariadb:11"},
                {"name": "debug", "image": "busybox"},
            ])
        );
    }

    #[test]
    fn delete_removes_an_item_and_null_removes_a_key() {
        let spec = spec(
            APPS,
            "    apps:\n      - name: web\n        $delete: true\n      - name: db\n        image: null\n",
        );
        assert_eq!(spec["apps"], json!([{"name": "db"}]));
    }

    #[test]
    fn a_deleted_item_readded_later_is_the_new_item() {
        let spec = spec(
            APPS,
            "    apps:\n      - name: web\n        $delete: true\n      - name: web\n        image: caddy\n",
        );
        assert_eq!(
            spec["apps"],
            json!([{"name": "db", "image": "mariadb"}, {"name": "web", "image": "caddy"}])
        );
    }

    #[test]
    fn plain_lists_and_scalars_replace_and_maps_merge() {
        let spec = spec(
            "  apps:\n    - name: web\n      image: nginx\n      args: [a, b]\n      env: {A: '1', B: '2'}\n",
            "    apps:\n      - name: web\n        args: [c]\n        env: {B: '3', C: '4'}\n",
        );
        assert_eq!(spec["apps"][0]["args"], json!(["c"]));
        assert_eq!(
            spec["apps"][0]["env"],
            json!({"A": "1", "B": "3", "C": "4"})
        );
    }

    #[test]
    fn uses_entries_merge_by_the_config_they_name() {
        let spec = spec(
            "  apps:\n    - name: web\n      image: nginx\n      uses:\n        - configMap: info\n          mountPath: /a\n        - secret: db\n          env: {U: user}\n",
            "    apps:\n      - name: web\n        uses:\n          - configMap: info\n            mountPath: /b\n",
        );
        assert_eq!(
            spec["apps"][0]["uses"],
            json!([{"configMap": "info", "mountPath": "/b"}, {"secret": "db", "env": {"U": "user"}}])
        );
    }

    #[test]
    fn merged_fields_point_at_the_file_that_set_them() {
        let (_, spans) = merged(
            APPS,
            "    apps:\n      - name: web\n        $delete: true\n      - name: db\n        replicas: 3\n",
        )
        .unwrap();
        // db moved from index 1 to 0; its image comes from the blueprint, replicas from the patch.
        assert_eq!(
            spans.value("/spec/apps/0/image").unwrap().location(),
            "bp.yaml:11:14"
        );
        assert_eq!(
            spans.value("/spec/apps/0/replicas").unwrap().location(),
            "prod.yaml:12:19"
        );
        assert!(!spans.contains("/spec/apps/1"));
    }

    #[test]
    fn deleting_a_missing_item_is_an_error_at_the_overlay() {
        assert_eq!(
            error(
                APPS,
                "    apps:\n      - name: wbe\n        $delete: true\n"
            ),
            ("overlay-delete-missing".into(), "prod.yaml:10:9".into())
        );
    }

    #[test]
    fn changing_a_field_shape_is_an_error_pointing_at_both() {
        let errors = merged(APPS, "    apps: {web: {replicas: 3}}\n").unwrap_err();
        assert_eq!(errors[0].code, "overlay-type-change");
        assert_eq!(errors[0].location().unwrap(), "prod.yaml:8:11");
        assert_eq!(errors[0].secondary[0].0.location(), "bp.yaml:7:5");
    }

    #[test]
    fn delete_outside_a_named_list_is_an_error() {
        assert_eq!(
            error(
                APPS,
                "    apps:\n      - name: web\n        env: {$delete: true}\n"
            )
            .0,
            "overlay-delete-missing"
        );
        assert_eq!(
            error("  lint: {disable: []}\n", "    lint: {$delete: true}\n").0,
            "overlay-misplaced-delete"
        );
    }

    #[test]
    fn an_item_patched_twice_is_an_error() {
        assert_eq!(
            error(APPS, "    apps:\n      - name: web\n        replicas: 1\n      - name: web\n        replicas: 2\n").0,
            "overlay-duplicate-item"
        );
    }
}
