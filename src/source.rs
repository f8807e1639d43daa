//! A loaded guide: its path, its text, and the mapping from byte offsets to lines and columns.
//!
//! Every later stage points back into a [`Source`], so that an error or a report can name
//! `file:line:column` and show the line itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A byte range into a [`Source`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// The text of one guide, with line ends normalised to `\n`.
///
/// CRLF and lone CR line ends are turned into LF when the file is read (as Python's universal
/// newlines do, which istio.io's extractor relies on), so offsets, lines and columns all refer to
/// the normalised text. Line numbers are the same as in the file on disk.
///
/// The text is held once: [`Source::from_string`] keeps the `String` it is given (a file's text
/// is not copied unless its line ends change), and clones share it.
#[derive(Debug, Clone)]
pub struct Source {
    path: PathBuf,
    // An `Arc<String>`, not an `Arc<str>`: a `String` moves in without a copy of its text.
    text: Arc<String>,
    /// Where each line starts, as `u32`: half the memory of `usize` for a guide of many short
    /// lines. A guide read from a file is at most 16 MiB; in a text built in
    /// memory past 4 GiB, the offsets beyond count as its last line.
    line_starts: Vec<u32>,
}

impl Source {
    /// Builds a source from text already in memory (tests, fuzzing, stdin).
    pub fn new(path: impl AsRef<Path>, text: &str) -> Source {
        Source::from_string(path, text.to_owned())
    }

    /// Builds a source that owns `text`: the text is kept as it is when it has no CR, and
    /// rewritten once (CRLF and lone CR to LF) when it has.
    pub fn from_string(path: impl AsRef<Path>, text: String) -> Source {
        let text = normalise_line_ends(text);
        // Counted first, so that the index is allocated once at its size.
        let lines = newlines(text.as_bytes());
        let mut line_starts = Vec::with_capacity(lines + 1);
        line_starts.push(0);
        line_starts.extend(
            text.match_indices('\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        Source {
            path: path.as_ref().to_path_buf(),
            text: Arc::new(text),
            line_starts,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// A shared copy, for errors that outlive the caller's borrow.
    pub(crate) fn shared(&self) -> Arc<Source> {
        Arc::new(self.clone())
    }

    /// The 1-based line number of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let start = self.line_starts[line - 1] as usize;
        let prefix = self.text.get(start..offset).unwrap_or("");
        (line, prefix.chars().count() + 1)
    }

    /// The byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .map_or(self.text.len(), |&start| start as usize)
    }

    /// `path:line:column` for a byte offset, the form every diagnostic uses.
    pub fn location(&self, offset: usize) -> String {
        let (line, col) = self.line_col(offset);
        format!("{}:{}:{}", self.path.display(), line, col)
    }
}

/// The number of `\n` in `bytes`.
fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

/// `text` with CRLF and lone CR turned into LF, in one pass and only when it has a CR.
fn normalise_line_ends(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find('\r') {
        out.push_str(&rest[..at]);
        out.push('\n');
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('\n') {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one_and_columns_count_characters() {
        let src = Source::new("g.md", "ab\n配置x\n\nlast");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(3), (2, 1));
        assert_eq!(src.line_col(3 + "配置".len()), (2, 3));
        assert_eq!(src.line_col(src.text().len()), (4, 5));
        assert_eq!(src.location(3), "g.md:2:1");
    }

    #[test]
    fn crlf_and_cr_are_read_as_lf_with_the_same_line_numbers() {
        let src = Source::new("g.md", "a\r\nb\rc\n");
        assert_eq!(src.text(), "a\nb\nc\n");
        assert_eq!(src.line_of(4), 3);
        let src = Source::from_string("g.md", "a\r\r\nb\r".to_owned());
        assert_eq!(src.text(), "a\n\nb\n");
        assert_eq!(src.line_of(3), 3);
    }
}
