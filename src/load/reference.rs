//! The field reference of the blueprint format, read from its JSON Schema ([`super::schema`],
//! itself derived from the doc comments of [`super::blueprint`]): every field path with its
//! type, default, description and children. `kforge explain FIELD` prints one field and
//! `kforge explain --markdown` writes `docs/blueprint.md`, so the binary, the editor's hover
//! text and the committed reference say the same thing.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::schema::blueprint_schema;

/// One field of the blueprint format.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The dotted path from the document's root; lists and maps are transparent:
    /// `spec.apps.autoscale.minReplicas`.
    pub path: String,
    /// What a value looks like: `string`, `integer`, `object`, `[]object`,
    /// `map[string]string`, `integer | string`.
    pub type_name: String,
    /// Whether the enclosing object must have it.
    pub required: bool,
    /// The value serde fills in when the field is absent.
    pub default: Option<Value>,
    /// An example value from the schema (`examples`), when the field names one.
    pub example: Option<Value>,
    /// The allowed values of an enumeration.
    pub values: Vec<String>,
    /// The field's own doc text (empty when it has none).
    pub description: String,
    /// The doc text of the field's type, when the type has one of its own (a type several
    /// fields share, such as a probe).
    pub type_description: String,
    /// The fields below this one, in declaration order.
    pub children: Vec<Child>,
}

/// A field below another, as its parent's listing shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Child {
    pub name: String,
    pub type_name: String,
    pub required: bool,
}

impl Field {
    /// The field's name: the last segment of its path.
    pub fn name(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }

    fn depth(&self) -> usize {
        self.path.split('.').count()
    }
}

/// What a schema node describes once references, `null` alternatives, lists and maps are seen
/// through.
struct Shape<'a> {
    type_name: String,
    values: Vec<String>,
    type_description: String,
    /// The object schema whose properties are the fields below.
    object: Option<&'a Value>,
}

struct Walker<'a> {
    definitions: Option<&'a Map<String, Value>>,
}

