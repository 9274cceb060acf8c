//! Suppression in raw manifests: the annotation `kforge.io/lint-allow: "KF301: reason"`, with
//! several entries separated by commas or newlines. An entry without a reason, or naming no
//! known rule, suppresses nothing and is a finding itself.

use std::collections::BTreeSet;

use super::codes::{known, lookup};
use crate::finding::Finding;
use crate::json::{At, escape_segment};
use crate::model::Object;
use crate::model::labels::{POD_SECURITY, POD_SECURITY_REASON};
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

/// The security rules a relaxed Pod Security level stands for: what `baseline` and
/// `privileged` allow beyond `restricted`.
fn level_rules(level: &str) -> &'static [&'static str] {
    match level {
        "baseline" => &["KF302", "KF303", "KF304"],
        "privileged" => &["KF301", "KF302", "KF303", "KF304", "KF305", "KF306"],
        _ => &[],
    }
}

/// The rule ids an object's annotations allow: `kforge.io/lint-allow`, and the rules a
/// relaxed `kforge.io/pod-security` level stands for when its reason is given. Problems with
/// the lint-allow annotation go to `out`.
pub fn allowed(index: usize, object: &Object, out: &mut Vec<Finding>) -> BTreeSet<&'static str> {
    let mut ids = BTreeSet::new();
    let annotations = object.body.at("/metadata/annotations");
    let text_of = |key: &str| {
        annotations
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str())
    };
    if let (Some(level), Some(reason)) = (text_of(POD_SECURITY), text_of(POD_SECURITY_REASON))
        && !reason.trim().is_empty()
    {
        ids.extend(level_rules(level));
    }
    let Some(text) = text_of(ANNOTATION) else {
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
