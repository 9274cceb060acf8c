//! `kforge nodes`: the node table of a blueprint's `spec.cluster`, and `kforge nodes
//! user-data NODE`, a node's user-data as committed or, with `--decrypt`, ready to use (the
//! token and CA key opened from the SOPS-encrypted `nodes/cluster-secrets.yaml` with the
//! age identity of `SOPS_AGE_KEY_FILE`/`SOPS_AGE_KEY`).

use std::path::{Path, PathBuf};

use super::exit::Exit;
use super::report::{Output, print_diagnostics};
use super::{report_failure, sealing, work_tree};
use crate::bootstrap::{self, material};
use crate::diagnostic::Diagnostic;
use crate::load::blueprint::{Cluster, NodeRole};
use crate::overlay;
use crate::pipeline::{self, Plan};

const NODES_EXAMPLES: &str = "Examples:
  kforge nodes                                   # the node table of the only blueprint with a cluster
  kforge nodes platform --env prod --output json
  kforge nodes user-data master                  # the committed user-data (no secrets)
  SOPS_AGE_KEY_FILE=key.txt kforge nodes user-data master --decrypt > master.yaml";

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, after_help = NODES_EXAMPLES)]
pub struct NodesArgs {
    #[command(subcommand)]
    command: Option<NodesCommand>,
    #[command(flatten)]
    target: TargetArgs,
    /// How to print the table.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
}

#[derive(Debug, clap::Args)]
struct TargetArgs {
    /// A blueprint file or metadata.name (default: the only blueprint with a cluster).
    blueprint: Option<String>,
    /// The environment (default: base, the blueprint without overlay).
    #[arg(long = "env", value_name = "ENV", default_value = overlay::BASE)]
    env: String,
}

