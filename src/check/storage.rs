//! Storage: class sources, one default class, volume sources, local volume nodes, claim ->
//! class, and whether a static binding fits (capacity, access modes, class).

use super::{Ctx, exactly_one};
use crate::load::blueprint::Storage;

/// Every class name a claim may use: the declared classes and the manual classes of volumes.
pub(crate) fn known_classes(storage: Option<&Storage>) -> Vec<&str> {
    let Some(storage) = storage else {
        return Vec::new();
    };
    let mut names: Vec<&str> = storage.classes.iter().map(|c| c.name.as_str()).collect();
    names.extend(
        storage
            .volumes
            .iter()
            .filter_map(|v| v.storage_class.as_deref()),
    );
    names.sort_unstable();
    names.dedup();
    names
}

/// The `storageClass` of the entry at `pointer`, when set, names one of `classes`.
pub(crate) fn storage_class_reference(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    class: Option<&str>,
    classes: &[&str],
) {
    if let Some(class) = class
        && !classes.contains(&class)
    {
        ctx.unknown_reference(
            "unknown-storage-class",
            &format!("{pointer}/storageClass"),
            "storage class",
            class,
            classes.iter().copied(),
        );
    }
}

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let Some(storage) = &ctx.loaded.blueprint.spec.storage else {
        return;
    };
    let cluster_nodes: Option<Vec<&str>> = ctx
        .loaded
        .blueprint
        .spec
        .cluster
        .as_ref()
        .map(|c| c.nodes.iter().map(|n| n.name.as_str()).collect());

    let mut default_class: Option<usize> = None;
    for (i, class) in storage.classes.iter().enumerate() {
        let pointer = format!("/spec/storage/classes/{i}");
        exactly_one(
            ctx,
            &pointer,
            "a storage class",
            &[
                ("nfs", class.nfs.is_some()),
                ("provisioner", class.provisioner.is_some()),
            ],
        );
        if class.default {
            if let Some(first) = default_class {
                let first_span = ctx
                    .loaded
                    .spans
                    .value(&format!("/spec/storage/classes/{first}/default"));
                let d = ctx.error(
                    "two-default-classes",
                    &format!("{pointer}/default"),
                    "two storage classes are marked default".into(),
                    "second default",
                );
                d.secondary
                    .extend(first_span.map(|s| (s, "first default".to_owned())));
                d.help = Some(
                    "a cluster has at most one default StorageClass; keep `default: true` on one"
                        .into(),
                );
            } else {
                default_class = Some(i);
            }
        }
    }

    for (i, volume) in storage.volumes.iter().enumerate() {
        let pointer = format!("/spec/storage/volumes/{i}");
        exactly_one(
            ctx,
            &pointer,
            "a volume",
            &[
                ("local", volume.local.is_some()),
                ("hostPath", volume.host_path.is_some()),
                ("nfs", volume.nfs.is_some()),
            ],
        );
        if let (Some(local), Some(nodes)) = (&volume.local, &cluster_nodes)
            && !nodes.contains(&local.node.as_str())
        {
            ctx.unknown_reference(
                "unknown-node",
                &format!("{pointer}/local/node"),
                "node",
                &local.node,
                nodes.iter().copied(),
            );
        }
    }

    let classes = known_classes(Some(storage));
    for (i, claim) in storage.claims.iter().enumerate() {
        let pointer = format!("/spec/storage/claims/{i}");
        storage_class_reference(ctx, &pointer, claim.storage_class.as_deref(), &classes);
        let Some(volume_name) = &claim.volume_name else {
            continue;
        };
        let Some(volume) = storage.volumes.iter().find(|v| &v.name == volume_name) else {
            let names: Vec<&str> = storage.volumes.iter().map(|v| v.name.as_str()).collect();
            ctx.unknown_reference(
                "unknown-volume",
                &format!("{pointer}/volumeName"),
                "volume",
                volume_name,
                names.iter().copied(),
            );
            continue;
        };
        if let (Some(capacity), Some(size)) = (volume.capacity.value(), claim.size.value())
            && capacity < size
        {
            ctx.error(
                "binding-does-not-fit",
                &format!("{pointer}/size"),
                format!(
                    "the claim asks for {} but volume `{}` holds {}",
                    claim.size, volume.name, volume.capacity
                ),
                "too large for the volume",
            )
            .help = Some("lower the claim's size or raise the volume's capacity".into());
        }
        let missing: Vec<&str> = claim
            .access_modes
            .iter()
            .filter(|m| !volume.access_modes.contains(m))
            .map(|m| m.as_str())
            .collect();
        if !missing.is_empty() {
            ctx.error(
                "binding-does-not-fit",
                &format!("{pointer}/accessModes"),
                format!(
                    "volume `{}` does not offer {}",
                    volume.name,
                    missing.join(", ")
                ),
                "access modes the volume lacks",
            );
        }
        if claim.storage_class.is_some() && claim.storage_class != volume.storage_class {
            ctx.error(
                "binding-does-not-fit",
                &format!("{pointer}/storageClass"),
                format!(
                    "the claim's class `{}` differs from volume `{}`'s class `{}`",
                    claim.storage_class.as_deref().unwrap_or_default(),
                    volume.name,
                    volume.storage_class.as_deref().unwrap_or("")
                ),
                "class mismatch",
            )
            .help = Some("a claim binds only to a volume of the same class; drop the claim's `storageClass` to inherit it".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::check;

    const VOLUME: &str = "  storage:\n    volumes:\n      - {name: pv, capacity: 5Gi, storageClass: local-storage, local: {path: /mnt, node: worker-1}}\n";

    #[test]
    fn a_claim_of_a_volume_class_is_fine() {
        check(
            &format!(
                "{VOLUME}    claims:\n      - {{name: c, size: 1Gi, storageClass: local-storage, volumeName: pv}}\n"
            ),
            &[],
        );
    }

    #[test]
    fn an_unknown_class_is_reported_with_a_suggestion() {
        check(
            &format!(
                "{VOLUME}    claims:\n      - {{name: c, size: 1Gi, storageClass: local-storag}}\n"
            ),
            &[("unknown-storage-class", "10:44")],
        );
    }

    #[test]
    fn a_binding_must_fit() {
        check(
            &format!(
                "{VOLUME}    claims:\n      - {{name: c, size: 10Gi, accessModes: [ReadWriteMany], volumeName: pv}}\n"
            ),
            &[
                ("binding-does-not-fit", "10:25"),
                ("binding-does-not-fit", "10:44"),
            ],
        );
    }

    #[test]
    fn one_default_class_at_most() {
        check(
            "  storage:\n    classes:\n      - {name: a, provisioner: x, default: true}\n      - {name: b, provisioner: x, default: true}\n",
            &[("two-default-classes", "9:44")],
        );
    }

    #[test]
    fn a_volume_needs_exactly_one_source() {
        check(
            "  storage:\n    volumes:\n      - {name: pv, capacity: 1Gi}\n",
            &[("one-of", "8:9")],
        );
    }

    #[test]
    fn a_local_volume_names_a_known_node() {
        check(
            &format!(
                "{VOLUME}  cluster:\n    name: lab\n    version: 1.33.4\n    controlPlaneEndpoint: 10.0.0.1:6443\n    podCIDR: 10.244.0.0/16\n    nodes:\n      - {{name: master, role: control-plane, address: 10.0.0.1}}\n  encryption: {{age: [age14wqr4ywsh9qwql298dz2cmjam5jgg4f4q9v0wele2hl2ww55v56q5tet4v]}}\n"
            ),
            &[("unknown-node", "8:90")],
        );
    }
}
