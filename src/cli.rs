//! The command line: parses arguments, runs the pipeline of the library on the work tree,
//! prints diagnostics and maps the outcome to the exit codes README lists ([`exit`]). Besides the
//! work tree (through [`crate::pipeline::Source`]) and the writer, it is the only place that
//! touches the environment, the clock or the terminal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod commit;
mod diff_command;
mod init_command;
mod nodes_command;
mod report;
mod validate_command;

use report::{Limit, Output, Report, print_diagnostics};

use crate::diagnostic::Diagnostic;
use crate::load::reference;
use crate::load::schema::blueprint_schema_text;
use crate::overlay;
use crate::pipeline::{self, Failure, Plan, Rendered, RepoPath, WorkTree, output};
use crate::write::{Changes, Snapshot};
use crate::{check, lint, load};

mod exit;
mod sealing;

use exit::Exit;

const RENDER_EXAMPLES: &str = "Examples:
  kforge render                          # every blueprints/*.yaml, base + each overlay, into out/
  kforge render blueprints/platform.yaml # one blueprint
  kforge render --env prod               # only the prod environment (`--env base`: no overlay)
  kforge render --check                  # exit 1 when out/ is stale (for CI)
  kforge render --out /tmp/out           # somewhere else
  kforge render --commit                 # and commit what changed in out/ (never pushes)";
const DIFF_EXAMPLES: &str = "Examples:
  kforge diff --base main                # what this branch changes in the rendered output
  kforge diff --base HEAD~1 --env prod   # one environment, against the previous commit
  kforge diff --base origin/main --output markdown > comment.md   # for a pull request
  kforge diff --live --context prod --env prod   # what an apply would change in the cluster (read-only)";
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
const EXPLAIN_EXAMPLES: &str = "Examples:
  kforge explain                         # the top level of a blueprint
  kforge explain spec.apps.autoscale     # one field: type, default, description, fields below
  kforge explain apps.probes.readiness   # `spec.` may be left out
  kforge explain --markdown > docs/blueprint.md   # the whole reference";
const INIT_EXAMPLES: &str = "Examples:
  kforge init                            # blueprints/starter.yaml and friends, here
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
        #[arg(long, conflicts_with = "commit")]
        check: bool,
        /// Commit the output files the render changed (git; never pushes). Refuses during a
        /// merge or rebase, with staged changes, or with uncommitted edits in the output.
        #[arg(long)]
        commit: bool,
        /// The commit message's summary line (default: counts of what changed).
        #[arg(long, value_name = "MSG", requires = "commit")]
        message: Option<String>,
        /// Commit even when files in the output trees have uncommitted edits.
        #[arg(long, requires = "commit")]
        allow_dirty: bool,
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
    /// Compare the rendered output of a git revision with the work tree's.
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(diff_command::DiffArgs),
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
    /// Print the nodes of a blueprint's cluster, or one node's cloud-init user-data.
    Nodes(nodes_command::NodesArgs),
    /// Print the JSON Schema of the blueprint format.
    #[command(after_help = SCHEMA_EXAMPLES)]
    Schema,
    /// Describe a blueprint field: its type, default, description and the fields below it.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain {
        /// A field path such as spec.apps.autoscale (`spec.` may be left out).
        field: Option<String>,
        /// Print the reference of every field as Markdown (docs/blueprint.md).
        #[arg(long, conflicts_with = "field")]
        markdown: bool,
    },
    /// Create a starter repository: a blueprint that renders clean, the schema, a .sops.yaml
    /// hint, a .gitignore and a CI workflow.
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
            return if error.use_stderr() {
                Exit::BadInput
            } else {
                Exit::Success
            }
            .into();
        }
    };
    match cli.command {
        Command::Render {
            blueprints,
            envs,
            out,
            check,
            commit,
            message,
            allow_dirty,
            output,
            max_diagnostics,
        } => render(
            &blueprints,
            &envs,
            &out,
            Mode {
                check,
                commit: commit.then_some(commit::Options {
                    message,
                    allow_dirty,
                }),
            },
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
        Command::Diff(args) => diff_command::run(&args),
        Command::Nodes(args) => nodes_command::run(&args),
        Command::Schema => {
            print!("{}", blueprint_schema_text());
            Exit::Success
        }
        Command::Explain { field, markdown } => explain(field.as_deref(), markdown),
        Command::Init { dir } => init_command::run(&dir),
        Command::Rules { rule } => rules(rule.as_deref()),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kforge", &mut std::io::stdout());
            Exit::Success
        }
    }
    .into()
}

