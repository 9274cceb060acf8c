//! Argo CD: one `Application` (`argoproj.io/v1alpha1`) per environment, whose source is the
//! environment's directory; the order inside it comes from the sync-wave annotation
//! [`super::annotate`] puts on every object.

use serde::Serialize;

use super::{Environment, Metadata, Resource};
use crate::load::blueprint::{ArgoDelivery, Delivery};

pub const API_VERSION: &str = "argoproj.io/v1alpha1";
/// Where Argo CD runs unless the blueprint says otherwise.
pub const DEFAULT_NAMESPACE: &str = "argocd";
/// The cluster Argo CD runs in.
pub const IN_CLUSTER: &str = "https://kubernetes.default.svc";
/// Deleting the Application deletes its objects first (cascading delete).
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";
/// Server-side apply (no `last-applied` annotation, which large objects outgrow); pruning
/// after every other object is in place, in reverse wave order.
const SYNC_OPTIONS: [&str; 2] = ["PruneLast=true", "ServerSideApply=true"];

pub type Application = Resource<ApplicationSpec>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    pub project: String,
    pub source: Source,
    pub destination: Destination,
    pub sync_policy: SyncPolicy,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub target_revision: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<Plugin>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plugin {
    pub name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated: Option<Automated>,
    pub sync_options: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Automated {
    pub prune: bool,
    pub self_heal: bool,
}

/// The Application of one environment.
pub fn application(
    env: &Environment<'_>,
    delivery: &Delivery,
    argocd: &ArgoDelivery,
) -> Application {
    let prune = argocd.prune.unwrap_or(false);
    let destination = match &argocd.destination {
        Some(d) => Destination {
            server: d.server.clone(),
            name: d.name.clone(),
            namespace: d.namespace.clone(),
        },
        None => Destination {
            server: Some(IN_CLUSTER.to_owned()),
            name: None,
            namespace: None,
        },
    };
    Application {
        api_version: API_VERSION,
        kind: "Application",
        metadata: Metadata {
            name: env.object_name(),
            namespace: argocd
                .namespace
                .as_deref()
                .unwrap_or(DEFAULT_NAMESPACE)
                .to_owned(),
            labels: env.labels.clone(),
            finalizers: if prune {
                vec![RESOURCES_FINALIZER]
            } else {
                Vec::new()
            },
        },
        spec: ApplicationSpec {
            project: argocd
                .project
                .clone()
                .unwrap_or_else(|| "default".to_owned()),
            source: Source {
                repo_url: delivery.repo_url.clone(),
                target_revision: delivery.branch.clone(),
                path: env.repository_dir(),
                plugin: argocd.plugin.clone().map(|name| Plugin { name }),
            },
            destination,
            sync_policy: SyncPolicy {
                automated: argocd.auto_sync.unwrap_or(false).then(|| Automated {
                    prune,
                    self_heal: argocd.self_heal.unwrap_or(false),
                }),
                sync_options: SYNC_OPTIONS.to_vec(),
            },
        },
    }
}
