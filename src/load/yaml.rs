//! YAML text -> JSON value plus a span for every field, so that any later stage can point at
//! the line a value came from. Uses marked-yaml (see ARCHITECTURE.md for why).

use std::collections::BTreeMap;
use std::ops::{Bound, Range};
use std::sync::Arc;

use marked_yaml::loader::{LoadError, LoaderOptions, parse_yaml_with_options};
use marked_yaml::{Marker, Node};
use serde_json::{Map, Number, Value};

use crate::diagnostic::{Diagnostic, SourceFile, Span};

/// Where a field's key and value stand in the source.
#[derive(Debug, Clone)]
pub struct FieldSpan {
    /// Index into [`SpanMap`]'s files: a merged blueprint has fields from several files.
    file: usize,
    pub key: Option<Range<usize>>,
    pub value: Range<usize>,
}

/// Spans of every node of one document, keyed by JSON pointer (`/spec/apps/0/name`). After an
/// overlay is merged, each field points into the file that set it.
#[derive(Debug, Clone)]
pub struct SpanMap {
    /// The document's own file first, then any file grafted in.
    files: Vec<Arc<SourceFile>>,
    fields: BTreeMap<String, FieldSpan>,
}

impl SpanMap {
    pub fn new(file: Arc<SourceFile>) -> Self {
        SpanMap {
            files: vec![file],
            fields: BTreeMap::new(),
        }
    }

    /// The document's own file (the blueprint's, for a merged blueprint).
    pub fn file(&self) -> &Arc<SourceFile> {
        &self.files[0]
    }

    /// The span of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn value(&self, pointer: &str) -> Option<Span> {
        self.nearest(pointer)
            .map(|f| self.span(f.file, f.value.clone()))
    }

    /// The span of the key at `pointer` (the value's for list items), or of its nearest ancestor.
    pub fn key(&self, pointer: &str) -> Option<Span> {
        self.nearest(pointer)
            .map(|f| self.span(f.file, f.key.clone().unwrap_or_else(|| f.value.clone())))
    }

    /// Masks the values of every field whose pointer matches `secret` in the source text the
    /// diagnostics show.
    pub fn redact(&mut self, secret: impl Fn(&str) -> bool) {
        let mut ranges: Vec<Vec<Range<usize>>> = vec![Vec::new(); self.files.len()];
        for (pointer, field) in &self.fields {
            if secret(pointer) {
                ranges[field.file].push(field.value.clone());
            }
        }
        for (file, ranges) in self.files.iter_mut().zip(&ranges) {
            if !ranges.is_empty() {
                *file = file.redacted(ranges);
            }
        }
    }

    /// Whether the document has a node exactly at `pointer`.
    pub fn contains(&self, pointer: &str) -> bool {
        self.fields.contains_key(pointer)
    }

    /// Copies the spans of `source`'s subtree at `from` to this map's subtree at `to`,
    /// replacing whatever this map held there.
    pub fn graft(&mut self, to: &str, source: &SpanMap, from: &str) {
        self.remove_subtree(to);
        let files: Vec<usize> = source.files.iter().map(|f| self.file_index(f)).collect();
        for (pointer, field) in subtree(&source.fields, from) {
            let rest = &pointer[from.len()..];
            self.fields.insert(
                format!("{to}{rest}"),
                FieldSpan {
                    file: files[field.file],
                    key: field.key.clone(),
                    value: field.value.clone(),
                },
            );
        }
    }

    /// Forgets the spans of the subtree at `pointer`.
    pub fn remove_subtree(&mut self, pointer: &str) {
        let doomed: Vec<String> = subtree(&self.fields, pointer)
            .map(|(p, _)| p.clone())
            .collect();
        for p in doomed {
            self.fields.remove(&p);
        }
    }

    fn file_index(&mut self, file: &Arc<SourceFile>) -> usize {
        if let Some(i) = self.files.iter().position(|f| Arc::ptr_eq(f, file)) {
            return i;
        }
        self.files.push(file.clone());
        self.files.len() - 1
    }

    fn nearest(&self, pointer: &str) -> Option<&FieldSpan> {
        let mut current = pointer;
        loop {
            if let Some(field) = self.fields.get(current) {
                return Some(field);
            }
            let cut = current.rfind('/')?;
            current = &current[..cut];
        }
    }

    fn span(&self, file: usize, range: Range<usize>) -> Span {
        Span {
            file: self.files[file].clone(),
            range,
        }
    }
}

