//! `kforge diff --live`: the rendered trees against a running cluster, read-only.
//!
//! The live objects come from label-selector LISTs of every listable kind (a GET for a
//! rendered object they do not hold); for every object of a rendered tree, unless [`noop`]
//! proves an apply would change nothing (then it is in sync), a server-side apply with
//! `dryRun=All` (field manager `kforge`, forced, `fieldValidation=Strict`) gives the object
//! as an apply would leave it, server defaults included; both are normalised
//! ([`normal`]) and handed to [`crate::diff::compare`] as two trees, so a live diff is the
//! same model, printed by the same printers, as `diff --base`. Around that: discovery (kinds
//! to plural names and scope; a kind the cluster does not serve is created by the render's
//! own CRD or reported as not served), objects in a namespace the render creates (to
//! create, since a dry run cannot place them yet), prune candidates (a label-selector LIST
//! of every listable kind for `app.kubernetes.io/managed-by=kforge` and `part-of` the
//! blueprint, minus what the render holds) and the other field manager of a changed field
//! ([`managers`]). SOPS-encrypted Secrets are opened in memory with the age identities
//! handed in; without one they are not compared.
//!
//! Architecture invariant: the IO edge to the cluster. Every request that could change
//! anything is a PATCH with `dryRun=All`; nothing else but GET, LIST and discovery is sent.
//! Any failed request ends the run with a [`LiveError`] (never a partial diff), and no
//! Secret value reaches an error: the server's message about a Secret is withheld.

pub mod managers;
pub mod noop;
pub mod normal;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use age::x25519;
use futures_util::{StreamExt, TryStreamExt, stream};
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiGroup, ApiResource, Discovery, Scope, verbs};
use kube::{Client, Config};
use serde_json::Value;
use yaml_rust2::YamlLoader;
use zeroize::Zeroizing;

use crate::diff::{self, Diff, Subject, Tree};
use crate::expand::labels::{MANAGED_BY, PART_OF};
use crate::model::artifact::{Artifact, ArtifactKind, ArtifactTree};
use crate::model::{Object, group, namespace_of};
use crate::secrets::sops;

/// The field manager kforge's dry-run applies use.
pub const FIELD_MANAGER: &str = "kforge";

/// The user agent of every request, so that audit logs tell kforge's requests apart.
pub const USER_AGENT: &str = concat!("kforge/", env!("CARGO_PKG_VERSION"));

/// How many objects are in flight at once.
pub const CONCURRENCY: usize = 32;

/// Which cluster: like kubectl, `--kubeconfig` else `KUBECONFIG` else `~/.kube/config`, and
/// `--context` else the current context.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// One rendered tree as it is on disk: its owned files by path.
pub struct Target<'a> {
    pub blueprint: &'a str,
    pub env: &'a str,
    pub files: BTreeMap<&'a str, &'a [u8]>,
}

/// Why a live diff could not be made. Each stops the run: a diff missing some objects
/// would read as complete.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("cannot load the kubeconfig: {0}")]
    Config(String),
    #[error(
        "the cluster refused to {what} ({status}): {message}\n  the credentials of context `{context}` lack this permission; kforge diff --live needs get, list and patch (dry run) on the rendered kinds"
    )]
    Refused {
        /// The request: `get deployments.apps "web" in namespace "shop"`.
        what: String,
        /// `403 Forbidden`.
        status: String,
        message: String,
        context: String,
    },
    #[error("the cluster rejected {what} ({status}): {message}")]
    Rejected {
        what: String,
        status: String,
        message: String,
    },
    #[error(
        "lost the connection to the cluster at {server} during {what}: {detail}\n  no report is printed: it would be incomplete"
    )]
    Connection {
        server: String,
        what: String,
        detail: String,
    },
    #[error(
        "{object} ({path}): namespace `{namespace}` does not exist in the cluster and the render does not create it"
    )]
    MissingNamespace {
        object: String,
        path: String,
        namespace: String,
    },
    #[error("{path}: {problem}")]
    BadFile { path: String, problem: String },
    #[error("cannot start the client: {0}")]
    Runtime(String),
}

