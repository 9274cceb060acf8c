//! Add-ons: `spec.addons` turned into what the rest of the pipeline already understands.
//!
//! Each add-on becomes apps of the same model as `spec.apps` ([`apply`], run right after
//! load), so the checks, expansion, lint, validation and diff treat them like the user's own
//! apps; the generated apps' fields point at the add-on's line. What the app model cannot say
//! — cluster-scoped objects such as `CSIDriver`, `IngressClass`, the admission webhook and
//! the `APIService`, extra containers, `fieldRef` env, mount propagation — comes from
//! [`objects`] and [`patch`] as typed k8s-openapi values, called by the expand stage.
//!
//! Architecture invariant: pure; images are pinned here (`images.rs`) and overridable per part.

pub(crate) mod images;
mod ingress;
mod logging;
mod metrics;
pub(crate) mod monitoring;
mod nfs;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::Resource;
use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::{Value, json};

use crate::diagnostic::Diagnostic;
use crate::load::Loaded;
use crate::load::blueprint::{AddonPart, App, Blueprint, Isolation};
use crate::load::quantity::Quantity;
use crate::model::{Object, field_path};

/// One generated app and the add-on field each of its fields stands for.
pub(crate) struct Part {
    pub app: App,
    /// The add-on field the app comes from, e.g. `/spec/addons/logging/elasticsearch`.
    pub origin: String,
    /// (pointer below the app, add-on field) for fields set from an option, e.g.
    /// (`/volumes/0/storageClass`, `/spec/addons/logging/elasticsearch/storageClass`).
    pub fields: Vec<(String, String)>,
}

impl Part {
    fn new(app: Value, origin: &str) -> Part {
        Part {
            app: build(app),
            origin: origin.to_owned(),
            fields: Vec::new(),
        }
    }

    fn field(mut self, below: &str, option: &str) -> Part {
        self.fields.push((below.to_owned(), option.to_owned()));
        self
    }

    /// Points the first volume's size and class at the part's `storage` and `storageClass`
    /// options, when they are set.
    fn stored(mut self, storage: bool, class: bool) -> Part {
        let at = self.origin.clone();
        if class {
            self = self.field("/volumes/0/storageClass", &format!("{at}/storageClass"));
        }
        if storage {
            self = self.field("/volumes/0/size", &format!("{at}/storage"));
        }
        self
    }
}

/// The `data` volume of a part that keeps state: a claim of its own (a volumeClaimTemplate
/// of the StatefulSet) of `storage` (else `default`) in `class` (else the default class).
fn data_volume(
    mount: &str,
    storage: Option<&Quantity>,
    default: &str,
    class: Option<&str>,
) -> Value {
    let mut data = json!({"name": "data", "mountPath": mount, "size": storage.map_or(json!(default), value), "accessModes": ["ReadWriteOnce"]});
    if let Some(class) = class {
        data["storageClass"] = json!(class);
    }
    data
}

/// Probes of a slow-starting HTTP server: started and alive while its port answers, ready
/// when `path` does.
fn server_probes(path: &str) -> Value {
    json!({
        "startup": {"tcp": "http", "periodSeconds": 10, "failureThreshold": 30},
        "liveness": {"tcp": "http", "periodSeconds": 20},
        "readiness": {"http": {"path": path, "port": "http"}, "periodSeconds": 10},
    })
}

/// An app of the blueprint model from the add-on's description of it. The shapes are this
/// module's own (the unit tests expand every add-on), user values enter only as strings,
/// quantities and resources already typed.
fn build(app: Value) -> App {
    match serde_json::from_value(app) {
        Ok(app) => app,
        Err(e) => unreachable!("an add-on app does not fit the app model: {e}"),
    }
}

/// The JSON of a typed value, for the app descriptions.
fn value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The image of a part: the whole override, else the pinned repository with the tag override.
fn image(part: Option<&AddonPart>, pinned: &str) -> String {
    images::pick(
        pinned,
        part.and_then(|p| p.image.as_deref()),
        part.and_then(|p| p.version.as_deref()),
    )
}

