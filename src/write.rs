//! Writing a rendered tree to disk, atomically.
//!
//! Architecture invariant: a render that fails or is killed leaves the previous tree intact.
//! The new tree is assembled in a staging directory beside the target — unchanged files and
//! files kforge does not own are hard links to the old ones, so their contents and mtimes
//! stay as they were — and swapped in with one atomic `renameat2(RENAME_EXCHANGE)`.
//! kforge owns exactly the files listed in the tree's `.kforge-owned` manifest: stale owned
//! files are removed, files it does not own are never touched, and a render that would
//! overwrite one is refused. A render that changes nothing writes nothing at all.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::model::artifact::{Artifact, ArtifactTree, Mode};

/// The manifest of files kforge owns in a tree.
pub const OWNED: &str = ".kforge-owned";

/// What a render would do (or did) to a tree.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    /// Files whose bytes or mode change.
    pub modified: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
    /// Directories an interrupted render left beside the tree (its staging tree), which
    /// `git add` would pick up; every render removes them.
    pub leftovers: Vec<PathBuf>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.modified.is_empty()
            && self.removed.is_empty()
            && self.leftovers.is_empty()
    }

    /// Whether the files of the tree itself change (leftovers aside).
    fn touches_tree(&self) -> bool {
        !(self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "`{path}` exists but kforge does not own it (it is not in {OWNED}); move it away or remove it"
    )]
    NotOwned { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "refusing to write `{path}`: it holds a Secret in plain text (kforge writes Secrets SOPS-encrypted only)"
    )]
    PlaintextSecret { path: PathBuf },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_owned(),
        source,
    }
}

fn read_owned(dir: &Path) -> BTreeSet<String> {
    owned_paths(&fs::read_to_string(dir.join(OWNED)).unwrap_or_default())
}

/// The paths a manifest's text lists.
fn owned_paths(manifest: &str) -> BTreeSet<String> {
    manifest
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn manifest_text(tree: &ArtifactTree) -> String {
    let mut text: String = tree.paths().map(|p| format!("{p}\n")).collect();
    if text.is_empty() {
        text.push('\n');
    }
    text
}

/// The files kforge owns in the trees under an output directory, read ahead: `render` starts
/// reading them on a thread of its own before it parses, so that comparing a re-render with
/// what is on disk finds them in memory.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Tree directory -> owned path inside it -> contents and mode.
    trees: HashMap<PathBuf, HashMap<String, (Vec<u8>, Mode)>>,
}

/// A file's bytes and mode, from one open.
fn read_file(path: &Path) -> io::Result<(Vec<u8>, Mode)> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let mut file = fs::File::open(path)?;
    let metadata = file.metadata()?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok((bytes, Mode::of_bits(metadata.permissions().mode())))
}

