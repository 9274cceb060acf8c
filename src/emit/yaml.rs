//! The YAML writer behind every file kforge emits: block style, two-space indentation, a
//! sequence's items indented under their key, multi-line strings as literal blocks, and a
//! string quoted whenever a YAML 1.1 reader (kubectl, client-go, PyYAML) or a YAML 1.2 reader
//! would take it for anything but that string.
//!
//! It writes straight from the tree into one `String`: emitting is the costliest step of a
//! render after validation, and a general emitter spent most of its time deciding quotes
//! (see ARCHITECTURE.md, choices). The layout is the one yaml-rust2's emitter produced, so
//! files written before did not change; where that emitter lost data (a literal block whose
//! first line starts with a space, trailing blank lines, lone control characters) this one
//! quotes instead.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// One node of a tree to write. Implemented for `serde_json::Value` (objects, sorted maps)
/// and for yaml-rust2's `Yaml` (SOPS files, whose key order is part of their MAC).
pub trait Node: Sized {
    fn shape(&self) -> Shape<'_, Self>;
    /// A map's entries in the order they are written (`shape` said `Map`).
    fn entries(&self) -> Vec<(&str, &Self)>;
}

/// What a node is, as the writer needs to know it.
pub enum Shape<'a, N> {
    /// Left out of the output: nulls (as map values and list items) and empty lists.
    Absent,
    Bool(bool),
    Int(i64),
    /// A number written as its text (floats).
    Real(String),
    Str(&'a str),
    Seq(&'a [N]),
    Map,
}

impl Node for Value {
    fn shape(&self) -> Shape<'_, Self> {
        match self {
            Value::Null => Shape::Absent,
            Value::Bool(b) => Shape::Bool(*b),
            // A whole float is written as an integer (`order: 100`, as kubectl prints it).
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Shape::Int(i),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Shape::Int(f as i64),
                _ => Shape::Real(n.to_string()),
            },
            Value::String(s) => Shape::Str(s),
            Value::Array(items) => Shape::Seq(items),
            Value::Object(_) => Shape::Map,
        }
    }

    fn entries(&self) -> Vec<(&str, &Self)> {
        // Every map is written in key order.
        self.as_object()
            .map(crate::json::sorted)
            .unwrap_or_default()
    }
}

impl Node for yaml_rust2::Yaml {
    fn shape(&self) -> Shape<'_, Self> {
        use yaml_rust2::Yaml;
        match self {
            Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Shape::Absent,
            Yaml::Boolean(b) => Shape::Bool(*b),
            Yaml::Integer(i) => Shape::Int(*i),
            Yaml::Real(r) => Shape::Real(r.clone()),
            Yaml::String(s) => Shape::Str(s),
            Yaml::Array(items) => Shape::Seq(items),
            Yaml::Hash(_) => Shape::Map,
        }
    }

    fn entries(&self) -> Vec<(&str, &Self)> {
        // Only string keys are written; SOPS files have no other kind.
        self.as_hash()
            .into_iter()
            .flat_map(|hash| hash.iter().filter_map(|(k, v)| k.as_str().map(|k| (k, v))))
            .collect()
    }
}

/// A tree of borrowed strings, written as a `serde_json::Value` of the same shape would be
/// (maps in key order): for files kforge writes from its own lists, such as a kustomization
/// naming every file of the tree, without copying each string into a `Value` first.
pub enum Plain<'a> {
    Str(&'a str),
    Seq(Vec<Plain<'a>>),
    Map(Vec<(&'a str, Plain<'a>)>),
}

impl Node for Plain<'_> {
    fn shape(&self) -> Shape<'_, Self> {
        match self {
            Plain::Str(s) => Shape::Str(s),
            Plain::Seq(items) => Shape::Seq(items),
            Plain::Map(_) => Shape::Map,
        }
    }

    fn entries(&self) -> Vec<(&str, &Self)> {
        let mut entries: Vec<(&str, &Self)> = match self {
            Plain::Map(entries) => entries.iter().map(|(k, v)| (*k, v)).collect(),
            _ => Vec::new(),
        };
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        entries
    }
}

