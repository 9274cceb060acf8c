//! Suppression in raw manifests: the annotation `kforge.io/lint-allow: "KF301: reason"`, with
//! several entries separated by commas or newlines. An entry without a reason, or naming no
//! known rule, suppresses nothing and is a finding itself.

use std::collections::BTreeSet;

use super::codes::{known, lookup};
use crate::finding::Finding;
use crate::json::{At, escape_segment};
use crate::model::Object;
use crate::suggest;

pub const ANNOTATION: &str = "kforge.io/lint-allow";
/// The rule name of findings about the annotation itself.
pub const RULE: &str = "lint-allow";

/// The entries of the annotation: split at commas and newlines, except where what follows
/// does not start with a rule, so that a reason may itself hold a comma.
fn entries(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut start = 0;
    for (at, _) in text.match_indices([',', '\n']) {
        let rest = text[at + 1..].trim_start();
        // What follows starts an entry when its first word names a rule, or looks like an id.
        let word = rest.split([':', ',', '\n', ' ']).next().unwrap_or_default();
        let starts_entry =
            lookup(word).is_some() || word.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("kf"));
        if starts_entry || rest.is_empty() {
            out.push(text[start..at].trim());
            start = at + 1;
        }
    }
    out.push(text[start..].trim());
    out.retain(|e| !e.is_empty());
    out
}

/// The annotation text that allows these rules, one `ID: reason` per line.
pub fn annotation<'a>(allows: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    allows
        .filter_map(|(rule, reason)| lookup(rule).map(|code| format!("{}: {reason}", code.id)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rule ids an object's annotation allows; problems with the annotation go to `out`.
pub fn allowed(index: usize, object: &Object, out: &mut Vec<Finding>) -> BTreeSet<&'static str> {
    let mut ids = BTreeSet::new();
    let Some(text) = object
        .body
        .at("/metadata/annotations")
        .and_then(|a| a.get(ANNOTATION))
        .and_then(|v| v.as_str())
    else {
        return ids;
    };
    let pointer = format!("/metadata/annotations/{}", escape_segment(ANNOTATION));
    for entry in entries(text) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_split_at_rules_not_at_commas_inside_reasons() {
        assert_eq!(
            entries(
                "KF301: needs raw sockets, sadly, KF305: node agent\nKF101:pinned by digest elsewhere"
            ),
            [
                "KF301: needs raw sockets, sadly",
                "KF305: node agent",
                "KF101:pinned by digest elsewhere"
            ]
        );
        assert_eq!(entries("KF-privileged: a, b,"), ["KF-privileged: a, b"]);
    }

    #[test]
    fn the_annotation_names_rules_by_id_one_per_line() {
        let text = annotation(
            [
                ("KF-host-namespaces", "reads host metrics, all of them"),
                ("nope", "x"),
            ]
            .into_iter(),
        );
        assert_eq!(text, "KF305: reads host metrics, all of them");
        assert_eq!(entries(&text), [text.as_str()]);
    }
}
