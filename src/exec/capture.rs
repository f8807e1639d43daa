//! A step's output on its way to the reporters: masked, streamed as it comes, and bounded.
//!
//! Contracts:
//! * Time is linear in the size of the output, with or without line breaks; memory is bounded
//!   (a few hundred KiB per step, whatever the step prints).
//! * Output reaches the reporters as `output` events as it comes: whole lines at once, and a long
//!   line without a break in pieces of [`FLUSH_AT`] bytes, so a step that prints no newline is
//!   still seen. A piece never ends inside a UTF-8 character or inside a secret.
//! * Secrets are masked before any reporter sees the text.
//! * The events carry at most [`LIVE_LIMIT`] bytes of a step's output; after that one event
//!   says how many bytes were left out (the terminal and JSON Lines reports).
//! * The text kept for the step's end ([`Capture::finish`], the `step_finished` event and JUnit)
//!   is the whole output when it is at most [`HEAD`] + [`TAIL`] bytes, else its first [`HEAD`]
//!   and last [`TAIL`] bytes around a line `… N bytes left out …`.
//! * bash's references to the step's script file (`SCRIPT: line N:`, `SCRIPT: N:`) name the
//!   guide's file and line instead ([`ScriptLines`]); the rest of the output is left as it is.
//! * With a full-output file, every byte (masked) is written there too. The file's name comes
//!   from [`file_name`], so a step id never leads it out of its folder, and a symbolic link in
//!   its place is not followed.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::events::{Event, Sink};
use crate::plan::mask;

/// A line without a break is sent in pieces once this many bytes wait.
pub const FLUSH_AT: usize = 8 * 1024;
/// How many bytes of a step's output the `output` events carry.
pub const LIVE_LIMIT: usize = 1 << 20;
/// How much of the beginning of a step's output its report keeps.
pub const HEAD: usize = 32 * 1024;
/// How much of the end of a step's output its report keeps.
pub const TAIL: usize = 32 * 1024;

/// The output of one attempt of a step.
pub struct Capture<'a> {
    id: &'a str,
    secrets: &'a [String],
    /// Bytes received, not yet masked and sent (a partial line, a character cut in two, the
    /// start of a secret).
    pending: Vec<u8>,
    /// Bytes to keep back at the end of a piece cut inside a line: a secret could start there.
    hold: usize,
    /// The whole masked output while it fits in `HEAD + TAIL`.
    all: Option<String>,
    head: String,
    tail: String,
    total: u64,
    live_sent: usize,
    live_dropped: u64,
    file: Option<(PathBuf, BufWriter<File>)>,
    file_error: Option<String>,
    script_lines: Option<ScriptLines>,
}

/// Where each line of a step's script comes from in the guide, so that bash's messages about
/// the temporary file docrun sources (`/tmp/docrun-…/step: line 3: istioctl: command not
/// found`) name the guide's file and line instead (`guide.md:42: istioctl: command not found`).
#[derive(Debug, Clone)]
pub struct ScriptLines {
    /// The script file as bash names it.
    script: String,
    /// The guide, as docrun shows it elsewhere.
    file: String,
    /// The guide's line of each line of the script (index 0 is script line 1).
    lines: Vec<usize>,
}

impl ScriptLines {
    /// The map of a step whose commands (`scripts`, each starting on the guide's line of the
    /// same index in `command_lines`) are joined with line breaks into the script file
    /// `script`: line k of a command (continuations, heredoc bodies, compound commands) is
    /// line k after its first in the guide, as the guide's reader keeps a command's lines.
    pub fn new(script: &Path, file: &Path, scripts: &[String], command_lines: &[usize]) -> Self {
        let mut lines = Vec::new();
        for (i, script) in scripts.iter().enumerate() {
            let first = command_lines
                .get(i)
                .or(command_lines.last())
                .copied()
                .unwrap_or(0);
            let count = script.split('\n').count();
            lines.extend((0..count).map(|k| first + k));
        }
        ScriptLines {
            script: script.display().to_string(),
            file: file.display().to_string(),
            lines,
        }
    }

    /// The guide's line of script line `n` (1-based), if the script has that line.
    pub fn guide_line(&self, n: usize) -> Option<usize> {
        n.checked_sub(1).and_then(|i| self.lines.get(i)).copied()
    }

