//! The command line: parses arguments, reads files, runs the pipeline, prints diagnostics and
//! maps the outcome to the exit codes of CLI.md. The only module (with [`crate::write`]) that
//! touches the file system, the environment or the terminal.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

mod validate_command;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::expand::{Inputs, file_references, resolve_reference};
use crate::load::schema::blueprint_schema_text;
use crate::write::{Changes, plan, write_tree};
use crate::{check, emit, expand, load};

const RENDER_EXAMPLES: &str = "Examples:
  kforge render                          # every blueprints/*.yaml into out/
  kforge render blueprints/platform.yaml # one blueprint
  kforge render --check                  # exit 1 when out/ is stale (for CI)
  kforge render --out /tmp/out           # somewhere else";
const CHECK_EXAMPLES: &str = "Examples:
  kforge check                           # every blueprints/*.yaml
  kforge check blueprints/platform.yaml --output json";
const VALIDATE_EXAMPLES: &str = "Examples:
  kforge validate manifests/                     # every *.yaml, *.yml, *.json below
  kubectl kustomize out/platform/base | kforge validate -
  kforge validate k8s/ --kubernetes-version 1.35 --crd crds/ --output sarif";
const SCHEMA_EXAMPLES: &str = "Examples:
  kforge schema > schemas/blueprint.schema.json";
const INIT_EXAMPLES: &str = "Examples:
  kforge init                            # a starter blueprint in ./blueprints
  kforge init my-platform                # in a new directory";
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

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
enum Output {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render blueprints into out/<blueprint>/<env>/.
    #[command(after_help = RENDER_EXAMPLES)]
    Render {
        /// Blueprint files (default: every blueprints/*.yaml).
        blueprints: Vec<PathBuf>,
        /// The output root.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Write nothing; exit 1 when the output would change.
        #[arg(long)]
        check: bool,
        /// How to print problems.
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// Load and check blueprints; write nothing.
    #[command(after_help = CHECK_EXAMPLES)]
    Check {
        /// Blueprint files (default: every blueprints/*.yaml).
        blueprints: Vec<PathBuf>,
        /// How to print problems.
        #[arg(long, value_enum, default_value_t)]
        output: Output,
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
    /// Print shell completions.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions { shell: clap_complete::Shell },
}

/// Exit codes of CLI.md.
const SUCCESS: u8 = 0;
const DIFFERENCE: u8 = 1;
const BAD_INPUT: u8 = 2;

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
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
            out,
            check,
            output,
        } => render(&blueprints, &out, check, output),
        Command::Check { blueprints, output } => check_command(&blueprints, output),
        Command::Validate(args) => validate_command::run(&args),
        Command::Schema => {
            print!("{}", blueprint_schema_text());
            SUCCESS
        }
        Command::Init { dir } => init(&dir),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kforge", &mut std::io::stdout());
            SUCCESS
        }
    })
}

fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

fn print_diagnostics(diagnostics: &[Diagnostic], output: Output) {
    match output {
        Output::Text => {
            let color = color();
            let mut stderr = std::io::stderr().lock();
            for d in diagnostics {
                let _ = writeln!(stderr, "{}", d.render(color));
            }
        }
        Output::Json => {
            let findings: Vec<serde_json::Value> =
                diagnostics.iter().map(diagnostic_json).collect();
            let text = serde_json::to_string_pretty(&serde_json::json!({ "findings": findings }))
                .unwrap_or_default();
            println!("{text}");
        }
    }
}

fn diagnostic_json(d: &Diagnostic) -> serde_json::Value {
    let (file, line, column) = match &d.primary {
        Some((span, _)) => {
            let (line, column) = span.line_col();
            (Some(span.file.name.clone()), Some(line), Some(column))
        }
        None => (None, None, None),
    };
    serde_json::json!({
        "severity": if d.is_error() { "error" } else { "warning" },
        "rule": d.code,
        "file": file,
        "line": line,
        "column": column,
        "path": d.path,
        "message": d.message,
        "help": d.help,
    })
}

