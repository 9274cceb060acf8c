//! The pipeline as a library: which blueprints and environments a run covers ([`Plan`]),
//! and the stages each environment goes through, each returning the value the next one
//! takes:
//!
//! ```text
//! Plan ─load─▶ Loaded ─check─▶ Checked ─expand─▶ Expanded ─review─▶ Reviewed ─emit─▶ Rendered
//!                                        (+ Inputs,   (xref, lint)              (ArtifactTree)
//!                                        schemas)
//! ```
//!
//! The stage values have private fields, so the only way to a [`Rendered`] tree is through
//! every stage in order. Files are read through a [`Source`], which keeps every read inside
//! the repository; environment variables (`fromEnv` secret values) are asked of the caller.
//! [`output`] seals the Secrets of the rendered trees and writes or compares them.
//!
//! Architecture invariant: no printing and no exit codes here (that is `cli`), and no file
//! is read except through the [`Source`] the caller hands in.

pub mod error;
pub mod inputs;
pub mod output;
pub mod source;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::expand::Inputs;
use crate::load::{Loaded, SpanMap};
use crate::model::Object;
use crate::model::artifact::ArtifactTree;
use crate::overlay::{self, Overlay};
use crate::secrets::SecretFile;
use crate::{check, delivery, emit, expand, load, review};

pub use error::Error;
pub use source::{MemoryFiles, RepoPath, Source, WorkTree};

/// Where blueprints are found when none is named.
pub const BLUEPRINTS_DIR: &str = "blueprints";
/// Where overlays are found.
pub const OVERLAYS_DIR: &str = "overlays";

/// How a run ended when it could not produce every tree.
#[derive(Debug)]
pub enum Failure {
    /// Problems with the input: the blueprint, an overlay, a referenced file. `findings_only`
    /// when every error is a finding about the objects (a reference or lint rule), which
    /// `check` reports with another exit code than a broken blueprint.
    Problems {
        diagnostics: Vec<Diagnostic>,
        findings_only: bool,
    },
    /// The run could not work at all.
    Error(Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Error(error)
    }
}

impl Failure {
    fn problems(diagnostics: Vec<Diagnostic>) -> Failure {
        Failure::Problems {
            diagnostics,
            findings_only: false,
        }
    }
}

/// A blueprint file as parsed, before any overlay: shared by all its environments.
pub struct Parsed {
    pub path: RepoPath,
    /// `metadata.name`, when the document has one (the schema pass reports it otherwise).
    pub name: Option<String>,
    document: serde_json::Value,
    spans: Arc<SpanMap>,
}

impl Parsed {
    /// The document and its spans, for `kforge show`.
    pub fn document(&self) -> (&serde_json::Value, &Arc<SpanMap>) {
        (&self.document, &self.spans)
    }

    /// The directory `fromFile` and `resources` paths are relative to: the blueprint's own,
    /// in the repository.
    pub fn base_dir(&self) -> PathBuf {
        PathBuf::from(self.path.parent().as_str())
    }
}

/// One blueprint and the environments a run builds of it: `None` is `base`, the blueprint
/// without overlay.
pub struct Target {
    pub parsed: Parsed,
    pub environments: Vec<Option<Overlay>>,
}

/// What one run works on.
pub struct Plan {
    pub targets: Vec<Target>,
}

/// Reads a file as a source for diagnostics, named by its repository path.
fn read_source(source: &dyn Source, path: &RepoPath) -> Result<Arc<SourceFile>, Failure> {
    Ok(SourceFile::new(source.name(path), source.read_text(path)?))
}

/// The `*.yaml` and `*.yml` files directly in a directory; `None` when it does not exist.
fn yaml_files(source: &dyn Source, dir: &str) -> Result<Option<Vec<RepoPath>>, Error> {
    let files = source.files_in(&RepoPath::new(dir)?)?;
    Ok(files.map(|files| files.into_iter().filter(RepoPath::is_yaml).collect()))
}

