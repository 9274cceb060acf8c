//! Operational failures: what stops a command that is not a mistake in the blueprint (those
//! are [`crate::diagnostic::Diagnostic`]s): a file that cannot be read, a path that leaves
//! the repository, a tree that cannot be written, a bad CRD file. One enum, so that every
//! command reports them the same way, in text and in `--output json`.

use std::io;

use crate::write::WriteError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not a text file (invalid UTF-8 at byte {valid_up_to})")]
    NotText { path: String, valid_up_to: usize },
    #[error("`{path}` does not exist")]
    Missing { path: String },
    #[error("`{path}` is outside the repository; kforge reads only files inside it")]
    OutsideRepository { path: String },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("`{path}` is not a usable CRD: {message}")]
    Crd { path: String, message: String },
    /// A flag or argument the command cannot work with.
    #[error("{0}")]
    Usage(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// The directory is not inside a git repository.
    #[error("`{path}` is not inside a git repository")]
    NotARepository { path: String },
    /// A revision git cannot resolve to a commit.
    #[error("unknown revision `{revision}`: {message}")]
    UnknownRevision { revision: String, message: String },
    /// The repository is not in a state the command may change (a merge in progress, staged
    /// changes, edited output files, no identity).
    #[error("{0}")]
    Repository(String),
    /// git itself failed.
    #[error("git: {0}")]
    Git(String),
}

impl Error {
    /// A stable identifier, as diagnostics have (`rule` in JSON output).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Read { .. } | Error::NotText { .. } | Error::Missing { .. } => "unreadable-file",
            Error::OutsideRepository { .. } => "outside-repository",
            Error::Write(WriteError::NotOwned { .. }) => "not-owned",
            Error::Write(WriteError::PlaintextSecret { .. }) => "plaintext-secret",
            Error::Write(WriteError::Io { .. }) => "write-failed",
            Error::Crd { .. } => "invalid-crd",
            Error::Usage(_) => "usage",
            Error::Internal(_) => "internal-error",
            Error::NotARepository { .. } => "not-a-repository",
            Error::UnknownRevision { .. } => "unknown-revision",
            Error::Repository(_) => "repository-state",
            Error::Git(_) => "git-failed",
        }
    }

    /// The file the error is about, when it has one.
    pub fn path(&self) -> Option<String> {
        match self {
            Error::Read { path, .. }
            | Error::NotText { path, .. }
            | Error::Missing { path }
            | Error::OutsideRepository { path }
            | Error::Crd { path, .. } => Some(path.clone()),
            Error::Write(
                WriteError::NotOwned { path }
                | WriteError::PlaintextSecret { path }
                | WriteError::Io { path, .. },
            ) => Some(path.display().to_string()),
            Error::NotARepository { path } => Some(path.clone()),
            Error::Usage(_)
            | Error::Internal(_)
            | Error::UnknownRevision { .. }
            | Error::Repository(_)
            | Error::Git(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_code_and_a_message_naming_its_file() {
        let read = Error::Read {
            path: "blueprints/a.yaml".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert_eq!(read.code(), "unreadable-file");
        assert!(
            read.to_string()
                .starts_with("cannot read `blueprints/a.yaml`: ")
        );
        assert_eq!(read.path().as_deref(), Some("blueprints/a.yaml"));
        let outside = Error::OutsideRepository {
            path: "../x".into(),
        };
        assert_eq!(outside.code(), "outside-repository");
        let secret = Error::from(WriteError::PlaintextSecret {
            path: "out/a/base/web/secret-db.yaml".into(),
        });
        assert_eq!(secret.code(), "plaintext-secret");
        assert_eq!(
            secret.path().as_deref(),
            Some("out/a/base/web/secret-db.yaml")
        );
    }
}
