//! Where a compilation reads its files from: blueprints, overlays, `fromFile` inputs and
//! `.sops.yaml`, all through one [`Source`], which owns the rule that nothing is read from
//! outside the repository. [`WorkTree`] reads the checkout on disk; a git revision is
//! another implementation of the same trait.

use std::path::{Component, Path, PathBuf};

use super::error::Error;

/// A path inside the repository: relative to its root, `/`-separated, without `.` or `..`
/// (the empty path is the root). Only [`RepoPath::new`] and [`RepoPath::resolve`] make one,
/// and both refuse what would leave the repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RepoPath(String);

impl RepoPath {
    /// The repository root.
    pub fn root() -> RepoPath {
        RepoPath(String::new())
    }

    /// A path relative to the repository root.
    pub fn new(path: &str) -> Result<RepoPath, Error> {
        RepoPath::root().resolve(path)
    }

    /// `relative` taken from this directory, resolved lexically; an absolute path or one
    /// that climbs above the root is refused.
    pub fn resolve(&self, relative: &str) -> Result<RepoPath, Error> {
        let outside = || Error::OutsideRepository {
            path: relative.to_owned(),
        };
        if Path::new(relative).is_absolute() {
            return Err(outside());
        }
        let mut parts: Vec<&str> = self.0.split('/').filter(|p| !p.is_empty()).collect();
        for component in Path::new(relative).components() {
            match component {
                Component::Normal(part) => parts.push(part.to_str().ok_or_else(outside)?),
                Component::ParentDir => {
                    parts.pop().ok_or_else(outside)?;
                }
                Component::CurDir => {}
                Component::RootDir | Component::Prefix(_) => return Err(outside()),
            }
        }
        Ok(RepoPath(parts.join("/")))
    }

    /// The directory holding this path (the root for a path at the top).
    pub fn parent(&self) -> RepoPath {
        match self.0.rsplit_once('/') {
            Some((parent, _)) => RepoPath(parent.to_owned()),
            None => RepoPath::root(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as shown to the user: relative to the repository root, `.` for the root.
    pub fn display(&self) -> &str {
        if self.0.is_empty() { "." } else { &self.0 }
    }

    /// Whether the file name ends in `.yaml` or `.yml`.
    pub fn is_yaml(&self) -> bool {
        self.0.ends_with(".yaml") || self.0.ends_with(".yml")
    }
}

impl std::fmt::Display for RepoPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display())
    }
}

/// The files of one version of the repository.
pub trait Source: Sync {
    /// Which version this is, for messages (`the work tree`, `main (1a2b3c4)`).
    fn describe(&self) -> String;

    /// A file's name in messages: its repository path (a revision prefixes its own name,
    /// `main:blueprints/web.yaml`, as git spells it).
    fn name(&self, path: &RepoPath) -> String {
        path.display().to_owned()
    }

    /// The bytes of a file.
    fn read(&self, path: &RepoPath) -> Result<Vec<u8>, Error>;

    /// The files directly in a directory, sorted; `None` when there is no such directory.
    fn files_in(&self, dir: &RepoPath) -> Result<Option<Vec<RepoPath>>, Error>;

    /// A file as UTF-8 text.
    fn read_text(&self, path: &RepoPath) -> Result<String, Error> {
        String::from_utf8(self.read(path)?).map_err(|e| Error::NotText {
            path: path.to_string(),
            valid_up_to: e.utf8_error().valid_up_to(),
        })
    }

    /// Whether a file exists.
    fn exists(&self, path: &RepoPath) -> bool {
        self.read(path).is_ok()
    }
}

/// The repository as checked out on disk, rooted at a directory (the working directory of
/// the CLI). A symlink that leads outside the root is refused like a `../` path.
#[derive(Debug, Clone)]
pub struct WorkTree {
    root: PathBuf,
}

