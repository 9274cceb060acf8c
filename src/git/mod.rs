//! Git, an IO edge like the work tree: a revision of the repository as a
//! [`crate::pipeline::Source`] ([`Revision`], read from git objects without touching the work
//! tree or the index), and committing the rendered output ([`commit`]). Built on git2
//! (libgit2); kforge never runs the `git` program.
//!
//! Architecture invariant: the same "stay inside the repository" rule as the work tree holds
//! for a revision: a path is read only below the directory kforge runs in, and a symlink
//! blob whose target leaves it is refused like a `../` path.

pub mod commit;

use std::path::Path;
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository};

use crate::pipeline::{Error, RepoPath, Source};

/// How many symlinks one lookup follows before giving up (as the kernel's `ELOOP`).
const MAX_SYMLINKS: usize = 40;

/// The git mode of a symlink entry.
const SYMLINK_MODE: i32 = 0o120_000;

/// Opens the repository that holds `dir` (the directory kforge runs in).
pub fn open(dir: &Path) -> Result<Repository, Error> {
    Repository::discover(dir).map_err(|_| Error::NotARepository {
        path: dir
            .canonicalize()
            .unwrap_or_else(|_| dir.to_owned())
            .display()
            .to_string(),
    })
}

pub(crate) fn failed(error: git2::Error) -> Error {
    Error::Git(error.message().to_owned())
}

/// Where `dir` is inside the work tree of `repo`, as path segments (empty at its root).
fn prefix_of(repo: &Repository, dir: &Path) -> Result<Vec<String>, Error> {
    let workdir = repo.workdir().ok_or_else(|| {
        Error::Repository("the repository is bare; kforge needs a work tree".into())
    })?;
    let canonical = |p: &Path| {
        p.canonicalize().map_err(|source| Error::Read {
            path: p.display().to_string(),
            source,
        })
    };
    let (workdir, dir) = (canonical(workdir)?, canonical(dir)?);
    let relative = dir
        .strip_prefix(&workdir)
        .map_err(|_| Error::NotARepository {
            path: dir.display().to_string(),
        })?;
    Ok(relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect())
}

/// The short form of a commit id, as messages show it.
pub fn short(id: Oid) -> String {
    id.to_string().chars().take(7).collect()
}

/// The repository as it was at one revision, read from git objects.
pub struct Revision {
    repo: Mutex<Repository>,
    /// The tree of the directory kforge runs in, at the revision.
    root: Option<Oid>,
    commit: Oid,
    label: String,
    spec: String,
}

/// What a path names in a tree.
enum Found {
    Blob(Oid),
    Tree(Oid),
}

impl Revision {
    /// The revision `spec` (`main`, `HEAD~1`, a commit id) of the repository holding `dir`,
    /// seen from `dir`.
    pub fn open(dir: &Path, spec: &str) -> Result<Revision, Error> {
        let repo = open(dir)?;
        let unknown = |message: String| Error::UnknownRevision {
            revision: spec.to_owned(),
            message,
        };
        let commit = repo
            .revparse_single(spec)
            .and_then(|object| object.peel_to_commit())
            .map_err(|e| unknown(e.message().to_owned()))?;
        let prefix = prefix_of(&repo, dir)?;
        let tree = commit.tree().map_err(failed)?;
        let root = if prefix.is_empty() {
            Some(tree.id())
        } else {
            match tree.get_path(Path::new(&prefix.join("/"))) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => Some(entry.id()),
                _ => None,
            }
        };
        let commit_id = commit.id();
        drop(tree);
        drop(commit);
        Ok(Revision {
            repo: Mutex::new(repo),
            root,
            commit: commit_id,
            label: format!("{spec} ({})", short(commit_id)),
            spec: spec.to_owned(),
        })
    }

    /// The commit the revision names.
    pub fn commit(&self) -> Oid {
        self.commit
    }

    fn with_repo<T>(&self, work: impl FnOnce(&Repository) -> Result<T, Error>) -> Result<T, Error> {
        let repo = self
            .repo
            .lock()
            .map_err(|_| Error::Internal("the git repository lock is poisoned".into()))?;
        work(&repo)
    }

    /// What `path` names at the revision, following symlinks that stay inside the root;
    /// `None` when nothing is there.
    fn find(&self, repo: &Repository, path: &RepoPath) -> Result<Option<Found>, Error> {
        let outside = || Error::OutsideRepository {
            path: path.to_string(),
        };
        let Some(root) = self.root else {
            return Ok(None);
        };
        let mut pending: std::collections::VecDeque<String> = path
            .as_str()
            .split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        let mut dirs = vec![root];
        let mut hops = 0;
        while let Some(name) = pending.pop_front() {
            match name.as_str() {
                "." => continue,
                ".." => {
                    if dirs.len() == 1 {
                        return Err(outside());
                    }
                    dirs.pop();
                    continue;
                }
                _ => {}
            }
            let tree = repo
                .find_tree(*dirs.last().unwrap_or(&root))
                .map_err(failed)?;
            let Some(entry) = tree.get_name(&name) else {
                return Ok(None);
            };
            match entry.kind() {
                Some(ObjectType::Tree) => dirs.push(entry.id()),
                Some(ObjectType::Blob) if entry.filemode() == SYMLINK_MODE => {
                    hops += 1;
                    let blob = repo.find_blob(entry.id()).map_err(failed)?;
                    let target = std::str::from_utf8(blob.content()).map_err(|_| outside())?;
                    if hops > MAX_SYMLINKS || target.starts_with('/') {
                        return Err(outside());
                    }
                    for part in target.split('/').rev().filter(|p| !p.is_empty()) {
                        pending.push_front(part.to_owned());
                    }
                }
                Some(ObjectType::Blob) if pending.is_empty() => {
                    return Ok(Some(Found::Blob(entry.id())));
                }
                _ => return Ok(None),
            }
        }
        Ok(dirs.last().map(|id| Found::Tree(*id)))
    }
}