/// The blueprints named on the command line, or every `blueprints/*.yaml`.
fn blueprint_paths(given: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let dir = Path::new("blueprints");
    let entries =
        std::fs::read_dir(dir).map_err(|e| {
            vec![Diagnostic::error("no-blueprints", format!("cannot read `blueprints/`: {e}")).help(
            "run kforge in a repository with a blueprints/ directory, or name blueprint files",
        )]
        })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
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
    Inputs { files }
}

/// One blueprint rendered in memory: its name and its file tree.
struct Rendering {
    name: String,
    files: BTreeMap<String, String>,
}

/// Loads, checks, expands and emits one blueprint. Every problem found is returned.
fn compile(path: &Path, root: &Path) -> Result<(Rendering, Vec<Diagnostic>), Vec<Diagnostic>> {
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
    let file = SourceFile::new(display, text);
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
    let loaded = load::load_blueprint(file, base_dir)?;
    let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = check::check(&loaded)
        .into_iter()
        .partition(Diagnostic::is_error);
    if !errors.is_empty() {
        return Err(errors.into_iter().chain(warnings).collect());
    }
    let inputs = read_inputs(&loaded, root);
    let objects = expand::expand(&loaded, &inputs)?;
    // Every object against the schemas of the blueprint's Kubernetes version.
    let mut warnings = warnings;
    let schema = crate::validate::render::diagnostics(&loaded, &inputs, &objects);
    if schema.iter().any(Diagnostic::is_error) {
        return Err(schema.into_iter().chain(warnings).collect());
    }
    warnings.extend(schema);
    let files = emit::emit(loaded.name(), &objects)?;
    Ok((
        Rendering {
            name: loaded.name().to_owned(),
            files,
        },
        warnings,
    ))
}

/// Compiles every blueprint; reports all problems of all of them before giving up.
fn compile_all(paths: &[PathBuf], output: Output) -> Result<Vec<Rendering>, u8> {
    let root = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .unwrap_or_else(|_| PathBuf::from("."));
    let mut renderings = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match compile(path, &root) {
            Ok((rendering, warnings)) => {
                problems.extend(warnings);
                renderings.push(rendering);
            }
            Err(diagnostics) => problems.extend(diagnostics),
        }
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, rendering) in renderings.iter().enumerate() {
        if let Some(first) = seen.insert(&rendering.name, i) {
            problems.push(
                Diagnostic::error(
                    "duplicate-blueprint",
                    format!("two blueprints are named `{}`", rendering.name),
                )
                .help(format!(
                    "both would render into out/{}/; rename one (first: {})",
                    rendering.name,
                    paths[first].display()
                )),
            );
        }
    }
    let failed = problems.iter().any(Diagnostic::is_error);
    if !problems.is_empty() {
        print_diagnostics(&problems, output);
    }
    if failed {
        Err(BAD_INPUT)
    } else {
        Ok(renderings)
    }
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

fn render(blueprints: &[PathBuf], out: &Path, check_only: bool, output: Output) -> u8 {
    let paths = match blueprint_paths(blueprints) {
        Ok(paths) => paths,
        Err(d) => {
            print_diagnostics(&d, output);
            return BAD_INPUT;
        }
    };
    let renderings = match compile_all(&paths, output) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut stale = false;
    for rendering in &renderings {
        let dir = out.join(&rendering.name).join("base");
        let result = if check_only {
            plan(&dir, &rendering.files)
        } else {
            write_tree(&dir, &rendering.files)
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
    if stale { DIFFERENCE } else { SUCCESS }
}

fn check_command(blueprints: &[PathBuf], output: Output) -> u8 {
    let paths = match blueprint_paths(blueprints) {
        Ok(paths) => paths,
        Err(d) => {
            print_diagnostics(&d, output);
            return BAD_INPUT;
        }
    };
    match compile_all(&paths, output) {
        Ok(renderings) => {
            for rendering in renderings {
                eprintln!(
                    "{}: ok ({} objects)",
                    rendering.name,
                    rendering.files.len().saturating_sub(1)
                );
            }
            SUCCESS
        }
        Err(code) => code,
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
