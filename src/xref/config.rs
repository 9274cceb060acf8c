//! ConfigMaps and Secrets a pod uses: through `env[].valueFrom`, `envFrom`, and `configMap`,
//! `secret` and `projected` volumes. The object must exist in the pod's namespace and every
//! key named must be in it, unless the reference is `optional: true`. A Secret's keys are
//! read from `data` and `stringData`; SOPS encrypts the values only, so this works on
//! encrypted Secrets too.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Ctx;
use crate::json::At;
use crate::model::Object;
use crate::model::namespace_of;
use crate::model::pods::{self, text};

/// ConfigMaps Kubernetes puts in every namespace.
const BUILT_IN_CONFIG_MAPS: [&str; 1] = ["kube-root-ca.crt"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    ConfigMap,
    Secret,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
        }
    }
}

/// One reference found in a pod spec.
struct Reference<'a> {
    kind: Kind,
    name: &'a str,
    /// Keys named, with the pointer of each.
    keys: Vec<(&'a str, String)>,
    optional: bool,
    pointer: String,
}

fn optional(value: &Value) -> bool {
    value.get("optional").and_then(Value::as_bool) == Some(true)
}

fn items<'a>(source: &'a Value, pointer: &str) -> Vec<(&'a str, String)> {
    source
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, item)| text(item, "/key").map(|k| (k, format!("{pointer}/items/{i}/key"))))
        .collect()
}

fn references<'a>(template: &pods::PodTemplate<'a>) -> Vec<Reference<'a>> {
    let mut out = Vec::new();
    for container in pods::containers(template) {
        let env = container
            .value
            .get("env")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (e, var) in env.iter().enumerate() {
            for (field, kind) in [
                ("configMapKeyRef", Kind::ConfigMap),
                ("secretKeyRef", Kind::Secret),
            ] {
                let Some(selector) = var.get("valueFrom").and_then(|v| v.get(field)) else {
                    continue;
                };
                let pointer = format!("{}/env/{e}/valueFrom/{field}", container.pointer);
                out.push(Reference {
                    kind,
                    name: text(selector, "/name").unwrap_or(""),
                    keys: text(selector, "/key")
                        .map(|k| vec![(k, format!("{pointer}/key"))])
                        .unwrap_or_default(),
                    optional: optional(selector),
                    pointer: format!("{pointer}/name"),
                });
            }
        }
        let env_from = container
            .value
            .get("envFrom")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (e, source) in env_from.iter().enumerate() {
            for (field, kind) in [
                ("configMapRef", Kind::ConfigMap),
                ("secretRef", Kind::Secret),
            ] {
                let Some(reference) = source.get(field) else {
                    continue;
                };
                out.push(Reference {
                    kind,
                    name: text(reference, "/name").unwrap_or(""),
                    keys: Vec::new(),
                    optional: optional(reference),
                    pointer: format!("{}/envFrom/{e}/{field}/name", container.pointer),
                });
            }
        }
    }
    let volumes = template
        .spec
        .get("volumes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (v, volume) in volumes.iter().enumerate() {
        let base = format!("{}/volumes/{v}", template.pointer);
        if let Some(source) = volume.get("configMap") {
            let pointer = format!("{base}/configMap");
            out.push(Reference {
                kind: Kind::ConfigMap,
                name: text(source, "/name").unwrap_or(""),
                keys: items(source, &pointer),
                optional: optional(source),
                pointer: format!("{pointer}/name"),
            });
        }
        if let Some(source) = volume.get("secret") {
            let pointer = format!("{base}/secret");
            out.push(Reference {
                kind: Kind::Secret,
                name: text(source, "/secretName").unwrap_or(""),
                keys: items(source, &pointer),
                optional: optional(source),
                pointer: format!("{pointer}/secretName"),
            });
        }
        let sources = volume
            .at("/projected/sources")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (s, source) in sources.iter().enumerate() {
            for (field, kind) in [("configMap", Kind::ConfigMap), ("secret", Kind::Secret)] {
                let Some(projection) = source.get(field) else {
                    continue;
                };
                let pointer = format!("{base}/projected/sources/{s}/{field}");
                out.push(Reference {
                    kind,
                    name: text(projection, "/name").unwrap_or(""),
                    keys: items(projection, &pointer),
                    optional: optional(projection),
                    pointer: format!("{pointer}/name"),
                });
            }
        }
    }
    out
}

/// The keys an object holds: `data` and `binaryData` of a ConfigMap, `data` and `stringData`
/// of a Secret.
fn keys(object: &Object) -> BTreeSet<&str> {
    ["data", "binaryData", "stringData"]
        .iter()
        .filter_map(|field| object.body.get(field).and_then(Value::as_object))
        .flat_map(|map| map.keys().map(String::as_str))
        .collect()
}

