//! ConfigMaps: the standalone ones, and each app's own `<app>-config`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use sha2::{Digest, Sha256};

use super::Expansion;
use super::labels::non_empty;
use crate::load::blueprint::App;

/// The data of an app's own ConfigMap: its `env` keys and its files.
pub(crate) fn app_config_data(
    x: &mut Expansion<'_>,
    index: usize,
    app: &App,
) -> Option<BTreeMap<String, String>> {
    let config = app.config.as_ref()?;
    let mut data = config.env.clone();
    for (name, content) in &config.files {
        let pointer = format!(
            "/spec/apps/{index}/config/files/{}",
            crate::json::escape_segment(name)
        );
        if let Some(text) = x.file_content(&pointer, content) {
            data.insert(name.clone(), text);
        }
    }
    Some(data)
}

/// The name of an app's own ConfigMap.
pub(crate) fn app_config_name(app: &App) -> String {
    format!("{}-config", app.name)
}

/// A stable digest of configuration data, for the pod template annotation that rolls pods
/// when the configuration changes.
pub(crate) fn checksum<'a>(
    parts: impl IntoIterator<Item = &'a BTreeMap<String, String>>,
) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        for (key, value) in part {
            hasher.update((key.len() as u64).to_le_bytes());
            hasher.update(key.as_bytes());
            hasher.update((value.len() as u64).to_le_bytes());
            hasher.update(value.as_bytes());
        }
        hasher.update([0xff]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The data of a standalone ConfigMap, files included.
pub(crate) fn standalone_data(x: &mut Expansion<'_>, index: usize) -> BTreeMap<String, String> {
    let cm = &x.loaded.blueprint.spec.config_maps[index];
    let mut data = cm.data.clone();
    let files = cm.files.clone();
    for (name, content) in &files {
        let pointer = format!(
            "/spec/configMaps/{index}/files/{}",
            crate::json::escape_segment(name)
        );
        if let Some(text) = x.file_content(&pointer, content) {
            data.insert(name.clone(), text);
        }
    }
    data
}

pub(super) fn expand(x: &mut Expansion<'_>) {
    let loaded = x.loaded;
    let spec = &loaded.blueprint.spec;
    for (i, cm) in spec.config_maps.iter().enumerate() {
        let data = standalone_data(x, i);
        x.configs
            .to_mut()
            .insert((cm.namespace.clone(), cm.name.clone()), data.clone());
        let object = ConfigMap {
            metadata: x.labels.meta(&cm.name, Some(&cm.namespace), &cm.name),
            data: non_empty(data),
            ..Default::default()
        };
        x.push(
            &object,
            &cm.name,
            Some(&cm.namespace),
            &format!("/spec/configMaps/{i}"),
        );
    }
    for (i, app) in spec.apps.iter().enumerate() {
        let Some(data) = app_config_data(x, i, app) else {
            continue;
        };
        let name = app_config_name(app);
        x.configs
            .to_mut()
            .insert((app.namespace.clone(), name.clone()), data.clone());
        let object = ConfigMap {
            metadata: x.labels.meta(&name, Some(&app.namespace), &app.name),
            data: non_empty(data),
            ..Default::default()
        };
        x.push(
            &object,
            &name,
            Some(&app.namespace),
            &format!("/spec/apps/{i}/config"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_changes_with_any_byte_and_with_key_boundaries() {
        let a = BTreeMap::from([("k".to_owned(), "v1".to_owned())]);
        let b = BTreeMap::from([("k".to_owned(), "v2".to_owned())]);
        let c = BTreeMap::from([("kv".to_owned(), "1".to_owned())]);
        assert_ne!(checksum([&a]), checksum([&b]));
        assert_ne!(checksum([&a]), checksum([&c]));
        assert_eq!(checksum([&a]), checksum([&a.clone()]));
    }
}
