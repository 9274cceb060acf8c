//! A [`Diff`] as a pull-request comment: the plan line and a table of counts per
//! environment and kind, a compact list naming every changed object, then one collapsible
//! `<details>` per change with a fenced `diff` block. GitHub refuses comments over
//! [`LIMIT`] characters, so when the whole would be longer the largest diffs are cut
//! (each with a note) until it fits; the list still names every change.

use std::collections::BTreeMap;

use super::text::{headline, notes};
use super::{Action, Change, Diff};

/// The first line of every comment, hidden when GitHub renders it: how a CI step finds the
/// comment it posted before, to update it instead of adding another.
pub const MARKER: &str = "<!-- kforge-diff -->";

/// The most characters a GitHub comment may hold.
pub const LIMIT: usize = 65_536;

/// Characters kept free for the closing notes.
const RESERVE: usize = 600;

/// The least diff a kept block shows when diffs must be cut (fewer blocks are kept
/// rather than many that show nothing).
const MIN_CAP: usize = 300;

/// Characters allowed per block for a fence longer than three backticks.
const FRAME_MARGIN: usize = 8;

/// What a cut diff ends with.
const CUT: &str = "... (diff cut to fit the comment; run `kforge diff` locally for all of it)\n";

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// The names of the changes of one environment, grouped by action and kind, and inside
/// those by namespace: `- \`web/base\` ~ Deployment in \`shop\`: api, web`.
fn listing(diff: &Diff) -> Vec<String> {
    let mut lines = Vec::new();
    for env in &diff.environments {
        let mut groups: BTreeMap<(Action, String), BTreeMap<&str, Vec<String>>> = BTreeMap::new();
        for change in &env.changes {
            let name = match (&change.subject, &change.from) {
                (super::Subject::Object { name, .. }, None) => name.clone(),
                (super::Subject::Object { name, .. }, Some(from)) => {
                    format!("{name} (from {})", from.name())
                }
                (super::Subject::File { path, .. }, _) => path.clone(),
            };
            groups
                .entry((change.action, change.subject.kind()))
                .or_default()
                .entry(change.subject.namespace())
                .or_default()
                .push(escape(&name));
        }
        for ((action, kind), namespaces) in groups {
            let parts: Vec<String> = namespaces
                .into_iter()
                .map(|(ns, names)| match ns {
                    "" => names.join(", "),
                    ns => format!("in `{ns}`: {}", names.join(", ")),
                })
                .collect();
            lines.push(format!(
                "- `{}` {} {kind} {}\n",
                env.label(),
                action.mark(),
                parts.join("; ")
            ));
        }
    }
    lines
}

/// A fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// One `<details>` block; `diff` is the (possibly cut) diff text.
fn block(env: &str, change: &Change, diff: &str) -> String {
    let mut out = format!(
        "<details><summary><code>{env}</code> {}</summary>\n\n",
        html(&headline(change))
    );
    for line in notes(change) {
        out.push_str(&format!("{}\n\n", escape(&line)));
    }
    if !diff.is_empty() {
        let fence = fence(diff);
        out.push_str(&format!("{fence}diff\n{diff}"));
        if !diff.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{fence}\n\n"));
    }
    out.push_str("</details>\n\n");
    out
}

/// Text inside an HTML element (GitHub renders no markdown in `<summary>`).
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown text, with what HTML or markdown would read as markup escaped.
fn escape(text: &str) -> String {
    html(text)
        .replace('\\', "\\\\")
        .replace('_', "\\_")
        .replace('*', "\\*")
        .replace('`', "\\`")
        .replace('[', "\\[")
}

/// The first `n` characters of `text`, cut back to a line end, then [`CUT`].
fn cut(text: &str, n: usize) -> String {
    let end = text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    let head = head.rfind('\n').map_or("", |i| &head[..=i]);
    format!("{head}{CUT}")
}