/// The resources of a part: the override, else the defaults.
fn resources(part: Option<&crate::load::blueprint::Resources>, default: Value) -> Value {
    part.map_or(default, value)
}

/// The generated apps of every add-on, in a fixed order.
pub(crate) fn parts(blueprint: &Blueprint) -> Vec<Part> {
    let Some(addons) = &blueprint.spec.addons else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(a) = &addons.ingress_nginx {
        out.extend(ingress::parts(a));
    }
    if let Some(a) = &addons.nfs_csi {
        out.extend(nfs::parts(a));
    }
    if let Some(a) = &addons.metrics_server {
        out.extend(metrics::parts(a));
    }
    if let Some(a) = &addons.logging {
        out.extend(logging::parts(a));
    }
    if let Some(a) = &addons.monitoring {
        out.extend(monitoring::parts(a));
    }
    out
}

/// Appends the add-ons' apps to `spec.apps`; their fields point at the add-on's line.
pub fn apply(mut loaded: Loaded) -> Loaded {
    let parts = parts(&loaded.blueprint);
    if parts.is_empty() {
        return loaded;
    }
    let first = loaded.blueprint.spec.apps.len();
    let mut aliases = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        let at = format!("/spec/apps/{}", first + i);
        aliases.push((at.clone(), part.origin.clone()));
        for (below, option) in part.fields {
            aliases.push((format!("{at}{below}"), option));
        }
        loaded.blueprint.spec.apps.push(part.app);
    }
    Arc::make_mut(&mut loaded.spans).alias(&aliases);
    loaded
}

/// Rewrites the field paths of diagnostics about generated apps (`spec.apps[12]...`, which
/// the user never wrote) to the add-on field they come from: the option itself when the field
/// was set from one, else the part, e.g. `spec.addons.logging.elasticsearch (app
/// elasticsearch).probes`.
pub fn describe(blueprint: &Blueprint, diagnostics: &mut [Diagnostic]) {
    if diagnostics.iter().all(|d| d.path.is_none()) {
        return;
    }
    let parts = parts(blueprint);
    let Some(first) = blueprint.spec.apps.len().checked_sub(parts.len()) else {
        return;
    };
    for d in diagnostics.iter_mut() {
        let Some(path) = d.path.as_mut() else {
            continue;
        };
        for (i, part) in parts.iter().enumerate() {
            let prefix = format!("spec.apps[{}]", first + i);
            let Some(rest) = path.strip_prefix(&prefix) else {
                continue;
            };
            if !(rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')) {
                continue;
            }
            let exact = part.fields.iter().find(|(below, _)| {
                field_path(&format!("/spec/apps/{}{below}", first + i)) == *path
            });
            *path = match exact {
                Some((_, option)) => field_path(option),
                None => format!(
                    "{} (app `{}`){rest}",
                    field_path(&part.origin),
                    part.app.name
                ),
            };
            break;
        }
    }
}

/// The namespaces the add-ons put their apps in, with the add-on field that chose each.
pub fn namespaces(blueprint: &Blueprint) -> BTreeMap<String, &'static str> {
    let Some(addons) = &blueprint.spec.addons else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    if let Some(a) = &addons.ingress_nginx {
        out.insert(ingress::namespace(a), "/spec/addons/ingressNginx");
    }
    if let Some(a) = &addons.logging {
        out.insert(logging::namespace(a), "/spec/addons/logging");
    }
    if let Some(a) = &addons.monitoring {
        out.insert(monitoring::namespace(a), "/spec/addons/monitoring");
    }
    out
}