impl<'a> Walker<'a> {
    fn definition(&self, reference: &str) -> Option<&'a Value> {
        let name = reference.strip_prefix("#/$defs/")?;
        self.definitions?.get(name)
    }

    fn shape(&self, node: &'a Value, depth: usize) -> Shape<'a> {
        let opaque = |type_name: &str| Shape {
            type_name: type_name.to_owned(),
            values: Vec::new(),
            type_description: String::new(),
            object: None,
        };
        if depth > 32 {
            return opaque("object");
        }
        if let Some(target) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| self.definition(r))
        {
            let mut shape = self.shape(target, depth + 1);
            if shape.type_description.is_empty() {
                shape.type_description = description(target).to_owned();
            }
            return shape;
        }
        if let Some(alternatives) = node
            .get("anyOf")
            .or_else(|| node.get("oneOf"))
            .and_then(Value::as_array)
        {
            let shapes: Vec<Shape<'a>> = alternatives
                .iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .map(|a| self.shape(a, depth + 1))
                .collect();
            let mut names: Vec<String> = Vec::new();
            let mut merged = opaque("");
            for shape in shapes {
                if !names.contains(&shape.type_name) {
                    names.push(shape.type_name);
                }
                merged.values.extend(shape.values);
                merged.object = merged.object.or(shape.object);
                if merged.type_description.is_empty() {
                    merged.type_description = shape.type_description;
                }
            }
            merged.type_name = names.join(" | ");
            return merged;
        }
        let values: Vec<String> = node
            .get("enum")
            .and_then(Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .filter(|v| !v.is_null())
                    .map(scalar_text)
                    .collect()
            })
            .unwrap_or_default();
        let type_name = match node.get("type") {
            Some(Value::String(name)) => name.as_str(),
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .find(|n| *n != "null")
                .unwrap_or("null"),
            _ => "",
        };
        match type_name {
            "array" => {
                let inner = match node.get("items") {
                    Some(items) => self.shape(items, depth + 1),
                    None => opaque("any"),
                };
                Shape {
                    type_name: format!("[]{}", grouped(&inner.type_name)),
                    ..inner
                }
            }
            "object" if node.get("properties").is_some() => Shape {
                object: Some(node),
                ..opaque("object")
            },
            "object" => match node.get("additionalProperties") {
                Some(inner @ Value::Object(_)) => {
                    let inner = self.shape(inner, depth + 1);
                    Shape {
                        type_name: format!("map[string]{}", grouped(&inner.type_name)),
                        ..inner
                    }
                }
                _ => opaque("object"),
            },
            "" => opaque("any"),
            name => Shape {
                values,
                ..opaque(name)
            },
        }
    }

    /// Appends the fields of an object schema (and of every object below it) to `out`.
    fn collect(&self, object: &'a Value, prefix: &str, depth: usize, out: &mut Vec<Field>) {
        let Some(properties) = object.get("properties").and_then(Value::as_object) else {
            return;
        };
        let required = required_names(object);
        for (name, node) in properties {
            let path = match prefix {
                "" => name.clone(),
                _ => format!("{prefix}.{name}"),
            };
            let shape = self.shape(node, 0);
            let children = shape
                .object
                .map(|child| self.children(child))
                .unwrap_or_default();
            out.push(Field {
                path: path.clone(),
                type_name: shape.type_name,
                required: required.contains(&name.as_str()),
                default: node.get("default").cloned(),
                example: node
                    .get("examples")
                    .and_then(Value::as_array)
                    .and_then(|e| e.first())
                    .cloned(),
                values: shape.values,
                description: description(node).to_owned(),
                type_description: shape.type_description,
                children,
            });
            if let Some(child) = shape.object
                && depth < 16
            {
                self.collect(child, &path, depth + 1, out);
            }
        }
    }

    fn children(&self, object: &'a Value) -> Vec<Child> {
        let required = required_names(object);
        object
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| {
                properties
                    .iter()
                    .map(|(name, node)| Child {
                        name: name.clone(),
                        type_name: self.shape(node, 0).type_name,
                        required: required.contains(&name.as_str()),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A type name as the element of a list or map: alternatives in parentheses.
fn grouped(type_name: &str) -> String {
    match type_name.contains(" | ") {
        true => format!("({type_name})"),
        false => type_name.to_owned(),
    }
}

fn description(node: &Value) -> &str {
    node.get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn required_names(object: &Value) -> Vec<&str> {
    object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The blueprint's root: its description and the fields at the top.
pub struct Reference {
    pub description: String,
    pub top: Vec<Child>,
    pub fields: Vec<Field>,
}

/// Every field of the blueprint format, depth first in declaration order.
pub fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let schema = blueprint_schema();
        let walker = Walker {
            definitions: schema.get("$defs").and_then(Value::as_object),
        };
        let mut fields = Vec::new();
        walker.collect(&schema, "", 0, &mut fields);
        Reference {
            description: description(&schema).to_owned(),
            top: walker.children(&schema),
            fields,
        }
    })
}

/// A field path as a user may write it: `spec.` may be left out, list indexes are ignored
/// (`spec.apps[0].autoscale` is `spec.apps.autoscale`).
fn normalize(path: &str) -> String {
    let mut plain = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.trim().trim_matches('.').chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            _ if in_index => {}
            _ => plain.push(c),
        }
    }
    plain
}

/// Why a path names no field: where it left the format, and the nearest names there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField {
    pub path: String,
    pub help: String,
}

impl std::fmt::Display for UnknownField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a blueprint field; {}", self.path, self.help)
    }
}

