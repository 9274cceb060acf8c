//! The strict schemas embedded in the binary, one file per supported Kubernetes minor
//! (`schemas/k8s/v1.XX.json`, written by `scripts/gen-schemas.sh`), parsed on first use and
//! joined by the Calico kinds kforge derives from its own types ([`super::calico`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The Kubernetes minors kforge has schemas for; the first is the default.
pub const SUPPORTED_VERSIONS: &[&str] = &["1.33", "1.34", "1.35"];

/// The version used when a blueprint or the command line names none.
pub const DEFAULT_VERSION: &str = crate::model::DEFAULT_KUBERNETES_VERSION;

const EMBEDDED: &[(&str, &str)] = &[
    ("1.33", include_str!("../../schemas/k8s/v1.33.json")),
    ("1.34", include_str!("../../schemas/k8s/v1.34.json")),
    ("1.35", include_str!("../../schemas/k8s/v1.35.json")),
];

/// The committed text of one version's schema file (for the staleness test and tooling).
pub fn embedded_text(version: &str) -> Option<&'static str> {
    EMBEDDED
        .iter()
        .find(|(v, _)| *v == version)
        .map(|(_, t)| *t)
}

/// A supported version by name (`"1.33"`; a leading `v` and a patch level are accepted), or
/// an error that names the supported set.
pub fn supported_version(requested: &str) -> Result<&'static str, String> {
    let trimmed = requested.trim().trim_start_matches('v');
    let minor = match trimmed.splitn(3, '.').collect::<Vec<_>>().as_slice() {
        [major, minor] | [major, minor, _] => format!("{major}.{minor}"),
        _ => trimmed.to_owned(),
    };
    SUPPORTED_VERSIONS
        .iter()
        .find(|v| **v == minor)
        .copied()
        .ok_or_else(|| {
            format!(
                "Kubernetes {requested} is not supported; kforge has schemas for {}",
                SUPPORTED_VERSIONS.join(", ")
            )
        })
}

/// What the schema file says about one kind.
#[derive(Debug, Clone)]
pub struct KindInfo {
    /// The name of its definition in `$defs`.
    pub definition: String,
    pub namespaced: bool,
}

/// One version's kinds and the definitions they share.
#[derive(Debug)]
pub struct SchemaSet {
    pub version: &'static str,
    /// Keyed by (`apiVersion`, `kind`).
    pub kinds: HashMap<(String, String), KindInfo>,
    pub definitions: Map<String, Value>,
}

impl SchemaSet {
    /// The parsed schemas of a supported version.
    pub fn get(version: &str) -> Option<&'static SchemaSet> {
        static SETS: [OnceLock<Option<SchemaSet>>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let index = EMBEDDED.iter().position(|(v, _)| *v == version)?;
        SETS.get(index)?
            .get_or_init(|| {
                let (version, text) = EMBEDDED.get(index)?;
                parse(version, text)
            })
            .as_ref()
    }

    pub fn kind(&self, api_version: &str, kind: &str) -> Option<&KindInfo> {
        self.kinds.get(&(api_version.to_owned(), kind.to_owned()))
    }

    /// The API versions at which `kind` exists, sorted.
    pub fn versions_of(&self, kind: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .kinds
            .keys()
            .filter(|(_, k)| k == kind)
            .map(|(v, _)| v.as_str())
            .collect();
        out.sort_unstable();
        out
    }

    /// Every kind name, sorted and deduplicated (for did-you-mean).
    pub fn kind_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.kinds.keys().map(|(_, k)| k.as_str()).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn parse(version: &'static str, text: &str) -> Option<SchemaSet> {
    let mut value: Value = serde_json::from_str(text).ok()?;
    let definitions = match value.get_mut("$defs")?.take() {
        Value::Object(map) => map,
        _ => return None,
    };
    let mut kinds: HashMap<(String, String), KindInfo> = value
        .get("kinds")?
        .as_object()?
        .iter()
        .filter_map(|(key, info)| {
            let (api_version, kind) = key.split_once(' ')?;
            Some((
                (api_version.to_owned(), kind.to_owned()),
                KindInfo {
                    definition: info.get("definition")?.as_str()?.to_owned(),
                    namespaced: info.get("namespaced")?.as_bool()?,
                },
            ))
        })
        .collect();
    let mut definitions = definitions;
    add_calico(&mut kinds, &mut definitions);
    Some(SchemaSet {
        version,
        kinds,
        definitions,
    })
}

/// Adds the Calico kinds and definitions (derived from kforge's own types) to one version's
/// tables.
fn add_calico(
    kinds: &mut HashMap<(String, String), KindInfo>,
    definitions: &mut Map<String, Value>,
) {
    let calico = super::calico::schemas();
    for kind in &calico.kinds {
        kinds.insert(
            (kind.api_version.to_owned(), kind.kind.to_owned()),
            KindInfo {
                definition: kind.definition.clone(),
                namespaced: kind.namespaced,
            },
        );
    }
    definitions.extend(calico.definitions.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_version_parses_and_knows_its_core_kinds() {
        for version in SUPPORTED_VERSIONS {
            let set = SchemaSet::get(version).unwrap();
            let deployment = set.kind("apps/v1", "Deployment").unwrap();
            assert!(deployment.namespaced);
            assert!(!set.kind("v1", "Namespace").unwrap().namespaced);
            assert!(
                set.kind("projectcalico.org/v3", "GlobalNetworkPolicy")
                    .is_some()
            );
            assert!(set.definitions.contains_key(&deployment.definition));
        }
    }

    #[test]
    fn versions_are_named_as_users_write_them() {
        assert_eq!(supported_version("1.34"), Ok("1.34"));
        assert_eq!(supported_version("v1.35.2"), Ok("1.35"));
        assert_eq!(
            supported_version("1.20"),
            Err("Kubernetes 1.20 is not supported; kforge has schemas for 1.33, 1.34, 1.35".into())
        );
    }
}
