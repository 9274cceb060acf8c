//! Temporary git repositories for the tests of `render --commit` and `diff --base`, built
//! with git2 (no `git` program), with commits at a fixed time so that their ids, and so the
//! snapshots that name them, are the same on every run.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Signature, Time};

/// A repository in a temporary directory.
pub struct GitRepo {
    pub dir: tempfile::TempDir,
    pub repo: Repository,
}

/// Who the test commits are by.
pub fn signature() -> Signature<'static> {
    Signature::new("Test", "test@example.com", &Time::new(1_767_225_600, 0)).unwrap()
}

/// The identity kforge commits as in the tests, through the environment.
pub const IDENTITY: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "Render Bot"),
    ("GIT_AUTHOR_EMAIL", "render@example.com"),
    ("GIT_COMMITTER_NAME", "Render Bot"),
    ("GIT_COMMITTER_EMAIL", "render@example.com"),
];

impl GitRepo {
    pub fn new() -> GitRepo {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        GitRepo { dir, repo }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file of the work tree.
    pub fn write(&self, relative: &str, text: &str) {
        let path = self.file(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.file(relative)).unwrap()
    }

    pub fn remove(&self, relative: &str) {
        std::fs::remove_file(self.file(relative)).unwrap();
    }

    /// Stages a path (added or changed file).
    pub fn stage(&self, relative: &str) {
        let mut index = self.repo.index().unwrap();
        index.add_path(Path::new(relative)).unwrap();
        index.write().unwrap();
    }

    /// Stages everything in the work tree (`git add -A`) and commits it.
    pub fn commit_all(&self, message: &str) -> Oid {
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parent = self.head();
        let parents: Vec<git2::Commit<'_>> = parent
            .map(|id| self.repo.find_commit(id).unwrap())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let sig = signature();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    pub fn head(&self) -> Option<Oid> {
        self.repo.head().ok().and_then(|h| h.target())
    }

    /// The message of the HEAD commit.
    pub fn head_message(&self) -> String {
        let id = self.head().unwrap();
        self.repo
            .find_commit(id)
            .unwrap()
            .message()
            .unwrap()
            .to_owned()
    }

    /// The paths in HEAD's tree, under a prefix.
    pub fn committed_paths(&self, prefix: &str) -> Vec<String> {
        let mut paths = Vec::new();
        let Some(id) = self.head() else {
            return paths;
        };
        let tree = self.repo.find_commit(id).unwrap().tree().unwrap();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                let path = format!("{dir}{}", entry.name().unwrap());
                if path.starts_with(prefix) {
                    paths.push(path);
                }
            }
            git2::TreeWalkResult::Ok
        })
        .unwrap();
        paths
    }

    /// Every blob of every commit, as text: what `git log -p` could ever show.
    pub fn history_text(&self) -> String {
        let mut walk = self.repo.revwalk().unwrap();
        walk.push_head().unwrap();
        let mut text = String::new();
        for id in walk {
            let commit = self.repo.find_commit(id.unwrap()).unwrap();
            text.push_str(commit.message().unwrap_or_default());
            commit
                .tree()
                .unwrap()
                .walk(git2::TreeWalkMode::PreOrder, |_, entry| {
                    if let Ok(blob) = self.repo.find_blob(entry.id()) {
                        text.push_str(&String::from_utf8_lossy(blob.content()));
                    }
                    git2::TreeWalkResult::Ok
                })
                .unwrap();
        }
        text
    }

    /// `git status --porcelain`-like: path and status of every file that is not clean.
    pub fn status(&self) -> Vec<(String, git2::Status)> {
        let mut options = git2::StatusOptions::new();
        options.include_untracked(true).recurse_untracked_dirs(true);
        self.repo
            .statuses(Some(&mut options))
            .unwrap()
            .iter()
            .map(|e| (e.path().unwrap().to_owned(), e.status()))
            .collect()
    }
}