impl LiveError {
    /// A stable code for `error[code]:` lines.
    pub fn code(&self) -> &'static str {
        match self {
            LiveError::Config(_) => "live-config",
            LiveError::Refused { .. } => "live-forbidden",
            LiveError::Rejected { .. } => "live-rejected",
            LiveError::Connection { .. } => "live-connection",
            LiveError::MissingNamespace { .. } => "live-missing-namespace",
            LiveError::BadFile { .. } => "live-bad-file",
            LiveError::Runtime(_) => "live-runtime",
        }
    }
}

/// What a request was, for errors.
struct Request<'a> {
    verb: &'static str,
    resource: &'a ApiResource,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    /// The server's message may quote a Secret's content: withhold it.
    secret: bool,
}

/// Where the failure happened, for messages: `"api" in namespace "web"`.
fn place(namespace: Option<&str>, name: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(name) = name {
        out.push_str(&format!(" \"{name}\""));
    }
    if let Some(ns) = namespace {
        out.push_str(&format!(" in namespace \"{ns}\""));
    }
    out
}

fn resource_name(resource: &ApiResource) -> String {
    if resource.group.is_empty() {
        resource.plural.clone()
    } else {
        format!("{}.{}", resource.plural, resource.group)
    }
}

/// The connection to the cluster and what every error message names.
struct Session {
    client: Client,
    server: String,
    context: String,
}

impl Session {
    fn fail(&self, error: kube::Error, request: &Request<'_>) -> LiveError {
        let what = format!(
            "{} {}{}",
            request.verb,
            resource_name(request.resource),
            place(request.namespace, request.name)
        );
        match error {
            kube::Error::Api(status) if matches!(status.code, 401 | 403) => LiveError::Refused {
                what,
                status: format!("{} {}", status.code, status.reason),
                message: status.message.clone(),
                context: self.context.clone(),
            },
            kube::Error::Api(status) => LiveError::Rejected {
                what,
                status: format!("{} {}", status.code, status.reason),
                message: if request.secret {
                    "(the server's message about a Secret is withheld)".to_owned()
                } else {
                    status.message.clone()
                },
            },
            other => LiveError::Connection {
                server: self.server.clone(),
                what,
                detail: chain(&other),
            },
        }
    }
}

/// An error and its causes on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(&format!(": {cause}"));
        }
        source = cause_of(source);
    }
    text
}

fn cause_of<'a>(
    error: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a (dyn std::error::Error + 'static)> {
    error.and_then(std::error::Error::source)
}

/// One object of a rendered tree, ready to send.
struct Local {
    path: String,
    object: Object,
    /// A SOPS-encrypted Secret no identity opened: only its keys are known.
    sealed: bool,
}

/// Reads the objects of a tree: the files its kustomization lists (not node files, not the
/// delivery objects, which are applied on their own), each Secret opened when an identity
/// can.
fn locals(target: &Target<'_>, identities: &[x25519::Identity]) -> Result<Vec<Local>, LiveError> {
    let mut out = Vec::new();
    for (path, bytes) in &target.files {
        let top = path.split('/').next().unwrap_or("");
        let file = path.rsplit('/').next().unwrap_or("");
        if !path.ends_with(".yaml")
            || file == "kustomization.yaml"
            || matches!(top, "nodes" | "delivery")
        {
            continue;
        }
        let bad = |problem: String| LiveError::BadFile {
            path: format!("{}/{}/{path}", target.blueprint, target.env),
            problem,
        };
        let text = std::str::from_utf8(bytes).map_err(|e| bad(e.to_string()))?;
        let sealed_text = text.lines().any(|l| l.starts_with("sops:"));
        let (text, sealed) = if sealed_text {
            let doc = YamlLoader::load_from_str(text)
                .ok()
                .and_then(|docs| docs.into_iter().next())
                .ok_or_else(|| bad("not a YAML document".into()))?;
            match sops::decrypt(&doc, identities) {
                Ok(opened) => (Zeroizing::new(crate::emit::to_text(&opened.plain)), false),
                Err(_) => (Zeroizing::new(text.to_owned()), true),
            }
        } else {
            (Zeroizing::new(text.to_owned()), false)
        };
        let objects = crate::model::manifest::objects(&text).map_err(|e| bad(e.message))?;
        for object in objects {
            out.push(Local {
                path: (*path).to_owned(),
                object,
                sealed,
            });
        }
    }
    Ok(out)
}