/// Writes one document (without `---`), ending in a newline. The keys in `first` come first
/// at the top level, in that order; every other map keeps its own order.
pub fn document<N: Node>(root: &N, first: &[&str], out: &mut String) {
    match root.shape() {
        Shape::Map => {
            let entries = root.entries();
            let mut ordered: Vec<(&str, &N)> = Vec::with_capacity(entries.len());
            for key in first {
                if let Some(entry) = entries.iter().find(|(k, _)| k == key) {
                    ordered.push(*entry);
                }
            }
            ordered.extend(entries.iter().filter(|(k, _)| !first.contains(k)));
            map(ordered, 0, out);
        }
        _ => node(root, 0, out),
    }
    out.push('\n');
}

/// Whether a node is written at all.
fn present<N: Node>(node: &N) -> bool {
    match node.shape() {
        Shape::Absent => false,
        Shape::Seq(items) => items.iter().any(present),
        _ => true,
    }
}

/// A node whose first line continues the current one (after `key: ` or `- `); `level` is the
/// indentation level of the line it starts on, so its own lines sit one level deeper.
fn node<N: Node>(node: &N, level: usize, out: &mut String) {
    match node.shape() {
        Shape::Absent => out.push('~'),
        Shape::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Shape::Int(i) => out.push_str(itoa::Buffer::new().format(i)),
        Shape::Real(r) => out.push_str(&r),
        Shape::Str(s) => string(s, level, out),
        Shape::Seq(items) => sequence(items, level + 1, out),
        Shape::Map => map(node.entries(), level + 1, out),
    }
}

fn sequence<N: Node>(items: &[N], level: usize, out: &mut String) {
    let mut first = true;
    for item in items.iter().filter(|i| present(*i)) {
        if !first {
            newline(level, out);
        }
        first = false;
        // An item's map or list starts on the dash's line.
        out.push_str("- ");
        node(item, level, out);
    }
    if first {
        out.push_str("[]");
    }
}

fn map<N: Node>(entries: Vec<(&str, &N)>, level: usize, out: &mut String) {
    let mut first = true;
    for (key, value) in entries {
        if !present(value) {
            continue;
        }
        if !first {
            newline(level, out);
        }
        first = false;
        scalar(key, out);
        out.push(':');
        match value.shape() {
            Shape::Map => {
                let entries = value.entries();
                if entries.iter().any(|(_, v)| present(*v)) {
                    newline(level + 1, out);
                    map(entries, level + 1, out);
                } else {
                    out.push_str(" {}");
                }
            }
            Shape::Seq(items) => {
                newline(level + 1, out);
                sequence(items, level + 1, out);
            }
            _ => {
                out.push(' ');
                node(value, level, out);
            }
        }
    }
    if first {
        out.push_str("{}");
    }
}

fn newline(level: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// A string value: a literal block when it spans lines and a literal block can hold it
/// exactly, else plain or double-quoted.
fn string(s: &str, level: usize, out: &mut String) {
    if s.contains('\n') && literal_block_holds(s) {
        out.push_str(if s.ends_with('\n') { "|" } else { "|-" });
        for line in s.lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                newline(level + 1, out);
                out.push_str(line);
            }
        }
    } else {
        scalar(s, out);
    }
}

/// Whether `|` or `|-` with the indentation found from the first line reads back as `s`.
fn literal_block_holds(s: &str) -> bool {
    let printable = s.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\x20'..='\x7e' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
            && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
    });
    // The block's indentation is taken from its first non-empty line, so that line may not
    // start with white space; clipping keeps one final line break, so there may not be two.
    let first_line = s.lines().find(|l| !l.is_empty());
    printable && first_line.is_some_and(|l| !l.starts_with([' ', '\t'])) && !s.ends_with("\n\n")
}

/// A key or a one-line string: plain when every reader takes it for this string, else
/// double-quoted.
fn scalar(s: &str, out: &mut String) {
    if needs_quotes(s) {
        quoted(s, out);
    } else {
        out.push_str(s);
    }
}

