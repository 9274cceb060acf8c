//! Storage references: a claim's StorageClass (named, a manual class some volume carries, or
//! the default class), a claim's bound volume and a volume's `claimRef`, and the claims pods
//! mount. A claim without a class when no class of the set is the default is only a
//! warning, strict or not: it relies on the cluster's default class.

use serde_json::Value;

use super::Ctx;
use crate::finding::Finding;
use crate::json::At;
use crate::model::namespace_of;
use crate::model::pods::{self, text};

const STORAGE: &str = "storage.k8s.io";
const DEFAULT_CLASS: [&str; 2] = [
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
];

/// What the whole set says about storage classes, found once before the objects are checked
/// a slice at a time.
pub(super) struct Classes<'a> {
    /// Whether a StorageClass of the set is the default.
    has_default: bool,
    /// Classes only volumes name ("manual" classes without a StorageClass object).
    volume_classes: Vec<&'a str>,
}

impl<'a> Classes<'a> {
    pub(super) fn new(objects: &'a [crate::model::Object]) -> Classes<'a> {
        let has_default = objects.iter().any(|o| {
            o.kind == "StorageClass"
                && DEFAULT_CLASS
                    .iter()
                    .any(|a| pods::annotations(o).get(a) == Some(&"true"))
        });
        let volume_classes = objects
            .iter()
            .filter(|o| o.kind == "PersistentVolume")
            .filter_map(|o| text(&o.body, "/spec/storageClassName"))
            .collect();
        Classes {
            has_default,
            volume_classes,
        }
    }
}

pub(super) fn check(cx: &mut Ctx<'_, '_>, classes: &Classes<'_>) {
    let (has_default, volume_classes) = (classes.has_default, &classes.volume_classes);
    for (i, object) in cx.each() {
        match (
            crate::model::group(&object.api_version),
            object.kind.as_str(),
        ) {
            ("", "PersistentVolumeClaim") => {
                claim(cx, i, &object.body, "", has_default, volume_classes);
            }
            ("", "PersistentVolume") => claim_ref(cx, i),
            ("apps", "StatefulSet") => {
                let templates = object
                    .body
                    .at("/spec/volumeClaimTemplates")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                for (t, template) in templates.iter().enumerate() {
                    let base = format!("/spec/volumeClaimTemplates/{t}");
                    claim(cx, i, template, &base, has_default, volume_classes);
                }
            }
            _ => {}
        }
        pod_claims(cx, i);
    }
}

/// A claim (object or template at `base`) names an existing class and volume.
fn claim(
    cx: &mut Ctx<'_, '_>,
    i: usize,
    claim: &Value,
    base: &str,
    has_default: bool,
    volume_classes: &[&str],
) {
    let volume = text(claim, "/spec/volumeName");
    match text(claim, "/spec/storageClassName") {
        // An explicit empty class: only a volume without a class may bind.
        Some("") => {}
        Some(class) => {
            let known = cx.index.get(STORAGE, "StorageClass", "", class).is_some()
                || volume_classes.contains(&class);
            if !known {
                cx.missing_object(
                    i,
                    format!("{base}/spec/storageClassName"),
                    STORAGE,
                    "StorageClass",
                    "",
                    class,
                );
            }
        }
        // The cluster's default class is a property of the cluster, not an object the set
        // names: relying on it is worth a warning, even when the set is meant to be complete.
        None if volume.is_none() && !has_default => cx.out.push(
            Finding::warning(
                super::RULE,
                i,
                "the claim names no storageClassName and no StorageClass of the set is the default",
            )
            .at(format!("{base}/spec"))
            .help(
                "name a class, or rely knowingly on the cluster's default class \
                 (storageclass.kubernetes.io/is-default-class: \"true\")",
            ),
        ),
        None => {}
    }
    let Some(volume) = volume else { return };
    let object = &cx.objects()[i];
    let (namespace, name) = (namespace_of(object), object.name.as_str());
    match cx.index.get("", "PersistentVolume", "", volume) {
        None => cx.missing_object(
            i,
            format!("{base}/spec/volumeName"),
            "",
            "PersistentVolume",
            "",
            volume,
        ),
        Some(pv) => {
            let reserved = (
                text(&pv.body, "/spec/claimRef/namespace"),
                text(&pv.body, "/spec/claimRef/name"),
            );
            if let (Some(ns), Some(claim)) = reserved
                && base.is_empty()
                && (ns, claim) != (namespace, name)
            {
                cx.wrong(
                    i,
                    format!("{base}/spec/volumeName"),
                    format!("PersistentVolume `{volume}` is reserved for claim `{ns}/{claim}`"),
                    "bind each volume to one claim: fix volumeName or the volume's claimRef".into(),
                );
            }
        }
    }
}

/// A volume's `claimRef` names a claim of the set.
fn claim_ref(cx: &mut Ctx<'_, '_>, i: usize) {
    let body = &cx.objects()[i].body;
    let (Some(namespace), Some(name)) = (
        text(body, "/spec/claimRef/namespace"),
        text(body, "/spec/claimRef/name"),
    ) else {
        return;
    };
    if cx
        .index
        .get("", "PersistentVolumeClaim", namespace, name)
        .is_none()
    {
        cx.missing_object(
            i,
            "/spec/claimRef/name".into(),
            "",
            "PersistentVolumeClaim",
            namespace,
            name,
        );
    }
}

/// Every `persistentVolumeClaim` volume of a pod template names a claim of its namespace.
fn pod_claims(cx: &mut Ctx<'_, '_>, i: usize) {
    let object = &cx.objects()[i];
    let Some(template) = cx.index.pod_template(i) else {
        return;
    };
    let namespace = namespace_of(object);
    let volumes = template
        .spec
        .get("volumes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (v, volume) in volumes.iter().enumerate() {
        let Some(claim) = text(volume, "/persistentVolumeClaim/claimName") else {
            continue;
        };
        if cx
            .index
            .get("", "PersistentVolumeClaim", namespace, claim)
            .is_none()
        {
            cx.missing_object(
                i,
                format!(
                    "{}/volumes/{v}/persistentVolumeClaim/claimName",
                    template.pointer
                ),
                "",
                "PersistentVolumeClaim",
                namespace,
                claim,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{messages, run};

    const CLASS: &str = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\nprovisioner: x\n";
    const DEFAULT: &str = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: std, annotations: {storageclass.kubernetes.io/is-default-class: \"true\"}}\nprovisioner: x\n";

    fn claim(spec: &str) -> String {
        format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data, namespace: app}}\nspec: {spec}\n"
        )
    }

    #[test]
    fn claim_names_an_existing_class() {
        assert!(
            messages(&format!(
                "{CLASS}---\n{}",
                claim("{storageClassName: fast}")
            ))
            .is_empty()
        );
        assert_eq!(
            messages(&format!(
                "{CLASS}---\n{}",
                claim("{storageClassName: fsat}")
            )),
            ["StorageClass `fsat` does not exist"]
        );
    }

    #[test]
    fn claim_without_class_needs_a_default() {
        assert!(messages(&format!("{DEFAULT}---\n{}", claim("{}"))).is_empty());
        assert_eq!(
            messages(&format!("{CLASS}---\n{}", claim("{}"))),
            ["the claim names no storageClassName and no StorageClass of the set is the default"]
        );
        assert_eq!(
            run(&format!("{CLASS}---\n{}", claim("{}")), true)[0].0,
            "warning"
        );
    }

    #[test]
    fn manual_class_of_a_volume_counts() {
        let pv = "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv1}\nspec: {storageClassName: manual, claimRef: {namespace: app, name: data}}\n";
        assert!(
            messages(&format!(
                "{pv}---\n{}",
                claim("{storageClassName: manual, volumeName: pv1}")
            ))
            .is_empty()
        );
    }

    #[test]
    fn bound_volume_exists_and_is_reserved_for_this_claim() {
        assert_eq!(
            messages(&claim("{storageClassName: '', volumeName: pv9}")),
            ["PersistentVolume `pv9` does not exist"]
        );
        let pv = "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv1}\nspec: {claimRef: {namespace: app, name: other}}\n";
        assert_eq!(
            messages(&format!(
                "{pv}---\n{}",
                claim("{storageClassName: '', volumeName: pv1}")
            )),
            [
                "PersistentVolumeClaim `other` does not exist in namespace `app`",
                "PersistentVolume `pv1` is reserved for claim `app/other`"
            ]
        );
    }

    #[test]
    fn pods_mount_existing_claims_and_templates_name_classes() {
        let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: app}\nspec:\n  template:\n    spec:\n      containers: [{name: db, image: db:1}]\n      volumes: [{name: x, persistentVolumeClaim: {claimName: data}}]\n  volumeClaimTemplates: [{metadata: {name: d}, spec: {storageClassName: slow}}]\n";
        assert_eq!(
            messages(&format!("{CLASS}---\n{sts}")),
            [
                "PersistentVolumeClaim `data` does not exist in namespace `app`",
                "StorageClass `slow` does not exist"
            ]
        );
        assert_eq!(
            messages(&format!(
                "{CLASS}---\n{sts}---\n{}",
                claim("{storageClassName: fast}")
            ))
            .len(),
            1
        );
    }
}