impl Snapshot {
    /// Reads every owned file of every `<blueprint>/<environment>` tree under `out`; what
    /// cannot be read is left out (and read again, with its error, when compared).
    pub fn read(out: &Path) -> Snapshot {
        let mut trees = HashMap::new();
        let dirs = fs::read_dir(out)
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|blueprint| {
                fs::read_dir(blueprint.path())
                    .into_iter()
                    .flatten()
                    .flatten()
            });
        for tree in dirs {
            let dir = tree.path();
            let files: HashMap<String, (Vec<u8>, Mode)> = read_owned(&dir)
                .into_iter()
                .filter_map(|path| read_file(&dir.join(&path)).ok().map(|file| (path, file)))
                .collect();
            if !files.is_empty() {
                trees.insert(dir, files);
            }
        }
        Snapshot { trees }
    }

    /// Starts [`Snapshot::read`] on another thread.
    pub fn read_ahead(out: &Path) -> std::thread::JoinHandle<Snapshot> {
        let out = out.to_owned();
        std::thread::spawn(move || Snapshot::read(&out))
    }

    /// Whether the file at `path` in the tree at `dir` holds exactly the artifact's bytes,
    /// with its mode.
    fn holds(&self, dir: &Path, path: &str, artifact: &Artifact) -> io::Result<bool> {
        let same =
            |(bytes, mode): &(Vec<u8>, Mode)| *bytes == artifact.bytes && *mode == artifact.mode;
        match self.trees.get(dir).and_then(|files| files.get(path)) {
            Some(file) => Ok(same(file)),
            None => read_file(&dir.join(path)).map(|file| same(&file)),
        }
    }

    /// The text of the file at `path` in the tree at `dir`: from the snapshot, else from disk.
    pub fn text(&self, dir: &Path, path: &str) -> Option<String> {
        match self.trees.get(dir).and_then(|files| files.get(path)) {
            Some((bytes, _)) => String::from_utf8(bytes.clone()).ok(),
            None => fs::read_to_string(dir.join(path)).ok(),
        }
    }

    /// Every tree read, by directory, with its owned files' bytes, both in path order.
    pub fn trees(&self) -> BTreeMap<&Path, BTreeMap<&str, &[u8]>> {
        self.trees
            .iter()
            .map(|(dir, files)| {
                let files = files
                    .iter()
                    .map(|(path, (bytes, _))| (path.as_str(), bytes.as_slice()))
                    .collect();
                (dir.as_path(), files)
            })
            .collect()
    }

    /// How many files it holds.
    pub fn len(&self) -> usize {
        self.trees.values().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Compares a rendered tree with what is on disk, without writing anything.
pub fn plan(dir: &Path, tree: &ArtifactTree) -> Result<Changes, WriteError> {
    plan_with(dir, tree, &Snapshot::default())
}

/// Where the new tree of `dir` is assembled (`out/<blueprint>/.<env>.kforge-staging`).
fn staging_dir(dir: &Path) -> PathBuf {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let leaf = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent.join(format!(".{leaf}.kforge-staging"))
}

/// Where the old tree is moved on file systems without `RENAME_EXCHANGE`.
fn old_dir(dir: &Path) -> PathBuf {
    staging_dir(dir).with_extension("old")
}

/// The directories an interrupted render of `dir` left behind.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    [staging_dir(dir), old_dir(dir)]
        .into_iter()
        .filter(|path| fs::symlink_metadata(path).is_ok())
        .collect()
}