/// Characters that make a plain scalar mean something else anywhere in it.
const fn is_special(c: char) -> bool {
    matches!(
        c,
        ':' | '{' | '}' | '[' | ']' | ',' | '#' | '`' | '"' | '\'' | '\\'
    ) || is_escaped(c)
}

/// The ASCII characters [`is_special`] accepts, as a table: this check runs on every key and
/// string of every object.
const SPECIAL_ASCII: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = is_special(b as u8 as char);
        b += 1;
    }
    table
};

fn has_special(s: &str) -> bool {
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if b >= 0x80 {
            // The first non-ASCII byte starts a character: check the rest by characters.
            return s[i..].chars().any(is_special);
        }
        if SPECIAL_ASCII[b as usize] {
            return true;
        }
    }
    false
}

/// Characters written as escapes inside double quotes: controls, and what YAML 1.1 reads
/// as a line break or a byte-order mark.
const fn is_escaped(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Words YAML 1.1 or 1.2 resolves to booleans or null, and the merge and value keys.
fn is_reserved_word(s: &str) -> bool {
    matches!(
        s,
        "true"
            | "false"
            | "True"
            | "False"
            | "TRUE"
            | "FALSE"
            | "null"
            | "Null"
            | "NULL"
            | "~"
            | "y"
            | "Y"
            | "n"
            | "N"
            | "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "<<"
            | "="
    )
}

fn needs_quotes(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    if first == ' ' || s.ends_with(' ') {
        return true;
    }
    // Indicators, and the signs and dot numbers start with.
    if matches!(
        first,
        '&' | '*' | '?' | '|' | '-' | '<' | '>' | '=' | '!' | '%' | '@' | '.' | '+'
    ) {
        return true;
    }
    if has_special(s) {
        return true;
    }
    if s.len() <= 5 && is_reserved_word(s) {
        return true;
    }
    // Only strings that start like a number can read as one (signs and dots are quoted
    // above); `inf`, `infinity` and `nan` in any case read as floats to Rust and Go.
    if first.is_ascii_digit() {
        return s.starts_with("0x")
            || s.starts_with("0o")
            || s.parse::<f64>().is_ok()
            || (s.bytes().all(|b| {
                b.is_ascii_hexdigit() || matches!(b, b'_' | b'x' | b'o' | b'.' | b'+' | b'-')
            }) && number_or_date().is_match(s));
    }
    matches!(first, 'i' | 'I' | 'n' | 'N') && s.len() <= 8 && s.parse::<f64>().is_ok()
}

/// Numbers and dates that YAML 1.1 (PyYAML, go-yaml v2 as used by kubectl) or YAML 1.2 read,
/// beyond what Rust's own number parsing accepts: `1_000`, `0b101`, `0o17`, `+.inf`,
/// `2024-01-31`.
fn number_or_date() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(concat!(
            r"^(?:",
            r"[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)",
            r"|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?",
            r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+",
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}",
            r")$"
        ))
        .unwrap_or_else(|_| Regex::new("^$").unwrap_or_else(|_| unreachable!()))
    })
}

