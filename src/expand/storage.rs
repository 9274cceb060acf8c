//! Storage: StorageClasses, static PersistentVolumes, standalone claims, and the claims of app
//! volumes with a `size` (for workloads other than StatefulSets, which use templates).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, LocalVolumeSource, NFSVolumeSource, NodeSelector,
    NodeSelectorRequirement, NodeSelectorTerm, ObjectReference, PersistentVolume,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeSpec, VolumeNodeAffinity,
    VolumeResourceRequirements,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::Expansion;
use super::labels::{non_empty, non_empty_vec};
use crate::load::blueprint::{AccessMode, Claim, ReclaimPolicy, VolumeBindingMode, Workload};

const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
const NFS_PROVISIONER: &str = "nfs.csi.k8s.io";

fn modes(modes: &[AccessMode]) -> Option<Vec<String>> {
    non_empty_vec(modes.iter().map(|m| m.as_str().to_owned()).collect())
}

fn reclaim(policy: ReclaimPolicy) -> String {
    match policy {
        ReclaimPolicy::Delete => "Delete".into(),
        ReclaimPolicy::Retain => "Retain".into(),
    }
}

/// A claim spec for `size` with an optional class and the given access modes.
pub(crate) fn claim_spec(
    size: &str,
    class: Option<&str>,
    access: &[AccessMode],
    volume: Option<&str>,
) -> PersistentVolumeClaimSpec {
    let access = if access.is_empty() {
        &[AccessMode::ReadWriteOnce][..]
    } else {
        access
    };
    PersistentVolumeClaimSpec {
        access_modes: modes(access),
        resources: Some(VolumeResourceRequirements {
            requests: Some(BTreeMap::from([(
                "storage".to_owned(),
                Quantity(size.to_owned()),
            )])),
            ..Default::default()
        }),
        storage_class_name: class.map(str::to_owned),
        volume_name: volume.map(str::to_owned),
        ..Default::default()
    }
}

pub(super) fn expand(x: &mut Expansion<'_>) {
    let Some(storage) = x.loaded.blueprint.spec.storage.clone() else {
        apps(x);
        return;
    };
    for (i, class) in storage.classes.iter().enumerate() {
        let mut meta = x.labels.meta(&class.name, None, &class.name);
        if class.default {
            meta.annotations = Some(BTreeMap::from([(
                DEFAULT_CLASS.to_owned(),
                "true".to_owned(),
            )]));
        }
        let (provisioner, mut parameters) = match &class.nfs {
            Some(nfs) => (
                NFS_PROVISIONER.to_owned(),
                BTreeMap::from([
                    ("server".to_owned(), nfs.server.clone()),
                    ("share".to_owned(), nfs.share.clone()),
                ]),
            ),
            None => (
                class.provisioner.clone().unwrap_or_default(),
                BTreeMap::new(),
            ),
        };
        parameters.extend(class.parameters.clone());
        let object = StorageClass {
            metadata: meta,
            provisioner,
            parameters: non_empty(parameters),
            reclaim_policy: Some(reclaim(class.reclaim_policy)),
            volume_binding_mode: Some(
                match class.volume_binding_mode {
                    VolumeBindingMode::Immediate => "Immediate",
                    VolumeBindingMode::WaitForFirstConsumer => "WaitForFirstConsumer",
                }
                .to_owned(),
            ),
            allow_volume_expansion: class.allow_volume_expansion.then_some(true),
            mount_options: non_empty_vec(class.mount_options.clone()),
            ..Default::default()
        };
        x.push(
            &object,
            &class.name,
            None,
            &format!("/spec/storage/classes/{i}"),
        );
    }
    for (i, volume) in storage.volumes.iter().enumerate() {
        let mut spec = PersistentVolumeSpec {
            capacity: Some(BTreeMap::from([(
                "storage".to_owned(),
                Quantity(volume.capacity.0.clone()),
            )])),
            access_modes: modes(&volume.access_modes),
            persistent_volume_reclaim_policy: Some(reclaim(volume.reclaim_policy)),
            storage_class_name: volume.storage_class.clone(),
            mount_options: non_empty_vec(volume.mount_options.clone()),
            ..Default::default()
        };
        if let Some(local) = &volume.local {
            spec.local = Some(LocalVolumeSource {
                path: local.path.clone(),
                ..Default::default()
            });
            spec.node_affinity = Some(VolumeNodeAffinity {
                required: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: Some(vec![NodeSelectorRequirement {
                            key: "kubernetes.io/hostname".into(),
                            operator: "In".into(),
                            values: Some(vec![local.node.clone()]),
                        }]),
                        ..Default::default()
                    }],
                }),
            });
        }
        if let Some(host_path) = &volume.host_path {
            spec.host_path = Some(HostPathVolumeSource {
                path: host_path.path.clone(),
                type_: host_path.kind.clone(),
            });
        }
        if let Some(nfs) = &volume.nfs {
            spec.nfs = Some(NFSVolumeSource {
                server: nfs.server.clone(),
                path: nfs.path.clone(),
                read_only: nfs.read_only.then_some(true),
            });
        }
        // A claim that names this volume reserves it, so no other claim can take it first.
        if let Some(claim) = storage
            .claims
            .iter()
            .find(|c| c.volume_name.as_deref() == Some(&volume.name))
        {
            spec.claim_ref = Some(ObjectReference {
                kind: Some("PersistentVolumeClaim".into()),
                name: Some(claim.name.clone()),
                namespace: Some(claim.namespace.clone()),
                ..Default::default()
            });
        }
        let object = PersistentVolume {
            metadata: x.labels.meta(&volume.name, None, &volume.name),
            spec: Some(spec),
            ..Default::default()
        };
        x.push(
            &object,
            &volume.name,
            None,
            &format!("/spec/storage/volumes/{i}"),
        );
    }
    for (i, claim) in storage.claims.iter().enumerate() {
        standalone_claim(x, i, claim, &storage);
    }
    apps(x);
}

