//! Errors and their exit codes.
//!
//! An input error (exit 2) names the file, line and column, shows the line with a caret, and
//! says what to do. Exit codes are computed in one place: [`Error::exit_code`].

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceSpan, SpanContents};

use crate::source::{Source, Span};

/// An error located in a guide: shown as `file:line:column: message`, then the source line with
/// a caret, then a hint.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{}: {message}", self.location())]
pub struct SourceError {
    pub message: String,
    #[source_code]
    code: SourceText,
    #[label("{label}")]
    span: SourceSpan,
    label: &'static str,
    #[help]
    pub help: Option<String>,
}

impl SourceError {
    pub(crate) fn new(src: &Source, span: Span, message: String, label: &'static str) -> Self {
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
            message,
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

impl Error {
    /// 0 all passed; 1 a step or check failed; 2 the input is wrong; 130 interrupted.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Failed(_) | Error::Internal(_) => 1,
            Error::Interrupted => 130,
            Error::Source(_) | Error::Io { .. } | Error::Usage(_) | Error::MissingVars(_) => 2,
        }
    }
}

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
