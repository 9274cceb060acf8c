//! `render --commit`: the checks made before anything is written (no merge or rebase in
//! progress, nothing staged, no uncommitted edits under the output trees, an identity to
//! commit as), then, after the render, staging exactly the output files that differ from
//! the index — deletions included — and one commit. Never pushes.
//!
//! Architecture invariant: only paths inside the rendered trees are ever staged; every other
//! file of the work tree, dirty or not, is left as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use git2::{Oid, Repository, RepositoryState, Signature, Status, StatusOptions};

use super::{failed, prefix_of};
use crate::pipeline::Error;

/// A repository that passed the checks `render --commit` makes before writing.
pub struct Committer {
    repo: Repository,
    /// The directory kforge runs in, inside the work tree, as path segments.
    prefix: Vec<String>,
    /// The commit the blueprints were rendered from (`None` on an unborn branch).
    pub source: Option<Oid>,
    author: Signature<'static>,
    committer: Signature<'static>,
}

/// What one rendered tree changed, for the commit message: per change, the kinds and how
/// many of each.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TreeSummary {
    /// `<blueprint>/<env>`.
    pub label: String,
    pub added: BTreeMap<String, usize>,
    pub changed: BTreeMap<String, usize>,
    pub removed: BTreeMap<String, usize>,
}

impl TreeSummary {
    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// What a commit did.
pub enum Outcome {
    Committed { id: Oid, files: usize },
    NothingChanged,
}

fn state_name(state: RepositoryState) -> Option<&'static str> {
    match state {
        RepositoryState::Clean => None,
        RepositoryState::Merge => Some("a merge"),
        RepositoryState::Revert | RepositoryState::RevertSequence => Some("a revert"),
        RepositoryState::CherryPick | RepositoryState::CherryPickSequence => Some("a cherry-pick"),
        RepositoryState::Bisect => Some("a bisect"),
        RepositoryState::Rebase
        | RepositoryState::RebaseInteractive
        | RepositoryState::RebaseMerge => Some("a rebase"),
        RepositoryState::ApplyMailbox | RepositoryState::ApplyMailboxOrRebase => Some("a `git am`"),
    }
}

const STAGED: Status = Status::INDEX_NEW
    .union(Status::INDEX_MODIFIED)
    .union(Status::INDEX_DELETED)
    .union(Status::INDEX_RENAMED)
    .union(Status::INDEX_TYPECHANGE);

const EDITED: Status = Status::WT_NEW
    .union(Status::WT_MODIFIED)
    .union(Status::WT_DELETED)
    .union(Status::WT_RENAMED)
    .union(Status::WT_TYPECHANGE)
    .union(Status::CONFLICTED);

/// An identity from two environment variables, else from git config.
fn identity(repo: &Repository, role: &str) -> Result<Signature<'static>, Error> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let config = repo.config().map_err(failed)?;
    let setting = |name: &str| config.get_string(name).ok().filter(|v| !v.is_empty());
    let name = var(&format!("GIT_{role}_NAME")).or_else(|| setting("user.name"));
    let email = var(&format!("GIT_{role}_EMAIL")).or_else(|| setting("user.email"));
    match (name, email) {
        (Some(name), Some(email)) => Signature::now(&name, &email).map_err(failed),
        _ => Err(Error::Repository(format!(
            "no git identity to commit as: set user.name and user.email (`git config user.name ...`) or GIT_{role}_NAME and GIT_{role}_EMAIL"
        ))),
    }
}

impl Committer {
    /// Opens the repository holding `dir` and checks what can be checked before the render:
    /// no merge, rebase or similar in progress, nothing staged, an identity to commit as.
    pub fn prepare(dir: &Path) -> Result<Committer, Error> {
        let repo = super::open(dir)?;
        if let Some(what) = state_name(repo.state()) {
            return Err(Error::Repository(format!(
                "{what} is in progress; finish or abort it before `kforge render --commit`"
            )));
        }
        let staged = statuses(&repo, &[], false)?
            .into_iter()
            .filter(|(_, status)| status.intersects(STAGED))
            .map(|(path, _)| path)
            .collect::<Vec<_>>();
        if !staged.is_empty() {
            return Err(Error::Repository(format!(
                "changes are already staged ({}); commit or unstage them first, so that the render's commit holds the render only",
                list(&staged)
            )));
        }
        let author = identity(&repo, "AUTHOR")?;
        let committer = identity(&repo, "COMMITTER")?;
        let prefix = prefix_of(&repo, dir)?;
        let source = repo.head().ok().and_then(|head| head.target());
        Ok(Committer {
            repo,
            prefix,
            source,
            author,
            committer,
        })
    }