fn not_found(path: &RepoPath) -> Error {
    Error::Read {
        path: path.to_string(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    }
}

impl Source for Revision {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn name(&self, path: &RepoPath) -> String {
        format!("{}:{}", self.spec, path.display())
    }

    fn read(&self, path: &RepoPath) -> Result<Vec<u8>, Error> {
        self.with_repo(|repo| match self.find(repo, path)? {
            Some(Found::Blob(id)) => Ok(repo.find_blob(id).map_err(failed)?.content().to_vec()),
            _ => Err(not_found(path)),
        })
    }

    fn files_in(&self, dir: &RepoPath) -> Result<Option<Vec<RepoPath>>, Error> {
        self.with_repo(|repo| {
            let Ok(Some(Found::Tree(id))) = self.find(repo, dir) else {
                return Ok(None);
            };
            let tree = repo.find_tree(id).map_err(failed)?;
            let mut files = Vec::new();
            for entry in tree.iter() {
                let Ok(name) = entry.name() else { continue };
                let path = dir.resolve(name)?;
                if let Ok(Some(Found::Blob(_))) = self.find(repo, &path) {
                    files.push(path);
                }
            }
            files.sort();
            Ok(Some(files))
        })
    }

    fn exists(&self, path: &RepoPath) -> bool {
        self.with_repo(|repo| Ok(matches!(self.find(repo, path)?, Some(Found::Blob(_)))))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository with one commit of `files` (path, text) and `links` (path, target).
    fn repository(files: &[(&str, &str)], links: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        for (path, text) in files {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        for (path, target) in links {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, file).unwrap();
        }
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "one", &tree, &[])
            .unwrap();
        dir
    }

    fn path(p: &str) -> RepoPath {
        RepoPath::new(p).unwrap()
    }

    #[test]
    fn a_revision_reads_committed_files_not_the_work_tree() {
        let dir = repository(
            &[("blueprints/a.yaml", "committed"), ("blueprints/b.txt", "")],
            &[("blueprints/link.yaml", "a.yaml")],
        );
        std::fs::write(dir.path().join("blueprints/a.yaml"), "edited").unwrap();
        std::fs::write(dir.path().join("blueprints/new.yaml"), "new").unwrap();
        let revision = Revision::open(dir.path(), "HEAD").unwrap();
        assert!(revision.describe().starts_with("HEAD ("));
        assert_eq!(
            revision.read_text(&path("blueprints/a.yaml")).unwrap(),
            "committed"
        );
        assert_eq!(
            revision.read_text(&path("blueprints/link.yaml")).unwrap(),
            "committed",
            "a symlink inside the repository is followed"
        );
        let listed = revision.files_in(&path("blueprints")).unwrap().unwrap();
        let names: Vec<&str> = listed.iter().map(RepoPath::as_str).collect();
        assert_eq!(
            names,
            [
                "blueprints/a.yaml",
                "blueprints/b.txt",
                "blueprints/link.yaml"
            ]
        );
        assert!(!revision.exists(&path("blueprints/new.yaml")));
        assert_eq!(revision.files_in(&path("overlays")).unwrap(), None);
        assert_eq!(
            revision.name(&path("blueprints/a.yaml")),
            "HEAD:blueprints/a.yaml"
        );
    }

    #[test]
    fn a_symlink_blob_that_leaves_the_repository_is_refused() {
        let dir = repository(
            &[("blueprints/a.yaml", "")],
            &[
                ("blueprints/up.yaml", "../../outside.yaml"),
                ("blueprints/abs.yaml", "/etc/passwd"),
                ("blueprints/loop.yaml", "loop.yaml"),
                ("secrets", "/etc"),
            ],
        );
        let revision = Revision::open(dir.path(), "HEAD").unwrap();
        for p in [
            "blueprints/up.yaml",
            "blueprints/abs.yaml",
            "blueprints/loop.yaml",
            "secrets/passwd",
        ] {
            assert!(
                matches!(
                    revision.read(&path(p)),
                    Err(Error::OutsideRepository { .. })
                ),
                "{p}"
            );
        }
    }

    #[test]
    fn a_subdirectory_is_the_root_and_unknown_revisions_are_errors() {
        let dir = repository(&[("infra/blueprints/a.yaml", "x"), ("top.yaml", "t")], &[]);
        let revision = Revision::open(&dir.path().join("infra"), "HEAD").unwrap();
        assert_eq!(revision.read_text(&path("blueprints/a.yaml")).unwrap(), "x");
        assert!(
            !revision.exists(&path("top.yaml")),
            "files above the directory kforge runs in are not its repository"
        );
        assert!(matches!(
            Revision::open(dir.path(), "nope"),
            Err(Error::UnknownRevision { .. })
        ));
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(matches!(
            Revision::open(elsewhere.path(), "HEAD"),
            Err(Error::NotARepository { .. })
        ));
    }
}
