//! The command line: parses arguments, reads files, runs the pipeline, prints diagnostics and
//! maps the outcome to the exit codes of CLI.md. The only module (with [`crate::write`]) that
//! touches the file system, the environment or the terminal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod report;
mod validate_command;

use report::{Limit, Output, Report, print_diagnostics};

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::expand::{Inputs, file_references, resolve_reference};
use crate::load::SpanMap;
use crate::load::schema::blueprint_schema_text;
use crate::overlay::{self, Overlay};
use crate::write::{Changes, Snapshot, plan_with, write_tree_with};
use crate::{check, emit, expand, lint, load, review, secrets};

mod sealing;

const RENDER_EXAMPLES: &str = "Examples:
  kforge render                          # every blueprints/*.yaml, base + each overlay, into out/
  kforge render blueprints/platform.yaml # one blueprint
  kforge render --env prod               # only the prod environment (`--env base`: no overlay)
  kforge render --check                  # exit 1 when out/ is stale (for CI)
  kforge render --out /tmp/out           # somewhere else";
const CHECK_EXAMPLES: &str = "Examples:
  kforge check                           # every blueprints/*.yaml
  kforge check blueprints/platform.yaml --output json";
const SHOW_EXAMPLES: &str = "Examples:
  kforge show --env prod                 # the blueprint as overlays/prod.yaml changes it
  kforge show platform --env dev         # name a blueprint by metadata.name or by path";
const VALIDATE_EXAMPLES: &str = "Examples:
  kforge validate manifests/                     # every *.yaml, *.yml, *.json below
  kubectl kustomize out/platform/base | kforge validate -
  kforge validate k8s/ --kubernetes-version 1.35 --crd crds/ --output sarif";
const SCHEMA_EXAMPLES: &str = "Examples:
  kforge schema > schemas/blueprint.schema.json";
const INIT_EXAMPLES: &str = "Examples:
  kforge init                            # a starter blueprint in ./blueprints
  kforge init my-platform                # in a new directory";
const RULES_EXAMPLES: &str = "Examples:
  kforge rules                           # every lint rule: id, severity, name, summary
  kforge rules KF301                     # one rule's documentation (id or name)";
const COMPLETIONS_EXAMPLES: &str = "Examples:
  kforge completions bash > /etc/bash_completion.d/kforge
  kforge completions zsh > \"${fpath[1]}/_kforge\"";

/// kforge: compile a typed platform blueprint into a canonical kustomize tree.
#[derive(Debug, Parser)]
#[command(name = "kforge", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render blueprints into out/<blueprint>/<env>/.
    #[command(after_help = RENDER_EXAMPLES)]
    Render {
        /// Blueprint files (default: every blueprints/*.yaml).
        blueprints: Vec<PathBuf>,
        /// Only these environments (overlay names; `base` is the blueprint without overlay).
        #[arg(long = "env", value_name = "ENV")]
        envs: Vec<String>,
        /// The output root.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Write nothing; exit 1 when the output would change.
        #[arg(long)]
        check: bool,
        /// How to print problems.
        #[arg(long, value_enum, default_value_t)]
        output: Output,
        /// How many findings to draw in full with their snippet (a number, or `all`); the
        /// rest are listed one per line. Text output only: JSON has every finding.
        #[arg(long, value_name = "N", default_value_t = Limit::DEFAULT)]
        max_diagnostics: Limit,
    },
    /// Load and check blueprints; write nothing.
    #[command(after_help = CHECK_EXAMPLES)]
    Check {
        /// Blueprint files (default: every blueprints/*.yaml).
        blueprints: Vec<PathBuf>,
        /// Only these environments (overlay names; `base` is the blueprint without overlay).
        #[arg(long = "env", value_name = "ENV")]
        envs: Vec<String>,
        /// How to print problems.
        #[arg(long, value_enum, default_value_t)]
        output: Output,
        /// How many findings to draw in full with their snippet (a number, or `all`); the
        /// rest are listed one per line. Text output only: JSON has every finding.
        #[arg(long, value_name = "N", default_value_t = Limit::DEFAULT)]
        max_diagnostics: Limit,
    },
    /// Print a blueprint as an overlay merges it, each field's source noted.
    #[command(after_help = SHOW_EXAMPLES)]
    Show {
        /// A blueprint file or metadata.name (default: the only one in blueprints/).
        blueprint: Option<String>,
        /// The environment (default: base, the blueprint without overlay).
        #[arg(long = "env", value_name = "ENV", default_value = overlay::BASE)]
        env: String,
    },
    /// Validate Kubernetes manifests strictly against the schemas of a Kubernetes version.
    #[command(after_help = VALIDATE_EXAMPLES)]
    Validate(validate_command::ValidateArgs),
    /// Print the JSON Schema of the blueprint format.
    #[command(after_help = SCHEMA_EXAMPLES)]
    Schema,
    /// Create a starter repository with one blueprint.
    #[command(after_help = INIT_EXAMPLES)]
    Init {
        /// Where to create it.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// List the lint rules, or print one rule's documentation.
    #[command(after_help = RULES_EXAMPLES)]
    Rules {
        /// A rule id (KF301) or name (privileged).
        rule: Option<String>,
    },
    /// Print shell completions.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions { shell: clap_complete::Shell },
}

