//! Stage 3, expand: a checked blueprint -> typed Kubernetes objects (k8s-openapi and the
//! Calico types in [`crate::model::calico`]), each remembering the blueprint field it came from.
//!
//! Architecture invariant: expansion is pure. Files named by `fromFile` and `resources` are
//! read by the CLI beforehand and handed in as [`Inputs`]; nothing here touches the disk.
//! One expander per concept, each readable on one screen.

#[cfg(test)]
mod addons_tests;
mod calico;
mod config;
pub mod labels;
mod namespace;
mod raw;
mod rbac;
mod scaling;
mod secret;
mod service;
mod storage;
mod workload;

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::Resource;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

pub use labels::Labels;
pub use secret::{SecretBytes, forget_secret_values};

use crate::diagnostic::Diagnostic;
use crate::load::Loaded;
use crate::load::blueprint::FileContent;
use crate::model::{Object, field_path};

/// The contents of files the blueprint refers to, read by the caller, keyed by the path as
/// written in the blueprint. A missing entry means the file could not be read.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    pub files: BTreeMap<String, Result<String, String>>,
    /// Secret values by the JSON pointer of their entry (see [`secret_references`]), or why
    /// one could not be read.
    pub secrets: BTreeMap<String, Result<SecretBytes, String>>,
}

/// ConfigMap data by (namespace, name).
pub(crate) type ConfigData = BTreeMap<(String, String), BTreeMap<String, String>>;

/// Shared state of one expansion: the blueprint, its inputs and the objects so far.
pub(crate) struct Expansion<'a> {
    pub loaded: &'a Loaded,
    pub inputs: &'a Inputs,
    pub labels: Labels,
    /// The data of every ConfigMap expanded so far, by (namespace, name), for checksums.
    /// Borrowed by the per-app expansions, which run in parallel once every ConfigMap is in.
    pub configs: Cow<'a, ConfigData>,
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Expansion<'_> {
    pub fn push<T: Resource + Serialize>(
        &mut self,
        value: &T,
        name: &str,
        namespace: Option<&str>,
        origin: &str,
    ) {
        self.objects
            .push(Object::new(value, name, namespace, origin));
    }

    /// The content of a referenced file, or a diagnostic at the reference.
    pub fn file(&mut self, pointer: &str, path: &str) -> Option<String> {
        match self.inputs.files.get(path) {
            Some(Ok(text)) => Some(text.clone()),
            Some(Err(reason)) => {
                self.file_error(pointer, path, reason);
                None
            }
            None => {
                self.file_error(pointer, path, "it was not read");
                None
            }
        }
    }

    fn file_error(&mut self, pointer: &str, path: &str, reason: &str) {
        self.diagnostics.push(
            Diagnostic::error("unreadable-file", format!("cannot read `{path}`: {reason}"))
                .path(field_path(pointer))
                .at(self.loaded.spans.value(pointer), "this file")
                .help("paths are relative to the blueprint's directory"),
        );
    }

    /// The content of a configMap-like file entry: inline text or a referenced file.
    pub fn file_content(&mut self, pointer: &str, content: &FileContent) -> Option<String> {
        match content {
            FileContent::Inline(text) => Some(text.clone()),
            FileContent::FromFile(f) => self.file(&format!("{pointer}/fromFile"), &f.from_file),
        }
    }
}

/// Expands a checked blueprint into objects, or the diagnostics that stopped it.
pub fn expand(loaded: &Loaded, inputs: &Inputs) -> Result<Vec<Object>, Vec<Diagnostic>> {
    let mut x = Expansion {
        loaded,
        inputs,
        labels: Labels::new(&loaded.blueprint),
        configs: Cow::Owned(BTreeMap::new()),
        objects: Vec::new(),
        diagnostics: Vec::new(),
    };
    namespace::expand(&mut x);
    storage::expand(&mut x);
    config::expand(&mut x);
    secret::expand(&mut x);
    // Apps expand independently of each other: in parallel, each into its own buffers,
    // which are then appended in the blueprint's order.
    let apps = loaded.blueprint.spec.apps_by_name();
    let parts: Vec<(Vec<Object>, Vec<Diagnostic>)> = (0..loaded.blueprint.spec.apps.len())
        .into_par_iter()
        .map(|index| {
            let mut app = Expansion {
                loaded,
                inputs,
                labels: x.labels.clone(),
                configs: Cow::Borrowed(&*x.configs),
                objects: Vec::new(),
                diagnostics: Vec::new(),
            };
            workload::expand(&mut app, index);
            service::expand(&mut app, index);
            rbac::expand(&mut app, index);
            scaling::expand(&mut app, index);
            calico::expand_app(&mut app, &apps, index);
            (app.objects, app.diagnostics)
        })
        .collect();
    for (objects, diagnostics) in parts {
        x.objects.extend(objects);
        x.diagnostics.extend(diagnostics);
    }
    let labels = x.labels.clone();
    x.objects
        .extend(crate::addons::objects(&loaded.blueprint, &|app| {
            labels.all(app)
        }));
    crate::addons::patch(&loaded.blueprint, &mut x.objects);
    lint_allow_annotations(&mut x);
    calico::expand_global(&mut x);
    raw::expand(&mut x);
    duplicates(&mut x);
    if x.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(x.diagnostics);
    }
    Ok(x.objects)
}

