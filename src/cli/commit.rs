//! `render --commit`: the git side of `render`, around the writer. Before anything is
//! written, [`prepare`] opens the repository and refuses a merge or rebase in progress,
//! staged changes and a missing identity, and [`check_outputs`] refuses uncommitted edits in
//! the output trees; after the trees are written, [`finish`] stages kforge's files that
//! differ from the index and commits them with a message counting objects by kind.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::diff::file_kind;
use crate::git::commit::{Committer, Outcome, TreeSummary, message};
use crate::model::artifact::{ArtifactKind, document_kind};
use crate::pipeline::output::TreeReport;
use crate::pipeline::{Error, Rendered};
use crate::write::{OWNED, Snapshot};

/// What `--commit` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub message: Option<String>,
    pub allow_dirty: bool,
}

pub fn prepare() -> Result<Committer, Error> {
    Committer::prepare(Path::new("."))
}

/// The output trees as paths in the git work tree.
fn tree_paths(
    committer: &Committer,
    renderings: &[Rendered],
    out: &Path,
) -> Result<Vec<String>, Error> {
    renderings
        .iter()
        .map(|r| committer.in_repository(&r.dir(out)))
        .collect()
}

/// Refuses uncommitted edits in the trees about to be written, unless allowed.
pub fn check_outputs(
    committer: &Committer,
    renderings: &[Rendered],
    out: &Path,
    options: &Options,
) -> Result<(), Error> {
    let trees = tree_paths(committer, renderings, out)?;
    if options.allow_dirty {
        return Ok(());
    }
    committer.check_clean(&trees)
}

/// The kind a file of the tree counts as: the object's kind, else what the file is.
fn kind_of(bytes: &[u8], kind: ArtifactKind) -> String {
    let object = kind.holds_object();
    match document_kind(bytes).filter(|_| object) {
        Some(k) => String::from_utf8_lossy(k).into_owned(),
        None => file_kind(kind).to_owned(),
    }
}

fn summary(rendering: &Rendered, report: &TreeReport, snapshot: &Snapshot) -> TreeSummary {
    let count = |paths: &[String], old: bool| -> BTreeMap<String, usize> {
        let mut kinds = BTreeMap::new();
        for path in paths {
            let kind = match (old, rendering.tree.get(path)) {
                (false, Some(artifact)) => kind_of(&artifact.bytes, artifact.kind),
                _ => snapshot
                    .text(&report.dir, path)
                    .map(|text| kind_of(text.as_bytes(), ArtifactKind::Manifest))
                    .unwrap_or_else(|| "file".to_owned()),
            };
            *kinds.entry(kind).or_insert(0) += 1;
        }
        kinds
    };
    TreeSummary {
        label: format!("{}/{}", rendering.blueprint, rendering.env),
        added: count(&report.changes.added, false),
        changed: count(&report.changes.modified, false),
        removed: count(&report.changes.removed, true),
    }
}

/// Stages and commits what the render changed; prints what happened.
pub fn finish(
    committer: &Committer,
    renderings: &[Rendered],
    reports: &[TreeReport],
    out: &Path,
    snapshot: &Snapshot,
    options: &Options,
) -> Result<(), Error> {
    let trees = tree_paths(committer, renderings, out)?;
    let mut owned = BTreeSet::new();
    for ((tree, rendering), report) in trees.iter().zip(renderings).zip(reports) {
        let paths = rendering
            .tree
            .paths()
            .chain(&report.changes.removed)
            .map(String::as_str)
            .chain([OWNED]);
        owned.extend(paths.map(|p| format!("{tree}/{p}")));
    }
    let summaries: Vec<TreeSummary> = renderings
        .iter()
        .zip(reports)
        .map(|(r, report)| summary(r, report, snapshot))
        .collect();
    let text = message(
        options.message.as_deref(),
        &summaries,
        committer.source,
        committer.source_is_dirty(&trees),
    );
    match committer.commit(&trees, &owned, &text)? {
        Outcome::Committed { id, files } => {
            let first = text.lines().next().unwrap_or_default();
            eprintln!(
                "committed {} ({files} files): {first}",
                crate::git::short(id)
            );
        }
        Outcome::NothingChanged => eprintln!("nothing changed in the output; no commit made"),
    }
    Ok(())
}
