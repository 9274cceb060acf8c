//! Diagnostics: the user's mistakes, collected (all of them per run) with a code, a source
//! span, a label and a help line. Rendering with snippets is done by miette, here only.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

/// One input file as read, with a line index for turning line:column into byte offsets.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to the user (relative to the working directory when possible).
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A byte-order mark at the start (editors on Windows write one) is dropped: it is not
    /// part of the first key.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        let mut text = text.into();
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Arc::new(SourceFile {
            name: name.into(),
            text,
            line_starts,
        })
    }

    /// A copy whose bytes in `ranges` are masked with `*`, so that no diagnostic can show
    /// them (secret values). Offsets stay valid: every masked byte becomes one `*`.
    pub fn redacted(&self, ranges: &[Range<usize>]) -> Arc<Self> {
        let mut bytes = self.text.clone().into_bytes();
        for range in ranges {
            let end = range.end.min(bytes.len());
            for byte in bytes
                .get_mut(range.start.min(end)..end)
                .into_iter()
                .flatten()
            {
                if *byte != b'\n' {
                    *byte = b'*';
                }
            }
        }
        // Masking whole multi-byte characters byte by byte keeps the text valid UTF-8 only
        // when ranges fall on character boundaries, which spans always do.
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Arc::new(SourceFile {
            name: self.name.clone(),
            text,
            line_starts: self.line_starts.clone(),
        })
    }

    /// Byte offset of a 1-based line and 1-based column counted in characters.
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        // Columns count characters; on an ASCII line they are bytes.
        let line_end = self
            .line_starts
            .get(line)
            .map_or(rest.len(), |next| next - 1 - start);
        if rest[..line_end].is_ascii() {
            return start + column.saturating_sub(1).min(line_end);
        }
        let within = rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        start + within
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let end = offset.min(self.text.len());
        let column = self.text.get(start..end).map_or(0, |s| s.chars().count());
        (line + 1, column + 1)
    }
}

/// A region of one source file.
#[derive(Debug, Clone)]
pub struct Span {
    pub file: Arc<SourceFile>,
    pub range: Range<usize>,
}

impl Span {
    pub fn line_col(&self) -> (usize, usize) {
        self.file.line_col(self.range.start)
    }

    /// `file:line:col` of the span's start.
    pub fn location(&self) -> String {
        let (line, col) = self.line_col();
        format!("{}:{line}:{col}", self.file.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about the user's input.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable identifier such as `unknown-field` or `port-reference`.
    pub code: &'static str,
    pub message: String,
    /// The field path, e.g. `spec.apps[2].ports[0].port`.
    pub path: Option<String>,
    /// Where it is, with a short label; `None` when the problem has no place in a file.
    pub primary: Option<(Span, String)>,
    /// Other places that explain the problem (e.g. the first definition of a duplicate).
    pub secondary: Vec<(Span, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            path: None,
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, span: Option<Span>, label: impl Into<String>) -> Self {
        self.primary = span.map(|s| (s, label.into()));
        self
    }

    pub fn also(mut self, span: Option<Span>, label: impl Into<String>) -> Self {
        if let Some(span) = span {
            self.secondary.push((span, label.into()));
        }
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col` of the primary span, if any.
    pub fn location(&self) -> Option<String> {
        self.primary.as_ref().map(|(span, _)| span.location())
    }

    /// The one-line headline: severity, code, path and message.
    pub fn headline(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.path {
            Some(path) => format!("{severity}[{}]: {path}: {}", self.code, self.message),
            None => format!("{severity}[{}]: {}", self.code, self.message),
        }
    }

    /// Renders the diagnostic: the headline, a source snippet per file it touches, the help.
    /// `color` only for terminals.
    pub fn render(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(100)
            .with_links(false)
            .with_context_lines(1);
        let mut text = self.headline();
        text.push('\n');
        if let Some(location) = self.location() {
            text.push_str(&format!("  --> {location}\n"));
        }
        text.push_str(&render_snippets(self, &handler));
        if let Some(help) = &self.help {
            text.push_str(&format!("  help: {help}\n"));
        }
        text
    }
}

/// A snippet of one file: miette renders one source per report, so each file a diagnostic
/// touches becomes its own snippet.
pub fn snippets(diagnostic: &Diagnostic) -> Vec<(Arc<SourceFile>, Vec<LabeledSpan>)> {
    let mut out: Vec<(Arc<SourceFile>, Vec<LabeledSpan>)> = Vec::new();
    let all = diagnostic
        .primary
        .iter()
        .map(|p| (p, true))
        .chain(diagnostic.secondary.iter().map(|s| (s, false)));
    for ((span, label), primary) in all {
        let labeled = if primary {
            LabeledSpan::new_primary_with_span(Some(label.clone()), span.range.clone())
        } else {
            LabeledSpan::new_with_span(Some(label.clone()), span.range.clone())
        };
        match out.iter_mut().find(|(f, _)| Arc::ptr_eq(f, &span.file)) {
            Some((_, labels)) => labels.push(labeled),
            None => out.push((span.file.clone(), vec![labeled])),
        }
    }
    out
}

/// Renders every file's snippet of a diagnostic (used by [`Diagnostic::render`]).
fn render_snippets(diagnostic: &Diagnostic, handler: &GraphicalReportHandler) -> String {
    let mut text = String::new();
    for (file, labels) in snippets(diagnostic) {
        let part = Snippet {
            source: NamedSource::new(file.name.clone(), file.text.clone()),
            labels,
        };
        let mut rendered = String::new();
        if handler.render_report(&mut rendered, &part).is_ok() {
            // The headline already says what is wrong; drop miette's empty message line.
            for line in rendered
                .lines()
                .filter(|l| !matches!(l.trim(), "×" | "⚠" | "☞" | "x" | "!"))
            {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    text
}

#[derive(Debug)]
struct Snippet {
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Display for Snippet {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl std::error::Error for Snippet {}

impl miette::Diagnostic for Snippet {
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}