/// What one object came to.
enum Outcome {
    /// The live object exists and an apply would not change it ([`noop`]): no dry run.
    InSync,
    /// Compared: the live object (if any, raw) and the dry-run apply's result.
    Compared { live: Option<Value>, planned: Value },
    /// To create, as rendered: its namespace or CRD is created by the render too.
    Create(Value),
    /// A sealed Secret (no identity): to create with its keys, or present and not compared.
    Sealed { exists: bool },
    /// The cluster serves no such kind.
    NotServed(String),
}

/// Compares every target with the cluster. `names`: how the two sides are called in the
/// report (the cluster's, the render's).
pub fn diff(
    cluster: &Cluster,
    targets: &[Target<'_>],
    identities: &[x25519::Identity],
) -> Result<Diff, LiveError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LiveError::Runtime(e.to_string()))?;
    runtime.block_on(run(cluster, targets, identities))
}

async fn connect(cluster: &Cluster) -> Result<Session, LiveError> {
    let config_error = |e: &dyn std::error::Error| LiveError::Config(chain(e));
    let kubeconfig = match &cluster.kubeconfig {
        Some(path) => Kubeconfig::read_from(path)
            .map_err(|e| LiveError::Config(format!("{}: {}", path.display(), chain(&e))))?,
        None => Kubeconfig::read().map_err(|e| config_error(&e))?,
    };
    let context = cluster
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .unwrap_or_default();
    let options = KubeConfigOptions {
        context: cluster.context.clone(),
        cluster: None,
        user: None,
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| config_error(&e))?;
    config.headers.push((
        http::header::USER_AGENT,
        http::HeaderValue::from_static(USER_AGENT),
    ));
    config.connect_timeout = Some(Duration::from_secs(10));
    config.read_timeout = Some(Duration::from_secs(60));
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| config_error(&e))?;
    Ok(Session {
        client,
        server,
        context,
    })
}