/// The largest length `cap` such that diffs cut to `cap` (plus the note) fit in `room`.
fn cap_for(lengths: &[usize], room: usize) -> Option<usize> {
    let cost = |cap: usize| -> usize {
        lengths
            .iter()
            .map(|&l| if l > cap { cap + chars(CUT) } else { l })
            .sum()
    };
    if cost(0) > room {
        return None;
    }
    let (mut low, mut high) = (0, lengths.iter().copied().max().unwrap_or(0));
    while low < high {
        let mid = (low + high).div_ceil(2);
        if cost(mid) <= room {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    Some(low)
}

pub fn render(diff: &Diff) -> String {
    let mut head = format!("{MARKER}\n### kforge diff\n\n");
    head.push_str(&format!(
        "`{}` → {}: **Plan: {}.**\n\n",
        diff.base,
        diff.head,
        diff.counts().plan()
    ));
    if diff.is_empty() {
        head.push_str(if diff.different() {
            "Nothing to add, change or remove, but not every object can be applied.\n"
        } else {
            "No differences.\n"
        });
        for line in diff.live_lines() {
            head.push_str(&format!("\n> {}\n", escape(&line)));
        }
        for note in &diff.notes {
            head.push_str(&format!("\n> {}\n", escape(note)));
        }
        return head;
    }
    head.push_str(
        "| environment | kind | add | change | move | remove |\n|---|---|---:|---:|---:|---:|\n",
    );
    for env in &diff.environments {
        for (kind, c) in env.by_kind() {
            head.push_str(&format!(
                "| `{}` | {kind} | {} | {} | {} | {} |\n",
                env.label(),
                c.add,
                c.change,
                c.moved,
                c.remove
            ));
        }
    }
    head.push_str("\n**Changes**\n\n");
    let lines = listing(diff);
    let mut shown_lines = 0;
    for line in &lines {
        if chars(&head) + chars(line) > LIMIT - RESERVE {
            break;
        }
        head.push_str(line);
        shown_lines += 1;
    }
    let mut tail = String::new();
    if shown_lines < lines.len() {
        tail.push_str(&format!(
            "\n> {} more lines of changes do not fit in a comment; run `kforge diff` locally.\n",
            lines.len() - shown_lines
        ));
    }
    for line in diff.live_lines().iter().chain(&diff.notes) {
        tail.push_str(&format!("\n> {}\n", escape(line)));
    }
    head.push('\n');

    let changes: Vec<(String, &Change)> = diff
        .environments
        .iter()
        .flat_map(|env| env.changes.iter().map(move |c| (env.label(), c)))
        .collect();
    let full: usize = changes
        .iter()
        .map(|(env, c)| chars(&block(env, c, &c.diff)))
        .sum();
    let room = LIMIT.saturating_sub(chars(&head) + chars(&tail) + RESERVE);
    if full <= room {
        let mut out = head;
        for (env, change) in &changes {
            out.push_str(&block(env, change, &change.diff));
        }
        out.push_str(&tail);
        return out;
    }
    // Too long. Each kept block costs its frame plus its diff cut to `cap` characters;
    // keep as many blocks as fit with at least MIN_CAP characters of diff each, then give
    // the room left to the diffs, cutting the largest first.
    let frames: Vec<usize> = changes
        .iter()
        .map(|(env, c)| {
            let frame = if c.diff.is_empty() {
                chars(&block(env, c, ""))
            } else {
                chars(&block(env, c, "\n")) - 1
            };
            frame + FRAME_MARGIN
        })
        .collect();
    let lengths: Vec<usize> = changes.iter().map(|(_, c)| chars(&c.diff)).collect();
    let fits = |kept: usize, cap: usize| {
        let frames: usize = frames[..kept].iter().sum();
        frames <= room && cap_for(&lengths[..kept], room - frames).is_some_and(|c| c >= cap)
    };
    let (mut low, mut high) = (0, changes.len());
    while low < high {
        let mid = (low + high).div_ceil(2);
        if fits(
            mid,
            MIN_CAP.min(lengths[..mid].iter().copied().max().unwrap_or(0)),
        ) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let kept = low;
    let frames_used: usize = frames[..kept].iter().sum();
    let cap = cap_for(&lengths[..kept], room.saturating_sub(frames_used)).unwrap_or(0);
    let mut out = head;
    let mut cut_count = 0;
    for (env, change) in &changes[..kept] {
        if chars(&change.diff) > cap {
            cut_count += 1;
            out.push_str(&block(env, change, &cut(&change.diff, cap)));
        } else {
            out.push_str(&block(env, change, &change.diff));
        }
    }
    if cut_count > 0 {
        out.push_str(&format!(
            "> {cut_count} of the largest diffs were cut to fit GitHub's limit of {LIMIT} characters per comment.\n"
        ));
    }
    if kept < changes.len() {
        out.push_str(&format!(
            "\n> {} changes have no diff section here (the comment limit); every one is named above.\n",
            changes.len() - kept
        ));
    }
    out.push_str(&tail);
    out
}
