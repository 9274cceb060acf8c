//! Imports between kforge's modules point one way. Every `crate::` (and `super::`) path in
//! `src/` is read, outside comments and string literals, and checked twice:
//!
//! - between top-level modules, against [`LAYERS`]: a module may use only modules on a lower
//!   line of the table (never a peer on its own line, never one above);
//! - between files (a module is a file), for cycles: a file may use its own ancestors (a
//!   child reaches its parent's shared helpers), but apart from those edges the graph of
//!   files is acyclic.
//!
//! A failure lists every offending `file: crate::path`, or the cycle.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules from the bottom up, one line per layer. A module may import the
/// modules of lower lines only. A listed module without files is allowed (work in flight).
const LAYERS: &[(&[&str], &str)] = &[
    (
        &["json", "suggest"],
        "leaves: JSON pointers and canonical JSON, did-you-mean",
    ),
    (
        &["diagnostic"],
        "what a user's mistake looks like, with spans; nothing of kforge's stages",
    ),
    (
        &["finding", "selector"],
        "a finding inside an object; Kubernetes and Calico label selectors",
    ),
    (
        &["model"],
        "the shared object model: Object and its identity, manifests, pod templates, Calico types, name rules, field paths",
    ),
    (
        &["load"],
        "text to typed blueprint; the blueprint types and the questions asked of them",
    ),
    (&["emit"], "objects to canonical YAML: needs only the model"),
    (
        &["overlay", "secrets"],
        "overlays merge parsed documents (`show` prints through emit); SOPS sealing of emitted text",
    ),
    (&["xref"], "references between objects, over the model only"),
    (
        &["lint"],
        "rules over objects (using xref's index) and the blueprint; the one table of rule ids",
    ),
    (
        &["addons"],
        "spec.addons as apps of the blueprint model, plus the typed objects apps cannot express",
    ),
    (
        &["check"],
        "blueprint rules a schema cannot state; knows the lint ids and age recipients",
    ),
    (
        &["expand", "bootstrap"],
        "checked blueprint to objects (writing the lint-allow annotation in lint's format); \
         node bootstrap files and the cluster CA from spec.cluster",
    ),
    (
        &["review", "validate", "delivery"],
        "xref and lint over a blueprint's objects; schemas of the cluster over any objects; Flux and Argo CD objects and the order of the objects",
    ),
    (
        &["diff"],
        "two versions of the rendered trees compared: objects, files, Secret keys; printed as text, markdown, JSON",
    ),
    (
        &["synthetic"],
        "benchmark blueprints, checked and expanded to prove them valid",
    ),
    (&["write"], "the only writer of `out/`"),
    (
        &["pipeline"],
        "planning, compiling and rendering a run of every stage",
    ),
    (
        &["git", "live"],
        "the IO edges to git (a revision as a Source, committing the output) and to a cluster (dry-run applies for diff --live)",
    ),
    (&["cli"], "the edge: arguments, files, terminal, exit codes"),
];

/// One reference found in a file: the path as written (after `crate::`, or resolved from
/// `super::`) as module segments.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    /// The path from the crate root, e.g. `["xref", "index", "Index"]`.
    path: Vec<String>,
    /// How it was written, for messages.
    written: String,
}