/// Exit codes of CLI.md.
const SUCCESS: u8 = 0;
const DIFFERENCE: u8 = 1;
/// `check`: findings at error level about the objects (references, lint rules).
const FINDINGS: u8 = 1;
const BAD_INPUT: u8 = 2;

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    run_from(std::env::args_os())
}

/// Runs the command line with these arguments (the first is the program name), in the
/// current directory; for benchmarks that measure whole commands in process.
pub fn run_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                BAD_INPUT
            } else {
                SUCCESS
            });
        }
    };
    ExitCode::from(match cli.command {
        Command::Render {
            blueprints,
            envs,
            out,
            check,
            output,
            max_diagnostics,
        } => render(
            &blueprints,
            &envs,
            &out,
            check,
            Report::new(output, max_diagnostics),
        ),
        Command::Check {
            blueprints,
            envs,
            output,
            max_diagnostics,
        } => check_command(&blueprints, &envs, Report::new(output, max_diagnostics)),
        Command::Show { blueprint, env } => show(blueprint.as_deref(), &env),
        Command::Validate(args) => validate_command::run(&args),
        Command::Schema => {
            print!("{}", blueprint_schema_text());
            SUCCESS
        }
        Command::Init { dir } => init(&dir),
        Command::Rules { rule } => rules(rule.as_deref()),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kforge", &mut std::io::stdout());
            SUCCESS
        }
    })
}

/// The `*.yaml` and `*.yml` files directly in `dir`, sorted.
fn yaml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The blueprints named on the command line, or every `blueprints/*.yaml`.
fn blueprint_paths(given: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let dir = Path::new("blueprints");
    let paths = yaml_files(dir).map_err(|e| {
        vec![
            Diagnostic::error("no-blueprints", format!("cannot read `blueprints/`: {e}")).help(
                "run kforge in a repository with a blueprints/ directory, or name blueprint files",
            ),
        ]
    })?;
    if paths.is_empty() {
        return Err(vec![
            Diagnostic::error("no-blueprints", "`blueprints/` holds no .yaml file")
                .help("create one with `kforge init`"),
        ]);
    }
    Ok(paths)
}

/// Reads every file a blueprint refers to; paths may not leave the repository, not even
/// through a symlink.
fn read_inputs(loaded: &load::Loaded, root: &Path) -> Inputs {
    let mut files = BTreeMap::new();
    for reference in file_references(loaded) {
        let content = resolve_reference(root, &loaded.base_dir, &reference.path).and_then(|path| {
            let real = path.canonicalize().map_err(|e| e.to_string())?;
            if !real.starts_with(root) {
                return Err(format!("`{}` leads outside the repository", reference.path));
            }
            std::fs::read_to_string(&real).map_err(|e| e.to_string())
        });
        files.insert(reference.path, content);
    }
    Inputs {
        files,
        secrets: sealing::read_secret_values(loaded, root),
    }
}

