//! Validation on every render: the expanded objects of a blueprint against the schemas of its
//! `spec.kubernetesVersion`, each finding placed on the blueprint line the object came from,
//! or, for raw `spec.resources` manifests, on the manifest's own line.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::locate::positions;
use super::{DEFAULT_VERSION, SUPPORTED_VERSIONS, Validator, supported_version};
use crate::diagnostic::{Diagnostic, Severity, SourceFile, Span};
use crate::expand::Inputs;
use crate::finding::Finding;
use crate::json::At;
use crate::load::Loaded;
use crate::model::Object;
use crate::model::field_path;
use crate::model::manifest::parse_manifests;

/// The kinds kforge's own expansion emits.
const EMITTED_KINDS: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("v1", "PersistentVolume"),
    ("v1", "PersistentVolumeClaim"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("networking.k8s.io/v1", "Ingress"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("projectcalico.org/v3", "NetworkPolicy"),
    ("projectcalico.org/v3", "GlobalNetworkPolicy"),
];

/// Compiles the schemas of every kind kforge emits for the default Kubernetes version, on a
/// background thread: `render` starts it before parsing (which runs on one core), so the
/// second core has the validators ready when the objects arrive. A blueprint that targets
/// another version simply compiles its own on first use.
pub fn warm_up_in_background() {
    std::thread::spawn(|| {
        if let Ok(validator) = shared_validator(DEFAULT_VERSION) {
            validator.warm(EMITTED_KINDS);
        }
    });
}

/// One shared validator per supported version, so each kind compiles once per process.
pub fn shared_validator(version: &str) -> Result<&'static Validator, String> {
    static VALIDATORS: [OnceLock<Result<Validator, String>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let version = supported_version(version)?;
    let index = SUPPORTED_VERSIONS
        .iter()
        .position(|v| *v == version)
        .unwrap_or(0);
    VALIDATORS
        .get(index)
        .ok_or_else(|| format!("no validator slot for Kubernetes {version}"))?
        .get_or_init(|| Validator::new(version))
        .as_ref()
        .map_err(Clone::clone)
}

/// Every schema finding about a blueprint's objects, as diagnostics.
pub fn diagnostics(loaded: &Loaded, inputs: &Inputs, objects: &[Object]) -> Vec<Diagnostic> {
    let requested = loaded
        .blueprint
        .spec
        .kubernetes_version
        .as_deref()
        .unwrap_or(DEFAULT_VERSION);
    let validator = match shared_validator(requested) {
        Ok(validator) => validator,
        Err(message) => {
            let pointer = "/spec/kubernetesVersion";
            return vec![
                Diagnostic::error("unsupported-version", message)
                    .path(field_path(pointer))
                    .at(loaded.spans.value(pointer), "this version")
                    .help(format!("use one of {}", SUPPORTED_VERSIONS.join(", "))),
            ];
        }
    };
    super::validate_objects(validator, objects)
        .into_iter()
        .filter_map(|finding| {
            let object = objects.get(finding.object)?;
            Some(diagnostic(loaded, inputs, object, &finding))
        })
        .collect()
}

fn diagnostic(loaded: &Loaded, inputs: &Inputs, object: &Object, finding: &Finding) -> Diagnostic {
    let id = object.id();
    let mut d = match finding.severity {
        Severity::Error => Diagnostic::error(finding.rule, format!("{id}: {}", finding.message)),
        Severity::Warning => {
            Diagnostic::warning(finding.rule, format!("{id}: {}", finding.message))
        }
    };
    if !finding.pointer.is_empty() {
        d = d.path(field_path(&finding.pointer));
    }
    if let Some(help) = &finding.help {
        d = d.help(help.clone());
    }
    let blueprint_span = loaded.spans.value(&object.origin);
    match manifest_span(loaded, inputs, object, finding) {
        Some(span) => d
            .at(Some(span), "here")
            .also(blueprint_span, "included by the blueprint here"),
        None => d.at(
            blueprint_span,
            format!("{} {} made from this", object.kind, object.name),
        ),
    }
}

/// For an object from `spec.resources`, the place of the field in the manifest file itself.
fn manifest_span(
    loaded: &Loaded,
    inputs: &Inputs,
    object: &Object,
    finding: &Finding,
) -> Option<Span> {
    let index: usize = object
        .origin
        .strip_prefix("/spec/resources/")?
        .parse()
        .ok()?;
    let path = loaded.blueprint.spec.resources.get(index)?;
    let text = inputs.files.get(path)?.as_ref().ok()?;
    let manifests = parse_manifests(text, path.ends_with(".json")).ok()?;
    let same = |m: &&crate::model::manifest::Manifest| {
        let field = |p: &str| m.body.at(p).and_then(Value::as_str);
        field("/apiVersion") == Some(object.api_version.as_str())
            && field("/kind") == Some(object.kind.as_str())
            && field("/metadata/name") == Some(object.name.as_str())
            && field("/metadata/namespace") == object.namespace.as_deref()
    };
    let manifest = manifests.iter().find(same)?;
    let (line, column) = positions(text, manifest.document).best(
        &format!("{}{}", manifest.prefix, finding.pointer),
        super::points_at_key(finding),
    )?;
    let file: Arc<SourceFile> = SourceFile::new(path.clone(), text.clone());
    let start = file.offset(line, column);
    let end = file.text[start..]
        .find(['\n', ':'])
        .map_or(file.text.len(), |n| start + n.max(1));
    Some(Span {
        file,
        range: start..end,
    })
}
