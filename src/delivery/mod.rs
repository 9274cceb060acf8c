//! Delivery, beside emit: the objects that tell Flux or Argo CD how to apply an environment
//! (`spec.delivery`), written to `out/<blueprint>/<env>/delivery/{flux,argocd}/` and listed
//! in no kustomization (a user applies them once, or a Flux root / app of apps picks them
//! up), and the order the environment's own objects are applied in.
//!
//! Layout for Flux, which applies one directory per Kustomization: the environment's
//! `kustomization.yaml` still lists every object, `_cluster/kustomization.yaml` lists the
//! cluster-scoped ones (the cluster stage), each namespace directory gets a
//! `kustomization.yaml` of its own, and `_apps/kustomization.yaml` lists those directories
//! (the apps stage): kustomize refuses files outside a kustomization's directory but takes
//! other directories. Every object is in exactly one stage.
//!
//! Architecture invariant: typed objects (`flux.rs`, `argocd.rs`) serialised by `emit`, no
//! text templates; a function of the blueprint and the objects alone.

pub mod argocd;
pub mod flux;
pub mod order;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::emit::{self, CLUSTER_DIR, KUSTOMIZATION};
use crate::expand::Labels;
use crate::load::Loaded;
use crate::model::artifact::{Artifact, ArtifactKind, ArtifactTree};
use crate::model::{Object, field_path};

pub use order::{Stage, stage, wave};

/// The annotation Argo CD orders a sync by.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
/// The directory of the delivery objects in an environment's tree.
pub const DELIVERY_DIR: &str = "delivery";
/// The directory of the apps stage's kustomization.
pub const APPS_DIR: &str = "_apps";
/// Where the rendered trees lie in the Git repository the controllers read: `out/` at its
/// root, as `kforge render` writes it (`--out` is for scratch renders).
pub const REPOSITORY_OUT: &str = "out";

/// A Flux or Argo CD object: its kind, metadata and the kind's own `spec`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource<S> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata,
    pub spec: S,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<&'static str>,
}

/// One environment, as the delivery objects name it.
pub struct Environment<'a> {
    pub blueprint: &'a str,
    pub env: &'a str,
    pub labels: BTreeMap<String, String>,
}

impl Environment<'_> {
    /// The name of the environment's GitRepository and Application: `<blueprint>-<env>`.
    pub fn object_name(&self) -> String {
        format!("{}-{}", self.blueprint, self.env)
    }

    /// The environment's directory in the repository: `out/<blueprint>/<env>`.
    pub fn repository_dir(&self) -> String {
        format!("{REPOSITORY_OUT}/{}/{}", self.blueprint, self.env)
    }
}

/// Puts the Argo CD sync wave on every object, when the blueprint delivers with Argo CD. A
/// wave a raw manifest sets itself is kept: its author ordered it on purpose.
pub fn annotate(loaded: &Loaded, objects: &mut [Object]) {
    let argocd = loaded
        .blueprint
        .spec
        .delivery
        .as_ref()
        .and_then(|d| d.argocd.as_ref());
    if argocd.is_none() {
        return;
    }
    for object in objects {
        let wave = Value::String(wave(object).to_string());
        let Some(metadata) = object
            .body
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.entry(SYNC_WAVE).or_insert(wave);
        }
    }
}

/// Adds the stage kustomizations and the delivery objects of one environment to its tree,
/// and returns the warnings. An environment with Secrets that Flux could not decrypt is an
/// error at `spec.delivery.flux`; one that Argo CD would apply without a plugin to decrypt
/// them, a warning at `spec.delivery.argocd`.
pub fn lay_out(
    loaded: &Loaded,
    env: &str,
    objects: &[Object],
    tree: &mut ArtifactTree,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let Some(delivery) = &loaded.blueprint.spec.delivery else {
        return Ok(Vec::new());
    };
    let mut warnings = Vec::new();
    let first_secret = objects.iter().find(|o| o.is_secret());
    let environment = Environment {
        blueprint: loaded.name(),
        env,
        // Named after the blueprint: `<blueprint>-<env>` may outgrow a label value's 63.
        labels: Labels::new(&loaded.blueprint).all(loaded.name()),
    };
    let mut files: Vec<(String, Artifact)> = Vec::new();
    if let Some(flux) = &delivery.flux {
        if flux.decryption_secret.is_none()
            && let Some(secret) = first_secret
        {
            return Err(vec![missing_decryption(loaded, secret)]);
        }
        let stages = stage_kustomizations(loaded.name(), objects, &mut files);
        let (repository, kustomizations) = flux::objects(&environment, delivery, flux, &stages);
        files.push(delivery_file(loaded.name(), "flux", &repository));
        for kustomization in &kustomizations {
            files.push(delivery_file(loaded.name(), "flux", kustomization));
        }
    }
    if let Some(argocd) = &delivery.argocd {
        if argocd.plugin.is_none()
            && let Some(secret) = first_secret
        {
            warnings.push(undecrypted_for_argocd(loaded, secret));
        }
        let application = argocd::application(&environment, delivery, argocd);
        files.push(delivery_file(loaded.name(), "argocd", &application));
    }
    for (path, artifact) in files {
        if tree.insert(path.clone(), artifact).is_err() {
            return Err(vec![
                Diagnostic::error(
                    "duplicate-object",
                    format!("two files would be written to `{path}`"),
                )
                .path("spec.delivery"),
            ]);
        }
    }
    Ok(warnings)
}