impl WorkTree {
    pub fn new(root: &Path) -> Result<WorkTree, Error> {
        let root = root.canonicalize().map_err(|source| Error::Read {
            path: root.display().to_string(),
            source,
        })?;
        Ok(WorkTree { root })
    }

    /// The root directory (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path as a user wrote it on the command line (relative to the root, or absolute
    /// inside it) as a repository path.
    pub fn locate(&self, path: &Path) -> Result<RepoPath, Error> {
        let outside = || Error::OutsideRepository {
            path: path.display().to_string(),
        };
        let relative = if path.is_absolute() {
            let canonical = path
                .parent()
                .and_then(|p| p.canonicalize().ok())
                .map(|p| p.join(path.file_name().unwrap_or_default()))
                .unwrap_or_else(|| path.to_owned());
            canonical
                .strip_prefix(&self.root)
                .map_err(|_| outside())?
                .to_owned()
        } else {
            path.to_owned()
        };
        RepoPath::new(relative.to_str().ok_or_else(outside)?)
    }

    /// Where a repository path is on disk, after following symlinks; refused when that is
    /// outside the root.
    fn real(&self, path: &RepoPath) -> Result<PathBuf, Error> {
        let joined = self.root.join(path.as_str());
        let real = joined.canonicalize().map_err(|source| Error::Read {
            path: path.to_string(),
            source,
        })?;
        if real.starts_with(&self.root) {
            Ok(real)
        } else {
            Err(Error::OutsideRepository {
                path: path.to_string(),
            })
        }
    }
}

impl Source for WorkTree {
    fn describe(&self) -> String {
        "the work tree".to_owned()
    }

    fn read(&self, path: &RepoPath) -> Result<Vec<u8>, Error> {
        let real = self.real(path)?;
        std::fs::read(&real).map_err(|source| Error::Read {
            path: path.to_string(),
            source,
        })
    }

    fn files_in(&self, dir: &RepoPath) -> Result<Option<Vec<RepoPath>>, Error> {
        let Ok(real) = self.real(dir) else {
            return Ok(None);
        };
        let entries = match std::fs::read_dir(&real) {
            Ok(entries) => entries,
            Err(source) if source.kind() == std::io::ErrorKind::NotADirectory => return Ok(None),
            Err(source) => {
                return Err(Error::Read {
                    path: dir.to_string(),
                    source,
                });
            }
        };
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let is_file = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
            if let (true, Some(name)) = (is_file, entry.file_name().to_str()) {
                files.push(dir.resolve(name)?);
            }
        }
        files.sort();
        Ok(Some(files))
    }

    fn exists(&self, path: &RepoPath) -> bool {
        self.real(path).is_ok_and(|p| p.is_file())
    }
}

/// Files held in memory: a repository that tests, examples and benchmarks make up, read by
/// the same pipeline as the work tree.
#[derive(Debug, Clone, Default)]
pub struct MemoryFiles {
    files: std::collections::BTreeMap<RepoPath, Vec<u8>>,
}

impl MemoryFiles {
    pub fn new() -> MemoryFiles {
        MemoryFiles::default()
    }

    /// Adds (or replaces) a file; the path must stay inside the repository.
    pub fn with(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Result<MemoryFiles, Error> {
        self.files.insert(RepoPath::new(path)?, bytes.into());
        Ok(self)
    }
}

impl Source for MemoryFiles {
    fn describe(&self) -> String {
        "files in memory".to_owned()
    }

