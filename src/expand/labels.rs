//! The standard labels every generated object carries, and the stable subset selectors use.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use crate::load::blueprint::Blueprint;

pub const NAME: &str = "app.kubernetes.io/name";
pub const PART_OF: &str = "app.kubernetes.io/part-of";
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// Label sets derived from the blueprint.
#[derive(Debug, Clone)]
pub struct Labels {
    blueprint: String,
    extra: BTreeMap<String, String>,
}

impl Labels {
    pub fn new(blueprint: &Blueprint) -> Self {
        Labels {
            blueprint: blueprint.metadata.name.clone(),
            extra: blueprint.metadata.labels.clone(),
        }
    }

    /// Every label of an object named (or belonging to an app named) `name`.
    pub fn all(&self, name: &str) -> BTreeMap<String, String> {
        let mut labels = self.extra.clone();
        labels.insert(NAME.into(), name.into());
        labels.insert(PART_OF.into(), self.blueprint.clone());
        labels.insert(MANAGED_BY.into(), "kforge".into());
        labels
    }

    /// The labels selectors match on: stable across releases, so never the image or version.
    pub fn selector(&self, name: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (NAME.into(), name.into()),
            (PART_OF.into(), self.blueprint.clone()),
        ])
    }

    pub fn label_selector(&self, name: &str) -> LabelSelector {
        LabelSelector {
            match_labels: Some(self.selector(name)),
            ..Default::default()
        }
    }

    /// The same selector in Calico's selector language.
    pub fn calico_selector(&self, name: &str) -> String {
        format!("{NAME} == '{name}' && {PART_OF} == '{}'", self.blueprint)
    }

    /// Object metadata with the standard labels; `namespace` is `None` for cluster scope.
    pub fn meta(&self, name: &str, namespace: Option<&str>, app: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: namespace.map(str::to_owned),
            labels: Some(self.all(app)),
            ..Default::default()
        }
    }
}

/// `Some(map)` unless the map is empty, so empty maps are never emitted.
pub fn non_empty<K: Ord, V>(map: BTreeMap<K, V>) -> Option<BTreeMap<K, V>> {
    (!map.is_empty()).then_some(map)
}

/// `Some(vec)` unless the vec is empty, so empty lists are never emitted.
pub fn non_empty_vec<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}
