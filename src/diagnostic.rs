//! Diagnostics: the user's mistakes, collected (all of them per run) with a code, a source
//! span, a label and a help line. Rendering with snippets is done by miette, here only.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

/// One input file as read, with a line index for turning line:column into byte offsets and
/// for cutting out the lines a snippet shows.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to the user (relative to the working directory when possible).
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// Whether the text has a `\r` that no `\n` follows: miette counts it as a line break
    /// and the line index does not, so snippets of such a file are read from its start.
    lone_carriage_return: bool,
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
            lone_carriage_return: has_lone_carriage_return(&text),
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
            lone_carriage_return: has_lone_carriage_return(&text),
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
        let line = self.line_index(offset);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let end = offset.min(self.text.len());
        let column = self.text.get(start..end).map_or(0, |s| s.chars().count());
        (line + 1, column + 1)
    }

    /// The text of a 1-based line, without its line break; empty past the end.
    pub fn line(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        let text = self.text.get(start..end).unwrap_or_default();
        text.strip_suffix('\r').unwrap_or(text)
    }

    /// 0-based index of the line holding a byte offset.
    fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }
}

fn has_lone_carriage_return(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices('\r')
        .any(|(i, _)| bytes.get(i + 1) != Some(&b'\n'))
}

/// Snippets come from the lines around a span, found in the line index, so that a diagnostic
/// at line 17,000 costs what one at line 10 does (miette's own `str` source scans from the
/// start of the text for every span). miette still does the reading on that stretch, and
/// its line and column are shifted by where the stretch starts, so what it draws is the
/// same byte for byte.
impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (start, end) = (span.offset(), span.offset() + span.len());
        // The stretch begins a line earlier and ends two lines later than the context
        // needs: miette stops by itself, and only at the start of the text does it treat a
        // missing line before the span differently.
        let (first, stretch) = if self.lone_carriage_return || end > self.text.len() {
            (0, self.text.as_str())
        } else {
            let first = self
                .line_index(start)
                .saturating_sub(context_lines_before + 1);
            let last = self.line_index(end.saturating_sub(1).max(start)) + context_lines_after + 2;
            let from = self.line_starts[first];
            let to = self
                .line_starts
                .get(last)
                .copied()
                .unwrap_or(self.text.len());
            (first, &self.text[from..to])
        };
        let from = self.line_starts[first];
        let inner = SourceSpan::new((start - from).into(), span.len());
        let contents = stretch.read_span(&inner, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            SourceSpan::new(
                (contents.span().offset() + from).into(),
                contents.span().len(),
            ),
            contents.line() + first,
            contents.column(),
            contents.line_count() + first,
        )))
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

    /// What the printed diagnostic is made of, as a key: two diagnostics with the same key
    /// print the same. Costs a few short copies where printing costs drawing the snippets,
    /// so a run can tell repeated problems apart cheaply.
    pub fn identity(&self) -> Identity {
        let place = |(span, label): &(Span, String)| Place {
            file: span.file.name.clone(),
            start: span.range.start,
            end: span.range.end,
            label: label.clone(),
        };
        Identity {
            severity: self.severity,
            code: self.code,
            path: self.path.clone(),
            message: self.message.clone(),
            places: self
                .primary
                .iter()
                .map(place)
                .chain(self.secondary.iter().map(place))
                .collect(),
            help: self.help.clone(),
        }
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
        let handler = handler(color);
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

/// See [`Diagnostic::identity`]. A place is named by its file's name and byte range: the
/// text under it is that file's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    severity: Severity,
    code: &'static str,
    path: Option<String>,
    message: String,
    places: Vec<Place>,
    help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Place {
    file: String,
    start: usize,
    end: usize,
    label: String,
}

/// How miette draws snippets: `color` only for terminals.
fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(1)
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
            source: file,
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
    source: Arc<SourceFile>,
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
        Some(&*self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What miette reads for a span, in a form that compares.
    fn read(
        source: &dyn SourceCode,
        span: (usize, usize),
        context: usize,
    ) -> Option<(Vec<u8>, usize, usize, usize, usize, usize)> {
        let contents = source
            .read_span(&SourceSpan::new(span.0.into(), span.1), context, context)
            .ok()?;
        Some((
            contents.data().to_vec(),
            contents.span().offset(),
            contents.span().len(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        ))
    }

    /// The line index gives miette what scanning the whole text gives it, for every span.
    fn reads_like_the_whole_text(text: &str) {
        let file = SourceFile::new("f.yaml", text);
        let text = file.text.as_str();
        for start in 0..=text.len() {
            for end in start..=(start + 12).min(text.len() + 1) {
                for context in 0..3 {
                    let span = (start, end - start);
                    assert_eq!(
                        read(&*file, span, context),
                        read(&text, span, context),
                        "span {span:?}, context {context}, text {text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn snippets_read_from_the_line_index_match_miettes_own_reading() {
        reads_like_the_whole_text("");
        reads_like_the_whole_text("one line, no break");
        reads_like_the_whole_text("a: 1\nb: 2\n\n  c: 3\nd: [x, y]\n");
        reads_like_the_whole_text("a: 1\r\nb: 2\r\n\r\nc: ünï\r\nd\r\n");
        reads_like_the_whole_text("a: 1\rb: 2\nc: 3\n");
        reads_like_the_whole_text("\n\n\nx: é\n\n\ny\n");
    }

    proptest! {
        #[test]
        fn snippets_of_any_text_match_miettes_own_reading(
            lines in proptest::collection::vec("[a-z é:]{0,6}", 0..12),
            crlf in any::<bool>(),
        ) {
            reads_like_the_whole_text(&lines.join(if crlf { "\r\n" } else { "\n" }));
        }
    }

    #[test]
    fn a_diagnostic_deep_in_a_file_is_drawn_as_at_its_start() {
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("    - name: app-{i}\n      image: nginx\n"));
        }
        let file = SourceFile::new("big.yaml", text);
        let offset = file.offset(30_002, 14);
        let diagnostic = Diagnostic::warning("KF101", "no tag")
            .at(
                Some(Span {
                    file: file.clone(),
                    range: offset..offset + 5,
                }),
                "Deployment `web`",
            )
            .also(Some(Span { file, range: 4..8 }), "first app");
        let rendered = diagnostic.render(false);
        assert!(
            rendered.contains("30002 │       image: nginx"),
            "{rendered}"
        );
        assert!(rendered.contains("--> big.yaml:30002:14"), "{rendered}");
        assert!(rendered.contains(" 1 │     - name: app-0"), "{rendered}");
        assert_eq!(
            snippets_of_the_whole_text(&diagnostic),
            render_snippets(&diagnostic, &handler(false))
        );
    }

    /// miette's drawing with the whole text as its source, as kforge drew snippets before
    /// the line index.
    fn snippets_of_the_whole_text(diagnostic: &Diagnostic) -> String {
        #[derive(Debug)]
        struct WholeText {
            source: miette::NamedSource<String>,
            labels: Vec<LabeledSpan>,
        }
        impl fmt::Display for WholeText {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                Ok(())
            }
        }
        impl std::error::Error for WholeText {}
        impl miette::Diagnostic for WholeText {
            fn source_code(&self) -> Option<&dyn SourceCode> {
                Some(&self.source)
            }
            fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
                Some(Box::new(self.labels.iter().cloned()))
            }
        }
        let mut text = String::new();
        for (file, labels) in snippets(diagnostic) {
            let part = WholeText {
                source: miette::NamedSource::new(file.name.clone(), file.text.clone()),
                labels,
            };
            let mut rendered = String::new();
            handler(false).render_report(&mut rendered, &part).unwrap();
            for line in rendered
                .lines()
                .filter(|l| !matches!(l.trim(), "×" | "⚠" | "☞" | "x" | "!"))
            {
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }

    proptest! {
        /// Whole drawings, several labels in one or two files included, are the same.
        #[test]
        fn drawn_snippets_match_those_of_the_whole_text(
            lines in proptest::collection::vec("[a-z é:]{0,8}", 1..30),
            spans in proptest::collection::vec((0usize..400, 0usize..12), 1..4),
            crlf in any::<bool>(),
        ) {
            let file = SourceFile::new("f.yaml", lines.join(if crlf { "\r\n" } else { "\n" }));
            let other = SourceFile::new("g.yaml", "x: 1\ny: 2\n");
            let span = |(start, length): (usize, usize), file: &Arc<SourceFile>| {
                let boundaries: Vec<usize> = (0..=file.text.len())
                    .filter(|i| file.text.is_char_boundary(*i))
                    .collect();
                let start = boundaries[start % boundaries.len()];
                let end = boundaries
                    .iter()
                    .copied()
                    .find(|i| *i >= start + length)
                    .unwrap_or(file.text.len());
                Some(Span { file: file.clone(), range: start..end })
            };
            let mut diagnostic = Diagnostic::warning("KF101", "m").at(span(spans[0], &file), "primary");
            for (i, s) in spans.iter().enumerate().skip(1) {
                let target = if i % 2 == 0 { &other } else { &file };
                diagnostic = diagnostic.also(span(*s, target), format!("label {i}"));
            }
            prop_assert_eq!(snippets_of_the_whole_text(&diagnostic), render_snippets(&diagnostic, &handler(false)));
        }
    }

    #[test]
    fn a_line_is_found_by_its_number() {
        let file = SourceFile::new("f", "a\r\nbc\n\nd");
        let lines: Vec<&str> = (1..=5).map(|n| file.line(n)).collect();
        assert_eq!(lines, ["a", "bc", "", "d", ""]);
    }
}