/// The entries at `pointer` and below it.
fn subtree<'a>(
    fields: &'a BTreeMap<String, FieldSpan>,
    pointer: &'a str,
) -> impl Iterator<Item = (&'a String, &'a FieldSpan)> {
    fields
        .range::<str, _>((Bound::Included(pointer), Bound::Unbounded))
        .take_while(move |(p, _)| p.starts_with(pointer))
        .filter(move |(p, _)| p.len() == pointer.len() || p.as_bytes()[pointer.len()] == b'/')
}

/// Escapes one JSON-pointer segment (RFC 6901).
pub fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Parses one YAML document whose top level is a mapping.
pub fn parse(file: &Arc<SourceFile>) -> Result<(Value, SpanMap), Vec<Diagnostic>> {
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let node =
        parse_yaml_with_options(0, &file.text, options).map_err(|e| vec![load_error(file, e)])?;
    // Collected in document order, then sorted once: building the ordered map from a sorted
    // list is much cheaper than inserting pointer by pointer.
    let mut fields = Vec::new();
    let value = convert(&node, String::new(), None, file, &mut fields);
    let mut spans = SpanMap::new(file.clone());
    spans.fields = fields.into_iter().collect();
    Ok((value, spans))
}

fn offset(file: &SourceFile, marker: &Marker) -> usize {
    file.offset(marker.line(), marker.column())
}

fn point(file: &Arc<SourceFile>, marker: &Marker) -> Span {
    let start = offset(file, marker);
    let end = file.text[start..]
        .char_indices()
        .nth(1)
        .map_or(file.text.len(), |(i, _)| start + i);
    Span {
        file: file.clone(),
        range: start..end,
    }
}

fn load_error(file: &Arc<SourceFile>, error: LoadError) -> Diagnostic {
    match error {
        LoadError::ScanError(marker, scan) => {
            Diagnostic::error("yaml-syntax", format!("invalid YAML: {}", scan.info()))
                .at(Some(point(file, &marker)), "the parser stopped here")
                .help("check the indentation and quoting around this line")
        }
        LoadError::TopLevelMustBeMapping(marker) => {
            Diagnostic::error("yaml-syntax", "the document must be a mapping").at(
                Some(point(file, &marker)),
                "expected `apiVersion: ...` here",
            )
        }
        LoadError::UnexpectedAnchor(marker) => Diagnostic::error(
            "yaml-syntax",
            "YAML anchors and aliases are not supported in blueprints",
        )
        .at(Some(point(file, &marker)), "anchor or alias")
        .help("write the value out, or use an overlay for repeated settings"),
        LoadError::UnexpectedTag(marker) => {
            Diagnostic::error("yaml-syntax", "YAML tags are not supported in blueprints")
                .at(Some(point(file, &marker)), "tag")
                .help("remove the `!tag`; quote the value if it is a string")
        }
        LoadError::MappingKeyMustBeScalar(marker) => {
            Diagnostic::error("yaml-syntax", "mapping keys must be plain scalars")
                .at(Some(point(file, &marker)), "complex key")
        }
        LoadError::TopLevelMustBeSequence(marker) => {
            Diagnostic::error("yaml-syntax", "unexpected top-level sequence")
                .at(Some(point(file, &marker)), "here")
        }
        LoadError::DuplicateKey(inner) => {
            let key = inner.key.as_str().to_owned();
            let span_of =
                |n: &marked_yaml::types::MarkedScalarNode| n.span().start().map(|m| point(file, m));
            Diagnostic::error("duplicate-key", format!("the key `{key}` appears twice"))
                .at(span_of(&inner.key), "second definition")
                .also(span_of(&inner.prev_key), "first definition")
                .help("YAML mappings need unique keys; remove or merge one of them")
        }
    }
}

