//! The one reader of where values land in a shell command: every placeholder (`<your value>`)
//! and every variable use (`$NAME`, `${NAME}`, a bare name in arithmetic), each with the
//! context the shell reads it in.
//!
//! A context is more than the quotes around a word. Text may be read by a shell twice: a
//! quoted string given to `sh -c`, `bash -lc`, `eval`, `su -c`, `watch` or `ssh`, a word
//! piped into a shell (`echo … | sh`), a heredoc fed to one (`bash <<EOF`, `cat <<EOF | sh`),
//! the inside of backticks. Each time text passes from one shell to the next it goes through
//! a [`Layer`]: the value is written for the innermost reader, then escaped for each layer
//! outwards, so that every shell on the way reads back exactly what the next one needs.
//! Quoted strings are always read as the code they would be if another shell got them, so a
//! value placed in one is safe whether or not docrun recognised the command that reparses it.
//!
//! The reader is linear in the length of the command for nesting up to [`MAX_DEPTH`]
//! quoting layers; deeper text is not read again, and a value placed there must be inert.

use super::subst::{is_var_name, Context, Found, Layer, Occurrence};

/// How many times text may be read again (a string inside a string inside a string ...)
/// before the reader stops looking inside.
pub const MAX_DEPTH: usize = 6;

/// Programs that read their standard input (or the word after `-c`) as shell code.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "busybox"];

/// Reads a command: its placeholders and variable uses, in order.
pub fn read(command: &str) -> Vec<Occurrence> {
    let mut lexer = Lexer::new(command, false, false, 0);
    let mut i = 0;
    while i < command.len() {
        // A stray `)` at the top level ends `code`; read on after it.
        i = lexer.code(i);
    }
    lexer.finish()
}

/// A heredoc opened on the current line; its body starts after the line ends.
struct Pending {
    word: String,
    quoted: bool,
    fed_to_shell: bool,
}

/// The words of the simple command being read, for the questions that decide a context.
#[derive(Default)]
struct SimpleCommand {
    words: Vec<String>,
    word_start: Option<usize>,
    first_occurrence: usize,
    previous_occurrences: std::ops::Range<usize>,
    previous_word: std::ops::Range<usize>,
    piped_to_shell: bool,
    in_test: bool,
    arithmetic_next: bool,
}

impl SimpleCommand {
    fn new(piped_to_shell: bool) -> Self {
        SimpleCommand {
            piped_to_shell,
            ..SimpleCommand::default()
        }
    }

    fn name(&self) -> Option<&str> {
        self.words
            .iter()
            .map(String::as_str)
            .find(|w| !is_assignment(w) && !WRAPPERS.contains(w))
    }

    /// Whether the word being read now is code for another shell.
    fn code_word(&self) -> bool {
        let Some(name) = self.name() else {
            return false;
        };
        if self.piped_to_shell {
            return true;
        }
        if name == "eval" || name == "watch" || name == "ssh" {
            return true;
        }
        let last = self.words.last().map(String::as_str).unwrap_or("");
        is_dash_c(last)
            && (name == "su" || name == "runuser" || self.words.iter().any(|w| is_shell(w)))
    }

    /// `declare -i`, `typeset -i`, `local -i`: the assignments that follow are evaluated as
    /// arithmetic.
    fn integer_declaration(&self) -> bool {
        matches!(
            self.name(),
            Some("declare" | "typeset" | "local" | "export" | "readonly")
        ) && self
            .words
            .iter()
            .any(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('i'))
    }

    /// Whether a heredoc opened now feeds a shell: `bash <<EOF`, `kubectl exec -i p -- sh
    /// <<EOF`, `ssh host <<EOF`, `cat <<EOF | sh`.
    fn feeds_shell(&self) -> bool {
        if self.piped_to_shell || self.name() == Some("ssh") {
            return true;
        }
        match self.words.iter().rposition(|w| is_shell(w)) {
            Some(at) => !self.words[at + 1..].iter().any(|w| is_dash_c(w)),
            None => false,
        }
    }
}

/// Words that run the next word as the command.
const WRAPPERS: &[&str] = &[
    "sudo", "env", "command", "exec", "nohup", "time", "nice", "timeout", "xargs", "then", "do",
    "else", "!", "{", "(",
];

/// The subscript of `name[subscript]=value` (or `+=`), as a range in the word.
fn subscript_of_assignment(word: &str) -> Option<std::ops::Range<usize>> {
    let open = word.find('[')?;
    if !is_var_name(&word[..open]) {
        return None;
    }
    let close = open
        + word[open..]
            .find("]=")
            .or_else(|| word[open..].find("]+="))?;
    Some(open + 1..close)
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(n, _)| is_var_name(n))
}