pub(super) fn check(cx: &mut Ctx<'_, '_>) {
    for (i, object) in cx.each() {
        let Some(template) = cx.index.pod_template(i) else {
            continue;
        };
        let namespace = namespace_of(object);
        for reference in references(&template) {
            let kind = reference.kind.name();
            let target = cx.index.get("", kind, namespace, reference.name);
            match target {
                None if reference.optional => {}
                None if reference.kind == Kind::ConfigMap
                    && BUILT_IN_CONFIG_MAPS.contains(&reference.name) => {}
                None => {
                    cx.missing_object(i, reference.pointer, "", kind, namespace, reference.name)
                }
                Some(target) => {
                    let present = keys(target);
                    for (key, pointer) in reference.keys {
                        if present.contains(key) || reference.optional {
                            continue;
                        }
                        let help = match crate::suggest::did_you_mean(key, present.iter().copied())
                        {
                            Some(best) => format!("did you mean `{best}`?"),
                            None if present.is_empty() => format!("the {kind} holds no keys"),
                            None => format!(
                                "its keys: {}",
                                present.iter().copied().collect::<Vec<_>>().join(", ")
                            ),
                        };
                        cx.wrong(
                            i,
                            pointer,
                            format!("{kind} `{}` has no key `{key}`", reference.name),
                            help,
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{messages, run};

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: info, namespace: web}\ndata: {count: '10'}\nbinaryData: {logo.png: AAAA}\n";
    const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: web}\ndata: {password: 'ENC[AES256_GCM,data:xyz,type:str]'}\nstringData: {user: 'ENC[AES256_GCM,data:abc,type:str]'}\nsops: {version: 3.9.0}\n";

    fn pod(spec: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: web}}\nspec:\n{spec}")
    }

    fn container(fields: &str) -> String {
        pod(&format!(
            "  containers:\n  - name: c\n    image: x:1\n{fields}"
        ))
    }

    #[test]
    fn env_key_references() {
        let env = container(
            "    env:\n    - {name: A, valueFrom: {configMapKeyRef: {name: info, key: count}}}\n    - {name: B, valueFrom: {secretKeyRef: {name: db, key: password}}}\n    - {name: C, valueFrom: {secretKeyRef: {name: db, key: user}}}\n",
        );
        assert!(messages(&format!("{CM}---\n{SECRET}---\n{env}")).is_empty());
        let bad = container(
            "    env:\n    - {name: A, valueFrom: {configMapKeyRef: {name: info, key: cuont}}}\n    - {name: B, valueFrom: {secretKeyRef: {name: db, key: pass, optional: true}}}\n    - {name: C, valueFrom: {secretKeyRef: {name: nope, key: x}}}\n",
        );
        assert_eq!(
            run(&format!("{CM}---\n{SECRET}---\n{bad}"), false),
            [
                (
                    "error".to_owned(),
                    "p".to_owned(),
                    "/spec/containers/0/env/0/valueFrom/configMapKeyRef/key".to_owned(),
                    "ConfigMap `info` has no key `cuont`".to_owned()
                ),
                (
                    "warning".to_owned(),
                    "p".to_owned(),
                    "/spec/containers/0/env/2/valueFrom/secretKeyRef/name".to_owned(),
                    "Secret `nope` does not exist in namespace `web`".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn env_from_and_strictness() {
        let env = container(
            "    envFrom:\n    - configMapRef: {name: other}\n    - secretRef: {name: gone, optional: true}\n",
        );
        assert_eq!(run(&env, true)[0].0, "error");
        assert_eq!(
            messages(&env),
            ["ConfigMap `other` does not exist in namespace `web`"]
        );
        let fine = container("    envFrom:\n    - configMapRef: {name: info}\n");
        assert!(messages(&format!("{CM}---\n{fine}")).is_empty());
    }

    #[test]
    fn volumes_and_items() {
        let spec = container("").to_owned()
            + "  volumes:\n  - {name: a, configMap: {name: info, items: [{key: logo.png, path: l}, {key: missing, path: m}]}}\n  - {name: b, secret: {secretName: db, items: [{key: user, path: u}]}}\n  - name: c\n    projected:\n      sources:\n      - configMap: {name: kube-root-ca.crt}\n      - secret: {name: db, items: [{key: token, path: t}]}\n      - configMap: {name: elsewhere}\n";
        assert_eq!(
            messages(&format!("{CM}---\n{SECRET}---\n{spec}")),
            [
                "ConfigMap `info` has no key `missing`",
                "Secret `db` has no key `token`",
                "ConfigMap `elsewhere` does not exist in namespace `web`"
            ]
        );
    }

    #[test]
    fn another_namespace_does_not_count() {
        let env = container("    envFrom:\n    - configMapRef: {name: info}\n")
            .replace("namespace: web", "namespace: api");
        assert_eq!(
            messages(&format!("{CM}---\n{env}")),
            ["ConfigMap `info` does not exist in namespace `api`"]
        );
    }
}