fn quoted(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\x08' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\x0c' => "\\f",
            '\r' => "\\r",
            '\u{85}' => "\\N",
            '\u{2028}' => "\\L",
            '\u{2029}' => "\\P",
            c if is_escaped(c) => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push_str(escape);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn text(value: &Value) -> String {
        let mut out = String::new();
        document(value, &["apiVersion", "kind", "metadata"], &mut out);
        out
    }

    /// A key or one-line string as written.
    fn scalar_text(s: &str) -> String {
        let mut out = String::new();
        scalar(s, &mut out);
        out
    }

    #[test]
    fn the_layout_is_block_style_with_sequences_indented_under_their_key() {
        let value = json!({
            "spec": {"ports": [{"name": "http", "port": 80}], "empty": {}, "gone": null, "none": [null]},
            "kind": "Service", "apiVersion": "v1", "metadata": {"name": "web"},
            "data": {"conf": "a\nb\n", "strip": "a\nb"},
            "list": [[1, 2], "x"],
        });
        assert_eq!(
            text(&value),
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\ndata:\n  conf: |\n    a\n    b\n  strip: |-\n    a\n    b\nlist:\n  - - 1\n    - 2\n  - x\nspec:\n  empty: {}\n  ports:\n    - name: http\n      port: 80\n"
        );
    }

    #[test]
    fn strings_other_readers_would_resolve_are_quoted() {
        for s in [
            "",
            " a",
            "a ",
            "yes",
            "off",
            "~",
            "null",
            "<<",
            "=",
            "1",
            "-1",
            "+1",
            "0777",
            "0x1F",
            "1.5",
            ".5",
            "1e3",
            "inf",
            "NaN",
            "1_000",
            "0b101",
            "0o17",
            "+.inf",
            "2024-01-31",
            "a: b",
            "a #b",
            "*x",
            "&x",
            "!t",
            "- x",
            "@x",
            "`x",
            "\u{7}",
            "a\u{1b}b",
            "\u{85}",
            "x\u{2028}y",
            "\u{feff}",
        ] {
            let out = scalar_text(s);
            assert!(out.starts_with('"'), "{s:?} was written as {out}");
        }
        for s in [
            "web",
            "1.27.2",
            "nginx",
            "100m",
            "1Gi",
            "a-b",
            "a.b",
            "ok?",
            "x=y",
            "10.0.0.0/8",
            "é",
        ] {
            assert_eq!(scalar_text(s), s);
        }
    }

    #[test]
    fn escapes_are_yaml_escapes() {
        assert_eq!(
            scalar_text("a\"b\\c\td\u{7}\u{85}"),
            r#""a\"b\\c\td\u0007\N""#
        );
    }

    #[test]
    fn multi_line_strings_a_literal_block_would_change_are_quoted() {
        for s in ["  indented\nnext", "\n", "a\n\n", "a\r\nb", "\n  x"] {
            let mut out = String::new();
            string(s, 1, &mut out);
            assert!(out.starts_with('"'), "{s:?} was written as {out}");
        }
        let mut out = String::new();
        string("\nfirst\n\n  indented later\n", 1, &mut out);
        assert_eq!(out, "|\n\n    first\n\n      indented later");
    }

    /// Strings built from the characters that matter to YAML, plus words readers resolve.
    fn tricky_string() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9 :#.\\-_+~&*!|>%@`'\"{}\\[\\],=?\n\té]{0,10}",
            "[0-9+.eE_xob-]{1,8}",
            proptest::sample::select(vec![
                "yes",
                "No",
                "on",
                "OFF",
                "~",
                "null",
                "true",
                "0x1F",
                "1_000",
                "0o17",
                "+.inf",
                "2024-01-31",
                "1e3",
                ".5",
                "inf",
                "a\n\nb\n",
                "  x\ny",
                "\n",
                "a\r\nb",
                "\u{85}",
                "x\u{2028}",
                "\u{7}",
                "\u{1b}",
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            tricky_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map(tricky_string(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// What the file must read back as: nulls and empty lists left out.
    fn written(value: &Value) -> Option<Value> {
        match value {
            Value::Null => None,
            Value::Array(items) => {
                let items: Vec<Value> = items.iter().filter_map(written).collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            Value::Object(map) => Some(Value::Object(
                map.iter()
                    .filter_map(|(k, v)| written(v).map(|v| (k.clone(), v)))
                    .collect(),
            )),
            other => Some(other.clone()),
        }
    }

    /// The same tree as yaml-rust2 holds it, for its emitter.
    fn as_yaml(value: &Value) -> Option<yaml_rust2::Yaml> {
        use yaml_rust2::Yaml;
        Some(match written(value)? {
            Value::Bool(b) => Yaml::Boolean(b),
            Value::Number(n) => Yaml::Integer(n.as_i64()?),
            Value::String(s) => Yaml::String(s),
            Value::Array(items) => Yaml::Array(items.iter().filter_map(as_yaml).collect()),
            // In the order this writer uses: by key.
            Value::Object(map) => Yaml::Hash(
                crate::json::sorted(&map)
                    .into_iter()
                    .filter_map(|(k, v)| Some((Yaml::String(k.to_owned()), as_yaml(v)?)))
                    .collect(),
            ),
            Value::Null => return None,
        })
    }

    /// Whether yaml-rust2's emitter wrote `s` so that it read back as something else, which
    /// this writer does differently on purpose.
    fn yaml_rust2_lost(s: &str) -> bool {
        s.chars()
            .any(|c| is_escaped(c) && !matches!(c, '\t' | '\n'))
            || (s.contains('\n') && !literal_block_holds(s))
            || number_or_date().is_match(s)
            || s.starts_with(['+', '.'])
            || s.starts_with("0o")
            || matches!(s, "<<" | "=")
    }

    /// The tree with every string yaml-rust2's emitter got wrong replaced by one it got right
    /// (a key with a line break included: it wrote that as a literal block).
    fn without_losses(value: &Value) -> Value {
        let fix = |s: &str| {
            if yaml_rust2_lost(s) {
                format!("lost-{}", s.len())
            } else {
                s.to_owned()
            }
        };
        match value {
            Value::String(s) => Value::String(fix(s)),
            Value::Array(items) => Value::Array(items.iter().map(without_losses).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let key = if k.contains('\n') {
                            format!("key-{}", k.len())
                        } else {
                            fix(k)
                        };
                        (key, without_losses(v))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Every tree reads back as itself, with YAML 1.2 (yaml-rust2) and serde_yaml.
        #[test]
        fn what_is_written_reads_back_the_same(body in proptest::collection::btree_map(tricky_string(), tree(), 0..6)) {
            let value = Value::Object(body.into_iter().collect());
            let text = text(&value);
            let expected = written(&value).unwrap_or_default();
            let read: Value = serde_yaml::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(&read, &expected, "{}", text);
            let docs = yaml_rust2::YamlLoader::load_from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(docs.len(), 1);
            prop_assert_eq!(from_yaml(&docs[0]), expected, "{}", text);
        }

        /// Where yaml-rust2's emitter was right, the files are byte for byte what it wrote.
        #[test]
        fn the_layout_is_the_one_yaml_rust2_wrote(body in proptest::collection::btree_map(tricky_string(), tree(), 0..6)) {
            let value = without_losses(&Value::Object(body.into_iter().collect()));
            let Some(yaml) = as_yaml(&value) else { return Ok(()) };
            let mut theirs = String::new();
            let mut emitter = yaml_rust2::YamlEmitter::new(&mut theirs);
            emitter.multiline_strings(true);
            emitter.dump(&yaml).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let theirs = theirs.strip_prefix("---\n").or_else(|| theirs.strip_prefix("---")).unwrap_or(&theirs).trim_start_matches(' ');
            // yaml-rust2 indented the empty lines of literal blocks; this writer does not.
            let normal = |text: &str| -> Vec<String> {
                text.lines().map(|l| if l.trim().is_empty() { String::new() } else { l.to_owned() }).collect()
            };
            let theirs = normal(theirs);
            let mut ours = String::new();
            document(&value, &[], &mut ours);
            let ours = normal(&ours);
            prop_assert_eq!(ours, theirs);
        }
    }

    fn from_yaml(yaml: &yaml_rust2::Yaml) -> Value {
        use yaml_rust2::Yaml;
        match yaml {
            Yaml::Boolean(b) => Value::Bool(*b),
            Yaml::Integer(i) => Value::from(*i),
            Yaml::String(s) => Value::String(s.clone()),
            Yaml::Array(items) => Value::Array(items.iter().map(from_yaml).collect()),
            Yaml::Hash(hash) => Value::Object(
                hash.iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().unwrap_or("?not a string key?").to_owned(),
                            from_yaml(v),
                        )
                    })
                    .collect(),
            ),
            other => Value::String(format!("?{other:?}?")),
        }
    }
}