/// The field a path names (`spec.apps.autoscale`, `apps.autoscale`, `spec.apps[0].name`).
pub fn lookup(path: &str) -> Result<&'static Field, UnknownField> {
    let reference = reference();
    let plain = normalize(path);
    let find = |p: &str| reference.fields.iter().find(|f| f.path == p);
    if let Some(field) = find(&plain).or_else(|| find(&format!("spec.{plain}"))) {
        return Ok(field);
    }
    // The longest known prefix, with or without `spec.`, decides the candidates.
    let segments: Vec<&str> = plain.split('.').collect();
    let mut best: Option<(usize, Vec<&str>, String)> = None;
    for base in ["", "spec."] {
        let mut known = String::new();
        let mut candidates: Vec<&str> = match base {
            "" => reference.top.iter().map(|c| c.name.as_str()).collect(),
            _ => match find("spec") {
                Some(spec) => spec.children.iter().map(|c| c.name.as_str()).collect(),
                None => Vec::new(),
            },
        };
        let mut matched = 0;
        for segment in &segments {
            let candidate = format!("{base}{known}{segment}");
            let Some(field) = find(&candidate) else { break };
            matched += 1;
            known = format!("{known}{segment}.");
            candidates = field.children.iter().map(|c| c.name.as_str()).collect();
        }
        if best.as_ref().is_none_or(|(m, _, _)| matched > *m) {
            best = Some((matched, candidates, format!("{base}{known}")));
        }
    }
    let (matched, candidates, known) = best.unwrap_or_default();
    let wrong = segments.get(matched).copied().unwrap_or_default();
    let help = if candidates.is_empty() {
        format!("`{}` has no fields below it", known.trim_end_matches('.'))
    } else {
        let hint = crate::suggest::hint(wrong, candidates.iter().copied());
        match hint.strip_prefix("did you mean `") {
            Some(rest) => format!("did you mean `{known}{rest}"),
            None => match known.is_empty() {
                true => hint,
                false => format!("{hint} (below `{}`)", known.trim_end_matches('.')),
            },
        }
    };
    Err(UnknownField {
        path: path.to_owned(),
        help,
    })
}

