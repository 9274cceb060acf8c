//! The last steps of `render`: every Secret artifact sealed for its recipients (reusing the
//! file already on disk when it holds the same content), then each tree written atomically
//! or, for `render --check`, compared. Sealing happens for every tree before any is written,
//! so a problem writes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use age::x25519;

use super::Rendered;
use super::error::Error;
use super::source::{RepoPath, Source};
use crate::bootstrap::{self, material};
use crate::diagnostic::Diagnostic;
use crate::model::artifact::{Artifact, ArtifactKind};
use crate::secrets::recipients::SopsConfig;
use crate::secrets::{Outcome, RecipientSource, Sealing, SecretFile, recipients_of, seal};
use crate::write::{self, Changes, Snapshot};

/// What Secrets are sealed with, gathered once per run.
pub struct Keys {
    /// Identities that may open the files on disk (`SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`).
    pub identities: Vec<x25519::Identity>,
    /// The repository's `.sops.yaml`.
    pub sops_config: Option<SopsConfig>,
    /// `lastmodified` of fresh encryptions (RFC 3339, UTC, seconds).
    pub now: String,
}

/// The `.sops.yaml` at the root of the repository, parsed; `root` is where the repository is
/// on disk (its `path_regex` rules match paths relative to it).
pub fn sops_config(
    source: &dyn Source,
    root: &Path,
) -> Result<Option<SopsConfig>, Box<Diagnostic>> {
    let path =
        RepoPath::new(".sops.yaml").map_err(|e| Diagnostic::error(e.code(), e.to_string()))?;
    if !source.exists(&path) {
        return Ok(None);
    }
    let file = root.join(path.as_str());
    source
        .read_text(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| SopsConfig::parse(file.clone(), &text))
        .map(Some)
        .map_err(|e| {
            Box::new(
                Diagnostic::error("invalid-sops-config", format!("`{}`: {e}", file.display()))
                    .help("fix the file, or set `spec.encryption.age` in the blueprint"),
            )
        })
}

fn recipients(rendering: &Rendered, keys: &Keys) -> RecipientSource {
    RecipientSource {
        blueprint: rendering.recipients.clone(),
        sops_config: keys.sops_config.clone(),
    }
}

/// For `kforge check`: every Secret of every tree has recipients (from the blueprint or a
/// `.sops.yaml` rule for its output path under `out`), as `render` would require.
pub fn check_recipients(
    renderings: &[Rendered],
    out: &Path,
    root: &Path,
    keys: &Keys,
) -> Vec<Diagnostic> {
    renderings
        .iter()
        .flat_map(|rendering| {
            let dir = rendering.dir(out);
            let source = recipients(rendering, keys);
            rendering
                .secrets
                .iter()
                .filter_map(move |secret| recipients_of(secret, &dir, root, &source).err())
                .map(|problem| *problem)
        })
        .collect()
}

/// The date of `keys.now` (`YYYY-MM-DD...`), from which a new CA is valid.
fn today(keys: &Keys) -> (i32, u8, u8) {
    let part = |range: std::ops::Range<usize>| keys.now.get(range);
    let year = part(0..4).and_then(|p| p.parse::<i32>().ok());
    let month = part(5..7).and_then(|p| p.parse::<u8>().ok());
    let day = part(8..10).and_then(|p| p.parse::<u8>().ok());
    match (year, month, day) {
        (Some(year), Some(month), Some(day)) => (year, month, day),
        _ => (2026, 1, 1),
    }
}