/// The checks only add-ons need: an add-on namespace declared `strict` (its parts need
/// egress to each other and to the API server, which `strict` denies), and an app that asks
/// Prometheus to scrape it while its isolation keeps the monitoring namespace out.
pub fn check(loaded: &Loaded) -> Vec<Diagnostic> {
    let used = namespaces(&loaded.blueprint);
    let mut out = Vec::new();
    for (i, ns) in loaded.blueprint.spec.namespaces.iter().enumerate() {
        let Some(addon) = used.get(&ns.name) else {
            continue;
        };
        if ns.isolation != Isolation::Strict {
            continue;
        }
        let pointer = format!("/spec/namespaces/{i}/isolation");
        out.push(
            Diagnostic::error(
                "addon-namespace-isolated",
                format!(
                    "namespace `{}` holds the add-on `{}`, whose parts need egress (to each other, the API server and the nodes) that `strict` isolation denies",
                    ns.name,
                    field_path(addon)
                ),
            )
            .path(field_path(&pointer))
            .at(loaded.spans.value(&pointer), "denies the add-on's traffic")
            .help(
                "use `isolation: default-deny` (the add-on's parts allow each other's ingress), or give the add-on a namespace of its own",
            ),
        );
    }
    unreachable_scrape_targets(loaded, &mut out);
    out
}

/// An app whose pods ask Prometheus to scrape them (`prometheus.io/scrape: "true"`) while
/// its namespace's isolation or its own ingress rules keep the monitoring namespace out.
fn unreachable_scrape_targets(loaded: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &loaded.blueprint.spec;
    let Some(monitoring) = spec.addons.as_ref().and_then(|a| a.monitoring.as_ref()) else {
        return;
    };
    if monitoring.prometheus.is_none() {
        return;
    }
    let prometheus_ns = monitoring::namespace(monitoring);
    let isolated: std::collections::BTreeSet<&str> = spec
        .namespaces
        .iter()
        .filter(|n| n.isolation != Isolation::None)
        .map(|n| n.name.as_str())
        .collect();
    for (i, app) in spec.apps.iter().enumerate() {
        if app
            .pod_annotations
            .get("prometheus.io/scrape")
            .map(String::as_str)
            != Some("true")
            || app.namespace == prometheus_ns
        {
            continue;
        }
        let rules = app
            .network
            .as_ref()
            .map(|n| n.ingress.as_slice())
            .unwrap_or_default();
        if !isolated.contains(app.namespace.as_str()) && rules.is_empty() {
            continue;
        }
        let allowed = rules.iter().any(|r| {
            r.from.namespace.as_deref() == Some(prometheus_ns.as_str()) || r.from.cidr.is_some()
        });
        if allowed {
            continue;
        }
        let pointer = format!("/spec/apps/{i}/podAnnotations/prometheus.io~1scrape");
        out.push(
            Diagnostic::error(
                "addon-unreachable",
                format!(
                    "app `{}` asks Prometheus to scrape it, but its network rules keep namespace `{prometheus_ns}` out",
                    app.name
                ),
            )
            .path(field_path(&pointer))
            .at(loaded.spans.value(&pointer), "Prometheus cannot reach this")
            .help(format!(
                "add `network.ingress: [{{from: {{namespace: {prometheus_ns}}}}}]` (with the metrics port) to the app, or drop the annotation"
            )),
        );
    }
}

/// The standard labels of an object of the add-on app `app`.
pub type LabelsFn<'a> = dyn Fn(&str) -> BTreeMap<String, String> + 'a;

/// Metadata of a cluster-scoped or namespaced add-on object.
pub(crate) fn meta(
    labels: &LabelsFn<'_>,
    name: &str,
    namespace: Option<&str>,
    app: &str,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: Some(labels(app)),
        ..Default::default()
    }
}

/// The labels a Service of `app` selects its pods by (the expand stage's stable subset).
pub(crate) fn selector(labels: &LabelsFn<'_>, app: &str) -> BTreeMap<String, String> {
    labels(app)
        .into_iter()
        .filter(|(k, _)| k == "app.kubernetes.io/name" || k == "app.kubernetes.io/part-of")
        .collect()
}