/// The blueprints named, or every `blueprints/*.yaml`.
fn blueprint_paths(source: &dyn Source, given: &[RepoPath]) -> Result<Vec<RepoPath>, Failure> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    match yaml_files(source, BLUEPRINTS_DIR)? {
        None => Err(Failure::problems(vec![
            Diagnostic::error("no-blueprints", "there is no `blueprints/` directory").help(
                "run kforge in a repository with a blueprints/ directory, or name blueprint files",
            ),
        ])),
        Some(paths) if paths.is_empty() => Err(Failure::problems(vec![
            Diagnostic::error("no-blueprints", "`blueprints/` holds no .yaml file")
                .help("create one with `kforge init`"),
        ])),
        Some(paths) => Ok(paths),
    }
}

/// Reads and parses one blueprint file.
fn parse(source: &dyn Source, path: &RepoPath) -> Result<Parsed, Failure> {
    let file = read_source(source, path)?;
    let (document, spans) = load::parse_blueprint(&file).map_err(Failure::problems)?;
    let name = document
        .pointer("/metadata/name")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    Ok(Parsed {
        path: path.clone(),
        name,
        document,
        spans: spans.into(),
    })
}

/// Every `overlays/*.yaml`, parsed; a missing directory means no overlays.
fn read_overlays(source: &dyn Source) -> Result<Vec<Overlay>, Failure> {
    let mut overlays = Vec::new();
    let mut errors = Vec::new();
    for path in yaml_files(source, OVERLAYS_DIR)?.unwrap_or_default() {
        match overlay::parse_overlay(read_source(source, &path)?) {
            Ok(o) => overlays.push(o),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(overlays)
    } else {
        Err(Failure::problems(errors))
    }
}

impl Plan {
    /// Parses the blueprints (those given, or every `blueprints/*.yaml`) and the overlays,
    /// and picks the environments (`envs` narrows; empty means all). Overlays naming a
    /// blueprint outside this run are an error only when the run covers every blueprint.
    /// Every problem of every file is reported at once.
    pub fn new(source: &dyn Source, given: &[RepoPath], envs: &[String]) -> Result<Plan, Failure> {
        let paths = blueprint_paths(source, given)?;
        let mut problems = Vec::new();
        let mut parsed = Vec::new();
        for path in &paths {
            match parse(source, path) {
                Ok(p) => parsed.push(p),
                Err(Failure::Problems { diagnostics, .. }) => problems.extend(diagnostics),
                Err(error) => return Err(error),
            }
        }
        let mut seen: BTreeMap<&str, &RepoPath> = BTreeMap::new();
        for p in &parsed {
            let Some(name) = p.name.as_deref() else {
                continue;
            };
            if let Some(first) = seen.insert(name, &p.path) {
                problems.push(
                    Diagnostic::error(
                        "duplicate-blueprint",
                        format!("two blueprints are named `{name}`"),
                    )
                    .help(format!(
                        "both would render into out/{name}/; rename one (first: {first})"
                    )),
                );
            }
        }
        let overlays = read_overlays(source)
            .and_then(|overlays| overlay::by_blueprint(overlays).map_err(Failure::problems));
        let mut overlays = match overlays {
            Ok(o) => o,
            Err(Failure::Problems { diagnostics, .. }) => {
                problems.extend(diagnostics);
                BTreeMap::new()
            }
            Err(error) => return Err(error),
        };
        let known: Vec<&str> = seen.keys().copied().collect();
        if given.is_empty() {
            for group in overlays.values() {
                for o in group
                    .iter()
                    .filter(|o| !known.contains(&o.blueprint.as_str()))
                {
                    problems.push(overlay::unknown_blueprint(o, &known));
                }
            }
        }
        let mut all_envs: Vec<String> = vec![overlay::BASE.to_owned()];
        all_envs.extend(overlays.values().flatten().map(|o| o.env.clone()));
        for env in envs.iter().filter(|e| !all_envs.contains(e)) {
            problems.push(
                Diagnostic::error(
                    "unknown-environment",
                    format!("no environment is named `{env}`"),
                )
                .help(crate::suggest::hint(
                    env,
                    all_envs.iter().map(String::as_str),
                )),
            );
        }
        if problems.iter().any(Diagnostic::is_error) {
            return Err(Failure::problems(problems));
        }
        let wanted = |env: &str| envs.is_empty() || envs.iter().any(|e| e == env);
        let targets = parsed
            .into_iter()
            .map(|parsed| {
                let mut environments: Vec<Option<Overlay>> = Vec::new();
                if wanted(overlay::BASE) {
                    environments.push(None);
                }
                let own = parsed
                    .name
                    .as_deref()
                    .and_then(|n| overlays.remove(n))
                    .unwrap_or_default();
                environments.extend(own.into_iter().filter(|o| wanted(&o.env)).map(Some));
                Target {
                    parsed,
                    environments,
                }
            })
            .collect();
        Ok(Plan { targets })
    }
}

/// The name of an environment: the overlay's, or `base`.
pub fn environment_name(overlay: Option<&Overlay>) -> &str {
    overlay.map_or(overlay::BASE, |o| o.env.as_str())
}

/// Stage 1: the blueprint as an environment sees it: merged with its overlay,
/// schema-checked, typed.
pub fn load(parsed: &Parsed, overlay: Option<&Overlay>) -> Result<Loaded, Vec<Diagnostic>> {
    let base_dir = parsed.base_dir();
    match overlay {
        Some(overlay) => {
            let (document, spans) = overlay::merge(&parsed.document, &parsed.spans, overlay)?;
            load::from_value(document, spans, base_dir).map(crate::addons::apply)
        }
        None => load::from_document(&parsed.document, parsed.spans.clone(), base_dir)
            .map(crate::addons::apply),
    }
}

/// A blueprint that passed the checks a schema cannot state, with its warnings so far.
pub struct Checked {
    loaded: Loaded,
    warnings: Vec<Diagnostic>,
}

impl Checked {
    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }
}

