//! Stage 1, load: blueprint text -> typed [`Blueprint`] plus the span of every field.
//!
//! Architecture invariant: this stage reads no file itself (the CLI hands it text) and
//! reports every schema violation of a file at once.

pub mod blueprint;
mod mask;
pub mod quantity;
mod queries;
pub mod reference;
pub mod schema;
pub mod yaml;

use std::path::PathBuf;
use std::sync::Arc;

pub use blueprint::Blueprint;
pub use queries::{FileReference, SecretReference, file_references, secret_references};
use serde::Deserialize;
use serde_json::Value;
pub use yaml::SpanMap;

use crate::diagnostic::{Diagnostic, SourceFile};

/// A blueprint as loaded: the typed value, where each field came from, and where it lives.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub blueprint: Blueprint,
    /// Shared: every environment of a blueprint without overlay uses the parsed spans as
    /// they are.
    pub spans: Arc<SpanMap>,
    /// The directory `fromFile` and `resources` paths are relative to.
    pub base_dir: PathBuf,
}

impl Loaded {
    pub fn name(&self) -> &str {
        &self.blueprint.metadata.name
    }

    pub fn file(&self) -> &Arc<SourceFile> {
        self.spans.file()
    }
}

/// Parses a document into its JSON value and spans (no schema applied yet).
pub fn parse_document(file: &Arc<SourceFile>) -> Result<(Value, SpanMap), Vec<Diagnostic>> {
    yaml::parse(file)
}

/// Parses a blueprint's text into its document and spans, with literal secret values masked
/// in the text diagnostics show. Overlays are merged into this before [`from_value`].
pub fn parse_blueprint(file: &Arc<SourceFile>) -> Result<(Value, SpanMap), Vec<Diagnostic>> {
    let (value, mut spans) =
        parse_document(file).map_err(|errors| mask_secrets_in(file, errors))?;
    spans.redact(is_secret_value);
    Ok((value, spans))
}

/// Loads a blueprint from its text. `base_dir` is the blueprint's directory.
pub fn load_blueprint(file: Arc<SourceFile>, base_dir: PathBuf) -> Result<Loaded, Vec<Diagnostic>> {
    let (value, spans) = parse_blueprint(&file)?;
    from_value(value, spans, base_dir)
}

/// Points the snippets of diagnostics made before the document had a tree (syntax errors)
/// at a copy of the text whose literal secret values are masked lexically.
pub fn mask_secrets_in(file: &Arc<SourceFile>, mut errors: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let ranges = mask::secret_ranges(&file.text);
    if ranges.is_empty() {
        return errors;
    }
    let masked = file.redacted(&ranges);
    for d in &mut errors {
        for (span, _) in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
            span.file = masked.clone();
        }
    }
    errors
}

/// Whether a pointer names a literal secret value (`secrets[].data.*.value`,
/// `apps[].secretEnv.*.value`), which no diagnostic may show.
pub fn is_secret_value(pointer: &str) -> bool {
    // Called for every field of every blueprint: rule out almost all of them cheaply.
    if !pointer.ends_with("/value") {
        return false;
    }
    let parts: Vec<&str> = pointer.split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "spec", "secrets", _, "data", _, "value"]
            | ["", "spec", "apps", _, "secretEnv", _, "value"]
    )
}

/// Schema-checks and deserialises an already parsed (and possibly merged) document.
pub fn from_value(
    value: Value,
    spans: SpanMap,
    base_dir: PathBuf,
) -> Result<Loaded, Vec<Diagnostic>> {
    from_document(&value, Arc::new(spans), base_dir)
}