/// [`plan`], with the files on disk taken from `snapshot` where it has them.
pub fn plan_with(
    dir: &Path,
    tree: &ArtifactTree,
    snapshot: &Snapshot,
) -> Result<Changes, WriteError> {
    let mut changes = Changes {
        leftovers: leftovers(dir),
        ..Changes::default()
    };
    if !dir.exists() {
        // A fresh checkout: nothing to read or compare.
        changes.added = tree.paths().cloned().collect();
        return Ok(changes);
    }
    let manifest = fs::read_to_string(dir.join(OWNED)).ok();
    let owned = owned_paths(manifest.as_deref().unwrap_or_default());
    // Reading and comparing thousands of files: both cores read, then the verdicts are
    // taken in path order.
    let compared: Vec<io::Result<bool>> = tree
        .as_map()
        .par_iter()
        .map(|(path, artifact)| snapshot.holds(dir, path, artifact))
        .collect();
    for (path, same) in tree.paths().zip(compared) {
        let target = dir.join(path);
        match same {
            Ok(true) if owned.contains(path) => changes.unchanged += 1,
            Ok(_) if !owned.contains(path) => return Err(WriteError::NotOwned { path: target }),
            Ok(_) => changes.modified.push(path.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => changes.added.push(path.clone()),
            Err(e) => {
                return Err(WriteError::Io {
                    path: target,
                    source: e,
                });
            }
        }
    }
    for path in &owned {
        if !tree.contains(path) && dir.join(path).exists() {
            changes.removed.push(path.clone());
        }
    }
    // A manifest out of step with the tree is a change too (e.g. a file deleted by hand).
    let manifest_current = manifest == Some(manifest_text(tree));
    if !changes.touches_tree() && !manifest_current {
        changes.modified.push(OWNED.to_owned());
    }
    Ok(changes)
}

/// Writes a rendered tree to `dir` atomically and returns what changed.
pub fn write_tree(dir: &Path, tree: &ArtifactTree) -> Result<Changes, WriteError> {
    write_tree_with(dir, tree, &Snapshot::default())
}

/// [`write_tree`], comparing with `snapshot` where it has the file. A tree holding a
/// plain-text Secret is refused before anything is touched; what an interrupted render left
/// is removed even when nothing else changes.
pub fn write_tree_with(
    dir: &Path,
    tree: &ArtifactTree,
    snapshot: &Snapshot,
) -> Result<Changes, WriteError> {
    if let Some(path) = tree.plaintext_secrets().first() {
        return Err(WriteError::PlaintextSecret {
            path: dir.join(path),
        });
    }
    let changes = plan_with(dir, tree, snapshot)?;
    for leftover in &changes.leftovers {
        remove_leftover(leftover)?;
    }
    if !changes.touches_tree() {
        return Ok(changes);
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_error(parent))?;
    let staging = staging_dir(dir);
    fs::create_dir_all(&staging).map_err(io_error(&staging))?;

    let rewritten: BTreeSet<&str> = changes
        .modified
        .iter()
        .chain(&changes.added)
        .map(String::as_str)
        .collect();
    let removed: BTreeSet<&str> = changes.removed.iter().map(String::as_str).collect();
    if dir.exists() {
        carry_over(dir, &staging, &rewritten, &removed)?;
    }
    // Each directory once, then the files from both cores: on a fresh checkout creating
    // thousands of files is most of a render's time, and it is the kernel's.
    let parents: BTreeSet<&Path> = rewritten
        .iter()
        .filter_map(|path| Path::new(path).parent())
        .collect();
    for parent in parents {
        let target = staging.join(parent);
        fs::create_dir_all(&target).map_err(io_error(&target))?;
    }
    rewritten
        .par_iter()
        .filter_map(|path| tree.get(path).map(|artifact| (path, artifact)))
        .try_for_each(|(path, artifact)| {
            let target = staging.join(path);
            write_artifact(&target, artifact).map_err(io_error(&target))
        })?;
    let manifest = staging.join(OWNED);
    let _ = fs::remove_file(&manifest);
    fs::write(&manifest, manifest_text(tree)).map_err(io_error(&manifest))?;
    prune_empty_dirs(&staging, dir, &removed)?;
    swap(&staging, dir)?;
    Ok(changes)
}

/// Writes one artifact with its mode (set explicitly: the umask does not decide it).
fn write_artifact(target: &Path, artifact: &Artifact) -> io::Result<()> {
    fs::write(target, &artifact.bytes)?;
    if artifact.mode != Mode::Regular {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(target, fs::Permissions::from_mode(artifact.mode.bits()))?;
    }
    Ok(())
}

/// Removes a staging tree an interrupted render left (a directory, or whatever else took
/// its name).
fn remove_leftover(path: &Path) -> Result<(), WriteError> {
    let removed = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    removed.map_err(io_error(path))
}

/// Hard-links every file of the old tree into the staging tree, except the ones the render
/// rewrites or removes (and the manifest, which is written anew).
fn carry_over(
    dir: &Path,
    staging: &Path,
    rewritten: &BTreeSet<&str>,
    removed: &BTreeSet<&str>,
) -> Result<(), WriteError> {
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(|e| WriteError::Io {
            path: dir.to_owned(),
            source: e.into(),
        })?;
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let key = relative.to_string_lossy().replace('\\', "/");
        let target = staging.join(relative);
        let kind = entry.file_type();
        if kind.is_dir() {
            fs::create_dir_all(&target).map_err(io_error(&target))?;
        } else if kind.is_symlink() {
            let link = fs::read_link(entry.path()).map_err(io_error(entry.path()))?;
            std::os::unix::fs::symlink(link, &target).map_err(io_error(&target))?;
        } else if key != OWNED
            && !rewritten.contains(key.as_str())
            && !removed.contains(key.as_str())
        {
            fs::hard_link(entry.path(), &target).map_err(io_error(&target))?;
        }
    }
    Ok(())
}

/// Removes directories that only held files the render removed.
fn prune_empty_dirs(
    staging: &Path,
    dir: &Path,
    removed: &BTreeSet<&str>,
) -> Result<(), WriteError> {
    let parents: BTreeSet<PathBuf> = removed
        .iter()
        .filter_map(|p| Path::new(p).parent().map(Path::to_owned))
        .collect();
    for parent in parents.iter().rev() {
        if parent.as_os_str().is_empty() {
            continue;
        }
        let staged = staging.join(parent);
        let was_user_dir_empty = fs::read_dir(dir.join(parent))
            .map(|d| d.count() == 0)
            .unwrap_or(false);
        let now_empty = fs::read_dir(&staged)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if now_empty && !was_user_dir_empty {
            fs::remove_dir(&staged).map_err(io_error(&staged))?;
        }
    }
    Ok(())
}