/// One blueprint rendered in memory for one environment: its names and its file tree.
struct Rendering {
    name: String,
    env: String,
    files: BTreeMap<String, String>,
    /// The Secret documents among `files`, plain text until sealed.
    secrets: Vec<secrets::SecretFile>,
    /// `spec.encryption.age`.
    recipients: Vec<String>,
    /// Whether `spec.delivery.flux.decryptionSecret` is set.
    flux_decryption: bool,
}

impl Drop for Rendering {
    fn drop(&mut self) {
        for secret in &self.secrets {
            if let Some(text) = self.files.get_mut(&secret.path) {
                zeroize::Zeroize::zeroize(text);
            }
        }
    }
}

/// A blueprint file as parsed, before any overlay: shared by all its environments.
struct Parsed {
    path: PathBuf,
    /// `metadata.name`, when the document has one (the schema pass reports it otherwise).
    name: Option<String>,
    document: serde_json::Value,
    spans: std::sync::Arc<SpanMap>,
    /// The directory `fromFile` and `resources` paths are relative to.
    base_dir: PathBuf,
}

/// Reads a file as a source for diagnostics, named as the user wrote the path.
fn read_source(path: &Path) -> Result<std::sync::Arc<SourceFile>, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Diagnostic::error(
            "unreadable-file",
            format!("cannot read `{}`: {e}", path.display()),
        )]
    })?;
    let display = path
        .strip_prefix("./")
        .unwrap_or(path)
        .display()
        .to_string();
    Ok(SourceFile::new(display, text))
}

/// Reads and parses one blueprint file.
fn parse(path: &Path, root: &Path) -> Result<Parsed, Vec<Diagnostic>> {
    let file = read_source(path)?;
    let base_dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .and_then(|p| p.canonicalize().ok())
        .unwrap_or_else(|| root.to_owned());
    let (document, spans) = load::parse_blueprint(&file)?;
    let name = document
        .pointer("/metadata/name")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    Ok(Parsed {
        path: path.to_owned(),
        name,
        document,
        spans: spans.into(),
        base_dir,
    })
}

/// The blueprint as an environment sees it: merged with its overlay, schema-checked, typed.
fn merged(parsed: &Parsed, overlay: Option<&Overlay>) -> Result<load::Loaded, Vec<Diagnostic>> {
    match overlay {
        Some(overlay) => {
            let (document, spans) = overlay::merge(&parsed.document, &parsed.spans, overlay)?;
            load::from_value(document, spans, parsed.base_dir.clone())
        }
        None => load::from_document(
            &parsed.document,
            parsed.spans.clone(),
            parsed.base_dir.clone(),
        ),
    }
}