/// [`from_value`] without taking the document: nothing is copied for a blueprint rendered
/// as it is.
pub fn from_document(
    value: &Value,
    spans: Arc<SpanMap>,
    base_dir: PathBuf,
) -> Result<Loaded, Vec<Diagnostic>> {
    // The schema pass and deserialisation read the same document: both cores at once. The
    // plain deserialiser is twice as fast as the path-tracking one, which runs only to say
    // where a value the schema let through was refused.
    let (diagnostics, typed) = rayon::join(
        || schema::validate(value, &spans),
        || Blueprint::deserialize(value),
    );
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let typed = typed.or_else(|_| serde_path_to_error::deserialize::<_, Blueprint>(value));
    match typed {
        Ok(blueprint) => Ok(Loaded {
            blueprint,
            spans,
            base_dir,
        }),
        Err(error) => {
            let pointer = path_to_pointer(error.path());
            let message = error.inner().to_string();
            let code = if message.contains("quantity") {
                "invalid-quantity"
            } else {
                "invalid-value"
            };
            Err(vec![
                Diagnostic::error(code, message)
                    .path(crate::model::field_path(&pointer))
                    .at(spans.value(&pointer), "invalid value"),
            ])
        }
    }
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push('/');
                pointer.push_str(&crate::json::escape_segment(key));
            }
            Segment::Unknown => {}
        }
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Loaded, Vec<Diagnostic>> {
        load_blueprint(SourceFile::new("bp.yaml", text), PathBuf::from("."))
    }

    const HEAD: &str = "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: demo\n";

    #[test]
    fn loads_a_small_blueprint() {
        let text = format!(
            "{HEAD}spec:\n  apps:\n    - name: web\n      image: nginx:1.27.2\n      ports: [{{name: http, port: 80}}]\n"
        );
        let loaded = load(&text).unwrap();
        assert_eq!(loaded.blueprint.spec.apps[0].ports[0].port, 80);
        assert_eq!(loaded.name(), "demo");
    }

    #[test]
    fn reports_every_error_of_a_file() {
        let text = format!(
            "{HEAD}spec:\n  apps:\n    - name: web\n      image: nginx\n      replcas: 2\n    - name: db\n      workload: Deploymnt\n"
        );
        let errors = load(&text).unwrap_err();
        let codes: Vec<_> = errors
            .iter()
            .map(|d| (d.code, d.location().unwrap()))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("unknown-field", "bp.yaml:9:7".to_owned()),
                ("missing-field", "bp.yaml:10:7".to_owned()),
                ("invalid-value", "bp.yaml:11:17".to_owned()),
            ]
        );
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `replicas`?"));
        assert_eq!(
            errors[2].help.as_deref(),
            Some("did you mean `Deployment`?")
        );
    }

    #[test]
    fn a_bad_quantity_is_named_as_such() {
        let text =
            format!("{HEAD}spec:\n  storage:\n    claims:\n      - name: c\n        size: 5GG\n");
        let errors = load(&text).unwrap_err();
        assert_eq!(errors[0].code, "invalid-quantity");
        assert_eq!(
            errors[0].path.as_deref(),
            Some("spec.storage.claims[0].size")
        );
    }

    #[test]
    fn numbers_are_accepted_as_quantities() {
        let text = format!(
            "{HEAD}spec:\n  namespaces:\n    - name: web\n      quota: {{pods: 50, requests.cpu: 0.5}}\n"
        );
        let loaded = load(&text).unwrap();
        let quota = &loaded.blueprint.spec.namespaces[0].quota;
        assert_eq!(quota["pods"].as_str(), "50");
        assert_eq!(quota["requests.cpu"].as_str(), "0.5");
    }

    #[test]
    fn secret_values_are_masked_in_the_source_diagnostics_show() {
        let text = format!(
            "{HEAD}spec:\n  secrets:\n    - name: db\n      data: {{password: {{value: hunter2}}}}\n      typo: 1\n"
        );
        let errors = load(&text).unwrap_err();
        let rendered = errors[0].render(false);
        assert!(!rendered.contains("hunter2"), "{rendered}");
        assert!(rendered.contains("*******"), "{rendered}");
    }

    #[test]
    fn a_syntax_error_near_a_secret_does_not_show_it() {
        let text = format!(
            "{HEAD}spec:\n  secrets:\n    - name: db\n      data:\n        password: {{value: hunter2}}\n        token: {{value: [oops}}\n"
        );
        let errors = load(&text).unwrap_err();
        assert_eq!(errors[0].code, "yaml-syntax");
        let rendered = errors[0].render(false);
        assert!(rendered.contains("password: {value:"), "{rendered}");
        assert!(!rendered.contains("hunter2"), "{rendered}");
    }

    #[test]
    fn an_unquoted_version_asks_for_quotes() {
        let text = format!("{HEAD}spec:\n  kubernetesVersion: 1.33\n");
        let errors = load(&text).unwrap_err();
        assert_eq!(errors[0].code, "wrong-type");
        assert_eq!(errors[0].help.as_deref(), Some("quote it: \"1.33\""));
    }
}