    /// A path relative to the directory kforge runs in as a path in the work tree; refused
    /// when it leaves the work tree.
    pub fn in_repository(&self, path: &Path) -> Result<String, Error> {
        let outside = || {
            Error::Usage(format!(
                "`{}` is outside the git repository; `--commit` commits output inside it only",
                path.display()
            ))
        };
        if path.is_absolute() {
            let workdir = self.repo.workdir().ok_or_else(outside)?;
            let workdir = workdir.canonicalize().map_err(|_| outside())?;
            let relative = normalise(path).ok_or_else(outside)?;
            return relative
                .strip_prefix(&workdir)
                .map_err(|_| outside())
                .map(|p| p.to_string_lossy().into_owned());
        }
        let mut parts = self.prefix.clone();
        for component in path.components() {
            match component {
                Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
                Component::ParentDir => {
                    parts.pop().ok_or_else(outside)?;
                }
                Component::CurDir => {}
                Component::RootDir | Component::Prefix(_) => return Err(outside()),
            }
        }
        Ok(parts.join("/"))
    }

    /// Refuses when files under the output trees (work tree paths) have uncommitted edits.
    pub fn check_clean(&self, trees: &[String]) -> Result<(), Error> {
        let dirty: Vec<String> = statuses(&self.repo, trees, true)?
            .into_iter()
            .filter(|(_, status)| status.intersects(EDITED))
            .map(|(path, _)| path)
            .collect();
        if dirty.is_empty() {
            return Ok(());
        }
        Err(Error::Repository(format!(
            "the output has uncommitted edits ({}); commit or discard them, or pass --allow-dirty to let the render's commit include them",
            list(&dirty)
        )))
    }

    /// Stages every file of `owned` (kforge's files of the trees: what they hold, what the
    /// render removed, the ownership manifests) that differs from the index, and commits
    /// them, unless the result is HEAD's tree.
    pub fn commit(
        &self,
        trees: &[String],
        owned: &BTreeSet<String>,
        message: &str,
    ) -> Result<Outcome, Error> {
        let changed: Vec<(String, Status)> = statuses(&self.repo, trees, true)?
            .into_iter()
            .filter(|(path, status)| status.intersects(EDITED) && owned.contains(path))
            .collect();
        let mut index = self.repo.index().map_err(failed)?;
        for (path, status) in &changed {
            if status.contains(Status::WT_DELETED) {
                index.remove_path(Path::new(path)).map_err(failed)?;
            } else {
                index.add_path(Path::new(path)).map_err(failed)?;
            }
        }
        let tree_id = index.write_tree().map_err(failed)?;
        let parent = match self.source {
            Some(id) => Some(self.repo.find_commit(id).map_err(failed)?),
            None => None,
        };
        if parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
            return Ok(Outcome::NothingChanged);
        }
        index.write().map_err(failed)?;
        let tree = self.repo.find_tree(tree_id).map_err(failed)?;
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let id = self
            .repo
            .commit(
                Some("HEAD"),
                &self.author,
                &self.committer,
                message,
                &tree,
                &parents,
            )
            .map_err(failed)?;
        Ok(Outcome::Committed {
            id,
            files: changed.len(),
        })
    }

    /// Whether files outside the output trees differ from HEAD (the blueprints the render
    /// read were not all committed).
    pub fn source_is_dirty(&self, trees: &[String]) -> bool {
        statuses(&self.repo, &[], false).is_ok_and(|all| {
            all.iter().any(|(path, status)| {
                status.intersects(EDITED.union(STAGED)) && !trees.iter().any(|t| under(path, t))
            })
        })
    }
}

fn under(path: &str, tree: &str) -> bool {
    path == tree || path.starts_with(&format!("{tree}/"))
}

/// A path with `.` and `..` taken out lexically, its existing ancestors canonical.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    let mut existing = out.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name()?.to_owned());
        existing = existing.parent()?;
    }
    let mut real = existing.canonicalize().ok()?;
    real.extend(rest.iter().rev());
    Some(real)
}

