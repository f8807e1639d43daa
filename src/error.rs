//! Errors and their exit codes.
//!
//! An input error (exit 2) names the file, line and column, shows the line with a caret, and
//! says what to do. Exit codes are decided in one place, above this module (`outcome.rs`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceSpan, SpanContents};

use crate::source::{Source, Span};

/// What a located error is about: one variant per mistake a user can make in a file docrun
/// reads (a guide, its overlay, a values file, `docrun.yaml`). The variant's `Display` is the
/// message; tests assert the kind and the span, not the words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    // Any file.
    #[error("the file is not valid UTF-8")]
    NotUtf8,
    /// UTF-16 text (`encoding` is `UTF-16LE` or `UTF-16BE`), with a byte-order mark or without.
    #[error("the file is {encoding} text{}, not UTF-8", if *.bom { "" } else { " without a byte-order mark" })]
    Utf16 { encoding: &'static str, bom: bool },
    #[error("the file has a NUL byte")]
    NulByte,
    /// A file a guide names that docrun does not read: outside the documentation tree, or not a
    /// regular file of bounded size.
    #[error("{0}")]
    NotInTree(String),

    // A guide's front matter.
    #[error("front matter is not closed")]
    FrontMatterUnclosed,
    #[error("front matter is not valid YAML: {0}")]
    FrontMatterYaml(String),
    #[error("front matter is not a mapping")]
    FrontMatterNotMapping,

    // Shortcodes and the blocks they open.
    #[error("shortcode without a name after `{0}`")]
    ShortcodeWithoutName(String),
    #[error("shortcode `{name}` is not closed with `{close}`")]
    ShortcodeNotClosed { name: String, close: String },
    #[error("quoted shortcode argument is not closed")]
    ShortcodeQuoteNotClosed,
    #[error("stray quote inside a shortcode argument")]
    ShortcodeStrayQuote,
    #[error("shortcode argument has no value")]
    ShortcodeArgumentWithoutValue,
    #[error("text block is never closed")]
    TextBlockNeverClosed,
    #[error("`{0}` is never closed")]
    NeverClosed(String),
    #[error("`{{{{< /text >}}}}` without an opening `text` tag")]
    TextCloserWithoutOpener,
    #[error("`{{{{< /{0} >}}}}` without an opening tag")]
    CloserWithoutOpener(String),
    #[error("`{{{{< /{name} >}}}}` closes `{open}`, opened at line {line}, which is still open")]
    CloserOutOfOrder {
        name: String,
        open: String,
        line: usize,
    },
    #[error("unknown `text` argument `{0}`")]
    UnknownTextArgument(String),
    /// An MDX closing tag or `:::` with nothing open for it to close.
    #[error("`{0}` closes nothing that is open")]
    StrayCloser(String),
    /// An MDX closing tag while another element, opened later, is still open.
    #[error("`{closer}` comes while `{open}`, opened at line {line}, is still open")]
    MismatchedCloser {
        closer: Box<str>,
        open: Box<str>,
        line: usize,
    },

    // Overlays (`NAME.docrun.yaml`, front matter `runbook:`).
    #[error("the `runbook:` front matter is not a valid overlay: {0}")]
    FrontMatterOverlay(String),
    #[error("invalid overlay: {0}")]
    InvalidOverlay(String),
    #[error("the overlay names step `{0}`, which the guide does not have")]
    UnknownStep(String),
    #[error("check {check} refers to ${name}, which is not a variable of the guide")]
    UnknownCheckVariable { check: String, name: String },

    // A tree's `docrun.yaml`.
    #[error("invalid docrun.yaml: {0}")]
    InvalidSettings(String),
    #[error("unknown dialect `{0}`")]
    UnknownDialect(String),

    // Values files (`--values`).
    #[error("not valid YAML: {0}")]
    ValuesYaml(String),
    #[error("expected a mapping of NAME: value")]
    ValuesNotMapping,
    #[error("`{0}` must map a variable name to a plain value")]
    ValueNotPlain(String),
    #[error("{name}: {reason}")]
    InvalidValue { name: String, reason: String },
}

impl ErrorKind {
    /// Whether the error is in an overlay (a `.docrun.yaml` file or front matter `runbook:`).
    pub fn is_overlay(&self) -> bool {
        matches!(
            self,
            ErrorKind::FrontMatterOverlay(_)
                | ErrorKind::InvalidOverlay(_)
                | ErrorKind::UnknownStep(_)
                | ErrorKind::UnknownCheckVariable { .. }
        )
    }
}