pub(crate) fn object<T: Resource + Serialize>(
    value: &T,
    name: &str,
    namespace: Option<&str>,
    origin: &str,
) -> Object {
    Object::new(value, name, namespace, origin)
}

/// The objects the app model cannot express, typed.
pub fn objects(blueprint: &Blueprint, labels: &LabelsFn<'_>) -> Vec<Object> {
    let Some(addons) = &blueprint.spec.addons else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(a) = &addons.ingress_nginx {
        out.extend(ingress::objects(a, labels));
    }
    if let Some(a) = &addons.nfs_csi {
        out.extend(nfs::objects(a, labels));
    }
    if let Some(a) = &addons.metrics_server {
        out.extend(metrics::objects(a, labels));
    }
    out
}

/// A change to the pod template of a generated workload.
pub(crate) enum Patch {
    /// Containers added beside the app's own.
    Sidecars(Vec<Container>),
    /// Env vars of the app's container from the pod's own fields (`metadata.name`, ...).
    FieldEnv(Vec<(&'static str, &'static str)>),
    /// A pod volume the app model has no source for (a Secret the add-on's Job makes), with
    /// its mount in the app's container.
    Volume(Value, Value),
    /// Sets `mountPropagation` on the app container's mount of that volume.
    Propagation(&'static str, &'static str),
}

/// Workload (kind, namespace, name) -> its patches.
fn patches(blueprint: &Blueprint) -> Vec<((&'static str, String, String), Patch)> {
    let Some(addons) = &blueprint.spec.addons else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(a) = &addons.ingress_nginx {
        out.extend(ingress::patches(a));
    }
    if let Some(a) = &addons.nfs_csi {
        out.extend(nfs::patches(a));
    }
    out
}

/// Applies the add-ons' pod template changes to the expanded workloads.
pub fn patch(blueprint: &Blueprint, objects: &mut [Object]) {
    let patches = patches(blueprint);
    if patches.is_empty() {
        return;
    }
    for object in objects.iter_mut() {
        for ((kind, namespace, name), patch) in &patches {
            if object.kind != *kind
                || object.name != *name
                || object.namespace.as_deref() != Some(namespace.as_str())
            {
                continue;
            }
            let Some(pod) = object.body.pointer_mut("/spec/template/spec") else {
                continue;
            };
            apply_patch(pod, patch);
        }
    }
}

fn apply_patch(pod: &mut Value, patch: &Patch) {
    match patch {
        Patch::Sidecars(containers) => {
            if let Some(list) = pod.get_mut("containers").and_then(Value::as_array_mut) {
                list.extend(containers.iter().map(value));
            }
        }
        Patch::FieldEnv(vars) => {
            if let Some(env) = first_container(pod).map(|c| list(c, "env")) {
                for (name, path) in vars {
                    env.push(json!({"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}));
                }
                env.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            }
        }
        Patch::Volume(volume, mount) => {
            list(pod, "volumes").push(volume.clone());
            if let Some(c) = first_container(pod) {
                list(c, "volumeMounts").push(mount.clone());
            }
        }
        Patch::Propagation(volume, mode) => {
            if let Some(mounts) = first_container(pod)
                .and_then(|c| c.get_mut("volumeMounts"))
                .and_then(Value::as_array_mut)
            {
                for m in mounts.iter_mut().filter(|m| m["name"] == *volume) {
                    m["mountPropagation"] = json!(mode);
                }
            }
        }
    }
}

fn first_container(pod: &mut Value) -> Option<&mut Value> {
    pod.get_mut("containers")
        .and_then(Value::as_array_mut)
        .and_then(|l| l.first_mut())
}

/// The list at `key` of a JSON object, made when missing.
fn list<'v>(object: &'v mut Value, key: &str) -> &'v mut Vec<Value> {
    if !object[key].is_array() {
        object[key] = json!([]);
    }
    match object.get_mut(key).and_then(Value::as_array_mut) {
        Some(list) => list,
        None => unreachable!("set to an array above"),
    }
}
