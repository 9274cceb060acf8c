//! Stage 4, validate: every object against the strict schema of its kind at one Kubernetes
//! minor (unknown fields, wrong types, missing required fields, bad enum values, removed API
//! versions, unknown kinds), as [`Finding`]s with the JSON pointer of the field.
//!
//! Architecture invariant: pure. The schemas are embedded in the binary ([`schemas`]), the
//! Calico ones derived from kforge's own types ([`calico`]); user CRDs are handed in as parsed
//! values. One [`Validator`] compiles each kind's schema once, on
//! first use, and is shared across threads.

pub mod calico;
pub mod crd;
pub mod locate;
mod nulls;
pub mod removed;
pub mod render;
pub mod schemas;
pub mod semantic;
pub mod strict;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::finding::Finding;
use crate::json::unescape_segment;
use crate::model::Object;
use crate::model::violation::{self, Words};
use crate::suggest;
pub use crd::CrdKind;
pub use schemas::{DEFAULT_VERSION, SUPPORTED_VERSIONS, SchemaSet, supported_version};

/// The rule of a schema violation.
pub const SCHEMA: &str = "schema";
/// The rule of an API version Kubernetes no longer serves.
pub const REMOVED_API: &str = "removed-api";
/// The rule of a kind kforge has no schema for.
pub const UNKNOWN_KIND: &str = "unknown-kind";

type KindKey = (String, String);

/// Validates objects against one Kubernetes minor's schemas plus any user CRDs.
pub struct Validator {
    set: &'static SchemaSet,
    custom: HashMap<KindKey, CrdKind>,
    ignore_missing_schemas: bool,
    compiled: Mutex<HashMap<KindKey, Arc<OnceLock<Option<Compiled>>>>>,
}

/// One kind's schema, ready to validate with.
struct Compiled {
    validator: jsonschema::Validator,
    /// The schema the validator was built from, to find allowed names for did-you-mean.
    root: Value,
}

impl Validator {
    /// A validator for a supported version (see [`supported_version`]).
    pub fn new(version: &str) -> Result<Validator, String> {
        let version = supported_version(version)?;
        let set = SchemaSet::get(version)
            .ok_or_else(|| format!("the embedded schemas of Kubernetes {version} are broken"))?;
        Ok(Validator {
            set,
            custom: HashMap::new(),
            ignore_missing_schemas: false,
            compiled: Mutex::new(HashMap::new()),
        })
    }

    /// Adds the kinds of user CRDs; they take precedence over the built-in schemas.
    pub fn with_crds(mut self, kinds: impl IntoIterator<Item = CrdKind>) -> Validator {
        for kind in kinds {
            self.custom
                .insert((kind.api_version.clone(), kind.kind.clone()), kind);
        }
        self
    }

    /// Objects of kinds without a schema pass instead of failing with `unknown-kind`.
    pub fn ignore_missing_schemas(mut self, ignore: bool) -> Validator {
        self.ignore_missing_schemas = ignore;
        self
    }