/// Stage 2: the checks of the blueprint itself and its blueprint-level lint rules.
pub fn check(loaded: Loaded) -> Result<Checked, Vec<Diagnostic>> {
    let mut found: Vec<Diagnostic> = check::check(&loaded)
        .into_iter()
        .chain(review::blueprint(&loaded))
        .collect();
    crate::addons::describe(&loaded.blueprint, &mut found);
    let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) =
        found.into_iter().partition(Diagnostic::is_error);
    if errors.is_empty() {
        Ok(Checked { loaded, warnings })
    } else {
        Err(errors.into_iter().chain(warnings).collect())
    }
}

/// The objects of a blueprint, each valid against the schemas of its Kubernetes version.
pub struct Expanded {
    loaded: Loaded,
    objects: Vec<Object>,
    warnings: Vec<Diagnostic>,
}

/// Stage 3: the typed Kubernetes objects, held against the schemas. `inputs` are the files
/// and secret values the blueprint refers to ([`inputs::read`]); they are dropped here.
pub fn expand(checked: Checked, inputs: Inputs) -> Result<Expanded, Vec<Diagnostic>> {
    let Checked {
        loaded,
        mut warnings,
    } = checked;
    let mut objects = match expand::expand(&loaded, &inputs) {
        Ok(objects) => objects,
        Err(mut errors) => {
            crate::addons::describe(&loaded.blueprint, &mut errors);
            return Err(errors.into_iter().chain(warnings).collect());
        }
    };
    let mut schema = crate::validate::render::diagnostics(&loaded, &inputs, &objects);
    crate::addons::describe(&loaded.blueprint, &mut schema);
    drop(inputs);
    if schema.iter().any(Diagnostic::is_error) {
        expand::forget_secret_values(&mut objects);
        return Err(schema.into_iter().chain(warnings).collect());
    }
    warnings.extend(schema);
    Ok(Expanded {
        loaded,
        objects,
        warnings,
    })
}

/// Objects that passed the cross-resource checks; the lint warnings found on the way.
pub struct Reviewed {
    loaded: Loaded,
    objects: Vec<Object>,
    warnings: Vec<Diagnostic>,
}

