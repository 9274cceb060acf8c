//! `kforge validate`: arbitrary manifests (files, directories, stdin) against the strict
//! schemas, then the whole-set checks. An edge like the rest of `cli`: reads files and stdin,
//! prints, returns the exit code. Parsing is fast and span-free; lines are looked up only for
//! the documents that have findings.

use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{Value, json};

use super::exit::Exit;
use super::report::{self, Entry, Limit};
use crate::diagnostic::{Diagnostic, Severity, SourceFile, Span};
use crate::finding::Finding;
use crate::model::Object;
use crate::model::field_path;
use crate::model::manifest::parse_manifests;
use crate::pipeline::Error;
use crate::validate::locate::{Position, Positions, every_document};
use crate::validate::{CrdKind, Validator, crd};

/// How `validate` prints its findings.
#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
    Sarif,
}

/// The options of `kforge validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Files or directories (walked recursively for *.yaml, *.yml, *.json); `-` reads stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The Kubernetes minor to validate against (1.33, 1.34, 1.35).
    #[arg(long, default_value = crate::validate::DEFAULT_VERSION)]
    kubernetes_version: String,
    /// CustomResourceDefinition files or directories; their kinds are validated too.
    #[arg(long = "crd", value_name = "PATH")]
    crds: Vec<PathBuf>,
    /// Let objects of kinds without a schema pass.
    #[arg(long)]
    ignore_missing_schemas: bool,
    /// References to objects outside the set are errors, not warnings.
    #[arg(long)]
    strict_references: bool,
    /// How to print findings.
    #[arg(long, value_enum, default_value_t)]
    output: Format,
    /// How many findings to draw in full with their snippet (a number, or `all`); the rest
    /// are listed one per line. Text output only: JSON and SARIF have every finding.
    #[arg(long, value_name = "N", default_value_t = Limit::DEFAULT)]
    max_diagnostics: Limit,
}

/// One input file as read.
struct Input {
    name: String,
    text: String,
    json: bool,
}

/// Where an object came from.
struct Origin {
    file: usize,
    document: usize,
    prefix: String,
}

/// A finding placed in a file.
struct Placed {
    finding: Finding,
    file: Option<usize>,
    position: Option<Position>,
    object: String,
}

/// The validator for the version and CRDs asked for, and the manifests to validate.
fn prepare(args: &ValidateArgs) -> Result<(Validator, Vec<Input>), Error> {
    let validator = Validator::new(&args.kubernetes_version).map_err(Error::Usage)?;
    let validator = validator
        .with_crds(read_crds(&args.crds)?)
        .ignore_missing_schemas(args.ignore_missing_schemas);
    Ok((validator, read_inputs(&args.paths)?))
}