/// `-c` and the short options that end in it (`-lc`, `-ec`): the next word is a script.
fn is_dash_c(word: &str) -> bool {
    word.len() > 1
        && word.starts_with('-')
        && word.ends_with('c')
        && word[1..].bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_shell(word: &str) -> bool {
    let base = word.rsplit('/').next().unwrap_or(word);
    SHELLS.contains(&base)
}

struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    /// The text is the inside of a quoted string: placeholders must read as words, and there
    /// are no comments, capitals placeholders or heredocs.
    quoted_text: bool,
    /// The text is code some shell will run (not only possibly).
    code: bool,
    depth: usize,
    out: Vec<Occurrence>,
    pending: Vec<Pending>,
    /// What the commands being read print is read by a shell (`source <(…)`).
    feeding_shell: bool,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str, quoted_text: bool, code: bool, depth: usize) -> Self {
        Lexer {
            text,
            b: text.as_bytes(),
            quoted_text,
            code,
            depth,
            out: Vec::new(),
            pending: Vec::new(),
            feeding_shell: false,
        }
    }

    fn finish(mut self) -> Vec<Occurrence> {
        self.out.sort_by_key(|o| o.range.start);
        // Occurrences never overlap: the first of two that do is kept.
        let mut end = 0;
        self.out.retain(|o| {
            let keep = o.range.start >= end;
            if keep {
                end = o.range.end;
            }
            keep
        });
        self.out
    }

    fn push(&mut self, range: std::ops::Range<usize>, found: Found, context: Context) {
        self.out.push(Occurrence::new(range, found, context));
    }

    /// Reads code from `i` until the end or the `)` that closes it (a `$(`, `<(` or `>(`).
    /// Returns the byte after where it stopped.
    fn code(&mut self, mut i: usize) -> usize {
        let mut cmd = SimpleCommand::new(self.piped_to_shell(i));
        let mut parens = 0usize;
        while i < self.b.len() {
            let c = self.b[i];
            match c {
                b'\n' => {
                    self.end_word(&mut cmd, i);
                    i = self.heredoc_bodies(i + 1);
                    cmd = SimpleCommand::new(self.piped_to_shell(i));
                    continue;
                }
                b' ' | b'\t' | b'\r' => {
                    self.end_word(&mut cmd, i);
                    i += 1;
                    continue;
                }
                b';' | b'&' | b'|' => {
                    self.end_word(&mut cmd, i);
                    i += if self.b.get(i + 1) == Some(&c) { 2 } else { 1 };
                    cmd = SimpleCommand::new(self.piped_to_shell(i));
                    continue;
                }
                b'#' if cmd.word_start.is_none() && !self.quoted_text => {
                    while i < self.b.len() && self.b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b')' => {
                    self.end_word(&mut cmd, i);
                    if parens == 0 {
                        return i + 1;
                    }
                    parens -= 1;
                    i += 1;
                    continue;
                }
                b'(' if cmd.word_start.is_none() => {
                    if self.b.get(i + 1) == Some(&b'(') && cmd.name().is_none() {
                        i = self.arithmetic(i + 2);
                    } else {
                        parens += 1;
                        i += 1;
                    }
                    continue;
                }
                _ => {}
            }
            if cmd.word_start.is_none() {
                cmd.word_start = Some(i);
                cmd.first_occurrence = self.out.len();
            }
            i = match c {
                b'\\' => {
                    let next = self.text[i + 1..].chars().next().map_or(0, char::len_utf8);
                    i + 1 + next
                }
                b'\'' => self.single(i, &cmd),
                b'"' => self.double(i, &cmd),
                b'`' => self.backtick(i, &cmd),
                b'$' => self.dollar(i, Context::Unquoted, cmd.code_word()),
                b'<' | b'>' if self.b.get(i + 1) == Some(&b'(') => {
                    // `source <(…)`, `. <(…)`, `bash <(…)`: what the inner commands print is
                    // code.
                    let sourced = matches!(cmd.name(), Some("source" | "."))
                        || cmd.name().is_some_and(is_shell);
                    let outer = std::mem::replace(&mut self.feeding_shell, sourced);
                    let next = self.code(i + 2);
                    self.feeding_shell = outer;
                    next
                }
                b'<' if self.b.get(i + 1) == Some(&b'<') => self.heredoc_opening(i, &cmd),
                b'<' => self.placeholder(i, cmd.code_word()),
                b'A'..=b'Z' if !self.quoted_text => self.capitals(i, &cmd),
                _ => i + 1,
            }
            .min(self.b.len());
        }
        self.end_word(&mut cmd, i);
        i
    }

    fn end_word(&mut self, cmd: &mut SimpleCommand, end: usize) {
        let Some(start) = cmd.word_start.take() else {
            return;
        };
        let word = &self.text[start..end];
        let occurrences = cmd.first_occurrence..self.out.len();
        let first = cmd.words.is_empty();
        let arithmetic_op = ["-eq", "-ne", "-lt", "-le", "-gt", "-ge"].contains(&word);
        if cmd.in_test && arithmetic_op {
            let (range, occ) = (cmd.previous_word.clone(), cmd.previous_occurrences.clone());
            self.arithmetic_word(range, occ);
            cmd.arithmetic_next = true;
        } else if cmd.arithmetic_next || cmd.name() == Some("let") || cmd.integer_declaration() {
            cmd.arithmetic_next = false;
            self.arithmetic_word(start..end, occurrences.clone());
        } else if let Some(subscript) = subscript_of_assignment(word) {
            // `name[subscript]=value`: the subscript of an indexed array is arithmetic.
            let range = start + subscript.start..start + subscript.end;
            let inside: Vec<usize> = occurrences
                .clone()
                .filter(|k| range.contains(&self.out[*k].range.start))
                .collect();
            if let (Some(first), Some(last)) = (inside.first(), inside.last()) {
                self.arithmetic_word(range, *first..*last + 1);
            } else {
                self.arithmetic_word(range, self.out.len()..self.out.len());
            }
        }
        if word == "[[" && first {
            cmd.in_test = true;
        } else if word == "]]" {
            cmd.in_test = false;
        }
        cmd.previous_word = start..end;
        cmd.previous_occurrences = occurrences;
        cmd.words.push(word.to_owned());
    }

    /// A word bash evaluates as arithmetic (`let` arguments, `[[ x -eq y ]]` operands): its
    /// uses are in [`Context::Arithmetic`], and so are the bare names in it.
    fn arithmetic_word(
        &mut self,
        word: std::ops::Range<usize>,
        occurrences: std::ops::Range<usize>,
    ) {
        let taken: Vec<std::ops::Range<usize>> = self.out[occurrences.clone()]
            .iter()
            .map(|o| o.range.clone())
            .collect();
        for occ in &mut self.out[occurrences] {
            if occ.layers.is_empty() {
                occ.context = Context::Arithmetic;
            }
        }
        let mut i = word.start;
        while i < word.end {
            if let Some(r) = taken.iter().find(|r| r.contains(&i)) {
                i = r.end;
                continue;
            }
            let c = self.b[i];
            if (c.is_ascii_alphabetic() || c == b'_') && (i == 0 || self.b[i - 1] != b'$') {
                let len = self.b[i..word.end]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                let name = &self.text[i..i + len];
                self.push(
                    i..i + len,
                    Found::ArithName(name.to_owned()),
                    Context::Arithmetic,
                );
                i += len;
            } else {
                i += 1;
            }
        }
    }

    /// Reads arithmetic after `((` or `$((` up to the `))` that closes it.
    fn arithmetic(&mut self, mut i: usize) -> usize {
        let mut depth = 0usize;
        while i < self.b.len() {
            match self.b[i] {
                b'(' => depth += 1,
                b')' => {
                    if depth == 0 {
                        return i + if self.b.get(i + 1) == Some(&b')') {
                            2
                        } else {
                            1
                        };
                    }
                    depth -= 1;
                }
                b'$' => {
                    i = self.dollar(i, Context::Arithmetic, false);
                    continue;
                }
                b'`' => {
                    i = self.backtick(i, &SimpleCommand::default());
                    continue;
                }
                b'<' => {
                    if let Some(occ) =
                        super::subst::placeholder_at(self.text, i, Context::Arithmetic).filter(
                            |o| matches!(&o.found, Found::Placeholder(t) if t.contains([' ', '-'])),
                        )
                    {
                        i = occ.range.end;
                        self.out.push(occ);
                        continue;
                    }
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let len = self.b[i..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                        .count();
                    let name = self.text[i..i + len].to_owned();
                    self.push(i..i + len, Found::ArithName(name), Context::Arithmetic);
                    i += len;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        i
    }

    /// Reads arithmetic from `start` up to the next `close` (a subscript's `]`, a substring's
    /// `}`), and returns where `close` is.
    fn arithmetic_until(&mut self, start: usize, close: char) -> usize {
        let end = self.text[start..]
            .find(close)
            .map_or(self.b.len(), |n| start + n);
        let mut inner = Lexer::new(&self.text[..end], false, false, self.depth);
        inner.arithmetic(start);
        self.out.extend(inner.out);
        end
    }

    /// `$` at `i`: `$((`, `$(`, `${NAME}`, `$NAME`, or a plain `$`.
    fn dollar(&mut self, i: usize, context: Context, code_word: bool) -> usize {
        match self.b.get(i + 1) {
            Some(b'(') if self.b.get(i + 2) == Some(&b'(') => self.arithmetic(i + 3),
            Some(b'(') => self.code(i + 2),
            _ => match super::subst::var_ref_at(self.text, i, context) {
                Some(mut occ) => {
                    let end = occ.range.end;
                    occ.expanded_before_parse = code_word;
                    if code_word {
                        occ.layers.push(Layer::Word);
                    }
                    self.out.push(occ);
                    end
                }
                None if self.text[i..].starts_with("${") => {
                    let name_len = self.b[i + 2..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                        .count();
                    let at = i + 2 + name_len;
                    // `${NAME:offset:length}` and `${NAME[subscript]}`: arithmetic inside.
                    let substring = self.b.get(at) == Some(&b':')
                        && self.b.get(at + 1).is_some_and(|b| !b"-=+?".contains(b));
                    match (name_len > 0, substring, self.b.get(at)) {
                        (true, true, _) => self.arithmetic_until(at + 1, '}'),
                        (true, false, Some(b'[')) => self.arithmetic_until(at + 1, ']'),
                        _ => i + 2,
                    }
                }
                None => i + 1,
            },
        }
    }

    /// A `<placeholder>` at `i` outside quotes.
    fn placeholder(&mut self, i: usize, code_word: bool) -> usize {
        let context = Context::Unquoted;
        let found = if self.quoted_text {
            super::subst::placeholder_at(self.text, i, Context::Double)
                .map(|o| Occurrence { context, ..o })
        } else {
            super::subst::placeholder_at(self.text, i, context)
        };
        match found {
            Some(mut occ) => {
                let end = occ.range.end;
                if code_word {
                    occ.layers.push(Layer::Word);
                }
                self.out.push(occ);
                end
            }
            None => i + 1,
        }
    }

    /// A word in capitals at `i` that may be a placeholder (`YOUR_API_KEY_HERE`).
    fn capitals(&mut self, i: usize, cmd: &SimpleCommand) -> usize {
        if let Some(mut occ) = super::subst::caps_word_at(self.text, i) {
            let end = occ.range.end;
            if cmd.code_word() {
                occ.layers.push(Layer::Word);
            }
            self.out.push(occ);
            return end;
        }
        let len = self.b[i..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        i + len.max(1)
    }

    /// `<<`, `<<-` or `<<<` at `i`.
    fn heredoc_opening(&mut self, i: usize, cmd: &SimpleCommand) -> usize {
        if self.b.get(i + 2) == Some(&b'<') {
            return i + 3;
        }
        let (doc, next) = crate::doc::bash::heredoc_at(self.text, i + 2);
        if let Some(doc) = doc {
            if !self.quoted_text || self.code {
                self.pending.push(Pending {
                    word: doc.word,
                    quoted: doc.quoted,
                    fed_to_shell: cmd.feeds_shell(),
                });
            }
        }
        next.max(i + 2)
    }

    /// Reads the bodies of the heredocs opened on the line that ended before `i`.
    fn heredoc_bodies(&mut self, mut i: usize) -> usize {
        for doc in std::mem::take(&mut self.pending) {
            let start = i;
            let mut body_end = self.b.len();
            while i < self.b.len() {
                let end = self.text[i..].find('\n').map_or(self.b.len(), |n| i + n);
                if self.text[i..end].trim_start_matches('\t') == doc.word {
                    body_end = i;
                    i = (end + 1).min(self.b.len());
                    break;
                }
                i = (end + 1).min(self.b.len());
            }
            let body_end = body_end.min(i);
            if start >= body_end {
                continue;
            }
            if doc.fed_to_shell {
                let layer = Layer::Heredoc {
                    expanding: !doc.quoted,
                };
                self.reread(start, body_end, layer, !doc.quoted, false, true);
            } else {
                let context = if doc.quoted {
                    Context::HeredocLiteral
                } else {
                    Context::HeredocExpanding
                };
                self.plain(start, body_end, context, !doc.quoted);
            }
        }
        i
    }

    /// Text that is only data (a heredoc body for a file): placeholders, and `$NAME` where the
    /// shell expands it.
    fn plain(&mut self, start: usize, end: usize, context: Context, refs: bool) {
        let mut i = start;
        while i < end {
            match self.b[i] {
                b'\\' if refs => i += 1,
                b'$' if refs => {
                    if let Some(occ) = super::subst::var_ref_at(self.text, i, context) {
                        i = occ.range.end;
                        self.out.push(occ);
                        continue;
                    }
                }
                b'<' => {
                    if let Some(occ) = super::subst::placeholder_at(self.text, i, context) {
                        if occ.range.end <= end {
                            i = occ.range.end;
                            self.out.push(occ);
                            continue;
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// `'...'` at `i`.
    fn single(&mut self, i: usize, cmd: &SimpleCommand) -> usize {
        if let Some(occ) = self.whole_quoted(i, cmd) {
            return occ;
        }
        let close = self.text[i + 1..]
            .find('\'')
            .map_or(self.b.len(), |n| i + 1 + n);
        let code = cmd.code_word();
        self.reread(i + 1, close, Layer::Single, false, code, false);
        close + 1
    }

    /// A quoted word that is exactly one placeholder, at `i`.
    fn whole_quoted(&mut self, i: usize, cmd: &SimpleCommand) -> Option<usize> {
        let mut occ = super::subst::whole_quoted_at(self.text, i)?;
        let end = occ.range.end;
        if cmd.code_word() {
            occ.layers.push(Layer::Word);
        }
        self.out.push(occ);
        Some(end)
    }

    /// `"..."` at `i`. `$NAME`, `$(...)`, `$((...))` and backticks in it are the outer shell's;
    /// the rest is read again as the code it would be for another shell.
    fn double(&mut self, i: usize, cmd: &SimpleCommand) -> usize {
        if let Some(end) = self.whole_quoted(i, cmd) {
            return end;
        }
        let code = cmd.code_word();
        let mut j = i + 1;
        let mut plain_from = j;
        let mut pieces: Vec<(usize, usize)> = Vec::new();
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                b'"' => break,
                b'`' => {
                    pieces.push((plain_from, j));
                    j = self.backtick(j, &SimpleCommand::default());
                    plain_from = j;
                }
                b'$' => {
                    let before = self.out.len();
                    let next = self.dollar(j, Context::Double, false);
                    if next > j + 1 {
                        pieces.push((plain_from, j));
                        plain_from = next;
                    }
                    for occ in &mut self.out[before..] {
                        if matches!(occ.found, Found::VarRef(_)) && occ.range.start == j {
                            occ.expanded_before_parse = code;
                        }
                    }
                    j = next;
                }
                _ => j += 1,
            }
        }
        let close = j.min(self.b.len());
        pieces.push((plain_from, close));
        for (start, end) in pieces {
            if start < end {
                self.reread(
                    start,
                    end.min(self.b.len()),
                    Layer::Double,
                    false,
                    code,
                    false,
                );
            }
        }
        close + 1
    }

    /// `` `...` `` at `i`: the inside is code, after `\\`, `` \` `` and `\$` lose their `\`.
    fn backtick(&mut self, i: usize, _cmd: &SimpleCommand) -> usize {
        let mut j = i + 1;
        while j < self.b.len() && self.b[j] != b'`' {
            j += if self.b[j] == b'\\' { 2 } else { 1 };
        }
        let close = j.min(self.b.len());
        self.reread(i + 1, close, Layer::Backtick, false, true, true);
        close + 1
    }

    /// Reads `start..end` again as the code another shell (or a second pass of this one) sees
    /// through `layer`, and adds what it finds, in this text's places.
    ///
    /// `unescape`: the outer shell removes `\` before `$`, `` ` `` and `\` first (a heredoc
    /// with a bare delimiter). `refs`: keep every variable use found inside (the text is code
    /// a shell will run); otherwise only placeholders and arithmetic.
    fn reread(
        &mut self,
        start: usize,
        end: usize,
        layer: Layer,
        unescape: bool,
        code: bool,
        refs: bool,
    ) {
        // Text no shell runs again keeps only its placeholders: without a `<` there is nothing
        // to read (most quoted strings of a guide).
        if !code && !refs && !self.b[start..end].contains(&b'<') {
            return;
        }
        let quoted_text = matches!(layer, Layer::Double | Layer::Single);
        if self.depth >= MAX_DEPTH {
            // Too deep to read again: a placeholder here takes only an inert value.
            let context = if quoted_text {
                Context::Double
            } else {
                Context::Unquoted
            };
            let mut i = start;
            while i < end {
                if self.b[i] == b'<' {
                    if let Some(mut occ) = super::subst::placeholder_at(self.text, i, context)
                        .filter(|o| o.range.end <= end)
                    {
                        i = occ.range.end;
                        occ.context = Context::Opaque;
                        self.out.push(occ);
                        continue;
                    }
                }
                i += 1;
            }
            return;
        }
        let (inner, map) = inner_text(&self.text[start..end], layer, unescape);
        let mut lexer = Lexer::new(&inner, quoted_text, code, self.depth + 1);
        let mut k = 0;
        while k < inner.len() {
            k = lexer.code(k);
        }
        for mut occ in lexer.finish() {
            let keep = match &occ.found {
                Found::Placeholder(_) => true,
                Found::ArithName(_) => code,
                Found::VarRef(_) => refs || (code && occ.context == Context::Arithmetic),
            };
            if !keep {
                continue;
            }
            let outer_start = start + map[occ.range.start];
            let outer_end = start + map[occ.range.end - 1] + 1;
            if let Found::VarRef(_) = occ.found {
                // A `$` the outer shell did not escape: it expands it before the inner one
                // parses the text.
                let escaped = outer_start > 0 && self.b[outer_start - 1] == b'\\';
                if unescape && !escaped {
                    occ.expanded_before_parse = true;
                }
            }
            occ.range = outer_start..outer_end;
            occ.layers.push(layer);
            self.out.push(occ);
        }
    }

    /// Whether the simple command that starts at `i` pipes its output into a shell
    /// (`echo … | sh`, `cat <<EOF | bash`, `curl … | sudo sh -s`).
    fn piped_to_shell(&self, mut i: usize) -> bool {
        if self.feeding_shell {
            return true;
        }
        // Find where this simple command ends, skipping quotes and substitutions.
        while i < self.b.len() {
            match self.b[i] {
                b'\\' => i += 2,
                b'\'' => {
                    i = self.text[i + 1..]
                        .find('\'')
                        .map_or(self.b.len(), |n| i + n + 2)
                }
                b'"' => {
                    i += 1;
                    while i < self.b.len() && self.b[i] != b'"' {
                        i += if self.b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b'\n' | b';' | b'&' | b'(' | b')' => return false,
                b'|' => break,
                _ => i += 1,
            }
        }
        if i >= self.b.len() || self.b.get(i + 1) == Some(&b'|') {
            return false;
        }
        // Any later command of the pipeline on this line: what flows into it is code when it
        // is a shell that reads its input (`| sh`, `| tee log | sudo bash -s`).
        let rest = &self.text[i + 1..];
        let line = rest.split(['\n', ';', '&', ')']).next().unwrap_or("");
        line.split('|').any(|segment| {
            let mut words = segment
                .split_whitespace()
                .skip_while(|w| WRAPPERS.contains(w) || is_assignment(w) || w.starts_with('-'));
            match words.next() {
                Some(w) if is_shell(w) => !words.any(is_dash_c),
                _ => false,
            }
        })
    }
}

/// The text a shell reads after passing `text` through `layer`, and for each of its bytes the
/// byte of `text` it came from (plus one entry for the end).
fn inner_text(text: &str, layer: Layer, unescape: bool) -> (String, Vec<usize>) {
    let b = text.as_bytes();
    let mut inner = Vec::with_capacity(b.len());
    let mut map = Vec::with_capacity(b.len() + 1);
    let special: &[u8] = match layer {
        Layer::Double => b"\\$`\"\n",
        Layer::Backtick => b"\\$`",
        Layer::Heredoc { .. } if unescape => b"\\$`\n",
        _ => b"",
    };
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1).is_some_and(|c| special.contains(c)) {
            if b[i + 1] != b'\n' {
                inner.push(b[i + 1]);
                map.push(i + 1);
            }
            i += 2;
            continue;
        }
        inner.push(b[i]);
        map.push(i);
        i += 1;
    }
    map.push(b.len());
    // Only ASCII bytes are removed, so the rest is still UTF-8.
    let inner = String::from_utf8(inner).unwrap_or_default();
    (inner, map)
}
