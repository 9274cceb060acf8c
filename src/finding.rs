//! Findings about Kubernetes objects (schema violations, broken references, lint rules),
//! before they are placed in a source file. The validate, reference and lint stages all speak
//! this type; the caller turns a finding into a [`crate::diagnostic::Diagnostic`] by mapping
//! the object and pointer to a span: the blueprint line the object came from (`render`,
//! `check`) or the manifest's own file:line:col (`validate`).

use crate::diagnostic::Severity;

/// One problem with one object of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// `schema`, `reference`, or a lint rule id such as `KF301`.
    pub rule: &'static str,
    /// Index of the object in the slice the stage was given.
    pub object: usize,
    /// JSON pointer inside the object's body (`/spec/template/spec/containers/0/image`);
    /// empty for the object as a whole.
    pub pointer: String,
    pub message: String,
    pub help: Option<String>,
}

impl Finding {
    pub fn error(rule: &'static str, object: usize, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            rule,
            object,
            pointer: String::new(),
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(rule: &'static str, object: usize, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(rule, object, message)
        }
    }

    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = pointer.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