/// Adds the node files of every rendering with a `spec.cluster` (before [`seal_all`]): the
/// cluster's CA and tokens are those of the tree on disk (`snapshot`), opened with
/// `keys.identities` when they can, kept sealed otherwise, and made once when the tree has
/// none. The plain Secret that holds them is handed to sealing like any other.
pub fn add_nodes(
    renderings: &mut [Rendered],
    out: &Path,
    keys: &Keys,
    snapshot: &Snapshot,
) -> Result<(), Vec<Diagnostic>> {
    let mut problems = Vec::new();
    for rendering in renderings.iter_mut() {
        let Some(spec) = &rendering.cluster else {
            continue;
        };
        let dir = rendering.dir(out);
        let problem = |message: String| {
            Diagnostic::error("cluster-material", message)
                .path("spec.cluster")
                .at(spec.origin.clone(), "the cluster")
        };
        let cert = snapshot.text(&dir, material::CA_CERT);
        let sealed = snapshot.text(&dir, material::SECRETS);
        let previous = material::Previous {
            ca_cert: cert.as_deref(),
            secrets: sealed.as_deref(),
        };
        let found = material::resolve(
            &previous,
            &keys.identities,
            today(keys),
            &mut rand::rngs::OsRng,
        )
        .map_err(|e| problem(format!("{}: {e}", dir.display())));
        let found = match found {
            Ok(found) => found,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let header = crate::emit::header(&rendering.blueprint);
        let secret = match &found.secrets {
            material::Held::Open(secrets) => {
                let mut document = material::secrets_document(&spec.cluster.name, secrets);
                let text = format!("{header}{document}");
                zeroize::Zeroize::zeroize(&mut document);
                rendering.secrets.push(SecretFile {
                    path: material::SECRETS.to_owned(),
                    field: "spec.cluster".to_owned(),
                    origin: spec.origin.clone(),
                });
                text
            }
            material::Held::Sealed(text) => {
                // Kept unopened: it must already be for the blueprint's recipients, since
                // re-wrapping its data key needs an identity.
                let wanted: std::collections::BTreeSet<&str> =
                    rendering.recipients.iter().map(String::as_str).collect();
                let held = material::sealed_recipients(text);
                if held
                    .iter()
                    .map(String::as_str)
                    .collect::<std::collections::BTreeSet<_>>()
                    != wanted
                {
                    problems.push(
                        problem(format!(
                            "the recipients of `{}` changed, and re-wrapping its data key needs an age identity that opens the file",
                            dir.join(material::SECRETS).display()
                        ))
                        .help(format!(
                            "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to the key of a current recipient ({})",
                            held.join(", ")
                        )),
                    );
                    continue;
                }
                text.clone()
            }
        };
        let added =
            bootstrap::add_to_tree(&mut rendering.tree, &header, &spec.cluster, &found.public)
                .and_then(|()| {
                    rendering
                        .tree
                        .insert(
                            material::SECRETS.to_owned(),
                            Artifact::new(ArtifactKind::NodeSecret, secret),
                        )
                        .map_err(|_| {
                            format!("two files would be written to `{}`", material::SECRETS)
                        })
                });
        if let Err(e) = added {
            problems.push(problem(e));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// What sealing did to the Secret files of one tree, by path inside it.
pub struct Sealed {
    pub dir: PathBuf,
    pub outcomes: BTreeMap<String, Outcome>,
    /// Whether `spec.delivery` names Flux or Argo CD (see `Rendered::controller`).
    pub controller: bool,
}

/// Encrypts the Secrets of every tree for its recipients, reusing the files of `snapshot`
/// (the trees on disk under `out`). `root` is the directory output paths are relative to.
pub fn seal_all(
    renderings: &mut [Rendered],
    out: &Path,
    root: &Path,
    keys: &Keys,
    snapshot: &Snapshot,
) -> Result<Vec<Sealed>, Vec<Diagnostic>> {
    let mut sealed = Vec::new();
    let mut problems = Vec::new();
    for rendering in renderings.iter_mut() {
        if rendering.secrets.is_empty() {
            continue;
        }
        let dir = rendering.dir(out);
        let source = recipients(rendering, keys);
        let previous = |path: &str| snapshot.text(&dir, path);
        let sealing = Sealing {
            dir: &dir,
            cwd: root,
            recipients: &source,
            identities: &keys.identities,
            previous: &previous,
            now: &keys.now,
        };
        let (tree, secrets) = (&mut rendering.tree, &rendering.secrets);
        match seal(tree, secrets, &sealing, &mut rand::rngs::OsRng) {
            Ok(outcomes) => sealed.push(Sealed {
                dir,
                outcomes,
                controller: rendering.controller,
            }),
            Err(diagnostics) => problems.extend(diagnostics),
        }
    }
    if problems.is_empty() {
        Ok(sealed)
    } else {
        Err(problems)
    }
}

/// What happened (or, with `check_only`, would happen) to one tree.
pub struct TreeReport {
    pub dir: PathBuf,
    /// How many Kubernetes objects the tree holds.
    pub objects: usize,
    pub changes: Changes,
}

/// Writes every tree (or only compares, with `check_only`), in order; stops at the first
/// tree that cannot be written.
pub fn write_all(
    renderings: &[Rendered],
    out: &Path,
    check_only: bool,
    snapshot: &Snapshot,
) -> Result<Vec<TreeReport>, Error> {
    renderings
        .iter()
        .map(|rendering| {
            let dir = rendering.dir(out);
            let changes = if check_only {
                write::plan_with(&dir, &rendering.tree, snapshot)?
            } else {
                write::write_tree_with(&dir, &rendering.tree, snapshot)?
            };
            Ok(TreeReport {
                objects: rendering.tree.objects(),
                dir,
                changes,
            })
        })
        .collect()
}
