//! A loaded guide: its path, its text, and the mapping from byte offsets to lines and columns.
//!
//! Every later stage points back into a [`Source`], so that an error or a report can name
//! `file:line:column` and show the line itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::boundary::MAX_FILE;
use crate::error::{Error, ErrorKind, SourceError};

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
#[derive(Debug, Clone)]
pub struct Source {
    path: PathBuf,
    text: Arc<str>,
    line_starts: Vec<usize>,
}

impl Source {
    /// Reads a guide (or an overlay, a values file, `docrun.yaml`) from disk. Only a regular
    /// file (symlinks followed) of at most [`MAX_FILE`] bytes is read: a FIFO is opened without
    /// waiting for a writer and refused, a device or socket is refused, and no more than
    /// `MAX_FILE + 1` bytes are ever read. A missing file, one of these, or one that is not
    /// UTF-8 text is an input error (exit 2) at its file:line:col: UTF-16 (with a byte-order
    /// mark, or without one when the NUL bytes of ASCII characters say so) is refused as such,
    /// and so is any NUL byte, never dropped. A UTF-8 byte-order mark is kept (front matter
    /// reading skips it).
    pub fn load(path: &Path) -> Result<Arc<Source>, Error> {
        let bytes = read_bounded(path)?;
        if let Some(kind) = utf16(&bytes) {
            let src = Source::new(path, "");
            return Err(src
                .error(Span::new(0, 0), kind, "here")
                .with_help(
                    "docrun reads text files as UTF-8; re-save the file as UTF-8 \
                     (e.g. iconv -f UTF-16 -t UTF-8)",
                )
                .into());
        }
        match String::from_utf8(bytes) {
            Ok(text) => {
                let src = Source::new(path, &text);
                match src.text().find('\0') {
                    None => Ok(Arc::new(src)),
                    Some(at) => Err(src
                        .error(Span::new(at, at + 1), ErrorKind::NulByte, "here")
                        .with_help(
                            "a text file has no NUL byte (a shell cannot be given one); remove \
                             it, or write \\0 where a command needs one",
                        )
                        .into()),
                }
            }
            Err(err) => {
                let valid = err.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
                let src = Source::new(path, &lossy);
                // Offsets in the lossy text match the original up to the first invalid byte.
                Err(src
                    .error(Span::new(valid, valid + 1), ErrorKind::NotUtf8, "here")
                    .with_help("docrun reads guides as UTF-8 text; re-save the file as UTF-8")
                    .into())
            }
        }
    }

    /// Builds a source from text already in memory (tests, fuzzing, stdin).
    pub fn new(path: impl AsRef<Path>, text: &str) -> Source {
        let text = normalise_line_ends(text);
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            path: path.as_ref().to_path_buf(),
            text: Arc::from(text),
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
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let start = self.line_starts[line - 1];
        let prefix = self.text.get(start..offset).unwrap_or("");
        (line, prefix.chars().count() + 1)
    }

    /// The byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// `path:line:column` for a byte offset, the form every diagnostic uses.
    pub fn location(&self, offset: usize) -> String {
        let (line, col) = self.line_col(offset);
        format!("{}:{}:{}", self.path.display(), line, col)
    }

    /// An error pointing at `span`, shown with the source line and a caret.
    pub fn error(&self, span: Span, kind: ErrorKind, label: &'static str) -> SourceError {
        SourceError::new(self, span, kind, label)
    }
}

/// The UTF-16 encoding of `bytes`, when they start with a UTF-16 byte-order mark, or have no
/// mark but NUL bytes that fall, in their first 4 KiB, on at least 40% of the odd (UTF-16LE)
/// or even (UTF-16BE) positions and at most 5% of the others: ASCII characters in UTF-16.
fn utf16(bytes: &[u8]) -> Option<ErrorKind> {
    let kind = |encoding, bom| Some(ErrorKind::Utf16 { encoding, bom });
    match bytes {
        [0xFF, 0xFE, ..] => return kind("UTF-16LE", true),
        [0xFE, 0xFF, ..] => return kind("UTF-16BE", true),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(4096)];
    let pairs = head.len() / 2;
    if pairs == 0 || !head.contains(&0) {
        return None;
    }
    let nuls = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let (even, odd) = (nuls(0), nuls(1));
    let most = |n: usize| n * 10 >= pairs * 4;
    let few = |n: usize| n * 20 <= pairs;
    if most(odd) && few(even) {
        kind("UTF-16LE", false)
    } else if most(even) && few(odd) {
        kind("UTF-16BE", false)
    } else {
        None
    }
}

/// The bytes of the regular file at `path`, at most [`MAX_FILE`] of them; see [`Source::load`].
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;

    let refused = |message: String| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, message),
    };
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; the file's
    // type is then read from the open file, so it cannot be swapped after the check.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(refused(
            "is not a regular file (a folder, device, FIFO or socket is never read as a guide)"
                .to_owned(),
        ));
    }
    let too_large = |size: u64| {
        refused(format!(
            "is {size} bytes, over the {MAX_FILE}-byte limit of a file docrun reads"
        ))
    };
    if meta.len() > MAX_FILE {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn normalise_line_ends(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
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

    fn load_bytes(bytes: &[u8]) -> Result<Arc<Source>, Error> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.md");
        std::fs::write(&path, bytes).unwrap();
        Source::load(&path)
    }

    fn kind_and_place(result: Result<Arc<Source>, Error>) -> (ErrorKind, (usize, usize)) {
        match result {
            Err(Error::Source(err)) => (err.kind.clone(), err.line_col()),
            other => panic!("not a located error: {other:?}"),
        }
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn utf16_with_or_without_a_byte_order_mark_is_refused_as_utf16() {
        let guide = "# Guide\n\n```bash\necho hi\n```\n";
        let be: Vec<u8> = guide.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (bytes, encoding, bom) in [
            (utf16le(guide, false), "UTF-16LE", false),
            (utf16le(guide, true), "UTF-16LE", true),
            (be, "UTF-16BE", false),
        ] {
            let (kind, place) = kind_and_place(load_bytes(&bytes));
            assert_eq!(kind, ErrorKind::Utf16 { encoding, bom });
            assert_eq!(place, (1, 1));
        }
        // UTF-8 with a byte-order mark is UTF-8.
        let text = load_bytes(b"\xEF\xBB\xBF# Guide\n").unwrap();
        assert_eq!(text.text(), "\u{feff}# Guide\n");
    }

    #[test]
    fn a_nul_byte_is_refused_at_its_line_and_column() {
        let (kind, place) = kind_and_place(load_bytes(b"# G\r\n\r\n```bash\necho a\0b\n```\n"));
        assert_eq!(kind, ErrorKind::NulByte);
        assert_eq!(place, (4, 7));
    }

    #[test]
    fn crlf_and_cr_are_read_as_lf_with_the_same_line_numbers() {
        let src = Source::new("g.md", "a\r\nb\rc\n");
        assert_eq!(src.text(), "a\nb\nc\n");
        assert_eq!(src.line_of(4), 3);
    }
}