/// An error located in a file docrun read: shown as `file:line:column: message`, then the
/// source line with a caret, then a hint.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{}: {kind}", self.location())]
pub struct SourceError {
    /// What went wrong; its `Display` is the message.
    pub kind: ErrorKind,
    #[source_code]
    code: SourceText,
    #[label("{label}")]
    span: SourceSpan,
    label: &'static str,
    #[help]
    pub help: Option<String>,
}

impl SourceError {
    pub(crate) fn new(src: &Source, span: Span, kind: ErrorKind, label: &'static str) -> Self {
        let text = src.text();
        let len = text.len();
        let mut start = span.start.min(len);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.clamp(start, len);
        while !text.is_char_boundary(end) {
            end += 1;
        }
        SourceError {
            kind,
            code: SourceText(src.shared()),
            span: SourceSpan::new(start.into(), end - start),
            label,
            help: None,
        }
    }

    /// Adds a hint: what the reader can do about it.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The byte span in the file the error points at.
    pub fn span(&self) -> Span {
        Span::new(self.span.offset(), self.span.offset() + self.span.len())
    }

    /// `path:line:column` of the error.
    pub fn location(&self) -> String {
        self.code.0.location(self.span.offset())
    }

    /// The 1-based line the error points at.
    pub fn line(&self) -> usize {
        self.code.0.line_of(self.span.offset())
    }

    /// The 1-based line and column (in characters) the error points at.
    pub fn line_col(&self) -> (usize, usize) {
        self.code.0.line_col(self.span.offset())
    }

    /// The length in bytes of the line the error points at.
    /// Whether the error is in a file that may hold secrets (a values file), or in bytes that
    /// are not text (UTF-16, a NUL byte, which may be in a values file too): it names the
    /// place and never shows the line.
    pub fn conceals_source(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::ValuesYaml(_)
                | ErrorKind::Utf16 { .. }
                | ErrorKind::NulByte
                | ErrorKind::ValuesNotMapping
                | ErrorKind::ValueNotPlain(_)
                | ErrorKind::InvalidValue { .. }
        )
    }

    pub fn line_len(&self) -> usize {
        let text = self.code.0.text();
        let start = self.code.0.line_start(self.line());
        text[start..].find('\n').unwrap_or(text.len() - start)
    }

    /// The file the error is in.
    pub fn path(&self) -> &std::path::Path {
        self.code.0.path()
    }
}

/// A guide's text as miette reads it, named by the guide's path.
#[derive(Debug, Clone)]
struct SourceText(Arc<Source>);

impl miette::SourceCode for SourceText {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .0
            .text()
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.path().display().to_string(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// A variable the guide needs and nobody gave a value for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVar {
    pub name: String,
    pub description: Option<String>,
    pub location: String,
}

/// Everything that stops docrun, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Source(#[from] Box<SourceError>),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{}", MissingVarsDisplay(.0))]
    MissingVars(Vec<MissingVar>),
    /// A step or check failed; the report has already said which.
    #[error("{0}")]
    Failed(String),
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    Internal(String),
}

impl From<SourceError> for Error {
    fn from(err: SourceError) -> Self {
        Error::Source(Box::new(err))
    }
}

impl Error {}

struct MissingVarsDisplay<'a>(&'a [MissingVar]);

impl fmt::Display for MissingVarsDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|v| v.name.as_str()).collect();
        writeln!(
            f,
            "{} variable{} without a value: {}",
            self.0.len(),
            if self.0.len() == 1 { "" } else { "s" },
            names.join(", ")
        )?;
        for var in self.0 {
            write!(f, "  {} ({})", var.name, var.location)?;
            if let Some(desc) = &var.description {
                write!(f, ": {desc}")?;
            }
            writeln!(f)?;
        }
        write!(
            f,
            "hint: give each with --set NAME=VALUE, a --values FILE.yaml, or the environment"
        )
    }
}

impl Source {
    /// An error pointing at `span`, shown with the source line and a caret.
    pub fn error(&self, span: Span, kind: ErrorKind, label: &'static str) -> SourceError {
        SourceError::new(self, span, kind, label)
    }
}
