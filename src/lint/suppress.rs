//! Suppression in raw manifests: the annotation `kforge.io/lint-allow: "KF301: reason"`, with
//! several entries separated by commas or newlines. An entry without a reason, or naming no
//! known rule, suppresses nothing and is a finding itself.

use std::collections::BTreeSet;

use super::codes::{known, lookup};
use crate::expand::Object;
use crate::finding::Finding;
use crate::pods::escape;
use crate::suggest;

pub const ANNOTATION: &str = "kforge.io/lint-allow";
/// The rule name of findings about the annotation itself.
pub const RULE: &str = "lint-allow";

/// The rule ids an object's annotation allows; problems with the annotation go to `out`.
pub fn allowed(index: usize, object: &Object, out: &mut Vec<Finding>) -> BTreeSet<&'static str> {
    let mut ids = BTreeSet::new();
    let Some(text) = object
        .body
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(ANNOTATION))
        .and_then(|v| v.as_str())
    else {
        return ids;
    };
    let pointer = format!("/metadata/annotations/{}", escape(ANNOTATION));
    for entry in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (rule, reason) = entry.split_once(':').unwrap_or((entry, ""));
        let (rule, reason) = (rule.trim(), reason.trim());
        let Some(code) = lookup(rule) else {
            let bare = rule.strip_prefix("KF-").unwrap_or(rule);
            out.push(
                Finding::warning(
                    RULE,
                    index,
                    format!("`{rule}` in {ANNOTATION} is not a lint rule"),
                )
                .at(pointer.clone())
                .help(suggest::hint(bare, known())),
            );
            continue;
        };
        if reason.is_empty() {
            out.push(
                Finding::warning(
                    RULE,
                    index,
                    format!("{ANNOTATION} allows {} without a reason", code.id),
                )
                .at(pointer.clone())
                .help(format!(
                    "write why it is acceptable: \"{}: <reason>\"",
                    code.id
                )),
            );
            continue;
        }
        ids.insert(code.id);
    }
    ids
}
