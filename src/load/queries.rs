//! Questions about a blueprint that several stages ask: which port a reference names, and
//! every file and secret value it refers to (read by the CLI before expansion, checked by
//! `check`, built into objects by `expand`).

use std::collections::BTreeMap;

use super::Loaded;
use super::blueprint::{App, FileContent, Port, PortRef, SecretSource};
use crate::json::escape_segment;

impl App {
    /// The app's port that a reference names, by name or number.
    pub fn port(&self, reference: &PortRef) -> Option<&Port> {
        self.ports.iter().find(|p| match reference {
            PortRef::Number(n) => p.port == *n,
            PortRef::Name(name) => p.name.as_deref() == Some(name.as_str()),
        })
    }
}

/// A file the blueprint refers to: where the reference stands and the path it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReference {
    pub pointer: String,
    pub path: String,
}

/// Every file the blueprint reads at render time (configMap files, app config files, raw
/// resources), so the caller can read them before expansion.
pub fn file_references(loaded: &Loaded) -> Vec<FileReference> {
    let spec = &loaded.blueprint.spec;
    let mut refs = Vec::new();
    let mut add_files = |base: String, files: &BTreeMap<String, FileContent>| {
        for (name, content) in files {
            if let FileContent::FromFile(f) = content {
                refs.push(FileReference {
                    pointer: format!("{base}/{}/fromFile", escape_segment(name)),
                    path: f.from_file.clone(),
                });
            }
        }
    };
    for (i, cm) in spec.config_maps.iter().enumerate() {
        add_files(format!("/spec/configMaps/{i}/files"), &cm.files);
    }
    for (i, app) in spec.apps.iter().enumerate() {
        if let Some(config) = &app.config {
            add_files(format!("/spec/apps/{i}/config/files"), &config.files);
        }
    }
    for (i, path) in spec.resources.iter().enumerate() {
        refs.push(FileReference {
            pointer: format!("/spec/resources/{i}"),
            path: path.clone(),
        });
    }
    refs
}

/// One place a secret value comes from: the JSON pointer of its entry and its source.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretReference {
    pub pointer: String,
    pub source: SecretSource,
}

/// Every secret value of the blueprint (`secrets[].data.*`, `apps[].secretEnv.*`), so the
/// caller can read them before expansion and the checks can look at each.
pub fn secret_references(loaded: &Loaded) -> Vec<SecretReference> {
    let spec = &loaded.blueprint.spec;
    let mut refs = Vec::new();
    for (i, secret) in spec.secrets.iter().enumerate() {
        for (key, source) in &secret.data {
            refs.push(SecretReference {
                pointer: format!("/spec/secrets/{i}/data/{}", escape_segment(key)),
                source: source.clone(),
            });
        }
    }
    for (i, app) in spec.apps.iter().enumerate() {
        for (key, source) in &app.secret_env {
            refs.push(SecretReference {
                pointer: format!("/spec/apps/{i}/secretEnv/{}", escape_segment(key)),
                source: source.clone(),
            });
        }
    }
    refs
}
