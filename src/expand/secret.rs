//! Secrets: the standalone ones (`spec.secrets`) and each app's own `<app>-secret`
//! (`secretEnv`), built from the values the CLI read beforehand ([`super::Inputs::secrets`]).
//! Every value goes into `data` (base64), so binary and multi-line values survive exactly.
//! These objects hold plain text only until `crate::secrets` encrypts the emitted files.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

use super::Expansion;
use super::labels::non_empty;
use crate::diagnostic::Diagnostic;
use crate::json::escape_segment;
use crate::load::blueprint::SecretSource;
use crate::model::{Object, field_path};

/// A secret value as read: overwritten when dropped, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> SecretBytes {
        SecretBytes(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes>)", self.0.len())
    }
}

/// The value of one entry, or a diagnostic at its source field.
fn value(x: &mut Expansion<'_>, pointer: &str, source: &SecretSource) -> Option<SecretBytes> {
    match x.inputs.secrets.get(pointer) {
        Some(Ok(bytes)) => Some(bytes.clone()),
        Some(Err(reason)) => {
            let (field, code, help) = if source.from_env.is_some() {
                (
                    "fromEnv",
                    "missing-env-var",
                    "export the variable before running kforge, or use `fromFile`",
                )
            } else {
                (
                    "fromFile",
                    "unreadable-file",
                    "paths are relative to the blueprint's directory and stay inside the repository",
                )
            };
            let at = format!("{pointer}/{field}");
            x.diagnostics.push(
                Diagnostic::error(code, reason.clone())
                    .path(field_path(&at))
                    .at(x.loaded.spans.value(&at), "this secret value")
                    .help(help),
            );
            None
        }
        None => None,
    }
}

fn build(
    x: &mut Expansion<'_>,
    entries: &BTreeMap<String, SecretSource>,
    base: &str,
) -> BTreeMap<String, ByteString> {
    let mut data = BTreeMap::new();
    for (key, source) in entries {
        let pointer = format!("{base}/{}", escape_segment(key));
        if let Some(bytes) = value(x, &pointer, source) {
            data.insert(key.clone(), ByteString(bytes.as_bytes().to_vec()));
        }
    }
    data
}

fn push(x: &mut Expansion<'_>, mut secret: Secret, name: &str, namespace: &str, origin: &str) {
    x.push(&secret, name, Some(namespace), origin);
    for bytes in secret.data.iter_mut().flat_map(|d| d.values_mut()) {
        bytes.0.zeroize();
    }
}

pub(super) fn expand(x: &mut Expansion<'_>) {
    let loaded = x.loaded;
    let spec = &loaded.blueprint.spec;
    for (i, secret) in spec.secrets.iter().enumerate() {
        let data = build(x, &secret.data, &format!("/spec/secrets/{i}/data"));
        let object = Secret {
            metadata: x
                .labels
                .meta(&secret.name, Some(&secret.namespace), &secret.name),
            type_: Some(secret.kind.clone()),
            data: non_empty(data),
            ..Default::default()
        };
        let origin = format!("/spec/secrets/{i}");
        push(x, object, &secret.name, &secret.namespace, &origin);
    }
    for (i, app) in spec.apps.iter().enumerate() {
        if app.secret_env.is_empty() {
            continue;
        }
        let name = format!("{}-secret", app.name);
        let data = build(x, &app.secret_env, &format!("/spec/apps/{i}/secretEnv"));
        let object = Secret {
            metadata: x.labels.meta(&name, Some(&app.namespace), &app.name),
            type_: Some("Opaque".to_owned()),
            data: non_empty(data),
            ..Default::default()
        };
        let origin = format!("/spec/apps/{i}/secretEnv");
        push(x, object, &name, &app.namespace, &origin);
    }
}

/// Overwrites the values of every Secret among `objects`, once they have been emitted.
pub fn forget_secret_values(objects: &mut [Object]) {
    fn wipe(value: &mut Value) {
        match value {
            Value::String(s) => s.zeroize(),
            Value::Array(items) => items.iter_mut().for_each(wipe),
            Value::Object(map) => map.values_mut().for_each(wipe),
            _ => {}
        }
    }
    for object in objects.iter_mut().filter(|o| o.is_secret()) {
        for field in ["data", "stringData"] {
            if let Some(value) = object.body.get_mut(field) {
                wipe(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_bytes_never_print_their_content() {
        let bytes = SecretBytes::new(b"hunter2".to_vec());
        assert_eq!(format!("{bytes:?}"), "SecretBytes(<7 bytes>)");
    }

    #[test]
    fn forgetting_wipes_secret_data_only() {
        let secret = Object {
            api_version: "v1".into(),
            kind: "Secret".into(),
            namespace: Some("web".into()),
            name: "db".into(),
            body: serde_json::json!({"data": {"password": "aHVudGVyMg=="}, "metadata": {"name": "db"}}),
            origin: String::new(),
        };
        let mut objects = [secret];
        forget_secret_values(&mut objects);
        assert_eq!(objects[0].body["data"]["password"], "");
        assert_eq!(objects[0].body["metadata"]["name"], "db");
    }
}