/// `kforge explain FIELD`: the field's type, default and description and the fields below it,
/// laid out as `kubectl explain` does. Without a path, the blueprint's top level.
pub fn explain(path: Option<&str>) -> Result<String, UnknownField> {
    let reference = reference();
    let mut out = String::new();
    let (description, children) = match path {
        None => {
            out.push_str("KIND:     Blueprint\nVERSION:  kforge.io/v1alpha1\n");
            (reference.description.as_str(), &reference.top)
        }
        Some(path) => {
            let field = lookup(path)?;
            let _ = writeln!(out, "FIELD:    {} <{}>", field.path, field.type_name);
            if field.required {
                out.push_str("REQUIRED: yes\n");
            }
            if let Some(default) = &field.default {
                let _ = writeln!(out, "DEFAULT:  {}", inline_value(default));
            }
            if !field.values.is_empty() {
                let _ = writeln!(out, "VALUES:   {}", field.values.join(" | "));
            }
            if let Some(example) = &field.example {
                let _ = writeln!(out, "EXAMPLE:  {}", inline_value(example));
            }
            (field.description.as_str(), &field.children)
        }
    };
    out.push_str("\nDESCRIPTION:\n");
    let text = match path.and_then(|p| lookup(p).ok()) {
        Some(field) => full_description(field),
        None => description.to_owned(),
    };
    for line in wrap(&text, 76) {
        match line.is_empty() {
            true => out.push('\n'),
            false => {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    if !children.is_empty() {
        out.push_str("\nFIELDS:\n");
        let prefix = path
            .and_then(|p| lookup(p).ok())
            .map(|f| format!("{}.", f.path))
            .unwrap_or_default();
        for child in children {
            let required = if child.required { " -required-" } else { "" };
            let _ = writeln!(out, "  {} <{}>{required}", child.name, child.type_name);
            let summary = reference
                .fields
                .iter()
                .find(|f| f.path == format!("{prefix}{}", child.name))
                .map(|f| first_sentence(&f.description))
                .unwrap_or_default();
            for line in wrap(&summary, 74) {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    Ok(out)
}

/// The field's text, followed by its type's when the type has one of its own.
fn full_description(field: &Field) -> String {
    match (
        field.description.is_empty(),
        field.type_description.is_empty() || field.description.contains(&field.type_description),
    ) {
        (true, _) => field.type_description.clone(),
        (false, true) => field.description.clone(),
        (false, false) => format!("{}\n\n{}", field.description, field.type_description),
    }
}

fn first_sentence(text: &str) -> String {
    let paragraph = text.split("\n\n").next().unwrap_or_default();
    let flat = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    // A sentence ends at ". ", but not after an abbreviation such as "e.g.".
    let end = flat.match_indices(". ").map(|(i, _)| i).find(|&i| {
        let before = &flat[..i];
        !before.ends_with("e.g") && !before.ends_with("i.e")
    });
    match end {
        Some(end) => flat[..=end].to_owned(),
        None => flat,
    }
}

fn inline_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// Words of `text` in lines of at most `width` characters; paragraphs stay apart.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

const MARKDOWN_INTRO: &str = "\
A blueprint is one YAML file under `blueprints/` that kforge expands into every Kubernetes
object of a platform. This page lists every field of the format `kforge.io/v1alpha1`: its
type, its default, what it expands into, and an example in place. The same text is what
`kforge explain FIELD` prints and what an editor shows on hover through
`schemas/blueprint.schema.json` (`kforge schema`).

Reading the entries: `[]T` is a list of `T`, `map[string]T` a map from names to `T`;
a list item or map value that is an object has the fields listed below it. Field paths
leave list indexes and map keys out (`spec.apps.autoscale` is the `autoscale` of any app).
Overlays (`overlays/*.yaml`, `kind: Overlay`) patch these same fields: maps merge, scalars
replace, `null` removes a field, lists of named items merge by `name` (`uses` by the
ConfigMap or Secret they name) and an item with `$delete: true` is removed; other lists are
replaced whole.

Secure by default: every app's containers meet the Pod Security Standards `restricted`
profile unless `spec.apps.securityContext.profile` relaxes it with a reason; see
[`spec.apps.securityContext`](#specappssecuritycontext) and the upgrade note in
[CHANGELOG.md](../CHANGELOG.md).
";

/// `docs/blueprint.md`: every field with its type, default, description and an example.
pub fn markdown() -> String {
    let reference = reference();
    let mut out = String::new();
    out.push_str("# Blueprint reference\n\n");
    out.push_str(
        "<!-- Generated from the blueprint's JSON Schema by `kforge explain --markdown > \
         docs/blueprint.md`; edit the doc comments in src/load/blueprint.rs instead. -->\n\n",
    );
    out.push_str(MARKDOWN_INTRO);
    for field in &reference.fields {
        let level = "#".repeat((field.depth() + 1).min(6));
        let _ = writeln!(out, "\n{level} `{}`\n", field.path);
        let mut facts = vec![format!("`{}`", field.type_name)];
        if field.required {
            facts.push("required".to_owned());
        }
        if let Some(default) = &field.default {
            facts.push(format!("default `{}`", inline_value(default)));
        }
        if !field.values.is_empty() {
            let values: Vec<String> = field.values.iter().map(|v| format!("`{v}`")).collect();
            facts.push(format!("one of {}", values.join(", ")));
        }
        let _ = writeln!(out, "{}\n", facts.join(" · "));
        let text = full_description(field);
        if !text.is_empty() {
            for line in wrap(&text, 92) {
                let _ = writeln!(out, "{line}");
            }
            out.push('\n');
        }
        if !field.children.is_empty() {
            let names: Vec<String> = field
                .children
                .iter()
                .map(|c| format!("`{}`", c.name))
                .collect();
            let _ = writeln!(out, "Fields: {}.\n", names.join(", "));
        }
        out.push_str("```yaml\n");
        out.push_str(&example_yaml(field));
        out.push_str("```\n");
    }
    out
}

/// The field in place: its parents down from the root, then its value (the schema's example,
/// else its default, else a placeholder of its type; an object shows its required fields).
fn example_yaml(field: &Field) -> String {
    let reference = reference();
    let segments: Vec<&str> = field.path.split('.').collect();
    let mut lines = Lines::default();
    let mut path = String::new();
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            path.push('.');
        }
        path.push_str(segment);
        let Some(this) = reference.fields.iter().find(|f| f.path == path) else {
            break;
        };
        if i + 1 == segments.len() {
            leaf_yaml(this, &mut lines);
            break;
        }
        lines.line(&format!("{segment}:"));
        lines.open(&this.type_name);
    }
    lines.out
}

/// The placeholder of a map key in examples.
const KEY: &str = "<key>";

/// YAML lines at a nesting level; the first line of a list item follows its dash.
#[derive(Default)]
struct Lines {
    out: String,
    indent: usize,
    dash: bool,
}

impl Lines {
    fn line(&mut self, text: &str) {
        if self.dash {
            self.out.push_str(&" ".repeat(self.indent - 2));
            self.out.push_str("- ");
            self.dash = false;
        } else {
            self.out.push_str(&" ".repeat(self.indent));
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Goes one level down into a field of this type: into a list item or a map entry.
    fn open(&mut self, type_name: &str) {
        self.indent += 2;
        let mut rest = type_name;
        loop {
            if let Some(inner) = rest.strip_prefix("[]") {
                self.indent += 2;
                self.dash = true;
                rest = inner;
            } else if let Some(inner) = rest.strip_prefix("map[string]") {
                self.line(&format!("{KEY}:"));
                self.indent += 2;
                rest = inner;
            } else {
                break;
            }
        }
    }
}

fn leaf_yaml(field: &Field, lines: &mut Lines) {
    let name = field.name();
    let value = field.example.as_ref().or(field.default.as_ref());
    let element = field
        .type_name
        .trim_start_matches("[]")
        .trim_start_matches("map[string]");
    if let Some(value) = value {
        lines.line(&format!("{name}: {}", yaml_value(value)));
    } else if element == "object" {
        lines.line(&format!("{name}:"));
        lines.open(&field.type_name);
        let required: Vec<&Child> = field.children.iter().filter(|c| c.required).collect();
        let shown = match required.is_empty() {
            true => field.children.iter().take(1).collect(),
            false => required,
        };
        if shown.is_empty() {
            lines.line("{}");
        }
        for child in shown {
            let path = format!("{}.{}", field.path, child.name);
            let value = reference()
                .fields
                .iter()
                .find(|f| f.path == path)
                .map(sample)
                .unwrap_or_else(|| placeholder(&child.type_name));
            lines.line(&format!("{}: {value}", child.name));
        }
    } else if field.type_name != element {
        let value = field
            .values
            .first()
            .cloned()
            .unwrap_or_else(|| placeholder(element));
        lines.line(&format!("{name}:"));
        lines.indent += 2;
        match field.type_name.starts_with("[]") {
            true => lines.line(&format!("- {value}")),
            false => lines.line(&format!("{KEY}: {value}")),
        }
    } else {
        let value = field
            .values
            .first()
            .cloned()
            .unwrap_or_else(|| placeholder(&field.type_name));
        lines.line(&format!("{name}: {value}"));
    }
}

/// A field's value on one line: its example, default or first allowed value, else a
/// placeholder of its type.
fn sample(field: &Field) -> String {
    match field.example.as_ref().or(field.default.as_ref()) {
        Some(value) => yaml_value(value),
        None => field
            .values
            .first()
            .cloned()
            .unwrap_or_else(|| placeholder(&field.type_name)),
    }
}

/// A value on one line: a string as YAML reads it back, anything else in JSON flow style.
fn yaml_value(value: &Value) -> String {
    match value {
        Value::String(text) => yaml_scalar(text),
        other => inline_value(other),
    }
}

fn yaml_scalar(value: &str) -> String {
    let quote = value.is_empty()
        || value.parse::<f64>().is_ok()
        || matches!(
            value,
            "true" | "false" | "null" | "yes" | "no" | "on" | "off"
        )
        || value.contains(": ")
        || value.contains(" #")
        || value.starts_with([
            '*', '&', '!', '{', '[', '#', '@', '%', '`', '"', '\'', '-', '?', '|', '>',
        ]);
    match quote {
        true => format!("{value:?}"),
        false => value.to_owned(),
    }
}

fn placeholder(type_name: &str) -> String {
    match type_name {
        t if t.starts_with("[]") => "[]".to_owned(),
        t if t.starts_with("map[string]") || t == "object" => "{}".to_owned(),
        t => format!("<{}>", t.trim_start_matches('(').trim_end_matches(')')),
    }
}