/// Puts the staging tree in place of `dir` in one step; the old tree is then deleted.
fn swap(staging: &Path, dir: &Path) -> Result<(), WriteError> {
    if !dir.exists() {
        return fs::rename(staging, dir).map_err(io_error(dir));
    }
    let exchanged = rustix::fs::renameat_with(
        rustix::fs::CWD,
        staging,
        rustix::fs::CWD,
        dir,
        rustix::fs::RenameFlags::EXCHANGE,
    );
    match exchanged {
        Ok(()) => fs::remove_dir_all(staging).map_err(io_error(staging)),
        // File systems without RENAME_EXCHANGE: two renames, with a short window in between.
        Err(_) => {
            let old = old_dir(dir);
            fs::rename(dir, &old).map_err(io_error(dir))?;
            fs::rename(staging, dir).map_err(io_error(dir))?;
            fs::remove_dir_all(&old).map_err(io_error(&old))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    use crate::model::artifact::ArtifactKind;

    fn tree(entries: &[(&str, &str)]) -> ArtifactTree {
        let mut tree = ArtifactTree::new();
        for (path, text) in entries {
            let artifact = Artifact::new(ArtifactKind::Manifest, *text);
            tree.insert((*path).to_owned(), artifact).unwrap();
        }
        tree
    }

    #[test]
    fn first_write_then_no_op() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out/demo/base");
        let files = tree(&[("a/x.yaml", "x\n"), ("kustomization.yaml", "k\n")]);
        let first = write_tree(&dir, &files).unwrap();
        assert_eq!(first.added.len(), 2);
        let inode = fs::metadata(dir.join("a/x.yaml")).unwrap().ino();
        let second = write_tree(&dir, &files).unwrap();
        assert!(second.is_empty());
        assert_eq!(fs::metadata(dir.join("a/x.yaml")).unwrap().ino(), inode);
    }

    #[test]
    fn unchanged_files_keep_their_inode_and_stale_ones_go() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        write_tree(&dir, &tree(&[("a/x.yaml", "x\n"), ("b/y.yaml", "y\n")])).unwrap();
        let mtime = fs::metadata(dir.join("a/x.yaml")).unwrap().mtime_nsec();
        let inode = fs::metadata(dir.join("a/x.yaml")).unwrap().ino();
        fs::write(dir.join("notes.md"), "mine").unwrap();
        let changes = write_tree(&dir, &tree(&[("a/x.yaml", "x\n"), ("c/z.yaml", "z\n")])).unwrap();
        assert_eq!(changes.added, ["c/z.yaml"]);
        assert_eq!(changes.removed, ["b/y.yaml"]);
        assert_eq!(fs::metadata(dir.join("a/x.yaml")).unwrap().ino(), inode);
        assert_eq!(
            fs::metadata(dir.join("a/x.yaml")).unwrap().mtime_nsec(),
            mtime
        );
        assert!(
            !dir.join("b").exists(),
            "a directory emptied by the render goes too"
        );
        assert_eq!(fs::read_to_string(dir.join("notes.md")).unwrap(), "mine");
        assert!(!tmp.path().join(".t.kforge-staging").exists());
    }

    #[test]
    fn files_not_owned_are_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("x.yaml"), "hand-written").unwrap();
        let error = write_tree(&dir, &tree(&[("x.yaml", "x\n")])).unwrap_err();
        assert!(matches!(error, WriteError::NotOwned { .. }));
        assert_eq!(
            fs::read_to_string(dir.join("x.yaml")).unwrap(),
            "hand-written"
        );
    }

    #[test]
    fn a_leftover_staging_dir_from_a_killed_render_is_harmless() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        write_tree(&dir, &tree(&[("x.yaml", "1\n")])).unwrap();
        fs::create_dir_all(tmp.path().join(".t.kforge-staging/junk")).unwrap();
        write_tree(&dir, &tree(&[("x.yaml", "2\n")])).unwrap();
        assert_eq!(fs::read_to_string(dir.join("x.yaml")).unwrap(), "2\n");
        assert!(!tmp.path().join(".t.kforge-staging").exists());
    }

    #[test]
    fn a_no_op_render_removes_a_leftover_staging_dir_and_check_reports_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        let files = tree(&[("x.yaml", "1\n")]);
        write_tree(&dir, &files).unwrap();
        let staging = tmp.path().join(".t.kforge-staging");
        fs::create_dir_all(staging.join("web")).unwrap();
        fs::write(staging.join("web/x.yaml"), "half-written").unwrap();
        let planned = plan(&dir, &files).unwrap();
        assert_eq!(planned.leftovers, std::slice::from_ref(&staging));
        assert!(!planned.is_empty(), "render --check sees the leftover");
        assert!(staging.exists(), "plan writes nothing");
        let written = write_tree(&dir, &files).unwrap();
        assert_eq!(written.leftovers, std::slice::from_ref(&staging));
        assert!(written.added.is_empty() && written.modified.is_empty());
        assert!(!staging.exists());
        assert!(plan(&dir, &files).unwrap().is_empty());
    }

    #[test]
    fn a_leftover_of_a_first_render_is_seen_before_the_tree_exists() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        fs::create_dir_all(tmp.path().join(".t.old")).unwrap();
        let changes = plan(&dir, &tree(&[("x.yaml", "1\n")])).unwrap();
        assert_eq!(changes.leftovers, [tmp.path().join(".t.old")]);
        write_tree(&dir, &tree(&[("x.yaml", "1\n")])).unwrap();
        assert!(!tmp.path().join(".t.old").exists());
    }

    #[test]
    fn scripts_are_written_executable_and_a_mode_change_is_a_change() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out/demo/base");
        let mut files = ArtifactTree::new();
        let script = Artifact::new(ArtifactKind::Script, "#!/bin/bash\n").executable();
        files.insert("nodes/a/bootstrap.sh".into(), script).unwrap();
        write_tree(&dir, &files).unwrap();
        let mode = |p: &str| fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("nodes/a/bootstrap.sh"), 0o755);
        assert!(plan(&dir, &files).unwrap().is_empty());
        let snapshot = Snapshot::read(&tmp.path().join("out"));
        assert!(plan_with(&dir, &files, &snapshot).unwrap().is_empty());
        fs::set_permissions(
            dir.join("nodes/a/bootstrap.sh"),
            fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let changes = plan(&dir, &files).unwrap();
        assert_eq!(changes.modified, ["nodes/a/bootstrap.sh"]);
        write_tree(&dir, &files).unwrap();
        assert_eq!(mode("nodes/a/bootstrap.sh"), 0o755);
    }

    #[test]
    fn a_plaintext_secret_is_never_written() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        let plain = "apiVersion: v1\nkind: Secret\ndata:\n  password: aHVudGVyMg==\n";
        let files = tree(&[("x.yaml", "1\n"), ("web/secret-db.yaml", plain)]);
        let error = write_tree(&dir, &files).unwrap_err();
        assert!(
            matches!(error, WriteError::PlaintextSecret { .. }),
            "{error}"
        );
        assert!(!error.to_string().contains("aHVudGVyMg=="));
        assert!(!dir.exists(), "nothing is written");
    }

    #[test]
    fn plan_reports_without_writing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        write_tree(&dir, &tree(&[("x.yaml", "1\n")])).unwrap();
        let changes = plan(&dir, &tree(&[("x.yaml", "2\n")])).unwrap();
        assert_eq!(changes.modified, ["x.yaml"]);
        assert_eq!(fs::read_to_string(dir.join("x.yaml")).unwrap(), "1\n");
    }

    #[test]
    fn a_snapshot_holds_the_owned_files_of_every_tree_and_plans_the_same() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let files = tree(&[("a/x.yaml", "x\n"), ("kustomization.yaml", "k\n")]);
        write_tree(&out.join("demo/base"), &files).unwrap();
        write_tree(&out.join("demo/prod"), &files).unwrap();
        fs::write(out.join("demo/base/notes.md"), "mine").unwrap();
        let snapshot = Snapshot::read(&out);
        // Two trees of two owned files each; the file kforge does not own is not read.
        assert_eq!(snapshot.len(), 4);
        assert!(!snapshot.trees[&out.join("demo/base")].contains_key("notes.md"));
        let dir = out.join("demo/base");
        assert!(plan_with(&dir, &files, &snapshot).unwrap().is_empty());
        let changed = tree(&[("a/x.yaml", "y\n"), ("kustomization.yaml", "k\n")]);
        assert_eq!(
            plan_with(&dir, &changed, &snapshot).unwrap(),
            plan(&dir, &changed).unwrap()
        );
        assert_eq!(
            plan_with(&dir, &changed, &snapshot).unwrap().modified,
            ["a/x.yaml"]
        );
        assert!(Snapshot::read(&tmp.path().join("missing")).is_empty());
    }
}
