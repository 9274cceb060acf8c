//! The files and secret values a blueprint refers to (`fromFile`, `resources`, `fromEnv`),
//! read before expansion so that expansion stays pure. Files come from the [`Source`] (so
//! they stay inside the repository), variables from the caller.

use std::collections::BTreeMap;
use std::ffi::OsString;

use super::error::Error;
use super::source::{RepoPath, Source};
use crate::expand::{Inputs, SecretBytes};
use crate::load::Loaded;
use crate::load::{file_references, secret_references};

/// A path as written in the blueprint, relative to its directory `base` (`None` when the
/// blueprint's own directory is not a repository path, which the pipeline never makes).
fn resolve(base: Option<&RepoPath>, path: &str) -> Result<RepoPath, String> {
    let resolved = base.map(|base| base.resolve(path));
    resolved.and_then(Result::ok).ok_or_else(|| {
        if std::path::Path::new(path).is_absolute() {
            format!("`{path}` is absolute; write a path relative to the blueprint")
        } else {
            format!("`{path}` leaves the repository")
        }
    })
}

/// Why a file named `path` in the blueprint could not be read, in the words of the field
/// that named it.
fn reason(error: &Error, path: &str) -> String {
    match error {
        Error::OutsideRepository { .. } => {
            format!("`{path}` leads outside the repository through a symlink")
        }
        Error::Read { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// Reads every input of a blueprint. What cannot be read is recorded with the reason, for
/// expansion to report at the field that named it.
pub fn read(
    loaded: &Loaded,
    source: &dyn Source,
    vars: &dyn Fn(&str) -> Option<OsString>,
) -> Inputs {
    let base = RepoPath::new(&loaded.base_dir.to_string_lossy()).ok();
    let base = base.as_ref();
    let mut files = BTreeMap::new();
    for reference in file_references(loaded) {
        let written = &reference.path;
        let content = resolve(base, written)
            .and_then(|path| source.read_text(&path).map_err(|e| reason(&e, written)));
        files.insert(reference.path, content);
    }
    let mut secrets = BTreeMap::new();
    for reference in secret_references(loaded) {
        let value = &reference.source;
        let bytes = if let Some(literal) = &value.value {
            Ok(SecretBytes::new(literal.as_bytes().to_vec()))
        } else if let Some(name) = &value.from_env {
            vars(name)
                .map(|v| SecretBytes::new(v.into_encoded_bytes()))
                .ok_or_else(|| format!("the environment variable `{name}` is not set"))
        } else if let Some(path) = &value.from_file {
            resolve(base, path)
                .and_then(|p| {
                    source.read(&p).map_err(|e| match e {
                        Error::Read { .. } => format!("cannot read `{path}`: {}", reason(&e, path)),
                        _ => reason(&e, path),
                    })
                })
                .map(SecretBytes::new)
        } else {
            continue;
        };
        secrets.insert(reference.pointer, bytes);
    }
    Inputs { files, secrets }
}