    fn read(&self, path: &RepoPath) -> Result<Vec<u8>, Error> {
        self.files.get(path).cloned().ok_or_else(|| Error::Read {
            path: path.to_string(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })
    }

    fn files_in(&self, dir: &RepoPath) -> Result<Option<Vec<RepoPath>>, Error> {
        let files: Vec<RepoPath> = self
            .files
            .keys()
            .filter(|path| path.parent() == *dir)
            .cloned()
            .collect();
        let is_dir = self
            .files
            .keys()
            .any(|path| path.as_str().starts_with(&format!("{}/", dir.as_str())));
        Ok((is_dir || dir.as_str().is_empty()).then_some(files))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_inside_the_repository_only() {
        let dir = RepoPath::new("blueprints").unwrap();
        assert_eq!(
            dir.resolve("config/a.conf").unwrap().as_str(),
            "blueprints/config/a.conf"
        );
        assert_eq!(dir.resolve("../files/./a").unwrap().as_str(), "files/a");
        assert_eq!(
            RepoPath::new("./blueprints/x.yaml").unwrap().as_str(),
            "blueprints/x.yaml"
        );
        for bad in ["../../etc/passwd", "/etc/passwd", "a/../../../b"] {
            assert!(
                matches!(dir.resolve(bad), Err(Error::OutsideRepository { .. })),
                "{bad}"
            );
        }
        assert_eq!(dir.resolve("x.yaml").unwrap().parent(), dir);
        assert_eq!(RepoPath::new("x.yaml").unwrap().parent(), RepoPath::root());
        assert_eq!(RepoPath::root().display(), ".");
    }

    #[test]
    fn the_work_tree_refuses_symlinks_that_leave_it() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s3cret").unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(repo.path().join("blueprints")).unwrap();
        std::fs::write(repo.path().join("blueprints/b.yaml"), "kind: Blueprint").unwrap();
        std::fs::write(repo.path().join("blueprints/notes.txt"), "").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), repo.path().join("link"))
            .unwrap();
        let tree = WorkTree::new(repo.path()).unwrap();
        let link = RepoPath::new("link").unwrap();
        let error = tree.read(&link).unwrap_err();
        assert!(matches!(error, Error::OutsideRepository { .. }), "{error}");
        assert!(!error.to_string().contains("s3cret"));
        let b = RepoPath::new("blueprints/b.yaml").unwrap();
        assert_eq!(tree.read_text(&b).unwrap(), "kind: Blueprint");
        let listed = tree
            .files_in(&RepoPath::new("blueprints").unwrap())
            .unwrap()
            .unwrap();
        let names: Vec<&str> = listed.iter().map(RepoPath::as_str).collect();
        assert_eq!(names, ["blueprints/b.yaml", "blueprints/notes.txt"]);
        assert_eq!(
            tree.files_in(&RepoPath::new("overlays").unwrap()).unwrap(),
            None
        );
        assert!(matches!(
            tree.read(&RepoPath::new("missing.yaml").unwrap()),
            Err(Error::Read { .. })
        ));
    }

    #[test]
    fn files_in_memory_are_a_source_like_the_work_tree() {
        let files = MemoryFiles::new()
            .with("blueprints/a.yaml", "a")
            .unwrap()
            .with("blueprints/sub/b.yaml", "b")
            .unwrap();
        assert!(files.clone().with("../x", "").is_err());
        let dir = RepoPath::new("blueprints").unwrap();
        let listed = files.files_in(&dir).unwrap().unwrap();
        assert_eq!(listed, [dir.resolve("a.yaml").unwrap()]);
        assert_eq!(
            files.files_in(&RepoPath::new("overlays").unwrap()).unwrap(),
            None
        );
        assert_eq!(files.read_text(&listed[0]).unwrap(), "a");
        assert!(!files.exists(&RepoPath::new(".sops.yaml").unwrap()));
    }

    #[test]
    fn command_line_paths_are_located_in_the_repository() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(repo.path().join("blueprints")).unwrap();
        let tree = WorkTree::new(repo.path()).unwrap();
        let absolute = tree.root().join("blueprints/a.yaml");
        assert_eq!(
            tree.locate(&absolute).unwrap().as_str(),
            "blueprints/a.yaml"
        );
        let relative = Path::new("./blueprints/a.yaml");
        assert_eq!(tree.locate(relative).unwrap().as_str(), "blueprints/a.yaml");
        assert!(matches!(
            tree.locate(Path::new("/etc/passwd")),
            Err(Error::OutsideRepository { .. })
        ));
    }
}