/// Checks, expands and emits one blueprint for one environment. Every problem found is
/// returned.
fn compile(
    loaded: load::Loaded,
    overlay: Option<&Overlay>,
    root: &Path,
) -> Result<(Rendering, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = check::check(&loaded)
        .into_iter()
        .chain(review::blueprint(&loaded))
        .partition(Diagnostic::is_error);
    if !errors.is_empty() {
        return Err(errors.into_iter().chain(warnings).collect());
    }
    let inputs = read_inputs(&loaded, root);
    let mut objects = expand::expand(&loaded, &inputs);
    // Every object against the schemas of the blueprint's Kubernetes version.
    let schema = match &objects {
        Ok(objects) => crate::validate::render::diagnostics(&loaded, &inputs, objects),
        Err(_) => Vec::new(),
    };
    drop(inputs);
    let files = objects
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|objects| emit::emit(loaded.name(), objects));
    if let Ok(objects) = &mut objects {
        expand::forget_secret_values(objects);
    }
    let (objects, files) = (objects?, files?);
    let mut warnings = warnings;
    if schema.iter().any(Diagnostic::is_error) {
        return Err(schema.into_iter().chain(warnings).collect());
    }
    warnings.extend(schema);
    warnings.extend(review::objects(&loaded, &objects));
    if warnings.iter().any(Diagnostic::is_error) {
        return Err(warnings);
    }
    let spec = &loaded.blueprint.spec;
    let rendering = Ok((
        Rendering {
            name: loaded.name().to_owned(),
            env: overlay.map_or(overlay::BASE, |o| o.env.as_str()).to_owned(),
            files,
            secrets: objects
                .iter()
                .filter(|o| expand::is_secret(o))
                .map(|o| secrets::SecretFile {
                    path: emit::object_path(o),
                    field: load::schema::field_path(&o.origin),
                    origin: loaded.spans.key(&o.origin),
                })
                .collect(),
            recipients: spec
                .encryption
                .as_ref()
                .map(|e| e.age.clone())
                .unwrap_or_default(),
            flux_decryption: spec
                .delivery
                .as_ref()
                .and_then(|d| d.flux.as_ref())
                .is_some_and(|f| f.decryption_secret.is_some()),
        },
        warnings,
    ));
    exit_without_freeing(objects);
    rendering
}

/// The repository root: the working directory.
fn repository_root() -> PathBuf {
    std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// Every `overlays/*.yaml`, parsed; a missing directory means no overlays.
fn read_overlays() -> Result<Vec<Overlay>, Vec<Diagnostic>> {
    let Ok(paths) = yaml_files(Path::new("overlays")) else {
        return Ok(Vec::new());
    };
    let mut overlays = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match read_source(&path).and_then(overlay::parse_overlay) {
            Ok(o) => overlays.push(o),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(overlays)
    } else {
        Err(errors)
    }
}

/// What one run works on: each blueprint with the environments to build for it.
struct Plan {
    blueprints: Vec<(Parsed, Vec<Option<Overlay>>)>,
}

/// Parses the blueprints and overlays and picks the environments (`--env` narrows).
/// Overlays naming a blueprint outside this run are an error only when the run covers every
/// blueprint (none named on the command line).
fn plan_run(given: &[PathBuf], envs: &[String], root: &Path) -> Result<Plan, Vec<Diagnostic>> {
    let paths = blueprint_paths(given)?;
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    for path in &paths {
        match parse(path, root) {
            Ok(p) => parsed.push(p),
            Err(d) => problems.extend(d),
        }
    }
    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
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
                    "both would render into out/{name}/; rename one (first: {})",
                    first.display()
                )),
            );
        }
    }
    let overlays = read_overlays().and_then(overlay::by_blueprint);
    let mut overlays = match overlays {
        Ok(o) => o,
        Err(d) => {
            problems.extend(d);
            BTreeMap::new()
        }
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
        return Err(problems);
    }
    let wanted = |env: &str| envs.is_empty() || envs.iter().any(|e| e == env);
    let blueprints = parsed
        .into_iter()
        .map(|p| {
            let mut targets: Vec<Option<Overlay>> = Vec::new();
            if wanted(overlay::BASE) {
                targets.push(None);
            }
            let own = p
                .name
                .as_deref()
                .and_then(|n| overlays.remove(n))
                .unwrap_or_default();
            targets.extend(own.into_iter().filter(|o| wanted(&o.env)).map(Some));
            (p, targets)
        })
        .collect();
    Ok(Plan { blueprints })
}

