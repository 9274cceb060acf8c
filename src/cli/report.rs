//! How a run's diagnostics reach the user: as text on stderr, each drawn with its snippet, or
//! as one JSON document on stdout. When a run has many findings, the text report draws only
//! the first ones in full (`--max-diagnostics`), lists the rest one per line, and closes with
//! a count per rule; JSON and SARIF always carry every finding.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{IsTerminal, Write};
use std::str::FromStr;

use crate::diagnostic::{Diagnostic, Severity};

/// How to print problems.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Json,
}

/// How many findings a text report draws in full, with their snippet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    All,
    AtMost(usize),
}

impl Limit {
    /// Enough to show every kind of problem a run has, drawn, and the help line of each; past
    /// it a drawing only repeats a rule already shown, and a line carries its place as well.
    pub const DEFAULT: Limit = Limit::AtMost(20);
}

impl FromStr for Limit {
    type Err = String;

    fn from_str(text: &str) -> Result<Limit, String> {
        if text == "all" {
            return Ok(Limit::All);
        }
        text.parse()
            .map(Limit::AtMost)
            .map_err(|_| format!("expected a number or `all`, not `{text}`"))
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::All => f.write_str("all"),
            Limit::AtMost(n) => write!(f, "{n}"),
        }
    }
}

/// How a command prints its diagnostics: `--output` and `--max-diagnostics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub output: Output,
    pub limit: Limit,
}

impl Report {
    pub fn new(output: Output, limit: Limit) -> Report {
        Report { output, limit }
    }
}

/// A format alone prints with the default limit.
impl From<Output> for Report {
    fn from(output: Output) -> Report {
        Report::new(output, Limit::DEFAULT)
    }
}

/// Colour only on a terminal, and never with `NO_COLOR`.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Prints a run's diagnostics as `report` asks: text on stderr, JSON on stdout.
pub fn print_diagnostics(diagnostics: &[Diagnostic], report: impl Into<Report>) {
    let report = report.into();
    match report.output {
        Output::Text => {
            let entries: Vec<Entry> = diagnostics.iter().map(Entry::from).collect();
            let text = text(&entries, report.limit, color());
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        }
        Output::Json => {
            let findings = Findings {
                findings: diagnostics.iter().map(FindingJson::from).collect(),
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&findings).unwrap_or_default()
            );
        }
    }
}

/// `--output json`: `{"findings": [...]}`.
#[derive(serde::Serialize)]
struct Findings<'a> {
    findings: Vec<FindingJson<'a>>,
}

/// One finding of `--output json`. Written straight from the diagnostic, fields in key
/// order as [`crate::json::pretty`] would sort them; building a `serde_json::Value` per
/// finding and sorting its keys cost four times as much.
#[derive(serde::Serialize)]
struct FindingJson<'a> {
    column: Option<usize>,
    file: Option<&'a str>,
    help: Option<&'a str>,
    line: Option<usize>,
    message: &'a str,
    path: Option<&'a str>,
    rule: &'a str,
    severity: &'static str,
}

impl<'a> From<&'a Diagnostic> for FindingJson<'a> {
    fn from(d: &'a Diagnostic) -> FindingJson<'a> {
        let place = d.primary.as_ref().map(|(span, _)| (span, span.line_col()));
        FindingJson {
            column: place.map(|(_, (_, column))| column),
            file: place.map(|(span, _)| span.file.name.as_str()),
            help: d.help.as_deref(),
            line: place.map(|(_, (line, _))| line),
            message: &d.message,
            path: d.path.as_deref(),
            rule: d.code,
            severity: if d.is_error() { "error" } else { "warning" },
        }
    }
}

/// One finding of a text report.
pub struct Entry<'a> {
    pub diagnostic: Cow<'a, Diagnostic>,
    /// `file:line:col` of a diagnostic that has a place but no snippet (a manifest line too
    /// long to show); a diagnostic with a span has its own.
    pub location: Option<String>,
}

