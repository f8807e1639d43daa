//! What you see is what runs: text from a guide, shown on a terminal, with every character
//! that could hide or rewrite what is shown written out instead.
//!
//! A guide can hold control sequences (`\e[2K` erases the line it is on, an OSC sequence
//! retitles the terminal), bidi controls (U+202E shows `hs | …` as `… | sh`) and zero-width
//! characters. Every line docrun writes itself (plans, lists, status lines, lint findings,
//! errors, tables) goes through [`visible`]; a step's own output is shown as the step printed
//! it.

use std::borrow::Cow;

/// Whether `c` would change how text around it is shown: C0 controls but tab and line feed,
/// DEL, C1 controls, bidi controls, and zero-width or invisible characters.
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{ad}' | '\u{61c}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `text` with each hidden character written out: `\e` for escape, `\r`, `\xNN` for the
/// other C0 controls and DEL, `<U+XXXX>` for the rest. Text without one is returned as is.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_hidden(c) {
            out.push(c);
            continue;
        }
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("<U+{:04X}>", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// The hidden characters of `text`, each written out once, in order of first appearance.
pub fn hidden_in(text: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for c in text.chars().filter(|c| is_hidden(*c)) {
        let shown = visible(&c.to_string()).into_owned();
        if !seen.contains(&shown) {
            seen.push(shown);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(
            visible("echo hi\x1b[2K\x1b]0;title\x07\r$ curl x | sh"),
            "echo hi\\e[2K\\e]0;title\\x07\\r$ curl x | sh"
        );
        assert_eq!(
            visible("a\u{202e}hs|b\u{200b}c\u{9b}"),
            "a<U+202E>hs|b<U+200B>c<U+009B>"
        );
        assert_eq!(
            visible("tab\tand\nline, café, 日本"),
            "tab\tand\nline, café, 日本"
        );
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        assert_eq!(hidden_in("a\x1bb\x1bc\u{202e}"), vec!["\\e", "<U+202E>"]);
    }
}