/// At most five paths, then how many more.
fn list(paths: &[String]) -> String {
    let mut shown: Vec<&str> = paths.iter().take(5).map(String::as_str).collect();
    let more = format!("and {} more", paths.len().saturating_sub(5));
    if paths.len() > 5 {
        shown.push(&more);
    }
    shown.join(", ")
}

/// The status of every path (under `trees`, when given), ignored files left out.
fn statuses(
    repo: &Repository,
    trees: &[String],
    untracked: bool,
) -> Result<Vec<(String, Status)>, Error> {
    let mut options = StatusOptions::new();
    options
        .include_untracked(untracked)
        .recurse_untracked_dirs(untracked)
        .include_ignored(false)
        .exclude_submodules(true);
    if !trees.is_empty() {
        options.disable_pathspec_match(false);
        for tree in trees {
            options.pathspec(tree);
        }
    }
    let statuses = repo.statuses(Some(&mut options)).map_err(failed)?;
    Ok(statuses
        .iter()
        .filter_map(|entry| {
            let path = entry.path().ok()?.to_owned();
            let inside = trees.is_empty() || trees.iter().any(|t| under(&path, t));
            inside.then_some((path, entry.status()))
        })
        .collect())
}

/// The commit message: a summary line (the caller's, or counts), then per tree the objects
/// added, changed and removed by kind, then the source commit.
pub fn message(
    summary: Option<&str>,
    trees: &[TreeSummary],
    source: Option<Oid>,
    source_dirty: bool,
) -> String {
    let total = |pick: fn(&TreeSummary) -> &BTreeMap<String, usize>| -> usize {
        trees.iter().flat_map(|t| pick(t).values()).sum()
    };
    let counts = format!(
        "{} added, {} changed, {} removed",
        total(|t| &t.added),
        total(|t| &t.changed),
        total(|t| &t.removed)
    );
    let mut text = match summary {
        Some(summary) => format!("{summary}\n\n"),
        None => format!("kforge render: {counts}\n\n"),
    };
    if summary.is_some() {
        text.push_str(&format!("{counts}\n\n"));
    }
    for tree in trees.iter().filter(|t| !t.is_empty()) {
        text.push_str(&format!("{}:\n", tree.label));
        for (what, kinds) in [
            ("added", &tree.added),
            ("changed", &tree.changed),
            ("removed", &tree.removed),
        ] {
            if kinds.is_empty() {
                continue;
            }
            let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
            text.push_str(&format!("  {what}: {}\n", kinds.join(", ")));
        }
    }
    let source = match source {
        Some(id) => format!("Rendered from commit {id}"),
        None => "Rendered before the first commit".to_owned(),
    };
    let dirty = if source_dirty {
        " with uncommitted changes"
    } else {
        ""
    };
    text.push_str(&format!("\n{source}{dirty}.\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_counts_objects_by_kind_per_tree_and_names_the_source() {
        let tree = TreeSummary {
            label: "web/prod".into(),
            added: BTreeMap::from([("Deployment".into(), 2), ("Service".into(), 1)]),
            changed: BTreeMap::from([("ConfigMap".into(), 1)]),
            removed: BTreeMap::new(),
        };
        let id = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        let text = message(
            None,
            &[tree.clone(), TreeSummary::default()],
            Some(id),
            false,
        );
        assert_eq!(
            text,
            "kforge render: 3 added, 1 changed, 0 removed\n\nweb/prod:\n  added: 2 Deployment, 1 Service\n  changed: 1 ConfigMap\n\nRendered from commit 0123456789abcdef0123456789abcdef01234567.\n"
        );
        let own = message(Some("Bump web"), &[tree], None, true);
        assert!(
            own.starts_with("Bump web\n\n3 added, 1 changed, 0 removed\n\n"),
            "{own}"
        );
        assert!(own.ends_with("Rendered before the first commit with uncommitted changes.\n"));
    }

    #[test]
    fn long_lists_are_cut() {
        let paths: Vec<String> = (0..7).map(|i| format!("f{i}")).collect();
        assert_eq!(list(&paths), "f0, f1, f2, f3, f4, and 2 more");
        assert_eq!(list(&paths[..2]), "f0, f1");
    }
}