/// Runs `kforge validate`; returns the exit code.
pub fn run(args: &ValidateArgs) -> Exit {
    let mut problems: Vec<Diagnostic> = Vec::new();
    let (validator, inputs) = match prepare(args) {
        Ok(prepared) => prepared,
        Err(error) => {
            super::print_error(&error, matches!(args.output, Format::Json));
            return Exit::BadInput;
        }
    };
    let parsed: Vec<_> = inputs
        .par_iter()
        .map(|input| parse_manifests(&input.text, input.json))
        .collect();
    let mut objects = Vec::new();
    let mut origins = Vec::new();
    let mut files: Vec<Option<Arc<SourceFile>>> = inputs.iter().map(|_| None).collect();
    for (index, (input, result)) in inputs.iter().zip(parsed).enumerate() {
        match result {
            Ok(manifests) => {
                for manifest in manifests {
                    if crate::validate::is_tool_configuration(&manifest.body) {
                        continue;
                    }
                    origins.push(Origin {
                        file: index,
                        document: manifest.document,
                        prefix: manifest.prefix.clone(),
                    });
                    objects.push(Object::from_body(manifest.body, String::new()));
                }
            }
            Err(error) => {
                let file = source(&mut files, &inputs, index);
                let span = error
                    .location
                    .map(|(line, column)| point(&file, line, column));
                problems.push(
                    Diagnostic::error(
                        "invalid-manifest",
                        format!(
                            "`{}` is not valid YAML or JSON: {}",
                            input.name, error.message
                        ),
                    )
                    .at(span, "here"),
                );
            }
        }
    }
    let mut findings: Vec<Finding> = objects
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, object)| validator.validate(i, &object.body))
        .collect();
    // Namespaced objects without a namespace land in `default`, as with `kubectl apply`, so
    // the whole-set checks see them where the cluster would.
    for object in &mut objects {
        if object.namespace.is_none()
            && validator.is_namespaced(&object.api_version, &object.kind) == Some(true)
        {
            object.namespace = Some("default".to_owned());
        }
    }
    // The whole-set checks: cross-resource references (warnings unless
    // --strict-references: the target may live in the cluster) and the lint rules.
    findings.extend(crate::review::findings(
        &objects,
        args.strict_references,
        &crate::lint::Settings::default(),
    ));
    findings.sort_by_key(|f| f.object);
    let placed = place(findings, &objects, &origins, &inputs, &mut files);
    let failed = placed.iter().any(|p| p.finding.is_error());
    let code = if !problems.is_empty() {
        Exit::BadInput
    } else if failed {
        Exit::Findings
    } else {
        Exit::Success
    };
    match args.output {
        Format::Text => print_text(
            &placed,
            &problems,
            &files,
            objects.len(),
            args.max_diagnostics,
        ),
        Format::Json => print_json(&placed, &problems, &inputs, objects.len()),
        Format::Sarif => print_sarif(&placed, &problems, &inputs),
    }
    code
}

/// Every file named, directories walked in sorted order, `-` as stdin.
fn read_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, Error> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|source| Error::Read {
                    path: "<stdin>".into(),
                    source,
                })?;
            out.push(Input {
                name: "<stdin>".into(),
                text: text_of("<stdin>", bytes)?,
                json: false,
            });
            continue;
        }
        for file in files_under(path)? {
            let name = display(&file);
            let bytes = std::fs::read(&file).map_err(|source| Error::Read {
                path: name.clone(),
                source,
            })?;
            out.push(Input {
                json: file.extension().is_some_and(|x| x == "json"),
                text: text_of(&name, bytes)?,
                name,
            });
        }
    }
    Ok(out)
}

/// A file as itself; a directory as its manifest files, recursively, sorted.
fn files_under(path: &Path) -> Result<Vec<PathBuf>, Error> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(Error::Missing {
                path: display(path),
            });
        }
        return Ok(vec![path.to_owned()]);
    }
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::Read {
            path: display(path),
            source: e.into(),
        })?;
        let is_manifest = entry
            .path()
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "json");
        if entry.file_type().is_file() && is_manifest {
            out.push(entry.into_path());
        }
    }
    Ok(out)
}

fn text_of(name: &str, bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|e| Error::NotText {
        path: name.to_owned(),
        valid_up_to: e.utf8_error().valid_up_to(),
    })
}