/// Reports an operational failure: one `error[code]` line on stderr, or, with
/// `--output json`, an `errors` entry beside the (empty) findings on stdout.
fn print_error(error: &pipeline::Error, json: bool) {
    match json {
        false => eprintln!("error[{}]: {error}", error.code()),
        true => {
            let entry = serde_json::json!({
                "rule": error.code(),
                "file": error.path(),
                "message": error.to_string(),
            });
            let report = serde_json::json!({ "findings": [], "errors": [entry] });
            println!("{}", crate::json::pretty(&report));
        }
    }
}

/// A command line the command cannot work with: reported as an operational error.
fn usage(message: String) -> Exit {
    print_error(&pipeline::Error::Usage(message), false);
    Exit::BadInput
}

/// Prints why a run stopped and gives its exit code: 1 for findings about the objects at
/// error level (for `check`), 2 for anything else.
fn report_failure(failure: Failure, output: impl Into<Report>) -> Exit {
    let output = output.into();
    match failure {
        Failure::Problems {
            diagnostics,
            findings_only,
        } => {
            print_diagnostics(&diagnostics, output);
            if findings_only {
                Exit::Findings
            } else {
                Exit::BadInput
            }
        }
        Failure::Error(error) => {
            print_error(&error, output.output == Output::Json);
            Exit::BadInput
        }
    }
}

/// The repository: the working directory.
fn work_tree() -> Result<WorkTree, pipeline::Error> {
    WorkTree::new(Path::new("."))
}

/// The process environment, for `fromEnv` secret values.
fn environment_variable(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name)
}

/// Plans and compiles the blueprints named (or all) for the environments asked (or all).
/// The warnings are returned for the caller to print with whatever else it finds, so that
/// `--output json` prints one document.
fn compile_all(
    tree: &WorkTree,
    given: &[PathBuf],
    envs: &[String],
) -> Result<(Vec<Rendered>, Vec<Diagnostic>), Failure> {
    crate::validate::render::warm_up_in_background();
    let given = given
        .iter()
        .map(|path| tree.locate(path))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = Plan::new(tree, &given, envs)?;
    let compiled = pipeline::compile_all(plan, tree, &environment_variable)?;
    Ok((compiled.renderings, compiled.warnings))
}

