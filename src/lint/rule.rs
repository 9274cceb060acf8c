//! What a lint rule is: a unit struct whose doc comment is its user documentation (kept as
//! `DOCS` by [`rule!`]), checking either the object set or the blueprint.

use crate::load::Loaded;
use crate::model::Object;
use crate::xref::index::Index;

/// The headings every rule's documentation has, in this order.
pub const HEADINGS: [&str; 4] = [
    "## What it does",
    "## Why it matters",
    "## How to fix",
    "## Example",
];

/// One place a rule fires, before the runner adds the rule's id and severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the object (object rules) — unused by blueprint rules.
    pub object: usize,
    /// JSON pointer inside the object, or inside the blueprint for blueprint rules.
    pub pointer: String,
    pub message: String,
    pub help: Option<String>,
}

impl Hit {
    pub fn new(object: usize, pointer: impl Into<String>, message: impl Into<String>) -> Hit {
        Hit {
            object,
            pointer: pointer.into(),
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Hit {
        self.help = Some(help.into());
        self
    }
}

/// A lint rule. Object rules look at the expanded objects (or a manifest set); blueprint
/// rules at the blueprint itself, for what no object shows (literal secret values).
pub trait Rule: Sync {
    fn check(&self, _objects: &[Object]) -> Vec<Hit> {
        Vec::new()
    }

    /// The same over a set whose [`Index`] is built already (`review::findings` builds one
    /// for the reference checks). A rule that looks objects up overrides this one, lets
    /// `check` build the index, and says so with [`Rule::uses_index`]; the runner calls this
    /// only for such rules. Building an index is a pass over every object's body.
    fn check_indexed(&self, index: &Index<'_>) -> Vec<Hit> {
        self.check(index.objects)
    }

    /// Whether the rule overrides [`Rule::check_indexed`]: the runner then waits for the
    /// index, and runs the other rules meanwhile (`lint::with_index`, `lint::without_index`).
    fn uses_index(&self) -> bool {
        false
    }

    /// Whether the rule judges each object on its own, no other object of the set mattering.
    /// The runner then hands such rules the set a slice at a time, every rule on one slice
    /// before the next, so that the slice's objects are read from the cache after the first
    /// rule instead of from memory by every rule (`lint::run`). A rule that relates objects
    /// to each other (a LimitRange's defaults, a namespace's policies) keeps the default.
    fn per_object(&self) -> bool {
        false
    }

    fn check_blueprint(&self, _loaded: &Loaded) -> Vec<Hit> {
        Vec::new()
    }
}

/// Declares a rule struct and keeps its doc comment as `DOCS`, so the comment rustdoc shows
/// and the text `kforge rules` prints are one and the same.
macro_rules! rule {
    ($(#[doc = $doc:literal])* pub struct $name:ident;) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl $name {
            /// The rule's documentation (its doc comment).
            pub const DOCS: &'static str = concat!($($doc, "\n"),*);
        }
    };
}
pub(crate) use rule;

/// Docs as written: the one space rustdoc keeps after `///` removed from every line.
pub fn docs_text(docs: &str) -> String {
    docs.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// The first sentence under "What it does": the one-line summary `kforge rules` lists.
pub fn summary(docs: &str) -> String {
    let text = docs_text(docs);
    let after = text
        .split_once(HEADINGS[0])
        .map_or(text.as_str(), |(_, rest)| rest);
    let paragraph: Vec<&str> = after
        .trim_start()
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let joined = paragraph.join(" ");
    match joined.find(". ") {
        Some(end) => joined[..=end].to_owned(),
        None => joined,
    }
}