/// Secrets a controller would not decrypt: `diagnostic` placed at
/// `spec.delivery.<controller>` and at the blueprint field that makes the first Secret.
fn undecrypted(
    loaded: &Loaded,
    (controller, missing): (&str, &str),
    secret: &Object,
    diagnostic: Diagnostic,
) -> Diagnostic {
    let origin = loaded
        .spans
        .value(&format!("{}/name", secret.origin))
        .or_else(|| loaded.spans.key(&secret.origin));
    let label = format!(
        "produces the Secret `{}` ({})",
        secret.name,
        field_path(&secret.origin)
    );
    diagnostic
        .path(format!("spec.delivery.{controller}"))
        .at(
            loaded.spans.key(&format!("/spec/delivery/{controller}")),
            format!("no {missing}"),
        )
        .also(origin, label)
}

/// The warning for Secrets Argo CD would apply still encrypted.
fn undecrypted_for_argocd(loaded: &Loaded, secret: &Object) -> Diagnostic {
    let warning = Diagnostic::warning(
        "argocd-without-decryption",
        "Argo CD does not decrypt SOPS: it would apply this environment's Secrets encrypted (no `plugin`)",
    )
    .help("set `plugin:` to a Config Management Plugin that decrypts them (docs/delivery.md has one), or use KSOPS");
    undecrypted(loaded, ("argocd", "plugin"), secret, warning)
}

/// The error for Secrets Flux could not decrypt.
fn missing_decryption(loaded: &Loaded, secret: &Object) -> Diagnostic {
    let error = Diagnostic::error(
        "missing-decryption-secret",
        "Flux cannot apply this environment's SOPS-encrypted Secrets: `spec.delivery.flux` names no `decryptionSecret`",
    )
    .help("create the age identity as a Secret beside Flux (`kubectl -n flux-system create secret generic sops-age --from-file=identity.agekey=key.txt`) and set `decryptionSecret: sops-age`; see docs/delivery.md");
    undecrypted(loaded, ("flux", "decryptionSecret"), secret, error)
}

/// Writes `_cluster/kustomization.yaml`, a `kustomization.yaml` per namespace directory and
/// `_apps/kustomization.yaml`, and returns the stages that have objects, in order.
fn stage_kustomizations(
    blueprint: &str,
    objects: &[Object],
    files: &mut Vec<(String, Artifact)>,
) -> Vec<flux::StagePlan> {
    let mut cluster: Vec<String> = Vec::new();
    let mut namespaces: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut secrets: BTreeSet<Stage> = BTreeSet::new();
    for object in objects {
        if object.is_secret() {
            secrets.insert(stage(object));
        }
        let path = emit::object_path(object);
        match object.namespace.as_deref() {
            None => cluster.push(path),
            Some(namespace) => namespaces.entry(namespace).or_default().push(path),
        }
    }
    let listing = |dir: &str, paths: &[String]| {
        let mut paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        emit::sort_resources(&mut paths);
        let relative: Vec<&str> = paths
            .iter()
            .map(|p| {
                p.strip_prefix(dir)
                    .and_then(|p| p.strip_prefix('/'))
                    .unwrap_or(p)
            })
            .collect();
        (
            format!("{dir}/{KUSTOMIZATION}"),
            emit::kustomization(blueprint, &relative),
        )
    };
    let mut stages = Vec::new();
    if !cluster.is_empty() {
        files.push(listing(CLUSTER_DIR, &cluster));
        stages.push(flux::StagePlan {
            stage: Stage::Cluster,
            dir: CLUSTER_DIR,
            has_secrets: secrets.contains(&Stage::Cluster),
        });
    }
    if !namespaces.is_empty() {
        for (namespace, paths) in &namespaces {
            files.push(listing(namespace, paths));
        }
        let dirs: Vec<String> = namespaces.keys().map(|n| format!("../{n}")).collect();
        let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
        files.push((
            format!("{APPS_DIR}/{KUSTOMIZATION}"),
            emit::kustomization(blueprint, &dirs),
        ));
        stages.push(flux::StagePlan {
            stage: Stage::Apps,
            dir: APPS_DIR,
            has_secrets: secrets.contains(&Stage::Apps),
        });
    }
    stages
}

