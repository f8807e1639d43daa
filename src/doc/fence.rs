//! Fenced code block markers as CommonMark reads them, for the passes that scan a page's lines
//! before pulldown-cmark does (MkDocs containers, MDX, the cuts of a long page): each must
//! agree with pulldown-cmark on where a fence opens and closes.

/// An open fenced block: its character (`` ` `` or `~`) and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fence {
    ch: u8,
    len: usize,
}

impl Fence {
    /// The fence `trimmed` (a line without its indentation) opens: three or more backticks or
    /// tildes; a backtick fence's info string holds no backtick (```` ```a``` b ```` is inline
    /// code).
    pub(super) fn opened_by(trimmed: &str) -> Option<Fence> {
        let ch = *trimmed.as_bytes().first()?;
        if ch != b'`' && ch != b'~' {
            return None;
        }
        let len = trimmed.bytes().take_while(|&b| b == ch).count();
        let info = &trimmed[len..];
        (len >= 3 && !(ch == b'`' && info.contains('`'))).then_some(Fence { ch, len })
    }

    /// Whether `trimmed` closes this fence: the same character, at least as many, and nothing
    /// after them but blanks.
    pub(super) fn closed_by(self, trimmed: &str) -> bool {
        let run = trimmed.bytes().take_while(|&b| b == self.ch).count();
        run >= self.len && trimmed[run..].trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_open_and_close_as_commonmark_says() {
        let open = Fence::opened_by("```bash title=\"x\"").unwrap();
        assert!(open.closed_by("```"));
        assert!(open.closed_by("````  "));
        assert!(!open.closed_by("``"));
        assert!(!open.closed_by("~~~"));
        assert!(!open.closed_by("``` x"));
        assert!(Fence::opened_by("```inline``` code").is_none());
        assert!(Fence::opened_by("~~~ `tilde` info").is_some());
        assert!(Fence::opened_by("``").is_none());
    }
}
