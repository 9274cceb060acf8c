//! Secrets in a diff: compared by key and by value, shown by key only. A Secret in plain
//! text (a compilation before sealing) is compared value by value; a SOPS-encrypted one only
//! when an age identity opens it — its ciphertext differs on every encryption, so ciphertext
//! is never what is compared. Values are held as SHA-256 digests once read.

use std::collections::{BTreeMap, BTreeSet};

use age::x25519;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use yaml_rust2::{Yaml, YamlLoader};
use zeroize::Zeroizing;

use crate::model::artifact::ArtifactTree;
use crate::secrets::sops;

/// The fields of a Secret that hold values.
const VALUE_FIELDS: [&str; 2] = ["data", "stringData"];

/// Which keys of a Secret changed; never a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Keys on both sides whose values differ.
    pub changed: Vec<String>,
}

impl SecretChange {
    pub fn added(keys: Vec<String>) -> SecretChange {
        SecretChange {
            added: keys,
            ..SecretChange::default()
        }
    }

    pub fn removed(keys: Vec<String>) -> SecretChange {
        SecretChange {
            removed: keys,
            ..SecretChange::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// One line per group of keys: `added keys: a, b`.
    pub fn lines(&self) -> Vec<String> {
        [
            ("added keys", &self.added),
            ("removed keys", &self.removed),
            ("changed values", &self.changed),
        ]
        .into_iter()
        .filter(|(_, keys)| !keys.is_empty())
        .map(|(what, keys)| format!("{what}: {} (values hidden)", keys.join(", ")))
        .collect()
    }
}

/// The keys of one Secret and, where known, a digest of each value (`None`: encrypted and
/// no identity opens it).
pub struct SecretContent {
    keys: BTreeMap<String, Option<[u8; 32]>>,
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The value bytes of a `data` (base64) or `stringData` entry.
fn value_bytes(field: &str, value: &str) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(if field == "data" {
        STANDARD
            .decode(value.trim())
            .unwrap_or_else(|_| value.as_bytes().to_vec())
    } else {
        value.as_bytes().to_vec()
    })
}

impl SecretContent {
    /// Reads a Secret: `value` is its parsed document, `text` its file.
    pub fn read(text: &str, value: &Value, identities: &[x25519::Identity]) -> SecretContent {
        let mut keys = BTreeMap::new();
        if value.get("sops").is_none() {
            for field in VALUE_FIELDS {
                for (key, v) in value
                    .get(field)
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let v = v.as_str().unwrap_or_default();
                    keys.insert(key.clone(), Some(digest(&value_bytes(field, v))));
                }
            }
            return SecretContent { keys };
        }
        for field in VALUE_FIELDS {
            for key in value
                .get(field)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                keys.insert(key.0.clone(), None);
            }
        }
        let opened = YamlLoader::load_from_str(text)
            .ok()
            .and_then(|docs| docs.into_iter().next())
            .and_then(|doc| sops::decrypt(&doc, identities).ok());
        if let Some(opened) = opened {
            for field in VALUE_FIELDS {
                if let Yaml::Hash(map) = &opened.plain[field] {
                    for (key, v) in map {
                        if let (Some(key), Some(v)) = (key.as_str(), v.as_str()) {
                            keys.insert(key.to_owned(), Some(digest(&value_bytes(field, v))));
                        }
                    }
                }
            }
        }
        SecretContent { keys }
    }

    /// Whether every value is known.
    pub fn is_known(&self) -> bool {
        self.keys.values().all(Option::is_some)
    }

    pub fn keys(&self) -> Vec<String> {
        self.keys.keys().cloned().collect()
    }

    /// The keys and value digests as one text, to tell equal Secrets apart from others.
    pub fn fingerprint(&self) -> String {
        self.keys
            .iter()
            .map(|(k, v)| {
                let hex: String = v.iter().flatten().map(|b| format!("{b:02x}")).collect();
                format!("{k}={hex};")
            })
            .collect()
    }

    /// What changed from `self` to `after`; a value that either side cannot read is not
    /// reported as changed.
    pub fn compare(&self, after: &SecretContent) -> SecretChange {
        let mut change = SecretChange::default();
        let names: BTreeSet<&String> = self.keys.keys().chain(after.keys.keys()).collect();
        for key in names {
            match (self.keys.get(key), after.keys.get(key)) {
                (None, Some(_)) => change.added.push(key.clone()),
                (Some(_), None) => change.removed.push(key.clone()),
                (Some(Some(a)), Some(Some(b))) if a != b => change.changed.push(key.clone()),
                _ => {}
            }
        }
        change
    }
}

/// Drops what of a Secret document is compared as values, not as fields: `data`,
/// `stringData` and the SOPS metadata.
pub fn strip(value: &mut Value) {
    if let Some(map) = value.as_object_mut() {
        for field in VALUE_FIELDS.iter().chain(&["sops"]) {
            map.remove(*field);
        }
    }
}

/// The plain values of every Secret of the compared trees, so that a diff of any other file
/// never shows one (a node file that embeds a token, say).
#[derive(Default)]
pub struct Values {
    values: Vec<Zeroizing<String>>,
}

/// Values shorter than this are not masked: they would mask common words.
const SHORTEST_MASKED: usize = 6;

impl Values {
    /// Adds the plain values of the Secret artifacts of a tree (encrypted ones add nothing).
    pub fn collect(&mut self, tree: &ArtifactTree) {
        for (_, artifact) in tree.iter().filter(|(_, a)| a.kind.is_secret()) {
            let Some(text) = artifact.text() else {
                continue;
            };
            if text.lines().any(|l| l.starts_with("sops:")) {
                continue;
            }
            let Ok(objects) = crate::model::manifest::objects(text) else {
                continue;
            };
            for object in objects {
                for field in VALUE_FIELDS {
                    let entries = object.body.get(field).and_then(Value::as_object);
                    for v in entries
                        .into_iter()
                        .flatten()
                        .filter_map(|(_, v)| v.as_str())
                    {
                        let bytes = value_bytes(field, v);
                        if let Ok(text) = std::str::from_utf8(&bytes) {
                            for piece in std::iter::once(text).chain(text.lines()) {
                                if piece.trim().len() >= SHORTEST_MASKED {
                                    self.values.push(Zeroizing::new(piece.trim().to_owned()));
                                }
                            }
                        }
                        if v.len() >= SHORTEST_MASKED {
                            self.values.push(Zeroizing::new(v.to_owned()));
                        }
                    }
                }
            }
        }
    }

    /// `text` with every known value replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        // Longest first, so that a value containing another is masked whole.
        let mut values: Vec<&str> = self.values.iter().map(|v| v.as_str()).collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        values.dedup();
        for value in values {
            if out.contains(value) {
                out = out.replace(value, "***");
            }
        }
        out
    }
}