async fn run(
    cluster: &Cluster,
    targets: &[Target<'_>],
    identities: &[x25519::Identity],
) -> Result<Diff, LiveError> {
    let session = connect(cluster).await?;
    let mut all = Vec::new();
    for target in targets {
        all.push(locals(target, identities)?);
    }
    let discovery = discover(&session).await?;

    // First every listable kind by label selector, per blueprint: the live objects kforge
    // made (looked up below instead of one GET each) and the prune candidates.
    let blueprints: BTreeSet<&str> = targets.iter().map(|t| t.blueprint).collect();
    let listable = listable(&discovery);
    let lists: Vec<(&str, Vec<Value>)> = stream::iter(
        blueprints
            .iter()
            .flat_map(|b| listable.iter().map(move |r| (*b, r))),
    )
    .map(|(blueprint, (resource, _))| {
        let session = &session;
        async move {
            list(session, resource, blueprint)
                .await
                .map(|objects| (blueprint, objects))
        }
    })
    // In order, so that the error reported is the same each run.
    .buffered(CONCURRENCY)
    .try_collect()
    .await?;
    let mut labelled: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut listed: HashMap<Subject, Value> = HashMap::new();
    for (blueprint, objects) in lists {
        for raw in objects {
            // A controller's copy of an object's labels is not a prune candidate.
            if !owned_by_another(&raw) {
                labelled.entry(blueprint).or_default().push(raw.clone());
            }
            listed.insert(listed_key(&raw), raw);
        }
    }

    // Every object of every tree, in flight CONCURRENCY at a time.
    let jobs: Vec<(usize, usize)> = all
        .iter()
        .enumerate()
        .flat_map(|(t, locals)| (0..locals.len()).map(move |i| (t, i)))
        .collect();
    let creates: Vec<Creates> = all.iter().map(|l| Creates::of(l)).collect();
    let mut results: Vec<((usize, usize), Result<Outcome, LiveError>)> = stream::iter(jobs)
        .map(|(t, i)| {
            let (session, discovery, local, creates, listed) =
                (&session, &discovery, &all[t][i], &creates[t], &listed);
            async move {
                (
                    (t, i),
                    one(session, discovery, local, creates, listed).await,
                )
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    results.sort_by_key(|(at, _)| *at);
    let mut outcomes: Vec<Vec<Outcome>> = all.iter().map(|_| Vec::new()).collect();
    for ((t, _), result) in results {
        outcomes[t].push(result?);
    }

    // Two trees per environment, then the one diff model.
    let mut live_trees = Vec::new();
    let mut planned_trees = Vec::new();
    let mut live_info = diff::Live::default();
    let mut notes = Vec::new();
    let mut managed: HashMap<(String, Subject), (Vec<Value>, Value)> = HashMap::new();
    for ((target, locals), outcomes) in targets.iter().zip(&all).zip(outcomes) {
        let label = format!("{}/{}", target.blueprint, target.env);
        let mut live_tree = ArtifactTree::new();
        let mut planned_tree = ArtifactTree::new();
        let mut in_sync = 0;
        let mut rendered: BTreeSet<Subject> = BTreeSet::new();
        for (local, outcome) in locals.iter().zip(outcomes) {
            rendered.insert(subject(&local.object));
            match outcome {
                Outcome::InSync => in_sync += 1,
                Outcome::Compared { live, planned } => {
                    let planned = artifact(normal::normalise(planned));
                    let live = live.map(|raw| {
                        let object = Object::from_body(raw.clone(), String::new());
                        let fields = raw
                            .pointer("/metadata/managedFields")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        managed.insert((label.clone(), subject(&object)), (fields, raw.clone()));
                        artifact(normal::normalise(raw))
                    });
                    match live {
                        Some(live) if live.1 == planned.1 => in_sync += 1,
                        Some(live) => {
                            insert(&mut live_tree, live);
                            insert(&mut planned_tree, planned);
                        }
                        None => insert(&mut planned_tree, planned),
                    }
                }
                Outcome::Create(body) => insert(&mut planned_tree, artifact(body)),
                Outcome::Sealed { exists: false } => {
                    insert(&mut planned_tree, artifact(local.object.body.clone()));
                }
                Outcome::Sealed { exists: true } => notes.push(format!(
                    "{label}: Secret {}: not compared (no identity: set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)",
                    subject(&local.object).name()
                )),
                Outcome::NotServed(what) => live_info
                    .not_served
                    .entry(label.clone())
                    .or_default()
                    .push(what),
            }
        }
        for raw in labelled.get(target.blueprint).into_iter().flatten() {
            let object = Object::from_body(raw.clone(), String::new());
            if !rendered.contains(&subject(&object)) {
                insert(&mut live_tree, artifact(normal::normalise(raw.clone())));
            }
        }
        live_info.in_sync.insert(label, in_sync);
        live_trees.push(live_tree);
        planned_trees.push(planned_tree);
    }
    let mut result = diff::compare(
        &view(&live_trees, targets),
        &view(&planned_trees, targets),
        &[],
        (
            &format!("the cluster (context {})", session.context),
            "the rendered tree",
        ),
    );
    for env in &mut result.environments {
        let label = env.label();
        for change in &mut env.changes {
            if change.action != diff::Action::Change {
                continue;
            }
            if let Some((fields, raw)) = managed.get(&(label.clone(), change.subject.clone())) {
                change.managers =
                    managers::other_owners(fields, raw, &change.fields, FIELD_MANAGER);
            }
        }
    }
    result.notes.extend(notes);
    result.notes.sort();
    result.live = Some(live_info);
    Ok(result)
}

/// Discovery: aggregated (two requests, Kubernetes 1.30+), else group by group when the
/// server does not answer the aggregated request in that format.
async fn discover(session: &Session) -> Result<Discovery, LiveError> {
    let root = ApiResource {
        group: String::new(),
        version: String::new(),
        api_version: String::new(),
        kind: String::new(),
        plural: "API groups and resources (discovery)".into(),
    };
    let request = Request {
        verb: "discover",
        resource: &root,
        namespace: None,
        name: None,
        secret: false,
    };
    match Discovery::new(session.client.clone())
        .run_aggregated()
        .await
    {
        // A server without aggregated discovery may answer in the old format, which reads
        // as no groups at all: the core group is always there.
        Ok(discovery) if discovery.has_group(ApiGroup::CORE_GROUP) => Ok(discovery),
        Err(e @ (kube::Error::HyperError(_) | kube::Error::Service(_))) => {
            Err(session.fail(e, &request))
        }
        Err(kube::Error::Api(status)) if matches!(status.code, 401 | 403) => {
            Err(session.fail(kube::Error::Api(status), &request))
        }
        Ok(_) | Err(_) => Discovery::new(session.client.clone())
            .run()
            .await
            .map_err(|e| session.fail(e, &request)),
    }
}

/// The trees of one side, named after their targets.
fn view<'a>(trees: &'a [ArtifactTree], targets: &'a [Target<'_>]) -> Vec<Tree<'a>> {
    trees
        .iter()
        .zip(targets)
        .map(|(tree, t)| Tree {
            blueprint: t.blueprint,
            env: t.env,
            tree,
        })
        .collect()
}

/// The namespaces and CRD kinds a tree creates itself.
struct Creates {
    namespaces: BTreeSet<String>,
    /// (group, kind) of every CustomResourceDefinition.
    kinds: BTreeSet<(String, String)>,
}

impl Creates {
    fn of(locals: &[Local]) -> Creates {
        let mut namespaces = BTreeSet::new();
        let mut kinds = BTreeSet::new();
        for local in locals {
            let o = &local.object;
            match (group(&o.api_version), o.kind.as_str()) {
                ("", "Namespace") => {
                    namespaces.insert(o.name.clone());
                }
                ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                    let spec = o.body.get("spec");
                    let text = |p: &str| {
                        spec.and_then(|s| s.pointer(p))
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned()
                    };
                    kinds.insert((text("/group"), text("/names/kind")));
                }
                _ => {}
            }
        }
        Creates { namespaces, kinds }
    }
}