/// Prints a run's diagnostics: in text only when there are some, as JSON always (an empty
/// `findings` list says there were none).
fn print_findings(diagnostics: &[Diagnostic], output: Report) {
    if !diagnostics.is_empty() || output.output == Output::Json {
        print_diagnostics(diagnostics, output);
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

/// What `render` does besides writing: only compare (`--check`), or commit afterwards.
struct Mode {
    check: bool,
    commit: Option<commit::Options>,
}

fn render(blueprints: &[PathBuf], envs: &[String], out: &Path, mode: Mode, output: Report) -> Exit {
    let check_only = mode.check;
    // Whether the repository may be committed to is known before anything is written.
    let committer = match mode.commit.as_ref().map(|_| commit::prepare()).transpose() {
        Ok(committer) => committer,
        Err(error) => return report_failure(error.into(), output),
    };
    let snapshot = Snapshot::read_ahead(out);
    let tree = match work_tree() {
        Ok(tree) => tree,
        Err(error) => return report_failure(error.into(), output),
    };
    let (mut renderings, mut findings) = match compile_all(&tree, blueprints, envs) {
        Ok(compiled) => compiled,
        // A blueprint whose objects fail review is invalid input for render.
        Err(failure) => {
            report_failure(failure, output);
            return Exit::BadInput;
        }
    };
    let snapshot = snapshot.join().unwrap_or_default();
    // Every Secret is encrypted before anything is written, so a problem writes nothing.
    let mut sealed = Vec::new();
    // Node files first: the cluster's CA and tokens join the Secrets to seal.
    if renderings
        .iter()
        .any(|r| !r.secrets.is_empty() || r.cluster.is_some())
    {
        let done = sealing::read_keys(&tree).and_then(|keys| {
            output::add_nodes(&mut renderings, out, &keys, &snapshot)?;
            output::seal_all(&mut renderings, out, tree.root(), &keys, &snapshot)
        });
        match done {
            Ok(done) => sealed = done,
            Err(problems) => {
                findings.extend(problems);
                print_findings(&findings, output);
                return Exit::BadInput;
            }
        }
    }
    print_findings(&findings, output);
    if let (Some(committer), Some(options)) = (&committer, &mode.commit)
        && let Err(error) = commit::check_outputs(committer, &renderings, out, options)
    {
        return report_failure(error.into(), output);
    }
    let reports = match output::write_all(&renderings, out, check_only, &snapshot) {
        Ok(reports) => reports,
        Err(error) => return report_failure(error.into(), output),
    };
    let mut stale = false;
    for report in &reports {
        let (dir, changes) = (report.dir.display(), &report.changes);
        if check_only && !changes.is_empty() {
            stale = true;
            eprintln!("{dir}: out of date ({})", describe(changes));
            for path in changes
                .added
                .iter()
                .chain(&changes.modified)
                .chain(&changes.removed)
            {
                eprintln!("  {path}");
            }
            for leftover in &changes.leftovers {
                eprintln!(
                    "  {} (left by an interrupted render; `kforge render` removes it)",
                    leftover.display()
                );
            }
        } else {
            eprintln!("{dir}: {} objects; {}", report.objects, describe(changes));
            for leftover in &changes.leftovers {
                eprintln!(
                    "  removed {} (left by an interrupted render)",
                    leftover.display()
                );
            }
        }
    }
    for done in &sealed {
        sealing::report(&done.dir, &done.outcomes);
    }
    // The nodes' secret material is not applied by a GitOps controller.
    if sealed.iter().any(|done| {
        !done.controller
            && done
                .outcomes
                .keys()
                .any(|path| path != crate::bootstrap::material::SECRETS)
    }) {
        sealing::flux_hint();
    }
    if let (Some(committer), Some(options)) = (&committer, &mode.commit)
        && let Err(error) =
            commit::finish(committer, &renderings, &reports, out, &snapshot, options)
    {
        return report_failure(error.into(), output);
    }
    exit_without_freeing((renderings, snapshot));
    if stale {
        Exit::Difference
    } else {
        Exit::Success
    }
}

/// Leaves a run's large results (object trees, file texts) to the end of the process instead
/// of freeing them one allocation at a time: the process exits right after, and freeing
/// 50,000 objects cost more than writing their files. Only for values whose memory holds
/// nothing secret beyond what the process already had (Secrets are sealed or forgotten
/// before this).
fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

fn check_command(blueprints: &[PathBuf], envs: &[String], output: Report) -> Exit {
    let tree = match work_tree() {
        Ok(tree) => tree,
        Err(error) => return report_failure(error.into(), output),
    };
    let (renderings, mut findings) = match compile_all(&tree, blueprints, envs) {
        Ok(compiled) => compiled,
        Err(failure) => return report_failure(failure, output),
    };
    // Secrets need recipients for the tree they would go to (the default `out/`).
    if renderings.iter().any(|r| !r.secrets.is_empty()) {
        let problems = match sealing::read_keys(&tree) {
            Ok(keys) => output::check_recipients(&renderings, Path::new("out"), tree.root(), &keys),
            Err(problems) => problems,
        };
        if !problems.is_empty() {
            findings.extend(problems);
            print_findings(&findings, output);
            return Exit::BadInput;
        }
    }
    print_findings(&findings, output);
    for rendering in &renderings {
        eprintln!(
            "{}/{}: ok ({} objects)",
            rendering.blueprint,
            rendering.env,
            rendering.tree.objects()
        );
    }
    exit_without_freeing(renderings);
    Exit::Success
}

/// `kforge show`: the merged blueprint with each field's source, then its problems.
fn show(blueprint: Option<&str>, env: &str) -> Exit {
    let tree = match work_tree() {
        Ok(tree) => tree,
        Err(error) => return report_failure(error.into(), Output::Text),
    };
    let given: Vec<RepoPath> = match blueprint {
        Some(b) if Path::new(b).is_file() => match tree.locate(Path::new(b)) {
            Ok(path) => vec![path],
            Err(error) => return report_failure(error.into(), Output::Text),
        },
        _ => Vec::new(),
    };
    let envs = [env.to_owned()];
    let plan = match Plan::new(&tree, &given, &envs) {
        Ok(plan) => plan,
        Err(failure) => {
            report_failure(failure, Output::Text);
            return Exit::BadInput;
        }
    };
    let names: Vec<&str> = plan
        .targets
        .iter()
        .filter_map(|t| t.parsed.name.as_deref())
        .collect();
    let chosen = match blueprint {
        Some(_) if !given.is_empty() => plan.targets.first(),
        Some(name) => plan
            .targets
            .iter()
            .find(|t| t.parsed.name.as_deref() == Some(name)),
        None if plan.targets.len() == 1 => plan.targets.first(),
        None => {
            return usage(format!(
                "there are several blueprints; name one: {}",
                names.join(", ")
            ));
        }
    };
    let Some(target) = chosen else {
        let name = blueprint.unwrap_or_default();
        return usage(format!(
            "no blueprint file or name `{name}`; {}",
            crate::suggest::hint(name, names.iter().copied())
        ));
    };
    let parsed = &target.parsed;
    let Some(environment) = target.environments.first() else {
        return usage(format!(
            "blueprint `{}` has no environment `{env}`",
            parsed.name.as_deref().unwrap_or_default()
        ));
    };
    // Merged once: printed, then judged exactly as render would judge it.
    let (document, spans) = parsed.document();
    let merged_document;
    let (document, spans) = match environment {
        Some(o) => match overlay::merge(document, spans, o) {
            Ok((document, spans)) => {
                merged_document = document;
                (&merged_document, std::sync::Arc::new(spans))
            }
            Err(problems) => {
                print_diagnostics(&problems, Output::Text);
                return Exit::BadInput;
            }
        },
        None => (document, spans.clone()),
    };
    println!(
        "# kforge show: blueprint `{}`, environment `{env}`; each field names the file:line:col that set it",
        parsed.name.as_deref().unwrap_or_default()
    );
    print!("{}", overlay::show(document, &spans));
    let problems =
        match load::from_document(document, spans, parsed.base_dir()).map(crate::addons::apply) {
            Ok(loaded) => {
                let mut found = check::check(&loaded);
                crate::addons::describe(&loaded.blueprint, &mut found);
                found
            }
            Err(problems) => problems,
        };
    if !problems.is_empty() {
        print_diagnostics(&problems, Output::Text);
    }
    if problems.iter().any(Diagnostic::is_error) {
        Exit::BadInput
    } else {
        Exit::Success
    }
}

fn explain(field: Option<&str>, markdown: bool) -> Exit {
    if markdown {
        print!("{}", reference::markdown());
        return Exit::Success;
    }
    match reference::explain(field) {
        Ok(text) => {
            print!("{text}");
            Exit::Success
        }
        Err(unknown) => usage(unknown.to_string()),
    }
}

fn rules(rule: Option<&str>) -> Exit {
    let Some(name) = rule else {
        print!("{}", lint::listing());
        return Exit::Success;
    };
    match lint::lookup(name) {
        Some(code) => {
            print!("{}", lint::documentation(code));
            Exit::Success
        }
        None => {
            let bare = name.strip_prefix("KF-").unwrap_or(name);
            usage(format!(
                "`{name}` is not a lint rule; {}",
                crate::suggest::hint(bare, lint::codes::known())
            ))
        }
    }
}