    /// `text` with every `SCRIPT: line N:` and `SCRIPT: N:` (N a line of the script) written
    /// as `FILE:L:`; everything else, a reference to a line the script does not have
    /// included, is left as it is.
    pub fn rewrite<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.script.is_empty() || !text.contains(&self.script) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find(&self.script) {
            let after = &rest[at + self.script.len()..];
            match self.reference(after) {
                Some((line, used)) => {
                    out.push_str(&rest[..at]);
                    out.push_str(&format!("{}:{line}:", self.file));
                    rest = &after[used..];
                }
                None => {
                    out.push_str(&rest[..at + self.script.len()]);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Cow::Owned(out)
    }

    /// Reads `: line N:` or `: N:` at the start of `after`: the guide's line and the bytes read.
    fn reference(&self, after: &str) -> Option<(usize, usize)> {
        let tail = after.strip_prefix(": ")?;
        let (tail, skipped) = match tail.strip_prefix("line ") {
            Some(t) => (t, 2 + "line ".len()),
            None => (tail, 2),
        };
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || !tail[digits..].starts_with(':') {
            return None;
        }
        let n: usize = tail[..digits].parse().ok()?;
        Some((self.guide_line(n)?, skipped + digits + 1))
    }
}

impl<'a> Capture<'a> {
    /// A capture for step `id`, masking `secrets`, writing the whole output to `full_output`
    /// when given (an error to create it is reported in the step's text, not fatal).
    pub fn new(id: &'a str, secrets: &'a [String], full_output: Option<&Path>) -> Self {
        let (file, file_error) = match full_output {
            None => (None, None),
            Some(path) => match create(path) {
                Ok(f) => (Some((path.to_path_buf(), BufWriter::new(f))), None),
                Err(e) => (
                    None,
                    Some(format!(
                        "cannot write the full output to {}: {e}",
                        path.display()
                    )),
                ),
            },
        };
        let longest = secrets.iter().map(String::len).max().unwrap_or(0);
        Capture {
            id,
            secrets,
            pending: Vec::new(),
            hold: longest.saturating_sub(1).max(3),
            all: Some(String::new()),
            head: String::new(),
            tail: String::new(),
            total: 0,
            live_sent: 0,
            live_dropped: 0,
            file,
            file_error,
            script_lines: None,
        }
    }

    /// Names the guide's file:line where bash names the step's script file (see
    /// [`ScriptLines`]).
    pub fn with_script_lines(mut self, lines: ScriptLines) -> Self {
        self.script_lines = Some(lines);
        self
    }

    /// Takes a chunk of the step's output.
    pub fn push(&mut self, bytes: &[u8], reporters: &mut Sink<'_>) {
        self.pending.extend_from_slice(bytes);
        let cut = match memchr::memrchr(b'\n', &self.pending) {
            Some(end) => end + 1,
            None if self.pending.len() >= FLUSH_AT + self.hold => {
                char_start(&self.pending, self.pending.len() - self.hold)
            }
            None => return,
        };
        let piece: Vec<u8> = self.pending.drain(..cut).collect();
        self.deliver(&piece, reporters);
    }

    fn deliver(&mut self, bytes: &[u8], reporters: &mut Sink<'_>) {
        if bytes.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        let text = match &self.script_lines {
            Some(lines) => mask(&lines.rewrite(&text), self.secrets),
            None => mask(&text, self.secrets),
        };
        if let Some((path, file)) = self.file.as_mut() {
            if let Err(e) = file.write_all(text.as_bytes()) {
                self.file_error = Some(format!(
                    "cannot write the full output to {}: {e}",
                    path.display()
                ));
                self.file = None;
            }
        }
        self.total += text.len() as u64;
        self.keep(&text);
        let room = LIVE_LIMIT.saturating_sub(self.live_sent);
        if room == 0 {
            self.live_dropped += text.len() as u64;
            return;
        }
        let send = &text[..floor_char(&text, room)];
        self.live_sent += send.len();
        self.live_dropped += (text.len() - send.len()) as u64;
        if !send.is_empty() {
            emit(reporters, self.id, send.to_owned());
        }
    }

    /// Keeps the whole text while it is small, then its head and tail.
    fn keep(&mut self, text: &str) {
        if let Some(all) = self.all.as_mut() {
            all.push_str(text);
            if all.len() <= HEAD + TAIL {
                return;
            }
            let all = self.all.take().unwrap_or_default();
            let h = floor_char(&all, HEAD);
            self.head = all[..h].to_owned();
            self.tail = all[h..].to_owned();
        } else {
            self.tail.push_str(text);
        }
        if self.tail.len() > 2 * TAIL {
            let from = ceil_char(&self.tail, self.tail.len() - TAIL);
            self.tail.drain(..from);
        }
    }

    /// Sends what is left and returns the text kept for the step's report (see the module
    /// documentation), with a note where the full output is, and why the full-output file
    /// misses some of it, if it does (a full disk): the caller fails the step then.
    pub fn finish(self, reporters: &mut Sink<'_>) -> (String, Option<String>) {
        let mut this = self;
        let kept = this.finish_text(reporters);
        (kept, this.file_error.take())
    }

    fn finish_text(&mut self, reporters: &mut Sink<'_>) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.deliver(&rest, reporters);
        let mut note = String::new();
        if let Some((path, mut file)) = self.file.take() {
            match file.flush() {
                Ok(()) => note = format!("the full output is in {}", path.display()),
                Err(e) => {
                    self.file_error = Some(format!(
                        "cannot write the full output to {}: {e}",
                        path.display()
                    ))
                }
            }
        }
        if let Some(e) = &self.file_error {
            note = e.clone();
        }
        if self.live_dropped > 0 {
            let where_ = if note.is_empty() {
                "give --full-output DIR to keep all of it".to_owned()
            } else {
                note.clone()
            };
            emit(
                reporters,
                self.id,
                format!(
                    "\n… {} bytes of output left out here ({where_})\n",
                    self.live_dropped
                ),
            );
        }
        let kept = match self.all.take() {
            Some(all) => all,
            None => {
                let left_out = self.total - (self.head.len() + self.tail.len()) as u64;
                let where_ = if note.is_empty() {
                    "give --full-output DIR to keep all of it".to_owned()
                } else {
                    note
                };
                format!(
                    "{}{}… {left_out} bytes left out ({where_}) …\n{}",
                    self.head,
                    if self.head.ends_with('\n') { "" } else { "\n" },
                    self.tail
                )
            }
        };
        match &self.file_error {
            Some(e) => format!(
                "{kept}{}[{e}]\n",
                if kept.ends_with('\n') { "" } else { "\n" }
            ),
            None => kept,
        }
    }
}

fn create(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // A step could have put a link where its log goes, to have docrun write elsewhere.
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
}

/// The longest name [`file_name`] returns before its suffix, well under the 255 bytes a file
/// name may have.
const NAME_MAX: usize = 160;

/// `name` (a step id, a guide's path) as one file name that stays in the folder it is joined
/// to, whatever the name holds: every character outside `[A-Za-z0-9_.-]` becomes `_`, a leading
/// `.` becomes `_` (so never `.`, `..` or a hidden file), an empty name is `_`, and a long one
/// is cut. A name that had to change gets `-` and 8 hex digits of its hash, so two names that
/// differ only in what was replaced do not share a file; a name that is already safe is kept
/// as it is (`install_1` stays `install_1`).
pub fn file_name(name: &str) -> String {
    let mut safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.starts_with('.') {
        safe.replace_range(..1, "_");
    }
    if safe.is_empty() {
        safe.push('_');
    }
    safe.truncate(NAME_MAX);
    if safe != name {
        let hash = Sha256::digest(name.as_bytes());
        safe.push('-');
        safe.extend(hash.iter().take(4).map(|b| format!("{b:02x}")));
    }
    safe
}

fn emit(reporters: &mut Sink<'_>, id: &str, text: String) {
    reporters.emit(Event::Output {
        id: id.to_owned(),
        text,
    });
}

/// The start of the UTF-8 character at or before `at` (at most 3 bytes back).
fn char_start(bytes: &[u8], at: usize) -> usize {
    let mut i = at;
    while i > 0 && at - i < 3 && bytes.get(i).is_some_and(|b| b & 0xC0 == 0x80) {
        i -= 1;
    }
    i
}

/// The largest char boundary of `s` at or before `at`.
fn floor_char(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `s` at or after `at`.
fn ceil_char(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Masked, Masker, Reporter};
    use std::sync::{Arc, Mutex};

    struct Seen(Arc<Mutex<Vec<String>>>);
    impl Reporter for Seen {
        fn event(&mut self, event: &Masked) {
            if let Event::Output { text, .. } = event.event() {
                self.0.lock().unwrap().push(text.clone());
            }
        }
    }

    fn capture(chunks: &[&[u8]], secrets: &[String], file: Option<&Path>) -> (String, Vec<String>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut list: Vec<Box<dyn Reporter>> = vec![Box::new(Seen(seen.clone()))];
        let mut reporters = Sink::new(Masker::new(secrets), &mut list);
        let mut c = Capture::new("s", secrets, file);
        for chunk in chunks {
            c.push(chunk, &mut reporters);
        }
        let (kept, _) = c.finish(&mut reporters);
        let events = seen.lock().unwrap().clone();
        (kept, events)
    }

    #[test]
    fn small_output_is_kept_whole_and_sent_by_lines() {
        let (kept, events) = capture(&[b"a\nb", b"c\n", b"tail"], &[], None);
        assert_eq!(kept, "a\nbc\ntail");
        assert_eq!(events, vec!["a\n", "bc\n", "tail"]);
    }

    #[test]
    fn a_line_without_a_break_is_sent_in_pieces_that_never_split_a_secret_or_a_character() {
        let secret = "s3cret-value".to_owned();
        let mut text = "é".repeat(FLUSH_AT);
        text.push_str(&secret);
        text.push_str(&"x".repeat(FLUSH_AT));
        let bytes = text.as_bytes();
        let chunks: Vec<&[u8]> = bytes.chunks(1000).collect();
        let (_, events) = capture(&chunks, std::slice::from_ref(&secret), None);
        assert!(events.len() > 2, "sent before the end: {}", events.len());
        let joined: String = events.concat();
        assert!(!joined.contains("s3cret"));
        assert!(!joined.contains('\u{FFFD}'));
        assert_eq!(joined, text.replace(&secret, "***"));
    }

    fn lines() -> ScriptLines {
        ScriptLines::new(
            Path::new("/tmp/docrun-ab12/step"),
            Path::new("docs/guide.md"),
            &[
                "echo a \\\n  b".to_owned(),
                "cat <<EOF\nx\nEOF".to_owned(),
                "nosuch".to_owned(),
            ],
            &[10, 14, 20],
        )
    }

    #[test]
    fn script_lines_follow_continuations_and_heredocs_into_the_guide() {
        let map = lines();
        let found: Vec<_> = (1..=6).map(|n| map.guide_line(n)).collect();
        assert_eq!(
            found,
            [Some(10), Some(11), Some(14), Some(15), Some(16), Some(20)]
        );
        assert_eq!(map.guide_line(0), None);
        assert_eq!(map.guide_line(7), None);
    }

    #[test]
    fn bash_references_to_the_script_name_the_guide_and_the_rest_is_untouched() {
        let map = lines();
        let text = "ok\n/tmp/docrun-ab12/step: line 6: nosuch: command not found\n\
                    /tmp/docrun-ab12/step: 2: x\n/tmp/docrun-ab12/step: line 99: far\n\
                    /tmp/docrun-ab12/stepper: line 1: other\n";
        assert_eq!(
            map.rewrite(text),
            "ok\ndocs/guide.md:20: nosuch: command not found\n\
             docs/guide.md:11: x\n/tmp/docrun-ab12/step: line 99: far\n\
             /tmp/docrun-ab12/stepper: line 1: other\n"
        );
        assert!(matches!(map.rewrite("plain\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn file_names_are_one_component_in_their_folder() {
        assert_eq!(file_name("install_1"), "install_1");
        assert_eq!(file_name("a.b-c_1"), "a.b-c_1");
        for id in [
            "../../etc/passwd",
            "..",
            ".",
            "",
            "/abs/path",
            ".hidden",
            "a/b",
            "a\\b",
            "tab\there",
            "变量_1",
            &"x/".repeat(300),
        ] {
            let name = file_name(id);
            let path = Path::new("/out").join(format!("{name}.log"));
            assert_eq!(path.parent(), Some(Path::new("/out")), "{id:?} -> {name}");
            assert!(
                !name.starts_with('.') && !name.is_empty(),
                "{id:?} -> {name}"
            );
            assert!(name.len() < 200, "{id:?} -> {name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')),
                "{id:?} -> {name}"
            );
        }
        assert_ne!(file_name("a/b"), file_name("a_b"));
        assert_ne!(file_name("a/b"), file_name("a:b"));
    }

    #[test]
    fn large_output_keeps_head_and_tail_and_says_how_much_is_left_out() {
        let line = "0123456789abcdef\n".repeat(1 << 16); // 1 MiB + 64 KiB
        let chunks: Vec<&[u8]> = line.as_bytes().chunks(32 * 1024).collect();
        let total = line.len() as u64;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("step.log");
        let (kept, events) = capture(&chunks, &[], Some(&file));
        let left_out = total - (HEAD + TAIL) as u64;
        assert!(
            kept.contains(&format!(
                "… {left_out} bytes left out (the full output is in {}) …",
                file.display()
            )),
            "{}",
            &kept[HEAD - 20..HEAD + 200]
        );
        assert!(kept.len() < HEAD + TAIL + 200);
        assert!(kept.ends_with("0123456789abcdef\n"));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), line);
        let live: usize = events.iter().map(String::len).sum();
        assert!(live < LIVE_LIMIT + 200);
        assert!(events
            .last()
            .unwrap()
            .contains("bytes of output left out here"));
    }
}
