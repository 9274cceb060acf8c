//! A [`Diff`] for the terminal: the summary (counts per environment and kind, then the
//! plan line), then each change with its fields and unified diff. Colour only when the
//! caller says so (a terminal without `NO_COLOR`).

use super::{Action, Change, Counts, Diff};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn action(&self, action: Action, text: &str) -> String {
        let code = match action {
            Action::Add => "32",
            Action::Change => "33",
            Action::Move => "36",
            Action::Remove => "31",
        };
        self.wrap(code, text)
    }

    fn diff_line(&self, line: &str) -> String {
        if line.starts_with("+++") || line.starts_with("---") {
            self.wrap("1", line)
        } else if line.starts_with('+') {
            self.wrap("32", line)
        } else if line.starts_with('-') {
            self.wrap("31", line)
        } else if line.starts_with("@@") {
            self.wrap("36", line)
        } else {
            line.to_owned()
        }
    }
}

/// The non-zero counts: `1 to add, 2 to change`.
pub fn nonzero(counts: &Counts) -> String {
    let parts: Vec<String> = [Action::Add, Action::Change, Action::Move, Action::Remove]
        .into_iter()
        .filter(|a| counts.get(*a) > 0)
        .map(|a| format!("{} to {}", counts.get(a), a.word()))
        .collect();
    parts.join(", ")
}

/// The headline of one change: `~ Deployment web/api`, `> ConfigMap b/x (from a/x)`.
pub fn headline(change: &Change) -> String {
    let from = change
        .from
        .as_ref()
        .map(|f| format!(" (from {})", f.name()))
        .unwrap_or_default();
    format!("{} {}{from}", change.action.mark(), change.subject.label())
}

/// The lines under a change's headline: fields, Secret keys.
pub fn notes(change: &Change) -> Vec<String> {
    let mut lines = Vec::new();
    if !change.fields.is_empty() {
        lines.push(format!("fields: {}", change.fields.join(", ")));
    }
    if let Some(secret) = &change.secret {
        lines.extend(secret.lines());
    }
    if !change.managers.is_empty() {
        let set: Vec<String> = change
            .managers
            .iter()
            .map(|(field, manager)| format!("{field} by {manager}"))
            .collect();
        lines.push(format!("last set by another manager: {}", set.join(", ")));
    }
    lines
}

pub fn render(diff: &Diff, colour: bool) -> String {
    let paint = Paint { on: colour };
    let mut out = String::new();
    if diff.is_empty() {
        let (base, head) = (&diff.base, &diff.head);
        out.push_str(&if diff.different() {
            format!(
                "Nothing to add, change or remove between {base} and {head}, but not every object can be applied:"
            )
        } else {
            format!("No differences between {base} and {head}.")
        });
        out.push('\n');
        for line in diff.live_lines() {
            out.push_str(&format!("{line}\n"));
        }
    } else {
        out.push_str(&paint.wrap("1", &format!("kforge diff: {} -> {}", diff.base, diff.head)));
        out.push_str("\n\n");
        for env in &diff.environments {
            out.push_str(&format!("{}: {}\n", env.label(), env.counts().plan()));
            for (kind, counts) in env.by_kind() {
                out.push_str(&format!("  {kind}: {}\n", nonzero(&counts)));
            }
        }
        out.push_str(&paint.wrap("1", &format!("Plan: {}.", diff.counts().plan())));
        out.push('\n');
        for line in diff.live_lines() {
            out.push_str(&format!("{line}\n"));
        }
        for env in &diff.environments {
            out.push_str(&format!("\n{}\n", paint.wrap("1", &env.label())));
            for change in &env.changes {
                out.push_str(&format!(
                    "  {}\n",
                    paint.action(change.action, &headline(change))
                ));
                for line in notes(change) {
                    out.push_str(&format!("    {line}\n"));
                }
                for line in change.diff.lines() {
                    out.push_str(&format!("    {}\n", paint.diff_line(line)));
                }
            }
        }
    }
    for note in &diff.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}