/// An app's `lint.allow` travels with its objects as the `kforge.io/lint-allow` annotation,
/// so `kforge validate` of the output judges them as `render` did.
fn lint_allow_annotations(x: &mut Expansion<'_>) {
    let texts: Vec<String> = x
        .loaded
        .blueprint
        .spec
        .apps
        .iter()
        .map(|app| {
            app.lint.as_ref().map_or_else(String::new, |lint| {
                crate::lint::suppress::annotation(
                    lint.allow
                        .iter()
                        .map(|a| (a.rule.as_str(), a.reason.as_str())),
                )
            })
        })
        .collect();
    if texts.iter().all(String::is_empty) {
        return;
    }
    // One pass over the objects: an app's objects have an origin under `/spec/apps/<i>`.
    for object in &mut x.objects {
        let Some(text) = object
            .origin
            .strip_prefix("/spec/apps/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|index| index.parse::<usize>().ok())
            .and_then(|index| texts.get(index))
            .filter(|text| !text.is_empty())
        else {
            continue;
        };
        if let Some(metadata) = object
            .body
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        {
            let annotations = metadata
                .entry("annotations")
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Some(map) = annotations.as_object_mut() {
                map.insert(
                    crate::lint::suppress::ANNOTATION.to_owned(),
                    Value::String(text.clone()),
                );
            }
        }
    }
}

/// Two parts of the blueprint that yield the same object are an error at both.
fn duplicates(x: &mut Expansion<'_>) {
    let spans = &x.loaded.spans;
    for (first, again) in crate::model::duplicates(&x.objects) {
        let object = &x.objects[again];
        x.diagnostics.push(
            Diagnostic::error(
                "duplicate-object",
                format!(
                    "two parts of the blueprint produce {} `{}`",
                    object.kind, object.name
                ),
            )
            .path(field_path(&object.origin))
            .at(spans.key(&object.origin), "produces it again")
            .also(spans.key(&x.objects[first].origin), "first produced here")
            .help("rename one of them"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_parts_producing_one_object_are_an_error_at_both() {
        let text = "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: dup\nspec:\n  resources: [extra.yaml, other.yaml]\n  apps:\n    - {name: web, image: nginx:1.27.2, ports: [{port: 80}]}\n";
        let loaded = crate::load::load_blueprint(
            crate::diagnostic::SourceFile::new("dup.yaml", text.to_owned()),
            ".".into(),
        )
        .unwrap();
        // A raw Service that the app also yields, and a raw ConfigMap that is no one else's.
        let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n";
        let config =
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: default}\n";
        let inputs = Inputs {
            files: [("extra.yaml", service), ("other.yaml", config)]
                .into_iter()
                .map(|(path, text)| (path.to_owned(), Ok(text.to_owned())))
                .collect(),
            ..Default::default()
        };
        let diagnostics = expand(&loaded, &inputs).unwrap_err();
        let duplicates: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.code == "duplicate-object")
            .collect();
        assert_eq!(duplicates.len(), 1, "{diagnostics:?}");
        let rendered = duplicates[0].render(false);
        assert!(rendered.contains("two parts of the blueprint produce Service `web`"));
        assert!(rendered.contains("produces it again"), "{rendered}");
        assert!(rendered.contains("first produced here"), "{rendered}");
        // The raw manifest's entry, and the app's ports that made the Service first.
        assert!(rendered.contains("--> dup.yaml:6:15"), "{rendered}");
        assert_eq!(duplicates[0].path.as_deref(), Some("spec.resources[0]"));
    }

    #[test]
    fn raw_manifests_are_read_like_validate_reads_them() {
        let text = "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: raw\nspec:\n  resources: [a.yaml, b.yaml]\n";
        let loaded = crate::load::load_blueprint(
            crate::diagnostic::SourceFile::new("raw.yaml", text.to_owned()),
            ".".into(),
        )
        .unwrap();
        let list = "apiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: one}}\n";
        let twice = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\ndata: {a: x, a: y}\n";
        let inputs = |second: &str| Inputs {
            files: [("a.yaml", list), ("b.yaml", second)]
                .into_iter()
                .map(|(path, text)| (path.to_owned(), Ok(text.to_owned())))
                .collect(),
            ..Default::default()
        };
        let objects = expand(&loaded, &inputs("")).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].name, "one");
        assert_eq!(objects[0].origin, "/spec/resources/0");
        let diagnostics = expand(&loaded, &inputs(twice)).unwrap_err();
        assert_eq!(diagnostics[0].code, "invalid-manifest");
        assert!(
            diagnostics[0].message.contains("duplicate key `a`"),
            "{diagnostics:?}"
        );
    }
}