impl<'a> From<&'a Diagnostic> for Entry<'a> {
    fn from(diagnostic: &'a Diagnostic) -> Entry<'a> {
        Entry {
            diagnostic: Cow::Borrowed(diagnostic),
            location: None,
        }
    }
}

impl Entry<'_> {
    fn location(&self) -> Option<String> {
        self.diagnostic.location().or_else(|| self.location.clone())
    }

    /// The whole drawing: headline, place, snippet, help.
    fn draw(&self, color: bool) -> String {
        let d = &self.diagnostic;
        match &self.location {
            Some(location) if d.primary.is_none() => {
                let mut text = format!("{}\n  --> {location}\n", d.headline());
                if let Some(help) = &d.help {
                    text.push_str(&format!("  help: {help}\n"));
                }
                text
            }
            _ => d.render(color),
        }
    }

    /// `file:line:col: headline`, the form editors and `grep` read.
    fn line(&self) -> String {
        match self.location() {
            Some(location) => format!("{location}: {}", self.diagnostic.headline()),
            None => self.diagnostic.headline(),
        }
    }
}

/// A rule that fires this often gets a count at the end of the report even when every
/// finding was drawn.
const MANY: usize = 10;

/// The text report: the drawn findings (each followed by an empty line), then the others one
/// per line, then, when a rule fired many times or some findings were not drawn, a count per
/// rule and in all.
pub fn text(entries: &[Entry], limit: Limit, color: bool) -> String {
    let drawn = drawn(entries, limit);
    let mut text = String::new();
    for (entry, _) in entries.iter().zip(&drawn).filter(|(_, drawn)| **drawn) {
        text.push_str(&entry.draw(color));
        text.push('\n');
    }
    let listed = drawn.iter().filter(|drawn| !**drawn).count();
    for (entry, _) in entries.iter().zip(&drawn).filter(|(_, drawn)| !**drawn) {
        text.push_str(&entry.line());
        text.push('\n');
    }
    if listed > 0 {
        text.push('\n');
    }
    text.push_str(&summary(entries, listed));
    text
}

/// Which findings are drawn in full: up to the limit, errors before warnings and each
/// rule's first finding before its others, so that every kind of problem is seen drawn with
/// its help; the chosen keep their order.
fn drawn(entries: &[Entry], limit: Limit) -> Vec<bool> {
    let max = match limit {
        Limit::AtMost(max) if max < entries.len() => max,
        _ => return vec![true; entries.len()],
    };
    let mut seen = BTreeSet::new();
    let mut order: Vec<(u8, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let first = seen.insert(entry.diagnostic.code);
            let rank = match (entry.diagnostic.severity, first) {
                (Severity::Error, true) => 0,
                (Severity::Error, false) => 1,
                (Severity::Warning, true) => 2,
                (Severity::Warning, false) => 3,
            };
            (rank, i)
        })
        .collect();
    order.sort_unstable();
    let mut drawn = vec![false; entries.len()];
    for (_, i) in order.into_iter().take(max) {
        drawn[i] = true;
    }
    drawn
}

/// Errors and warnings of one rule.
#[derive(Default)]
struct Count {
    errors: usize,
    warnings: usize,
}

