//! Reading a file docrun is given or a guide names: a regular file of bounded size, read as
//! UTF-8 text into a [`Source`]. Every text file docrun reads (guides, overlays, values files,
//! `docrun.yaml`, site data) comes through [`load`]. Which files may be read at all, the
//! documentation tree's boundary decides, above this module.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, ErrorKind};
use crate::source::{Source, Span};

/// The largest file docrun reads, a guide or a file a guide names (an include, a `file=` block,
/// a manifest): far above any real page, far below what would hurt.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

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
            let src = Source::from_string(path, text);
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
            let src = Source::from_string(path, lossy);
            // Offsets in the lossy text match the original up to the first invalid byte.
            Err(src
                .error(Span::new(valid, valid + 1), ErrorKind::NotUtf8, "here")
                .with_help("docrun reads guides as UTF-8 text; re-save the file as UTF-8")
                .into())
        }
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

/// The bytes of the regular file at `path`, at most [`MAX_FILE`] of them; see [`load`].
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load_bytes(bytes: &[u8]) -> Result<Arc<Source>, Error> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.md");
        std::fs::write(&path, bytes).unwrap();
        load(&path)
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
}