    pub fn version(&self) -> &'static str {
        self.set.version
    }

    /// Whether a kind lives in a namespace; `None` when kforge has no schema for it.
    pub fn is_namespaced(&self, api_version: &str, kind: &str) -> Option<bool> {
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(custom) = self.custom.get(&key) {
            return Some(custom.namespaced);
        }
        self.set.kind(api_version, kind).map(|k| k.namespaced)
    }

    /// Every finding about one object; `index` is stored in the findings.
    pub fn validate(&self, index: usize, object: &Value) -> Vec<Finding> {
        let text = |field: &str| object.get(field).and_then(Value::as_str);
        let Some(map) = object.as_object() else {
            return vec![Finding::error(
                SCHEMA,
                index,
                format!(
                    "a Kubernetes object must be a mapping, not {}",
                    violation::describe(object)
                ),
            )];
        };
        let (Some(api_version), Some(kind)) = (text("apiVersion"), text("kind")) else {
            let missing = if map.get("apiVersion").and_then(Value::as_str).is_none() {
                "apiVersion"
            } else {
                "kind"
            };
            return vec![
                Finding::error(SCHEMA, index, format!("missing required field `{missing}`"))
                    .help("every Kubernetes object needs `apiVersion` and `kind` strings"),
            ];
        };
        if is_tool_configuration(object) {
            return Vec::new();
        }
        if let Some(gone) = removed::removed_api(api_version, kind, self.set.version) {
            return vec![
                Finding::error(REMOVED_API, index, gone.message())
                    .at("/apiVersion")
                    .help(gone.help()),
            ];
        }
        // A SOPS-encrypted manifest carries its metadata in a top-level `sops` field, which
        // decryption (Flux, KSOPS, `sops -d`) removes before the object reaches the cluster.
        if map.contains_key("sops") {
            let mut plain = map.clone();
            plain.remove("sops");
            return self.validate(index, &Value::Object(plain));
        }
        let Some(cell) = self.compiled(api_version, kind) else {
            if self.ignore_missing_schemas {
                return Vec::new();
            }
            return vec![self.unknown_kind(index, api_version, kind)];
        };
        let Some(compiled) = cell.get().and_then(Option::as_ref) else {
            return vec![Finding::error(
                SCHEMA,
                index,
                format!("the schema of {api_version} {kind} does not compile"),
            )];
        };
        let stripped = nulls::without_nulls(object);
        let instance = stripped.as_ref().unwrap_or(object);
        let defaulted = semantic::defaults::with_server_defaults(api_version, kind, instance);
        let instance = defaulted.as_ref();
        if compiled.validator.is_valid(instance) {
            // What the server judges beyond the schema, once the types are known to hold.
            return semantic::check(index, api_version, kind, instance);
        }
        let mut messages = Vec::new();
        for error in compiled.validator.iter_errors(instance) {
            violation::translate(&compiled.root, &error, Words::Manifest, &mut messages);
        }
        let mut out: Vec<Finding> = messages
            .into_iter()
            .map(|m| Finding {
                help: m.help,
                ..Finding::error(SCHEMA, index, m.text).at(m.pointer)
            })
            .collect();
        out.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
        out.dedup();
        out
    }

    fn unknown_kind(&self, index: usize, api_version: &str, kind: &str) -> Finding {
        let version = self.set.version;
        let finding = Finding::error(
            UNKNOWN_KIND,
            index,
            format!("Kubernetes {version} has no kind {kind} at apiVersion {api_version}"),
        );
        let versions = self.set.versions_of(kind);
        if !versions.is_empty() {
            return finding
                .at("/apiVersion")
                .help(format!("{kind} exists at: {}", versions.join(", ")));
        }
        let names = self.set.kind_names();
        let help = match suggest::did_you_mean(kind, names.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => "for a custom resource, pass its CustomResourceDefinition with --crd, or use --ignore-missing-schemas".to_owned(),
        };
        finding.at("/kind").help(help)
    }

    /// Compiles the schemas of these kinds now (in parallel), so that a later validation
    /// finds them ready; unknown kinds are skipped.
    pub fn warm(&self, kinds: &[(&str, &str)]) {
        kinds.par_iter().for_each(|(api_version, kind)| {
            let _ = self.compiled(api_version, kind);
        });
    }

    /// The compiled schema of a kind, compiled on first use; `None` when there is no schema,
    /// `Some(None)` when it does not compile.
    fn compiled(&self, api_version: &str, kind: &str) -> Option<Arc<OnceLock<Option<Compiled>>>> {
        let key = (api_version.to_owned(), kind.to_owned());
        let custom = self.custom.get(&key);
        let builtin = self.set.kind(api_version, kind);
        if custom.is_none() && builtin.is_none() {
            return None;
        }
        let cell = {
            let mut map = self
                .compiled
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(key).or_default().clone()
        };
        cell.get_or_init(|| {
            let root = self.standalone_schema(api_version, kind)?;
            let validator = jsonschema::validator_for(&root).ok()?;
            Some(Compiled { validator, root })
        });
        Some(cell)
    }

    /// A kind's strict schema as one self-contained JSON Schema document (draft 2020-12,
    /// with the definitions it uses under `$defs`): what kforge validates that kind against.
    /// `None` when there is no schema for it. Also written out for other validators
    /// (`examples/standalone_schemas.rs`, for kubeconform in `scripts/bench.sh`).
    pub fn standalone_schema(&self, api_version: &str, kind: &str) -> Option<Value> {
        let key = (api_version.to_owned(), kind.to_owned());
        let mut root = match (self.custom.get(&key), self.set.kind(api_version, kind)) {
            (Some(custom), _) => custom.schema.clone(),
            (None, Some(info)) => json!({"$ref": format!("#/$defs/{}", info.definition)}),
            (None, None) => return None,
        };
        let used = reachable_definitions(&root, &self.set.definitions);
        if let Some(object) = root.as_object_mut() {
            object.insert(
                "$schema".into(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
            object.insert("$defs".into(), Value::Object(used));
        }
        Some(root)
    }

    /// Every built-in kind of this version, as (apiVersion, kind), sorted.
    pub fn builtin_kinds(&self) -> Vec<(&str, &str)> {
        let mut kinds: Vec<(&str, &str)> = self
            .set
            .kinds
            .keys()
            .map(|(v, k)| (v.as_str(), k.as_str()))
            .collect();
        kinds.sort_unstable();
        kinds
    }
}

/// The definitions a schema refers to, directly or through each other: compiling one kind
/// with only these, instead of every definition of the version, is several times cheaper.
fn reachable_definitions(schema: &Value, definitions: &Map<String, Value>) -> Map<String, Value> {
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let target = value.as_str().filter(|_| key == "$ref");
                    match target.and_then(|t| t.strip_prefix("#/$defs/")) {
                        Some(name) => out.push(unescape_segment(name).into_owned()),
                        None => refs(value, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut used = Map::new();
    let mut pending = Vec::new();
    refs(schema, &mut pending);
    while let Some(name) = pending.pop() {
        if used.contains_key(&name) {
            continue;
        }
        if let Some(definition) = definitions.get(&name) {
            refs(definition, &mut pending);
            used.insert(name, definition.clone());
        }
    }
    used
}

/// Whether a document is configuration for a tool rather than an object for the cluster: a
/// kustomization.yaml (kforge writes one per tree, read by kustomize) or a node's
/// kubeadm/kubelet configuration (`nodes/<node>/kubeadm.yaml`, read by kubeadm).
pub fn is_tool_configuration(object: &Value) -> bool {
    const GROUPS: [&str; 3] = [
        "kustomize.config.k8s.io/",
        "kubeadm.k8s.io/",
        "kubelet.config.k8s.io/",
    ];
    object
        .get("apiVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| GROUPS.iter().any(|g| v.starts_with(g)))
}

/// Whether a finding is best shown at the field's key (an unknown field: the name is wrong)
/// rather than at its value (a wrong value).
pub fn points_at_key(finding: &Finding) -> bool {
    finding.message.starts_with(violation::UNKNOWN_FIELD)
}

/// Validates every object of a set; findings carry the object's index in `objects`.
pub fn validate_objects(validator: &Validator, objects: &[Object]) -> Vec<Finding> {
    objects
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, object)| validator.validate(i, &object.body))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(object: Value) -> Vec<(String, &'static str, String, Option<String>)> {
        Validator::new("1.33")
            .unwrap()
            .validate(0, &object)
            .into_iter()
            .map(|f| (f.pointer, f.rule, f.message, f.help))
            .collect()
    }

    fn deployment(spec: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": spec})
    }

    fn template() -> Value {
        json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}})
    }

    #[test]
    fn a_valid_deployment_passes() {
        let object = deployment(
            json!({"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template()}),
        );
        assert_eq!(findings(object), vec![]);
    }

    #[test]
    fn an_unknown_field_suggests_the_right_one() {
        let object = deployment(
            json!({"replcas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template()}),
        );
        assert_eq!(
            findings(object),
            vec![(
                "/spec/replcas".into(),
                SCHEMA,
                "unknown field `replcas`".into(),
                Some("did you mean `replicas`?".into())
            )]
        );
    }

    #[test]
    fn wrong_types_missing_fields_and_bad_enums_are_named() {
        let mut template = template();
        template["spec"]["containers"][0]["imagePullPolicy"] = json!("Allways");
        template["spec"]["containers"][0]["ports"] = json!([{"containerPort": "80"}]);
        let object = deployment(json!({"template": template}));
        let found = findings(object);
        let summary: Vec<(&str, &str)> = found
            .iter()
            .map(|(p, _, m, _)| (p.as_str(), m.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("/spec", "missing required field `selector`"),
                (
                    "/spec/template/spec/containers/0/imagePullPolicy",
                    "`Allways` is not one of Always, IfNotPresent, Never"
                ),
                (
                    "/spec/template/spec/containers/0/ports/0/containerPort",
                    "expected integer, found string \"80\""
                ),
            ]
        );
        assert_eq!(found[1].3.as_deref(), Some("did you mean `Always`?"));
    }

    #[test]
    fn removed_apis_name_their_replacement() {
        let object = json!({"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "x"}});
        assert_eq!(
            findings(object),
            vec![(
                "/apiVersion".into(),
                REMOVED_API,
                "extensions/v1beta1 Ingress was removed in Kubernetes 1.22".into(),
                Some("use apiVersion: networking.k8s.io/v1".into())
            )]
        );
    }

    #[test]
    fn unknown_kinds_fail_unless_ignored() {
        let object =
            json!({"apiVersion": "apps/v2", "kind": "Deployment", "metadata": {"name": "x"}});
        let found = findings(object.clone());
        assert_eq!(found[0].1, UNKNOWN_KIND);
        assert_eq!(found[0].3.as_deref(), Some("Deployment exists at: apps/v1"));
        let kustomization =
            json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"});
        assert_eq!(findings(kustomization), vec![]);
        let ignoring = Validator::new("1.33").unwrap().ignore_missing_schemas(true);
        assert!(ignoring.validate(0, &object).is_empty());
    }

    #[test]
    fn nulls_count_as_absent() {
        let object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "creationTimestamp": null}, "data": {"a": "b"}});
        assert_eq!(findings(object), vec![]);
    }

    #[test]
    fn custom_resources_follow_their_crd() {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget"},
                "versions": [{"name": "v1", "served": true, "schema": {"openAPIV3Schema": {
                    "type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}
        });
        let validator = Validator::new("1.33")
            .unwrap()
            .with_crds(crd::crd_kinds(&crd).unwrap());
        let good = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}});
        assert!(validator.validate(0, &good).is_empty());
        let bad = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labls": {}}, "spec": {"sise": 3}});
        let pointers: Vec<String> = validator
            .validate(0, &bad)
            .into_iter()
            .map(|f| f.pointer)
            .collect();
        assert_eq!(pointers, vec!["/metadata/labls", "/spec/sise"]);
    }
}