impl Count {
    fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
    }

    fn total(&self) -> usize {
        self.errors + self.warnings
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [(self.errors, "error"), (self.warnings, "warning")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| counted(n, what))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// One line per rule (those with errors first, then the most frequent), and a total that
/// says how to see every finding drawn when some were only listed. Empty when no rule fired
/// many times and every finding was drawn.
fn summary(entries: &[Entry], listed: usize) -> String {
    let mut by_rule: BTreeMap<&str, Count> = BTreeMap::new();
    let mut all = Count::default();
    for entry in entries {
        by_rule
            .entry(entry.diagnostic.code)
            .or_default()
            .add(entry.diagnostic.severity);
        all.add(entry.diagnostic.severity);
    }
    if listed == 0 && by_rule.values().all(|count| count.total() < MANY) {
        return String::new();
    }
    let mut rules: Vec<(&str, Count)> = by_rule.into_iter().collect();
    rules.sort_by(|(a, x), (b, y)| {
        (y.errors > 0, y.total())
            .cmp(&(x.errors > 0, x.total()))
            .then(a.cmp(b))
    });
    let mut text = String::new();
    for (rule, count) in &rules {
        match crate::lint::lookup(rule) {
            Some(code) if code.id == *rule => {
                text.push_str(&format!("{rule} {}: {count}\n", code.name));
            }
            _ => text.push_str(&format!("{rule}: {count}\n")),
        }
    }
    text.push_str(&format!("{all} in all"));
    if listed > 0 {
        text.push_str(&format!(
            "; {} drawn in full, {} listed one per line (`--max-diagnostics all` draws every one)",
            thousands(all.total() - listed),
            thousands(listed)
        ));
    }
    text.push('\n');
    text
}

/// `1 warning`, `1,430 warnings`.
fn counted(n: usize, what: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{} {what}{plural}", thousands(n))
}

/// A count with a comma every three digits.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{SourceFile, Span};

    fn findings(codes: &[(&'static str, Severity)]) -> Vec<Diagnostic> {
        let file = SourceFile::new("b.yaml", "a: 1\nb: 2\n".repeat(50));
        codes
            .iter()
            .enumerate()
            .map(|(i, (code, severity))| {
                let mut d = Diagnostic::warning(code, format!("finding {i}"))
                    .at(
                        Some(Span {
                            file: file.clone(),
                            range: i * 5..i * 5 + 1,
                        }),
                        "here",
                    )
                    .help("fix it");
                d.severity = *severity;
                d
            })
            .collect()
    }

    fn report(diagnostics: &[Diagnostic], limit: Limit) -> String {
        let entries: Vec<Entry> = diagnostics.iter().map(Entry::from).collect();
        text(&entries, limit, false)
    }

    #[test]
    fn json_findings_are_written_as_the_sorted_value_was() {
        let mut diagnostics =
            findings(&[("KF302", Severity::Warning), ("schema", Severity::Error)]);
        diagnostics[0].path = Some("spec.apps[0].name".into());
        diagnostics[0].message = "quote \" and \\ and é".into();
        diagnostics.push(Diagnostic::error("no-blueprints", "none"));
        let as_value: Vec<serde_json::Value> = diagnostics
            .iter()
            .map(|d| {
                let place = d
                    .primary
                    .as_ref()
                    .map(|(s, _)| (s.file.name.clone(), s.line_col()));
                serde_json::json!({
                    "severity": if d.is_error() { "error" } else { "warning" },
                    "rule": d.code,
                    "file": place.as_ref().map(|(f, _)| f),
                    "line": place.as_ref().map(|(_, (l, _))| l),
                    "column": place.as_ref().map(|(_, (_, c))| c),
                    "path": d.path,
                    "message": d.message,
                    "help": d.help,
                })
            })
            .collect();
        let direct = Findings {
            findings: diagnostics.iter().map(FindingJson::from).collect(),
        };
        assert_eq!(
            serde_json::to_string_pretty(&direct).unwrap(),
            crate::json::pretty(&serde_json::json!({ "findings": as_value }))
        );
    }

    #[test]
    fn counts_have_thousands_separators() {
        let written: Vec<String> = [0, 7, 999, 1_000, 4_290, 1_234_567]
            .into_iter()
            .map(thousands)
            .collect();
        assert_eq!(written, ["0", "7", "999", "1,000", "4,290", "1,234,567"]);
        assert_eq!(counted(1, "warning"), "1 warning");
        assert_eq!(counted(1_430, "warning"), "1,430 warnings");
    }

    #[test]
    fn limits_are_numbers_or_all() {
        assert_eq!("all".parse(), Ok(Limit::All));
        assert_eq!("0".parse(), Ok(Limit::AtMost(0)));
        assert_eq!("25".parse(), Ok(Limit::AtMost(25)));
        assert!("many".parse::<Limit>().is_err());
        assert_eq!(Limit::DEFAULT.to_string(), "20");
    }

    #[test]
    fn a_few_findings_are_all_drawn_with_no_summary() {
        let diagnostics = findings(&[("KF101", Severity::Warning), ("KF302", Severity::Warning)]);
        let expected: String = diagnostics
            .iter()
            .map(|d| format!("{}\n", d.render(false)))
            .collect();
        assert_eq!(report(&diagnostics, Limit::DEFAULT), expected);
    }

    #[test]
    fn errors_then_each_rules_first_finding_are_drawn_first_and_keep_their_order() {
        use Severity::{Error, Warning};
        let diagnostics = findings(&[
            ("KF302", Warning),
            ("KF302", Warning),
            ("KF303", Warning),
            ("reference", Error),
            ("KF302", Warning),
        ]);
        let entries: Vec<Entry> = diagnostics.iter().map(Entry::from).collect();
        assert_eq!(
            drawn(&entries, Limit::AtMost(3)),
            [true, false, true, true, false]
        );
        assert_eq!(
            drawn(&entries, Limit::AtMost(1)),
            [false, false, false, true, false]
        );
        assert_eq!(drawn(&entries, Limit::AtMost(0)), [false; 5]);
        assert_eq!(drawn(&entries, Limit::All), [true; 5]);
        assert_eq!(drawn(&entries, Limit::AtMost(5)), [true; 5]);
    }

    #[test]
    fn the_rest_are_listed_one_per_line_and_counted_by_rule() {
        use Severity::{Error, Warning};
        let mut codes = vec![("KF302", Warning); 12];
        codes.push(("reference", Error));
        codes.push(("KF303", Warning));
        let text = report(&findings(&codes), Limit::AtMost(2));
        let tail: Vec<&str> = text
            .lines()
            .skip_while(|line| !line.starts_with("b.yaml:2:1:"))
            .collect();
        assert_eq!(
            tail,
            [
                "b.yaml:2:1: warning[KF302]: finding 1",
                "b.yaml:3:1: warning[KF302]: finding 2",
                "b.yaml:4:1: warning[KF302]: finding 3",
                "b.yaml:5:1: warning[KF302]: finding 4",
                "b.yaml:6:1: warning[KF302]: finding 5",
                "b.yaml:7:1: warning[KF302]: finding 6",
                "b.yaml:8:1: warning[KF302]: finding 7",
                "b.yaml:9:1: warning[KF302]: finding 8",
                "b.yaml:10:1: warning[KF302]: finding 9",
                "b.yaml:11:1: warning[KF302]: finding 10",
                "b.yaml:12:1: warning[KF302]: finding 11",
                "b.yaml:14:1: warning[KF303]: finding 13",
                "",
                "reference: 1 error",
                "KF302 privilege-escalation: 12 warnings",
                "KF303 run-as-root: 1 warning",
                "1 error, 13 warnings in all; 2 drawn in full, 12 listed one per line \
                 (`--max-diagnostics all` draws every one)",
            ]
        );
        assert!(text.starts_with("warning[KF302]: finding 0\n"), "{text}");
        assert!(text.contains("\nerror[reference]: finding 12\n"), "{text}");
    }

    #[test]
    fn a_rule_that_fires_many_times_is_counted_even_when_all_are_drawn() {
        let codes = vec![("KF101", Severity::Warning); MANY];
        let text = report(&findings(&codes), Limit::All);
        assert!(
            text.ends_with("\nKF101 latest-image-tag: 10 warnings\n10 warnings in all\n"),
            "{text}"
        );
    }
}