fn standalone_claim(
    x: &mut Expansion<'_>,
    i: usize,
    claim: &Claim,
    storage: &crate::load::blueprint::Storage,
) {
    // A claim bound to a static volume takes the volume's class ("" for none), or the
    // cluster's default class would be filled in and the binding would never happen.
    let class = match &claim.volume_name {
        Some(volume) => Some(
            storage
                .volumes
                .iter()
                .find(|v| &v.name == volume)
                .and_then(|v| v.storage_class.clone())
                .unwrap_or_default(),
        ),
        None => claim.storage_class.clone(),
    };
    let object = PersistentVolumeClaim {
        metadata: x
            .labels
            .meta(&claim.name, Some(&claim.namespace), &claim.name),
        spec: Some(claim_spec(
            &claim.size.0,
            class.as_deref(),
            &claim.access_modes,
            claim.volume_name.as_deref(),
        )),
        ..Default::default()
    };
    x.push(
        &object,
        &claim.name,
        Some(&claim.namespace),
        &format!("/spec/storage/claims/{i}"),
    );
}

/// Claims owned by apps: `<app>-<volume>` for every sized volume of a non-StatefulSet app.
fn apps(x: &mut Expansion<'_>) {
    let loaded = x.loaded;
    let apps = &loaded.blueprint.spec.apps;
    for (i, app) in apps.iter().enumerate() {
        if app.workload == Workload::StatefulSet {
            continue;
        }
        for (j, volume) in app.volumes.iter().enumerate() {
            let Some(size) = &volume.size else { continue };
            let name = format!("{}-{}", app.name, volume.name);
            let object = PersistentVolumeClaim {
                metadata: x.labels.meta(&name, Some(&app.namespace), &app.name),
                spec: Some(claim_spec(
                    &size.0,
                    volume.storage_class.as_deref(),
                    &volume.access_modes,
                    None,
                )),
                ..Default::default()
            };
            x.push(
                &object,
                &name,
                Some(&app.namespace),
                &format!("/spec/apps/{i}/volumes/{j}"),
            );
        }
    }
}