/// Stage 4: references between the objects and the lint rules, each finding placed at the
/// blueprint field its object came from.
pub fn review(expanded: Expanded) -> Result<Reviewed, Vec<Diagnostic>> {
    let Expanded {
        loaded,
        mut objects,
        mut warnings,
    } = expanded;
    let mut found = review::objects(&loaded, &objects);
    crate::addons::describe(&loaded.blueprint, &mut found);
    warnings.extend(found);
    if warnings.iter().any(Diagnostic::is_error) {
        expand::forget_secret_values(&mut objects);
        return Err(warnings);
    }
    Ok(Reviewed {
        loaded,
        objects,
        warnings,
    })
}

/// One environment of one blueprint, rendered in memory: its artifact tree (Secrets still in
/// plain text until [`output::seal`]) and what sealing needs to know.
pub struct Rendered {
    /// The blueprint's `metadata.name`.
    pub blueprint: String,
    pub env: String,
    pub tree: ArtifactTree,
    /// The objects the tree holds, with Secret values overwritten.
    pub objects: Vec<Object>,
    /// The Secret artifacts of `tree`, plain text until sealed.
    pub secrets: Vec<SecretFile>,
    /// `spec.encryption.age`.
    pub recipients: Vec<String>,
    /// Whether `spec.delivery` names Flux or Argo CD. Their Secrets were judged then already
    /// (Flux must decrypt them, Argo CD needs a plugin: `delivery::lay_out`); without a
    /// controller the CLI hints how Flux would decrypt them.
    pub controller: bool,
    /// `spec.cluster`, whose node files [`output::add_nodes`] adds once the cluster's CA is
    /// known.
    pub cluster: Option<ClusterSpec>,
    /// The warnings found on the way.
    pub warnings: Vec<Diagnostic>,
}

/// The checked `spec.cluster` of a rendering and where it stands in the blueprint.
pub struct ClusterSpec {
    pub cluster: crate::load::blueprint::Cluster,
    pub origin: Option<crate::diagnostic::Span>,
}

impl Rendered {
    /// Where the tree goes under an output root: `<out>/<blueprint>/<env>`.
    pub fn dir(&self, out: &std::path::Path) -> PathBuf {
        out.join(&self.blueprint).join(&self.env)
    }
}

impl Rendered {
    /// Overwrites the bytes of the tree's Secret artifacts (plain text until sealed).
    pub fn forget_secrets(&mut self) {
        for secret in &self.secrets {
            if let Some(artifact) = self.tree.get_mut(&secret.path) {
                zeroize::Zeroize::zeroize(&mut artifact.bytes);
            }
        }
    }
}

impl Drop for Rendered {
    fn drop(&mut self) {
        self.forget_secrets();
    }
}

/// Stage 5: the artifact tree, with the delivery objects and the stage kustomizations of
/// `spec.delivery` (and Argo CD's sync waves on the objects).
pub fn emit(reviewed: Reviewed, env: &str) -> Result<Rendered, Vec<Diagnostic>> {
    let Reviewed {
        loaded,
        mut objects,
        mut warnings,
    } = reviewed;
    delivery::annotate(&loaded, &mut objects);
    let tree = emit::emit(loaded.name(), &objects).and_then(|mut tree| {
        warnings.extend(delivery::lay_out(&loaded, env, &objects, &mut tree)?);
        Ok(tree)
    });
    expand::forget_secret_values(&mut objects);
    let tree = match tree {
        Ok(tree) => tree,
        Err(errors) => return Err(errors.into_iter().chain(warnings).collect()),
    };
    let spec = &loaded.blueprint.spec;
    let secrets = objects
        .iter()
        .filter(|o| o.is_secret())
        .map(|o| SecretFile {
            path: emit::object_path(o),
            field: crate::model::field_path(&o.origin),
            origin: loaded.spans.key(&o.origin),
        })
        .collect();
    Ok(Rendered {
        blueprint: loaded.name().to_owned(),
        env: env.to_owned(),
        tree,
        objects,
        secrets,
        recipients: spec
            .encryption
            .as_ref()
            .map(|e| e.age.clone())
            .unwrap_or_default(),
        controller: spec
            .delivery
            .as_ref()
            .is_some_and(|d| d.flux.is_some() || d.argocd.is_some()),
        cluster: spec.cluster.clone().map(|cluster| ClusterSpec {
            cluster,
            origin: loaded.spans.key("/spec/cluster"),
        }),
        warnings,
    })
}

