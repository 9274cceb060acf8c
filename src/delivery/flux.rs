//! Flux: a `GitRepository` (`source.toolkit.fluxcd.io/v1`) per environment and a
//! `Kustomization` (`kustomize.toolkit.fluxcd.io/v1`) per stage, the apps stage depending on
//! the cluster stage. Typed after the CRDs kforge's tests hold them to (scripts/lib/thirdparty.sh
//! names the pinned versions).

use serde::Serialize;

use super::order::Stage;
use super::{Environment, Metadata, Resource};
use crate::load::blueprint::{Delivery, FluxDelivery};

pub const SOURCE_API_VERSION: &str = "source.toolkit.fluxcd.io/v1";
pub const KUSTOMIZE_API_VERSION: &str = "kustomize.toolkit.fluxcd.io/v1";
/// Where Flux runs unless the blueprint says otherwise.
pub const DEFAULT_NAMESPACE: &str = "flux-system";
const DEFAULT_INTERVAL: &str = "5m";
const DEFAULT_TIMEOUT: &str = "5m";

pub type GitRepository = Resource<GitRepositorySpec>;
pub type Kustomization = Resource<KustomizationSpec>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositorySpec {
    pub interval: String,
    pub url: String,
    #[serde(rename = "ref")]
    pub reference: GitReference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<NameReference>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GitReference {
    pub branch: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizationSpec {
    pub interval: String,
    /// The stage's directory, relative to the repository root (`./out/<bp>/<env>/_apps`).
    pub path: String,
    pub prune: bool,
    pub source_ref: SourceReference,
    pub timeout: String,
    /// Wait for every applied object to be ready (kstatus) before the stage counts as done,
    /// which is what `dependsOn` of the next stage waits for.
    pub wait: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<NameReference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<Decryption>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceReference {
    pub kind: &'static str,
    pub name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NameReference {
    pub name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decryption {
    pub provider: &'static str,
    pub secret_ref: NameReference,
}

/// One stage as Flux is to apply it.
pub struct StagePlan {
    pub stage: Stage,
    /// The stage's directory inside the environment's (`_cluster`, `_apps`).
    pub dir: &'static str,
    pub has_secrets: bool,
}

/// The Flux objects of one environment: its GitRepository, then one Kustomization per stage
/// in order, each depending on the one before.
pub fn objects(
    env: &Environment<'_>,
    delivery: &Delivery,
    flux: &FluxDelivery,
    stages: &[StagePlan],
) -> (GitRepository, Vec<Kustomization>) {
    let namespace = flux.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE);
    let interval = flux.interval.as_deref().unwrap_or(DEFAULT_INTERVAL);
    let metadata = |name: String| Metadata {
        name,
        namespace: namespace.to_owned(),
        labels: env.labels.clone(),
        finalizers: Vec::new(),
    };
    let source_name = env.object_name();
    let repository = GitRepository {
        api_version: SOURCE_API_VERSION,
        kind: "GitRepository",
        metadata: metadata(source_name.clone()),
        spec: GitRepositorySpec {
            interval: interval.to_owned(),
            url: delivery.repo_url.clone(),
            reference: GitReference {
                branch: delivery.branch.clone(),
            },
            secret_ref: flux.git_secret.clone().map(|name| NameReference { name }),
        },
    };
    let mut kustomizations: Vec<Kustomization> = Vec::new();
    for plan in stages {
        let depends_on = kustomizations
            .last()
            .map(|before| NameReference {
                name: before.metadata.name.clone(),
            })
            .into_iter()
            .collect();
        let decryption = match (&flux.decryption_secret, plan.has_secrets) {
            (Some(secret), true) => Some(Decryption {
                provider: "sops",
                secret_ref: NameReference {
                    name: secret.clone(),
                },
            }),
            _ => None,
        };
        kustomizations.push(Kustomization {
            api_version: KUSTOMIZE_API_VERSION,
            kind: "Kustomization",
            metadata: metadata(format!("{source_name}-{}", plan.stage.name())),
            spec: KustomizationSpec {
                interval: interval.to_owned(),
                path: format!("./{}/{}", env.repository_dir(), plan.dir),
                prune: flux.prune.unwrap_or(true),
                source_ref: SourceReference {
                    kind: "GitRepository",
                    name: source_name.clone(),
                },
                timeout: flux
                    .timeout
                    .as_deref()
                    .unwrap_or(DEFAULT_TIMEOUT)
                    .to_owned(),
                wait: true,
                depends_on,
                decryption,
            },
        });
    }
    (repository, kustomizations)
}