/// The identity the diff matches objects by.
fn subject(object: &Object) -> Subject {
    Subject::Object {
        group: group(&object.api_version).to_owned(),
        kind: object.kind.clone(),
        namespace: namespace_of(object).to_owned(),
        name: object.name.clone(),
    }
}

/// An object as a tree file: its path and canonical YAML.
fn artifact(body: Value) -> (String, Artifact) {
    let object = Object::from_body(body, String::new());
    let kind = if object.is_secret() {
        ArtifactKind::Secret
    } else {
        ArtifactKind::Manifest
    };
    let text = crate::emit::canonical_yaml(&object.body);
    (crate::emit::object_path(&object), Artifact::new(kind, text))
}

fn insert(tree: &mut ArtifactTree, (path, artifact): (String, Artifact)) {
    // Two objects at one path cannot come from one tree; keep the first.
    let _ = tree.insert(path, artifact);
}

/// Every kind that can be listed, at its preferred version, but those whose objects copy
/// their owner's labels without being kforge's (events, endpoints); by group and plural.
fn listable(discovery: &Discovery) -> Vec<(ApiResource, ApiCapabilities)> {
    let mut out: Vec<(ApiResource, ApiCapabilities)> = discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
        .filter(|(r, caps)| {
            caps.supports_operation(verbs::LIST)
                && !matches!(r.kind.as_str(), "Event" | "Endpoints" | "EndpointSlice")
        })
        .collect();
    out.sort_by(|(a, _), (b, _)| (&a.group, &a.plural).cmp(&(&b.group, &b.plural)));
    out
}

/// A listed object's identity: the namespace as the server has it (none when
/// cluster-scoped), so that it matches [`one`]'s lookup by the kind's scope.
fn listed_key(raw: &Value) -> Subject {
    let text = |p: &str| raw.pointer(p).and_then(Value::as_str).unwrap_or("");
    Subject::Object {
        group: group(text("/apiVersion")).to_owned(),
        kind: text("/kind").to_owned(),
        namespace: text("/metadata/namespace").to_owned(),
        name: text("/metadata/name").to_owned(),
    }
}

/// Whether an object has an owner (a controller made it, copying its owner's labels).
fn owned_by_another(raw: &Value) -> bool {
    raw.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|o| !o.is_empty())
}