/// One delivery object as a file of `delivery/<controller>/`.
fn delivery_file(blueprint: &str, controller: &str, object: &impl Serialize) -> (String, Artifact) {
    let body = serde_json::to_value(object).unwrap_or(Value::Null);
    let text = format!("{}{}", emit::header(blueprint), emit::canonical_yaml(&body));
    let object = Object::from_body(body, String::new());
    (
        format!("{DELIVERY_DIR}/{controller}/{}", emit::file_name(&object)),
        Artifact::new(ArtifactKind::Delivery, text),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::load;
    use serde_json::json;

    fn object(kind: &str, namespace: Option<&str>, name: &str, annotations: Value) -> Object {
        let mut body = json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}});
        if let Some(namespace) = namespace {
            body["metadata"]["namespace"] = json!(namespace);
        }
        if !annotations.is_null() {
            body["metadata"]["annotations"] = annotations;
        }
        Object::from_body(body, "/spec".into())
    }

    const DELIVERY: &str = "  delivery:\n    repoURL: https://git.example.com/x.git\n";

    #[test]
    fn waves_only_for_argocd_and_a_raw_manifests_own_wave_is_kept() {
        let objects = || {
            vec![
                object("Namespace", None, "web", Value::Null),
                object("ConfigMap", Some("web"), "own", json!({SYNC_WAVE: "9"})),
            ]
        };
        let mut flux_only = objects();
        annotate(
            &load(&format!("{DELIVERY}    flux: {{}}\n")),
            &mut flux_only,
        );
        assert_eq!(flux_only, objects());
        let mut argo = objects();
        annotate(&load(&format!("{DELIVERY}    argocd: {{}}\n")), &mut argo);
        let waves: Vec<&Value> = argo
            .iter()
            .map(|o| &o.body["metadata"]["annotations"][SYNC_WAVE])
            .collect();
        assert_eq!(waves, [&json!("0"), &json!("9")]);
    }

    #[test]
    fn the_stages_list_every_object_once() {
        let objects = vec![
            object("Namespace", None, "web", Value::Null),
            object("ConfigMap", Some("web"), "a", Value::Null),
            object("ConfigMap", Some("db"), "b", Value::Null),
        ];
        let loaded = load(&format!("{DELIVERY}    flux: {{}}\n"));
        let mut tree = emit::emit("demo", &objects).unwrap();
        let warnings = lay_out(&loaded, "base", &objects, &mut tree).unwrap();
        assert!(warnings.is_empty());
        let text = |path: &str| tree.get(path).and_then(Artifact::text).unwrap().to_owned();
        assert!(text("_cluster/kustomization.yaml").contains("  - namespace-web.yaml\n"));
        assert!(text("web/kustomization.yaml").contains("  - configmap-a.yaml\n"));
        assert!(text("db/kustomization.yaml").contains("  - configmap-b.yaml\n"));
        assert!(text("_apps/kustomization.yaml").contains("  - \"../db\"\n  - \"../web\"\n"));
        let kinds: Vec<(&str, ArtifactKind)> = tree
            .iter()
            .filter(|(p, _)| p.starts_with(DELIVERY_DIR))
            .map(|(p, a)| (p.as_str(), a.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    "delivery/flux/gitrepository.source.toolkit.fluxcd.io-demo-base.yaml",
                    ArtifactKind::Delivery
                ),
                (
                    "delivery/flux/kustomization.kustomize.toolkit.fluxcd.io-demo-base-apps.yaml",
                    ArtifactKind::Delivery
                ),
                (
                    "delivery/flux/kustomization.kustomize.toolkit.fluxcd.io-demo-base-cluster.yaml",
                    ArtifactKind::Delivery
                ),
            ]
        );
        let apps =
            text("delivery/flux/kustomization.kustomize.toolkit.fluxcd.io-demo-base-apps.yaml");
        assert!(
            apps.contains("dependsOn:\n    - name: demo-base-cluster\n"),
            "{apps}"
        );
        assert!(!apps.contains("decryption"), "no Secrets: {apps}");
    }

    #[test]
    fn secrets_flux_cannot_decrypt_are_an_error() {
        let objects = vec![object("Secret", Some("web"), "db", Value::Null)];
        let loaded = load(&format!("{DELIVERY}    flux: {{}}\n"));
        let mut tree = emit::emit("demo", &objects).unwrap();
        let errors = lay_out(&loaded, "base", &objects, &mut tree).unwrap_err();
        assert_eq!(errors[0].code, "missing-decryption-secret");
        let loaded = load(&format!("{DELIVERY}    argocd: {{}}\n"));
        let warnings = lay_out(&loaded, "base", &objects, &mut tree).unwrap();
        assert_eq!(warnings[0].code, "argocd-without-decryption");
    }
}