fn display(path: &Path) -> String {
    path.strip_prefix("./")
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The kinds of every CRD in the files and directories named by `--crd`.
fn read_crds(paths: &[PathBuf]) -> Result<Vec<CrdKind>, Error> {
    let mut out = Vec::new();
    for input in read_inputs(paths)? {
        let manifests = parse_manifests(&input.text, input.json).map_err(|e| Error::Crd {
            path: input.name.clone(),
            message: format!("not valid YAML or JSON: {}", e.message),
        })?;
        for manifest in manifests {
            let kinds = crd::crd_kinds(&manifest.body).map_err(|e| Error::Crd {
                path: input.name.clone(),
                message: e.to_string(),
            })?;
            out.extend(kinds);
        }
    }
    Ok(out)
}

fn source(
    files: &mut [Option<Arc<SourceFile>>],
    inputs: &[Input],
    index: usize,
) -> Arc<SourceFile> {
    let slot = &mut files[index];
    slot.get_or_insert_with(|| {
        SourceFile::new(inputs[index].name.clone(), inputs[index].text.clone())
    })
    .clone()
}

/// A one-character span, or up to the end of the word at that place.
fn point(file: &Arc<SourceFile>, line: usize, column: usize) -> Span {
    let start = file.offset(line, column);
    let rest = &file.text[start..];
    let length = rest
        .find(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == '}' || c == ']')
        .unwrap_or(rest.len())
        .clamp(1, 200);
    let end = rest
        .char_indices()
        .map(|(i, _)| i)
        .find(|i| *i >= length)
        .unwrap_or(rest.len());
    Span {
        file: file.clone(),
        range: start..start + end.max(rest.chars().next().map_or(0, char::len_utf8)),
    }
}

/// Gives each finding the line and column of its field, parsing only the documents that
/// have findings a second time, with positions.
fn place(
    findings: Vec<Finding>,
    objects: &[Object],
    origins: &[Origin],
    inputs: &[Input],
    files: &mut [Option<Arc<SourceFile>>],
) -> Vec<Placed> {
    let mut out = Vec::new();
    // Findings come in object order, so one file's documents are parsed once, together.
    let mut cache: Option<(usize, Vec<Positions>)> = None;
    for finding in findings {
        let Some(origin) = origins.get(finding.object) else {
            out.push(Placed {
                finding,
                file: None,
                position: None,
                object: String::new(),
            });
            continue;
        };
        if cache.as_ref().map(|(file, _)| *file) != Some(origin.file) {
            cache = Some((origin.file, every_document(&inputs[origin.file].text)));
        }
        let pointer = format!("{}{}", origin.prefix, finding.pointer);
        let position = cache
            .as_ref()
            .and_then(|(_, documents)| documents.get(origin.document))
            .and_then(|p| p.best(&pointer, crate::validate::points_at_key(&finding)));
        source(files, inputs, origin.file);
        out.push(Placed {
            object: objects[finding.object].id(),
            file: Some(origin.file),
            position,
            finding,
        });
    }
    out.sort_by(|a, b| {
        (a.file, a.position, &a.finding.message).cmp(&(b.file, b.position, &b.finding.message))
    });
    out
}

/// Lines longer than this are not shown as snippets (a minified 10 MB line would flood the
/// terminal); the location is still printed.
const LONGEST_SNIPPET_LINE: usize = 1_000;

fn diagnostic_of(placed: &Placed, files: &[Option<Arc<SourceFile>>]) -> (Diagnostic, String) {
    let f = &placed.finding;
    let mut d = match f.severity {
        Severity::Error => Diagnostic::error(f.rule, f.message.clone()),
        Severity::Warning => Diagnostic::warning(f.rule, f.message.clone()),
    };
    if !f.pointer.is_empty() {
        d = d.path(field_path(&f.pointer));
    }
    if let Some(help) = &f.help {
        d = d.help(help.clone());
    }
    let file = placed.file.and_then(|i| files.get(i).cloned().flatten());
    let mut location = String::new();
    if let (Some(file), Some((line, column))) = (file, placed.position) {
        location = format!("{}:{line}:{column}", file.name);
        if file.line(line).len() <= LONGEST_SNIPPET_LINE {
            d = d.at(Some(point(&file, line, column)), placed.object.clone());
        }
    }
    (d, location)
}

fn print_text(
    placed: &[Placed],
    problems: &[Diagnostic],
    files: &[Option<Arc<SourceFile>>],
    objects: usize,
    limit: Limit,
) {
    let mut entries: Vec<Entry> = problems.iter().map(Entry::from).collect();
    entries.extend(placed.iter().map(|p| {
        let (diagnostic, location) = diagnostic_of(p, files);
        Entry {
            diagnostic: Cow::Owned(diagnostic),
            location: Some(location).filter(|l| !l.is_empty()),
        }
    }));
    let mut text = report::text(&entries, limit, report::color());
    let errors = placed.iter().filter(|p| p.finding.is_error()).count();
    let warnings = placed.len() - errors;
    text.push_str(&format!(
        "{objects} objects: {errors} errors, {warnings} warnings{}\n",
        if problems.is_empty() {
            String::new()
        } else {
            format!(", {} files unreadable", problems.len())
        }
    ));
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn print_json(placed: &[Placed], problems: &[Diagnostic], inputs: &[Input], objects: usize) {
    let mut findings: Vec<Value> = problems.iter().map(problem_json).collect();
    findings.extend(placed.iter().map(|p| {
        json!({
            "severity": severity_name(p.finding.severity),
            "rule": p.finding.rule,
            "file": p.file.and_then(|i| inputs.get(i)).map(|i| i.name.clone()),
            "line": p.position.map(|(l, _)| l),
            "column": p.position.map(|(_, c)| c),
            "object": p.object,
            "path": field_path(&p.finding.pointer),
            "message": p.finding.message,
        })
    }));
    let text = crate::json::pretty(&json!({"objects": objects, "findings": findings}));
    println!("{text}");
}

fn problem_json(d: &Diagnostic) -> Value {
    let (file, line, column) = match &d.primary {
        Some((span, _)) => {
            let (line, column) = span.line_col();
            (Some(span.file.name.clone()), Some(line), Some(column))
        }
        None => (None, None, None),
    };
    json!({
        "severity": severity_name(d.severity),
        "rule": d.code,
        "file": file,
        "line": line,
        "column": column,
        "object": null,
        "path": null,
        "message": d.message,
    })
}

/// SARIF 2.1.0, as code-scanning UIs read it.
fn print_sarif(placed: &[Placed], problems: &[Diagnostic], inputs: &[Input]) {
    let mut results: Vec<Value> = Vec::new();
    let mut rules: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    let mut push = |rule: &'static str,
                    severity: Severity,
                    message: String,
                    file: Option<String>,
                    position: Option<Position>| {
        rules.insert(rule);
        let mut result = json!({
            "ruleId": rule,
            "level": severity_name(severity),
            "message": {"text": message},
        });
        if let Some(file) = file {
            let mut location = json!({"artifactLocation": {"uri": file}});
            if let Some((line, column)) = position {
                location["region"] = json!({"startLine": line, "startColumn": column});
            }
            result["locations"] = json!([{"physicalLocation": location}]);
        }
        results.push(result);
    };
    for d in problems {
        let file = d.primary.as_ref().map(|(s, _)| s.file.name.clone());
        let position = d.primary.as_ref().map(|(s, _)| s.line_col());
        push(d.code, d.severity, d.message.clone(), file, position);
    }
    for p in placed {
        let f = &p.finding;
        let mut message = if f.pointer.is_empty() {
            format!("{}: {}", p.object, f.message)
        } else {
            format!("{}: {}: {}", p.object, field_path(&f.pointer), f.message)
        };
        if let Some(help) = &f.help {
            message.push_str(&format!(" ({help})"));
        }
        let file = p.file.and_then(|i| inputs.get(i)).map(|i| i.name.clone());
        push(f.rule, f.severity, message, file, p.position);
    }
    let rules: Vec<Value> = rules
        .into_iter()
        .map(|id| json!({"id": id, "shortDescription": {"text": rule_description(id)}}))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kforge",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://kforge.io",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    println!("{}", crate::json::pretty(&log));
}

fn rule_description(id: &str) -> String {
    match id {
        "schema" => "The object does not match the Kubernetes schema of its kind".into(),
        "removed-api" => "The API version is no longer served by this Kubernetes version".into(),
        "unknown-kind" => "No schema is known for this apiVersion and kind".into(),
        "invalid-manifest" => "The file is not valid YAML or JSON".into(),
        other => format!("kforge rule {other}"),
    }
}
