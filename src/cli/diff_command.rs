//! `kforge diff --base REV`: compiles the blueprints as they are at a git revision and as
//! they are in the work tree (both at once), compares the trees with [`crate::diff`] and
//! prints the result as text, markdown or JSON. Exit 0 without a difference, 1 with one,
//! 2 when either side cannot be compiled or the revision cannot be read.
//!
//! `kforge diff --live`: the trees under out/ against the cluster ([`crate::live`]), printed
//! by the same printers; exit 2 when the cluster cannot be reached or refuses a request.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::exit::Exit;
use super::report::{Output, print_diagnostics};
use super::{environment_variable, print_error, sealing, work_tree};
use crate::diff::{self, Tree};
use crate::git::Revision;
use crate::live;
use crate::pipeline::{self, Failure, Plan, Rendered, RepoPath, Source};

/// How `kforge diff` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffOutput {
    /// For the terminal; coloured on a terminal without NO_COLOR.
    #[default]
    Text,
    /// A pull-request comment of at most 65,536 characters.
    Markdown,
    /// The stable format of docs/diff.md.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The git revision to compare the work tree with (a branch, tag, commit, `HEAD~1`).
    #[arg(
        long,
        value_name = "REV",
        required_unless_present = "live",
        conflicts_with = "live"
    )]
    pub base: Option<String>,
    /// Compare the rendered trees under out/ with the cluster instead: a server-side apply
    /// with dryRun=All per object; nothing in the cluster changes.
    #[arg(long)]
    pub live: bool,
    /// The kubeconfig for --live (default: KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "FILE", requires = "live")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context for --live (default: the current context).
    #[arg(long, value_name = "NAME", requires = "live")]
    pub context: Option<String>,
    /// Blueprint files (default: every blueprints/*.yaml); not with --live, which reads
    /// every tree under out/.
    #[arg(conflicts_with = "live")]
    pub blueprints: Vec<PathBuf>,
    /// Only these environments (overlay names; `base` is the blueprint without overlay).
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
    /// How to print the difference.
    #[arg(long, value_enum, default_value_t)]
    pub output: DiffOutput,
}

/// Compiles one side. `narrow`: the environments asked for are picked after planning,
/// because at the base revision an environment may not exist yet.
fn compile(
    source: &dyn Source,
    given: &[RepoPath],
    envs: &[String],
    narrow: bool,
) -> Result<Vec<Rendered>, Failure> {
    let plan_envs: &[String] = if narrow { &[] } else { envs };
    let mut plan = Plan::new(source, given, plan_envs)?;
    if narrow && !envs.is_empty() {
        for target in &mut plan.targets {
            target.environments.retain(|overlay| {
                envs.iter()
                    .any(|e| e == pipeline::environment_name(overlay.as_ref()))
            });
        }
    }
    Ok(pipeline::compile_all(plan, source, &environment_variable)?.renderings)
}

/// The blueprints of the base side: those given that exist at the revision (`None` when
/// none do, or the revision has no blueprints at all: everything is new).
fn base_blueprints(revision: &Revision, given: &[RepoPath]) -> Option<Vec<RepoPath>> {
    if given.is_empty() {
        let dir = RepoPath::new(pipeline::BLUEPRINTS_DIR).ok()?;
        let files = revision.files_in(&dir).ok()??;
        return files.iter().any(RepoPath::is_yaml).then(Vec::new);
    }
    let present: Vec<RepoPath> = given
        .iter()
        .filter(|p| revision.exists(p))
        .cloned()
        .collect();
    (!present.is_empty()).then_some(present)
}

fn trees(renderings: &[Rendered]) -> Vec<Tree<'_>> {
    renderings
        .iter()
        .map(|r| Tree {
            blueprint: &r.blueprint,
            env: &r.env,
            tree: &r.tree,
        })
        .collect()
}

fn failed(failure: Failure, side: &str) -> Exit {
    match failure {
        Failure::Problems { diagnostics, .. } => {
            eprintln!("error: the blueprints at {side} do not compile:");
            print_diagnostics(&diagnostics, Output::Text);
        }
        Failure::Error(error) => {
            eprintln!("error: the blueprints at {side} cannot be read:");
            print_error(&error, false);
        }
    }
    Exit::BadInput
}