/// Every stage after loading, for one environment.
pub fn compile(
    loaded: Loaded,
    env: &str,
    source: &dyn Source,
    vars: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Rendered, Vec<Diagnostic>> {
    let checked = check(loaded)?;
    let inputs = inputs::read(checked.loaded(), source, vars);
    emit(review(expand(checked, inputs)?)?, env)
}

/// The trees of a run, and the warnings found making them (each once).
pub struct Compiled {
    pub renderings: Vec<Rendered>,
    pub warnings: Vec<Diagnostic>,
}

/// Compiles every environment of every blueprint of the plan, each on a thread of its own,
/// and reports all problems of all of them (each once, though every environment of a
/// blueprint meets its base's) before giving up.
pub fn compile_all(
    mut plan: Plan,
    source: &dyn Source,
    vars: &(dyn Fn(&str) -> Option<OsString> + Sync),
) -> Result<Compiled, Failure> {
    let environments: Vec<Vec<Option<Overlay>>> = plan
        .targets
        .iter_mut()
        .map(|target| std::mem::take(&mut target.environments))
        .collect();
    let jobs: Vec<(&Parsed, Option<&Overlay>)> = plan
        .targets
        .iter()
        .zip(&environments)
        .flat_map(|(target, envs)| envs.iter().map(move |e| (&target.parsed, e.as_ref())))
        .collect();
    let overlays: Vec<Option<&Overlay>> = jobs.iter().map(|(_, overlay)| *overlay).collect();
    // Every environment's blueprint first (merged and typed), each on a thread of its own.
    let loaded = on_threads(jobs, |(parsed, overlay)| load(parsed, overlay));
    // Then the parsed documents go: at 50,000 objects they hold a fifth of the memory, which
    // the objects reuse instead of faulting in fresh pages.
    for target in &mut plan.targets {
        target.parsed.document = serde_json::Value::Null;
    }
    let work: Vec<_> = loaded.into_iter().zip(overlays.iter().copied()).collect();
    let results = on_threads(work, |(loaded, overlay)| {
        compile(loaded?, environment_name(overlay), source, vars)
    });
    let mut renderings = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut shown = rustc_hash::FxHashSet::default();
    // Jobs run base first, so a problem every environment shares is reported once, plain;
    // one that only an overlay brings says which environment it is in.
    for (overlay, result) in overlays.iter().zip(results) {
        let diagnostics = match result {
            Ok(mut rendering) => {
                let warnings = std::mem::take(&mut rendering.warnings);
                renderings.push(rendering);
                warnings
            }
            Err(diagnostics) => diagnostics,
        };
        for mut d in diagnostics {
            if shown.insert(d.identity()) {
                if let Some(overlay) = overlay {
                    d.message = format!("{} (environment `{}`)", d.message, overlay.env);
                }
                problems.push(d);
            }
        }
    }
    if problems.iter().any(Diagnostic::is_error) {
        let findings_only = problems
            .iter()
            .filter(|d| d.is_error())
            .all(review::is_object_finding);
        return Err(Failure::Problems {
            diagnostics: problems,
            findings_only,
        });
    }
    Ok(Compiled {
        renderings,
        warnings: problems,
    })
}

/// Runs `work` on each item, each on a thread of its own, and returns the results in order;
/// a thread that panicked gives an internal error.
fn on_threads<T: Send, R: Send>(
    items: Vec<T>,
    work: impl Fn(T) -> Result<R, Vec<Diagnostic>> + Sync,
) -> Vec<Result<R, Vec<Diagnostic>>> {
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = items
            .into_iter()
            .map(|item| scope.spawn(move || work(item)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(vec![Diagnostic::error(
                        "internal-error",
                        "kforge failed while compiling a blueprint",
                    )])
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: &str = "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: web\nspec:\n  configMaps:\n    - name: site\n      files: {index.html: {fromFile: site/index.html}}\n  apps:\n    - name: web\n      image: nginx:1.27.2\n      ports: [{name: http, port: 80}]\n";
    const PROD: &str = "apiVersion: kforge.io/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n  blueprint: web\n  patch:\n    apps:\n      - name: web\n        replicas: 3\n";

    fn repository() -> MemoryFiles {
        MemoryFiles::new()
            .with("blueprints/web.yaml", WEB)
            .and_then(|f| f.with("blueprints/site/index.html", "<h1>hi</h1>\n"))
            .and_then(|f| f.with("overlays/prod.yaml", PROD))
            .unwrap()
    }

    fn compiled(files: &MemoryFiles, envs: &[&str]) -> Result<Compiled, Failure> {
        let envs: Vec<String> = envs.iter().map(|e| (*e).to_owned()).collect();
        let plan = Plan::new(files, &[], &envs)?;
        compile_all(plan, files, &|_| None)
    }

    fn problems(failure: Failure) -> Vec<String> {
        match failure {
            Failure::Problems { diagnostics, .. } => {
                diagnostics.iter().map(Diagnostic::headline).collect()
            }
            Failure::Error(error) => panic!("{error}"),
        }
    }

    #[test]
    fn every_environment_is_compiled_from_the_source() {
        let done = compiled(&repository(), &[]).unwrap_or_else(|f| panic!("{:?}", problems(f)));
        let names: Vec<(&str, &str)> = done
            .renderings
            .iter()
            .map(|r| (r.blueprint.as_str(), r.env.as_str()))
            .collect();
        assert_eq!(names, [("web", "base"), ("web", "prod")]);
        let base = &done.renderings[0];
        let config = base.tree.get("default/configmap-site.yaml").unwrap();
        assert!(config.text().unwrap().contains("<h1>hi</h1>"));
        assert_eq!(base.tree.objects() + 1, base.tree.len());
        let prod = done.renderings[1]
            .tree
            .get("default/deployment-web.yaml")
            .unwrap();
        assert!(prod.text().unwrap().contains("replicas: 3"));
        let only_prod =
            compiled(&repository(), &["prod"]).unwrap_or_else(|f| panic!("{:?}", problems(f)));
        assert_eq!(only_prod.renderings.len(), 1);
    }

    #[test]
    fn a_file_outside_the_repository_is_reported_at_the_field_that_names_it() {
        let escaping = WEB.replace("fromFile: site/index.html", "fromFile: ../../etc/passwd");
        let files = repository().with("blueprints/web.yaml", escaping).unwrap();
        let found = problems(compiled(&files, &["base"]).err().unwrap());
        assert_eq!(
            found,
            [
                "error[unreadable-file]: spec.configMaps[0].files[\"index.html\"].fromFile: cannot read `../../etc/passwd`: `../../etc/passwd` leaves the repository"
            ]
        );
    }

    #[test]
    fn a_blueprint_error_stops_before_expansion_and_is_reported_once() {
        let broken = WEB.replace("port: 80", "port: 80000");
        let files = repository().with("blueprints/web.yaml", broken).unwrap();
        let failure = compiled(&files, &[]).err().unwrap();
        let Failure::Problems { findings_only, .. } = &failure else {
            panic!("problems expected");
        };
        assert!(!findings_only);
        let found = problems(failure);
        assert_eq!(found.len(), 1, "base and prod share it: {found:?}");
    }

    #[test]
    fn a_missing_blueprint_directory_is_a_problem_not_a_panic() {
        let failure = compiled(&MemoryFiles::new(), &[]).err().unwrap();
        assert_eq!(
            problems(failure),
            ["error[no-blueprints]: there is no `blueprints/` directory"]
        );
    }
}