/// Compiles every blueprint for every environment of the plan; reports all problems of all
/// of them (each once, though every environment of a blueprint meets its base's) before
/// giving up.
fn compile_all(given: &[PathBuf], envs: &[String], output: Report) -> Result<Vec<Rendering>, u8> {
    crate::validate::render::warm_up_in_background();
    let root = repository_root();
    let mut plan = match plan_run(given, envs, &root) {
        Ok(plan) => plan,
        Err(problems) => {
            print_diagnostics(&problems, output);
            return Err(BAD_INPUT);
        }
    };
    let targets: Vec<Vec<Option<Overlay>>> = plan
        .blueprints
        .iter_mut()
        .map(|(_, targets)| std::mem::take(targets))
        .collect();
    let jobs: Vec<(&Parsed, Option<&Overlay>)> = plan
        .blueprints
        .iter()
        .zip(&targets)
        .flat_map(|((parsed, _), targets)| targets.iter().map(move |t| (parsed, t.as_ref())))
        .collect();
    let overlays: Vec<Option<&Overlay>> = jobs.iter().map(|(_, overlay)| *overlay).collect();
    // Every environment's blueprint first (merged and typed), each on a thread of its own.
    let loaded = on_threads(jobs, |(parsed, overlay)| merged(parsed, overlay));
    // Then the parsed documents go: at 50,000 objects they hold a fifth of the memory, which
    // the objects reuse instead of faulting in fresh pages.
    for (parsed, _) in &mut plan.blueprints {
        parsed.document = serde_json::Value::Null;
    }
    let work: Vec<_> = loaded.into_iter().zip(overlays.iter().copied()).collect();
    let results = on_threads(work, |(loaded, overlay)| compile(loaded?, overlay, &root));
    let mut renderings = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut shown = std::collections::BTreeSet::new();
    // Jobs run base first, so a problem every environment shares is reported once, plain;
    // one that only an overlay brings says which environment it is in.
    for (overlay, result) in overlays.iter().zip(results) {
        let diagnostics = match result {
            Ok((rendering, warnings)) => {
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
    let failed = problems.iter().any(Diagnostic::is_error);
    if !problems.is_empty() {
        print_diagnostics(&problems, output);
    }
    let only_findings = problems
        .iter()
        .filter(|d| d.is_error())
        .all(review::is_object_finding);
    if failed {
        Err(if only_findings { FINDINGS } else { BAD_INPUT })
    } else {
        Ok(renderings)
    }
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
        handles.into_iter().map(joined).collect()
    })
}

fn joined<R>(
    handle: std::thread::ScopedJoinHandle<'_, Result<R, Vec<Diagnostic>>>,
) -> Result<R, Vec<Diagnostic>> {
    handle.join().unwrap_or_else(|_| {
        Err(vec![Diagnostic::error(
            "internal-error",
            "kforge failed while compiling a blueprint",
        )])
    })
}

fn describe(changes: &Changes) -> String {
    format!(
        "{} added, {} changed, {} removed, {} unchanged",
        changes.added.len(),
        changes.modified.len(),
        changes.removed.len(),
        changes.unchanged
    )
}

fn render(
    blueprints: &[PathBuf],
    envs: &[String],
    out: &Path,
    check_only: bool,
    output: Report,
) -> u8 {
    let snapshot = Snapshot::read_ahead(out);
    let mut renderings = match compile_all(blueprints, envs, output) {
        Ok(r) => r,
        // A blueprint whose objects fail review is invalid input for render.
        Err(_) => return BAD_INPUT,
    };
    let snapshot = snapshot.join().unwrap_or_default();
    // Every Secret is encrypted before anything is written, so a problem writes nothing.
    let mut sealed = Vec::new();
    if renderings.iter().any(|r| !r.secrets.is_empty()) {
        let keys = match sealing::read_keys(&std::env::current_dir().unwrap_or_default()) {
            Ok(keys) => keys,
            Err(problems) => {
                print_diagnostics(&problems, output);
                return BAD_INPUT;
            }
        };
        let mut problems = Vec::new();
        for rendering in &mut renderings {
            let dir = out.join(&rendering.name).join(&rendering.env);
            let (files, found) = (&mut rendering.files, &rendering.secrets);
            match sealing::seal_tree(files, found, &rendering.recipients, &dir, &keys) {
                Ok(outcomes) => sealed.push((dir, outcomes, rendering.flux_decryption)),
                Err(diagnostics) => problems.extend(diagnostics),
            }
        }
        if !problems.is_empty() {
            print_diagnostics(&problems, output);
            return BAD_INPUT;
        }
    }
    let mut stale = false;
    for rendering in &renderings {
        let dir = out.join(&rendering.name).join(&rendering.env);
        let result = if check_only {
            plan_with(&dir, &rendering.files, &snapshot)
        } else {
            write_tree_with(&dir, &rendering.files, &snapshot)
        };
        match result {
            Ok(changes) => {
                let objects = rendering.files.len().saturating_sub(1);
                if check_only && !changes.is_empty() {
                    stale = true;
                    eprintln!("{}: out of date ({})", dir.display(), describe(&changes));
                    for path in changes
                        .added
                        .iter()
                        .chain(&changes.modified)
                        .chain(&changes.removed)
                    {
                        eprintln!("  {path}");
                    }
                } else {
                    eprintln!(
                        "{}: {objects} objects; {}",
                        dir.display(),
                        describe(&changes)
                    );
                }
            }
            Err(error) => {
                eprintln!("error: {error}");
                return BAD_INPUT;
            }
        }
    }
    for (dir, outcomes, _) in &sealed {
        sealing::report(dir, outcomes);
    }
    if sealed
        .iter()
        .any(|(_, outcomes, flux_decryption)| !outcomes.is_empty() && !flux_decryption)
    {
        sealing::flux_hint();
    }
    exit_without_freeing((renderings, snapshot));
    if stale { DIFFERENCE } else { SUCCESS }
}

/// Leaves a run's large results (object trees, file texts) to the end of the process instead
/// of freeing them one allocation at a time: the process exits right after, and freeing
/// 50,000 objects cost more than writing their files. Only for values whose memory holds
/// nothing secret beyond what the process already had (Secrets are sealed or forgotten
/// before this).
fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

fn check_command(blueprints: &[PathBuf], envs: &[String], output: Report) -> u8 {
    match compile_all(blueprints, envs, output) {
        Ok(renderings) => {
            // Secrets need recipients for the tree they would go to (the default `out/`).
            if renderings.iter().any(|r| !r.secrets.is_empty()) {
                let problems = match sealing::read_keys(&repository_root()) {
                    Ok(keys) => renderings
                        .iter()
                        .flat_map(|r| {
                            let dir = Path::new("out").join(&r.name).join(&r.env);
                            sealing::check_recipients(&r.secrets, &r.recipients, &dir, &keys)
                        })
                        .collect(),
                    Err(problems) => problems,
                };
                if !problems.is_empty() {
                    print_diagnostics(&problems, output);
                    return BAD_INPUT;
                }
            }
            for rendering in renderings {
                eprintln!(
                    "{}/{}: ok ({} objects)",
                    rendering.name,
                    rendering.env,
                    rendering.files.len().saturating_sub(1)
                );
            }
            SUCCESS
        }
        Err(code) => code,
    }
}

/// `kforge show`: the merged blueprint with each field's source, then its problems.
fn show(blueprint: Option<&str>, env: &str) -> u8 {
    let root = repository_root();
    let given: Vec<PathBuf> = match blueprint {
        Some(b) if Path::new(b).is_file() => vec![PathBuf::from(b)],
        _ => Vec::new(),
    };
    let envs = [env.to_owned()];
    let plan = match plan_run(&given, &envs, &root) {
        Ok(plan) => plan,
        Err(problems) => {
            print_diagnostics(&problems, Output::Text);
            return BAD_INPUT;
        }
    };
    let names: Vec<&str> = plan
        .blueprints
        .iter()
        .filter_map(|(p, _)| p.name.as_deref())
        .collect();
    let chosen = match blueprint {
        Some(_) if !given.is_empty() => plan.blueprints.first(),
        Some(name) => plan
            .blueprints
            .iter()
            .find(|(p, _)| p.name.as_deref() == Some(name)),
        None if plan.blueprints.len() == 1 => plan.blueprints.first(),
        None => {
            eprintln!(
                "error: there are several blueprints; name one: {}",
                names.join(", ")
            );
            return BAD_INPUT;
        }
    };
    let Some((parsed, targets)) = chosen else {
        let name = blueprint.unwrap_or_default();
        eprintln!(
            "error: no blueprint file or name `{name}`; {}",
            crate::suggest::hint(name, names.iter().copied())
        );
        return BAD_INPUT;
    };
    let Some(target) = targets.first() else {
        eprintln!(
            "error: blueprint `{}` has no environment `{env}`",
            parsed.name.as_deref().unwrap_or_default()
        );
        return BAD_INPUT;
    };
    // Merged once: printed, then judged exactly as render would judge it.
    let merged_document;
    let (document, spans) = match target {
        Some(o) => match overlay::merge(&parsed.document, &parsed.spans, o) {
            Ok((document, spans)) => {
                merged_document = document;
                (&merged_document, std::sync::Arc::new(spans))
            }
            Err(problems) => {
                print_diagnostics(&problems, Output::Text);
                return BAD_INPUT;
            }
        },
        None => (&parsed.document, parsed.spans.clone()),
    };
    println!(
        "# kforge show: blueprint `{}`, environment `{env}`; each field names the file:line:col that set it",
        parsed.name.as_deref().unwrap_or_default()
    );
    print!("{}", overlay::show(document, &spans));
    let problems = match load::from_document(document, spans, parsed.base_dir.clone()) {
        Ok(loaded) => check::check(&loaded),
        Err(problems) => problems,
    };
    if !problems.is_empty() {
        print_diagnostics(&problems, Output::Text);
    }
    if problems.iter().any(Diagnostic::is_error) {
        BAD_INPUT
    } else {
        SUCCESS
    }
}

fn rules(rule: Option<&str>) -> u8 {
    let Some(name) = rule else {
        print!("{}", lint::listing());
        return SUCCESS;
    };
    match lint::lookup(name) {
        Some(code) => {
            print!("{}", lint::documentation(code));
            SUCCESS
        }
        None => {
            let bare = name.strip_prefix("KF-").unwrap_or(name);
            eprintln!(
                "error: `{name}` is not a lint rule; {}",
                crate::suggest::hint(bare, lint::codes::known())
            );
            BAD_INPUT
        }
    }
}

const STARTER: &str = "# yaml-language-server: $schema=../schemas/blueprint.schema.json
apiVersion: kforge.io/v1alpha1
kind: Blueprint
metadata:
  name: starter
spec:
  kubernetesVersion: \"1.33\"
  namespaces:
    - name: web
      isolation: default-deny
  apps:
    - name: web
      namespace: web
      image: nginx:1.27.2
      replicas: 2
      ports: [{name: http, port: 80}]
      resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
      probes:
        readiness: {http: {path: /, port: http}}
      network:
        ingress:
          - from: {ingressController: true}
";

fn init(dir: &Path) -> u8 {
    let blueprint = dir.join("blueprints/starter.yaml");
    let schema = dir.join("schemas/blueprint.schema.json");
    for path in [&blueprint, &schema] {
        if path.exists() {
            eprintln!(
                "error: `{}` already exists; kforge init never overwrites files",
                path.display()
            );
            return BAD_INPUT;
        }
    }
    let result = [
        (&blueprint, STARTER.to_owned()),
        (&schema, blueprint_schema_text()),
    ]
    .into_iter()
    .try_for_each(|(path, text)| {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)
    });
    match result {
        Ok(()) => {
            eprintln!(
                "created {} and {}; next: kforge render",
                blueprint.display(),
                schema.display()
            );
            SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write into `{}`: {e}", dir.display());
            BAD_INPUT
        }
    }
}