fn convert(
    node: &Node,
    pointer: String,
    key: Option<Range<usize>>,
    file: &SourceFile,
    fields: &mut Vec<(String, FieldSpan)>,
) -> Value {
    let mut start = node.span().start().map_or(0, |m| offset(file, m));
    if let Node::Mapping(mapping) = node {
        // A block mapping's own mark sits at its first `:`; its first key is where it begins.
        if let Some(first) = mapping.keys().next().and_then(|k| k.span().start()) {
            start = start.min(offset(file, first));
        }
    }
    let (value, end) = match node {
        Node::Scalar(scalar) => {
            let text = scalar.as_str();
            let end = scalar_end(&file.text, start, text);
            let value = if scalar.may_coerce() {
                plain_scalar(text)
            } else {
                Value::String(text.to_owned())
            };
            (value, end)
        }
        Node::Sequence(sequence) => {
            let items = sequence
                .iter()
                .enumerate()
                .map(|(i, item)| convert(item, format!("{pointer}/{i}"), None, file, fields))
                .collect();
            let end = node.span().end().map_or(start, |m| offset(file, m));
            (Value::Array(items), end)
        }
        Node::Mapping(mapping) => {
            let mut map = Map::new();
            for (k, v) in mapping.iter() {
                let key_start = k.span().start().map_or(0, |m| offset(file, m));
                let key_end = scalar_end(&file.text, key_start, k.as_str());
                let child = format!("{pointer}/{}", escape_segment(k.as_str()));
                let value = convert(v, child, Some(key_start..key_end), file, fields);
                map.insert(k.as_str().to_owned(), value);
            }
            let end = node.span().end().map_or(start, |m| offset(file, m));
            (Value::Object(map), end)
        }
    };
    let end = end.max(start);
    fields.push((
        pointer,
        FieldSpan {
            file: 0,
            key,
            value: start..end,
        },
    ));
    value
}

/// The end of a scalar that starts at `start`: its text when written plainly, else the rest
/// of the line (quoted and block scalars), at least one character.
fn scalar_end(text: &str, start: usize, value: &str) -> usize {
    let rest = &text[start.min(text.len())..];
    if !value.is_empty() && rest.starts_with(value) && !value.contains('\n') {
        return start + value.len();
    }
    let line = rest.split('\n').next().unwrap_or("");
    let line = line.trim_end();
    start + line.len().max(1).min(rest.len())
}

/// YAML 1.2 core-schema resolution of an unquoted scalar.
fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.parse::<i64>() {
            return Value::Number(n.into());
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(n) = i64::from_str_radix(hex, 16) {
            return Value::Number(n.into());
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(n) = i64::from_str_radix(oct, 8) {
            return Value::Number(n.into());
        }
    }
    let looks_float = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_float {
        if let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load(text: &str) -> (Value, SpanMap) {
        parse(&SourceFile::new("t.yaml", text)).unwrap()
    }

    #[test]
    fn plain_scalars_resolve_like_yaml_1_2() {
        let (value, _) = load("a: 1\nb: '1'\nc: true\nd: 'true'\ne: 1.5\nf: ~\ng: on\nh: 1.33\n");
        assert_eq!(
            value,
            json!({"a": 1, "b": "1", "c": true, "d": "true", "e": 1.5, "f": null, "g": "on", "h": 1.33})
        );
    }

    #[test]
    fn every_field_has_a_span() {
        let text = "spec:\n  apps:\n    - name: web\n      replicas: 2\n";
        let (_, spans) = load(text);
        let name = spans.value("/spec/apps/0/name").unwrap();
        assert_eq!(&text[name.range.clone()], "web");
        assert_eq!(name.line_col(), (3, 13));
        let key = spans.key("/spec/apps/0/replicas").unwrap();
        assert_eq!(&text[key.range.clone()], "replicas");
        assert_eq!(key.line_col(), (4, 7));
    }

    #[test]
    fn unknown_pointers_fall_back_to_the_nearest_ancestor() {
        let text = "spec:\n  apps: []\n";
        let (_, spans) = load(text);
        assert_eq!(spans.value("/spec/apps/3/name").unwrap().line_col(), (2, 9));
    }

    #[test]
    fn syntax_errors_carry_a_location() {
        let error = parse(&SourceFile::new("t.yaml", "a: [1, 2\nb: c\n"))
            .unwrap_err()
            .remove(0);
        assert_eq!(error.code, "yaml-syntax");
        assert!(error.location().unwrap().starts_with("t.yaml:"));
    }

    #[test]
    fn duplicate_keys_point_at_both() {
        let error = parse(&SourceFile::new("t.yaml", "a: 1\na: 2\n"))
            .unwrap_err()
            .remove(0);
        assert_eq!(error.code, "duplicate-key");
        assert_eq!(error.location().unwrap(), "t.yaml:2:1");
        assert_eq!(error.secondary[0].0.location(), "t.yaml:1:1");
    }
}