/// The objects of one kind labelled as the blueprint's and made by kforge, owned ones too.
async fn list(
    session: &Session,
    resource: &ApiResource,
    blueprint: &str,
) -> Result<Vec<Value>, LiveError> {
    let api: Api<DynamicObject> = Api::all_with(session.client.clone(), resource);
    let selector = format!("{MANAGED_BY}=kforge,{PART_OF}={blueprint}");
    let mut params = ListParams::default().labels(&selector).limit(500);
    let mut out = Vec::new();
    loop {
        let page = api.list(&params).await.map_err(|e| {
            session.fail(
                e,
                &Request {
                    verb: "list",
                    resource,
                    namespace: None,
                    name: None,
                    secret: false,
                },
            )
        })?;
        for mut item in page.items {
            item.types = Some(kube::core::TypeMeta {
                api_version: resource.api_version.clone(),
                kind: resource.kind.clone(),
            });
            out.push(serde_json::to_value(item).unwrap_or(Value::Null));
        }
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    Ok(out)
}

/// One object: discovery, the live object (from the LISTs, else a GET), then the dry-run
/// apply unless it is provably a no-op.
async fn one(
    session: &Session,
    discovery: &Discovery,
    local: &Local,
    creates: &Creates,
    listed: &HashMap<Subject, Value>,
) -> Result<Outcome, LiveError> {
    let object = &local.object;
    let (group_name, version) = match object.api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", object.api_version.as_str()),
    };
    let gvk = GroupVersionKind::gvk(group_name, version, &object.kind);
    let Some((resource, caps)) = discovery.resolve_gvk(&gvk) else {
        if creates
            .kinds
            .contains(&(group_name.to_owned(), object.kind.clone()))
        {
            return Ok(Outcome::Create(object.body.clone()));
        }
        return Ok(Outcome::NotServed(format!(
            "{} ({})",
            subject(object).label(),
            object.api_version
        )));
    };
    let namespace = match caps.scope {
        Scope::Namespaced => Some(object.namespace.as_deref().unwrap_or("default")),
        Scope::Cluster => None,
    };
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(session.client.clone(), ns, &resource),
        None => Api::all_with(session.client.clone(), &resource),
    };
    let request = |verb| Request {
        verb,
        resource: &resource,
        namespace,
        name: Some(object.name.as_str()),
        secret: object.is_secret(),
    };
    let key = Subject::Object {
        group: group_name.to_owned(),
        kind: object.kind.clone(),
        namespace: namespace.unwrap_or("").to_owned(),
        name: object.name.clone(),
    };
    // Listed at the kind's preferred version: only good for another version with a GET.
    let live = match listed.get(&key) {
        Some(raw) if raw.get("apiVersion").and_then(Value::as_str) == Some(&object.api_version) => {
            Some(raw.clone())
        }
        _ => api
            .get_opt(&object.name)
            .await
            .map_err(|e| session.fail(e, &request("get")))?
            .map(|o| serde_json::to_value(o).unwrap_or(Value::Null)),
    };
    if local.sealed {
        return Ok(Outcome::Sealed {
            exists: live.is_some(),
        });
    }
    if live
        .as_ref()
        .is_some_and(|live| noop::apply_is_noop(&object.body, live, FIELD_MANAGER))
    {
        return Ok(Outcome::InSync);
    }
    let params = PatchParams::apply(FIELD_MANAGER)
        .force()
        .dry_run()
        .validation_strict();
    let planned = match api
        .patch(&object.name, &params, &Patch::Apply(&object.body))
        .await
    {
        Ok(planned) => planned,
        Err(kube::Error::Api(status))
            if status.code == 404 && live.is_none() && namespace.is_some() =>
        {
            let ns = namespace.unwrap_or_default();
            if creates.namespaces.contains(ns) {
                return Ok(Outcome::Create(object.body.clone()));
            }
            return Err(LiveError::MissingNamespace {
                object: subject(object).label(),
                path: local.path.clone(),
                namespace: ns.to_owned(),
            });
        }
        Err(e) => return Err(session.fail(e, &request("patch (server-side apply, dry run)"))),
    };
    Ok(Outcome::Compared {
        live,
        planned: serde_json::to_value(planned).unwrap_or(Value::Null),
    })
}