/// Rust source with comments, string and character literals blanked out (replaced by
/// spaces, so that nothing inside them looks like a path).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && !is_ident(chars.get(i.wrapping_sub(1)))
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|h| chars.get(j + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{1F600}'), or else a lifetime.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Tokens of code (comments and literals already blanked): identifiers, `::`, and single
/// punctuation characters.
fn tokens(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            i += 1;
            while is_ident(chars.get(i)) {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// Every path a use tree starting at `tokens[at]` names, each as its segments, appended to
/// `prefix`; returns the index after the tree. Handles `a::b`, `a::{b, c::{d, e}}`,
/// `a::b as c`, `a::*` and `self` inside a group.
fn use_tree(
    tokens: &[String],
    mut at: usize,
    prefix: &[String],
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix.to_vec();
    loop {
        match tokens.get(at).map(String::as_str) {
            Some("{") => {
                at += 1;
                loop {
                    match tokens.get(at).map(String::as_str) {
                        Some("}") => return at + 1,
                        Some(",") => at += 1,
                        None => return at,
                        _ => at = use_tree(tokens, at, &path, out),
                    }
                }
            }
            Some("self") if !path.is_empty() => {
                out.push(path);
                return at + 1;
            }
            Some("*") => {
                out.push(path);
                return at + 1;
            }
            Some(word) if is_ident(word.chars().next().as_ref()) => {
                path.push(word.to_owned());
                at += 1;
                match tokens.get(at).map(String::as_str) {
                    Some("::") => at += 1,
                    Some("as") => {
                        out.push(path);
                        return at + 2;
                    }
                    _ => {
                        out.push(path);
                        return at;
                    }
                }
            }
            _ => {
                if path.len() > prefix.len() {
                    out.push(path);
                }
                return at;
            }
        }
    }
}

/// The module path of a source file: `src/xref/index.rs` -> `xref::index`,
/// `src/xref/mod.rs` -> `xref`, `src/cli.rs` -> `cli`, `src/lib.rs` -> the root.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts
}

/// Every `crate::`/`$crate::` and `super::` reference of a file whose module path is
/// `module`, resolved to a path from the crate root. Inline modules (`mod tests { .. }`)
/// are followed, so `super::` inside one means the file itself.
fn references(module: &[String], source: &str) -> Vec<Reference> {
    let tokens = tokens(&code_only(source));
    let mut out = Vec::new();
    // Inline modules entered: (name, brace depth at which they close).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth: usize = 0;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i].as_str();
        match token {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(i + 2).map(String::as_str) == Some("{") => {
                inline.push((tokens[i + 1].clone(), depth));
            }
            _ => {}
        }
        let after_colons = tokens.get(i + 1).map(String::as_str) == Some("::");
        let preceded_by_colons = i > 0 && tokens[i - 1] == "::";
        if after_colons && !preceded_by_colons && matches!(token, "crate" | "$crate" | "super") {
            let mut base: Vec<String> = Vec::new();
            let mut at = i;
            if token == "super" {
                base = module.to_vec();
                base.extend(inline.iter().map(|(name, _)| name.clone()));
                while tokens.get(at).map(String::as_str) == Some("super")
                    && tokens.get(at + 1).map(String::as_str) == Some("::")
                {
                    base.pop();
                    at += 2;
                }
            } else {
                at += 2;
            }
            let mut paths = Vec::new();
            let end = use_tree(&tokens, at, &base, &mut paths);
            for path in paths {
                let written = match token {
                    "super" => format!("super:: (crate::{})", path.join("::")),
                    _ => format!("crate::{}", path.join("::")),
                };
                out.push(Reference { path, written });
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

/// A file of `src/` and what it refers to.
struct SourceFile {
    relative: String,
    module: Vec<String>,
    references: Vec<Reference>,
}

fn scan() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(&root).unwrap();
        // main.rs is its own crate, which reaches the library as `kforge::`.
        if relative == Path::new("main.rs") {
            continue;
        }
        let source = std::fs::read_to_string(path).unwrap();
        let module = module_of(relative);
        files.push(SourceFile {
            relative: relative.display().to_string(),
            references: references(&module, &source),
            module,
        });
    }
    files
}

/// The layer of each top-level module (0 at the bottom).
fn layer_of() -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for (layer, (modules, _)) in LAYERS.iter().enumerate() {
        for module in *modules {
            assert!(
                out.insert(*module, layer).is_none(),
                "`{module}` is listed twice in LAYERS"
            );
        }
    }
    out
}

/// The longest prefix of `path` that is a module with its own file.
fn target_module(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

/// Edges between files as module paths, without the edges from a file into itself or into
/// one of its ancestors.
fn file_graph(files: &[SourceFile]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let from = file.module.join("::");
        let targets = graph.entry(from).or_default();
        for reference in &file.references {
            let to = target_module(&reference.path, &modules);
            if file.module.starts_with(&to) {
                continue;
            }
            targets.insert(to.join("::"));
        }
    }
    graph
}

/// A cycle of the graph, as the nodes along it (the first repeated at the end), if any.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, State>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(State::Done) => return None,
            Some(State::Open) => {
                let start = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(node.to_owned(), State::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.to_owned(), State::Done);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(node, graph, &mut state, &mut stack) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn top_level_modules_import_only_lower_layers() {
    let layers = layer_of();
    let files = scan();
    let mut offences = Vec::new();
    for file in &files {
        let Some(from) = file.module.first() else {
            continue;
        };
        let Some(&from_layer) = layers.get(from.as_str()) else {
            offences.push(format!(
                "{}: module `{from}` is not in LAYERS",
                file.relative
            ));
            continue;
        };
        for reference in &file.references {
            let Some(to) = reference.path.first() else {
                continue;
            };
            if to == from {
                continue;
            }
            match layers.get(to.as_str()) {
                Some(&to_layer) if to_layer < from_layer => {}
                Some(&to_layer) => offences.push(format!(
                    "{}: {} ({from} may not import {to}: {})",
                    file.relative,
                    reference.written,
                    if to_layer == from_layer {
                        "a peer on its own layer"
                    } else {
                        "a higher layer"
                    }
                )),
                None => offences.push(format!(
                    "{}: {} (`{to}` is not a module in LAYERS)",
                    file.relative, reference.written
                )),
            }
        }
    }
    offences.sort();
    offences.dedup();
    assert!(
        offences.is_empty(),
        "imports against the layer table in tests/layers.rs:\n{}",
        offences.join("\n")
    );
}

#[test]
fn files_import_each_other_without_cycles() {
    let graph = file_graph(&scan());
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle between files: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_scan_sees_the_real_imports() {
    let files = scan();
    let edges: BTreeSet<(String, String)> = files
        .iter()
        .flat_map(|f| {
            f.references.iter().filter_map(|r| {
                let from = f.module.first()?;
                let to = r.path.first()?;
                (from != to).then(|| (from.clone(), to.clone()))
            })
        })
        .collect();
    assert!(edges.len() > 50, "only {} edges: {edges:?}", edges.len());
    assert!(edges.contains(&("expand".to_owned(), "model".to_owned())));
    assert!(edges.contains(&("cli".to_owned(), "write".to_owned())));
    let graph = file_graph(&files);
    assert!(graph["xref::config"].contains("model::pods"), "{graph:?}");
    // Every top-level module of src/ has its line in the table.
    let layers = layer_of();
    for file in &files {
        if let Some(top) = file.module.first() {
            assert!(layers.contains_key(top.as_str()), "{top} is not in LAYERS");
        }
    }
}

#[test]
fn grouped_inline_and_commented_paths() {
    let source = r#"
//! Uses [`crate::nowhere`] in a doc comment.
use crate::{a::b, c::{d, e::{f as g, self}}, h::*};
use crate::model::Object;
/* crate::block::comment */
fn f() {
    let text = "crate::in::a::string";
    let c = '"';
    crate::inline::call(x);
    let y: Vec<crate::typed::Path<'static>> = Vec::new();
    other::crate::not_ours();
}
mod tests {
    use super::*;
    use super::super::sibling::Thing;
}
"#;
    let found: Vec<String> = references(&["top".into(), "file".into()], source)
        .into_iter()
        .map(|r| r.path.join("::"))
        .collect();
    assert_eq!(
        found,
        vec![
            "a::b",
            "c::d",
            "c::e::f",
            "c::e",
            "h",
            "model::Object",
            "inline::call",
            "typed::Path",
            "top::file",
            "top::sibling::Thing",
        ]
    );
    assert_eq!(module_of(Path::new("xref/mod.rs")), vec!["xref"]);
    assert_eq!(module_of(Path::new("cli.rs")), vec!["cli"]);
    assert_eq!(
        module_of(Path::new("lint/rules/mod.rs")),
        vec!["lint", "rules"]
    );
}

#[test]
fn a_cycle_is_found_except_through_ancestors() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            g.entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
            g.entry((*to).to_owned()).or_default();
        }
        g
    };
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("a", "c"), ("b", "c")])),
        None
    );
    // A child using its parent is no edge at all; the parent using the child remains.
    let files = [
        SourceFile {
            relative: "x/mod.rs".into(),
            module: vec!["x".into()],
            references: vec![Reference {
                path: vec!["x".into(), "child".into(), "Item".into()],
                written: "crate::x::child::Item".into(),
            }],
        },
        SourceFile {
            relative: "x/child.rs".into(),
            module: vec!["x".into(), "child".into()],
            references: vec![Reference {
                path: vec!["x".into(), "Ctx".into()],
                written: "super::Ctx".into(),
            }],
        },
    ];
    let g = file_graph(&files);
    assert_eq!(g["x"], BTreeSet::from(["x::child".to_owned()]));
    assert!(g["x::child"].is_empty());
    assert_eq!(find_cycle(&g), None);
}