#[derive(Debug, clap::Subcommand)]
enum NodesCommand {
    /// Print a node's cloud-init user-data.
    UserData {
        /// The node's name.
        node: String,
        #[command(flatten)]
        target: TargetArgs,
        /// Put the bootstrap token and the CA key in (from the encrypted
        /// nodes/cluster-secrets.yaml, with SOPS_AGE_KEY_FILE or SOPS_AGE_KEY).
        #[arg(long)]
        decrypt: bool,
        /// The output root the rendered tree is in.
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
}

fn problem(code: &'static str, message: String, help: &str) -> Exit {
    print_diagnostics(
        &[Diagnostic::error(code, message).help(help.to_owned())],
        Output::Text,
    );
    Exit::BadInput
}

/// The blueprint's name and its checked cluster, for one environment.
fn cluster_of(target: &TargetArgs) -> Result<(String, Cluster), Exit> {
    let tree = work_tree().map_err(|e| report_failure(e.into(), Output::Text))?;
    let given = match &target.blueprint {
        Some(b) if Path::new(b).is_file() => vec![
            tree.locate(Path::new(b))
                .map_err(|e| report_failure(e.into(), Output::Text))?,
        ],
        _ => Vec::new(),
    };
    let plan = Plan::new(&tree, &given, std::slice::from_ref(&target.env))
        .map_err(|f| report_failure(f, Output::Text))?;
    let mut checked = Vec::new();
    for t in &plan.targets {
        let named = match &target.blueprint {
            Some(_) if !given.is_empty() => true,
            Some(name) => t.parsed.name.as_deref() == Some(name.as_str()),
            None => true,
        };
        let Some(environment) = t.environments.first().filter(|_| named) else {
            continue;
        };
        let loaded = pipeline::load(&t.parsed, environment.as_ref()).and_then(pipeline::check);
        match loaded {
            Ok(c) => {
                let loaded = c.loaded();
                if let Some(cluster) = &loaded.blueprint.spec.cluster {
                    checked.push((loaded.name().to_owned(), cluster.clone()));
                }
            }
            Err(diagnostics) if target.blueprint.is_some() => {
                print_diagnostics(&diagnostics, Output::Text);
                return Err(Exit::BadInput);
            }
            Err(_) => {}
        }
    }
    match checked.len() {
        1 => Ok(checked.remove(0)),
        0 => Err(problem(
            "no-cluster",
            format!(
                "no blueprint{} describes a cluster (`spec.cluster`) in environment `{}`",
                target
                    .blueprint
                    .as_ref()
                    .map(|b| format!(" named `{b}`"))
                    .unwrap_or_default(),
                target.env
            ),
            "name a blueprint with `spec.cluster`, by file or metadata.name",
        )),
        _ => Err(problem(
            "several-clusters",
            format!(
                "several blueprints describe a cluster: {}",
                checked
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "name one",
        )),
    }
}

pub fn run(args: &NodesArgs) -> Exit {
    match &args.command {
        None => table(&args.target, args.output),
        Some(NodesCommand::UserData {
            node,
            target,
            decrypt,
            out,
        }) => user_data(node, target, *decrypt, out),
    }
}

fn table(target: &TargetArgs, output: Output) -> Exit {
    let (_, cluster) = match cluster_of(target) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    let rows: Vec<[String; 5]> = bootstrap::plan(&cluster)
        .iter()
        .map(|plan| {
            [
                plan.node.name.clone(),
                match plan.node.role {
                    NodeRole::ControlPlane => "control-plane".to_owned(),
                    NodeRole::Worker => "worker".to_owned(),
                },
                plan.node.address.clone(),
                plan.node.interface.clone().unwrap_or_default(),
                bootstrap::summary(&cluster, plan),
            ]
        })
        .collect();
    match output {
        Output::Json => {
            let nodes: Vec<serde_json::Value> = rows
                .iter()
                .map(|[name, role, address, interface, runs]| {
                    serde_json::json!({
                        "name": name, "role": role, "address": address,
                        "interface": interface, "runs": runs,
                    })
                })
                .collect();
            let report = serde_json::json!({"cluster": cluster.name, "nodes": nodes});
            println!("{}", crate::json::pretty(&report));
        }
        Output::Text => {
            let headers = ["NAME", "ROLE", "ADDRESS", "INTERFACE", "RUNS"];
            let widths: Vec<usize> = (0..4)
                .map(|i| {
                    rows.iter()
                        .map(|r| r[i].len())
                        .chain([headers[i].len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: [&str; 5]| {
                let mut text = String::new();
                for (i, width) in widths.iter().enumerate() {
                    text.push_str(&format!("{:<width$}  ", cells[i]));
                }
                text.push_str(cells[4]);
                println!("{}", text.trim_end());
            };
            line(headers);
            for r in &rows {
                line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
            }
        }
    }
    Exit::Success
}

fn user_data(name: &str, target: &TargetArgs, decrypt: bool, out: &Path) -> Exit {
    let (blueprint, cluster) = match cluster_of(target) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    let plans = bootstrap::plan(&cluster);
    let Some(plan) = plans.iter().find(|p| p.node.name == name) else {
        return problem(
            "unknown-node",
            format!("cluster `{}` has no node `{name}`", cluster.name),
            &crate::suggest::hint(name, cluster.nodes.iter().map(|n| n.name.as_str())),
        );
    };
    let dir = out.join(&blueprint).join(&target.env);
    let read = |path: &str| std::fs::read_to_string(dir.join(path)).ok();
    let (Some(cert), sealed) = (read(material::CA_CERT), read(material::SECRETS)) else {
        return problem(
            "not-rendered",
            format!("`{}` does not exist", dir.join(material::CA_CERT).display()),
            "run `kforge render` first: it makes the cluster CA",
        );
    };
    let hash = match material::cert_hash(&cert) {
        Ok(hash) => hash,
        Err(e) => {
            return problem(
                "cluster-material",
                format!("{}: {e}", dir.join(material::CA_CERT).display()),
                "restore it from Git",
            );
        }
    };
    let public = material::Public {
        ca_cert_pem: cert.clone(),
        ca_cert_hash: hash,
    };
    let header = crate::emit::header(&blueprint);
    let mut secrets = None;
    if decrypt {
        let keys = match work_tree()
            .map_err(|e| vec![Diagnostic::error(e.code(), e.to_string())])
            .and_then(|tree| sealing::read_keys(&tree))
        {
            Ok(keys) => keys,
            Err(problems) => {
                print_diagnostics(&problems, Output::Text);
                return Exit::BadInput;
            }
        };
        if keys.identities.is_empty() {
            return problem(
                "no-age-identity",
                "--decrypt needs an age identity".into(),
                "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to the key of a recipient of spec.encryption",
            );
        }
        let Some(sealed) = sealed else {
            return problem(
                "not-rendered",
                format!("`{}` does not exist", dir.join(material::SECRETS).display()),
                "run `kforge render` first, or restore the file from Git",
            );
        };
        let previous = material::Previous {
            ca_cert: Some(&cert),
            secrets: Some(&sealed),
        };
        match material::resolve(
            &previous,
            &keys.identities,
            (2026, 1, 1),
            &mut rand::rngs::OsRng,
        ) {
            Ok(material::Material {
                secrets: material::Held::Open(opened),
                ..
            }) => secrets = Some(opened),
            Ok(_) => {
                return problem(
                    "no-age-identity",
                    format!(
                        "no age identity given opens `{}`",
                        dir.join(material::SECRETS).display()
                    ),
                    "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to the key of a recipient of spec.encryption",
                );
            }
            Err(e) => return problem("cluster-material", e, "see docs/bootstrap.md"),
        }
    }
    match bootstrap::node_files(&header, &cluster, plan, &public, secrets.as_ref()) {
        Ok(files) => {
            let mut text = files.user_data;
            print!("{text}");
            zeroize::Zeroize::zeroize(&mut text);
            let mut kubeadm = files.kubeadm;
            zeroize::Zeroize::zeroize(&mut kubeadm);
            Exit::Success
        }
        Err(e) => problem("internal-error", e, "report this"),
    }
}