/// Prints a diff in the format asked for.
fn print_diff(diff: &diff::Diff, output: DiffOutput) {
    let text = match output {
        DiffOutput::Text => {
            let colour = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
            diff::text::render(diff, colour)
        }
        DiffOutput::Markdown => diff::markdown::render(diff),
        DiffOutput::Json => diff::json::render(diff),
    };
    print!("{text}");
}

/// `kforge diff --live`: every tree under out/ (or those of `--env`) against the cluster.
fn run_live(args: &DiffArgs) -> Exit {
    let identities = match sealing::identities() {
        Ok(identities) => identities,
        Err(problems) => {
            print_diagnostics(&problems, Output::Text);
            return Exit::BadInput;
        }
    };
    let snapshot = crate::write::Snapshot::read(Path::new(OUT));
    let trees = snapshot.trees();
    let targets: Vec<live::Target<'_>> = trees
        .iter()
        .filter_map(|(dir, files)| {
            let env = dir.file_name()?.to_str()?;
            let blueprint = dir.parent()?.file_name()?.to_str()?;
            Some(live::Target {
                blueprint,
                env,
                files: files.clone(),
            })
        })
        .filter(|t| args.envs.is_empty() || args.envs.iter().any(|e| e == t.env))
        .collect();
    if targets.is_empty() {
        eprintln!(
            "error[live-nothing-rendered]: no rendered tree under {OUT}/{}: run `kforge render` first",
            if args.envs.is_empty() {
                String::new()
            } else {
                format!(" for environment {}", args.envs.join(", "))
            }
        );
        return Exit::BadInput;
    }
    let cluster = live::Cluster {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
    };
    match live::diff(&cluster, &targets, &identities) {
        Ok(diff) => {
            print_diff(&diff, args.output);
            if diff.different() {
                Exit::Difference
            } else {
                Exit::Success
            }
        }
        Err(error) => {
            eprintln!("error[{}]: {error}", error.code());
            Exit::BadInput
        }
    }
}

/// Where the rendered trees are.
const OUT: &str = "out";

pub fn run(args: &DiffArgs) -> Exit {
    let Some(base) = args.base.as_deref().filter(|_| !args.live) else {
        return run_live(args);
    };
    let tree = match work_tree() {
        Ok(tree) => tree,
        Err(error) => {
            print_error(&error, false);
            return Exit::BadInput;
        }
    };
    let revision = match Revision::open(Path::new("."), base) {
        Ok(revision) => revision,
        Err(error) => {
            print_error(&error, false);
            return Exit::BadInput;
        }
    };
    let given = match args
        .blueprints
        .iter()
        .map(|path| tree.locate(path))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(given) => given,
        Err(error) => {
            print_error(&error, false);
            return Exit::BadInput;
        }
    };
    let identities = match sealing::identities() {
        Ok(identities) => identities,
        Err(problems) => {
            print_diagnostics(&problems, Output::Text);
            return Exit::BadInput;
        }
    };
    crate::validate::render::warm_up_in_background();
    let base_given = base_blueprints(&revision, &given);
    let (base, head) = std::thread::scope(|scope| {
        let base = scope.spawn(|| match &base_given {
            Some(paths) => compile(&revision, paths, &args.envs, true),
            None => Ok(Vec::new()),
        });
        let head = compile(&tree, &given, &args.envs, false);
        let base = base.join().unwrap_or_else(|_| {
            Err(Failure::Error(pipeline::Error::Internal(
                "compiling the base revision failed".into(),
            )))
        });
        (base, head)
    });
    let mut base = match base {
        Ok(base) => base,
        Err(failure) => return failed(failure, &revision.describe()),
    };
    let mut head = match head {
        Ok(head) => head,
        Err(failure) => return failed(failure, &tree.describe()),
    };
    let diff = diff::compare(
        &trees(&base),
        &trees(&head),
        &identities,
        (&revision.describe(), &tree.describe()),
    );
    print_diff(&diff, args.output);
    let different = !diff.is_empty();
    // Plain Secret values are overwritten now; the rest is left to the process's end.
    for rendering in base.iter_mut().chain(head.iter_mut()) {
        rendering.forget_secrets();
    }
    super::exit_without_freeing((base, head, diff));
    if !different {
        Exit::Success
    } else {
        Exit::Difference
    }
}
