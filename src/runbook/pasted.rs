//! Lines that cannot begin a command: where a command's output, pasted into the same
//! unprompted script fence after it, starts.
//!
//! Guides paste what a command printed right after it, often after a blank line: a log with a
//! time stamp (`2020/03/02 21:28:00 listening on 8080`), a kernel log (`[    1.528237] DMAR:`),
//! an HTTP response (`HTTP/1.1 200 OK`), lines a tool opens with a symbol or an emoji
//! (`☁️  cloudevents.Event`), JSON. No one types such a line at a shell, so the reader
//! ([`super::reading`]) takes it, and the rest of the fence, as the output of the commands
//! before it.
//!
//! The rule is conservative: it looks only at a line where a command would start (never inside
//! a heredoc or a continuation, which the lexer knows), and a form that a shell could read as a
//! command (`{` opens a group, `[` is `test`) counts only after a blank line and only in a
//! shape no group or test has (`{"key": ...}`, `[{`, `["a"]`).

/// Whether `line` starts pasted output. `after_blank`: the line before it is blank.
pub fn starts_output(line: &str, after_blank: bool) -> bool {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return false;
    }
    time_stamp(trimmed)
        || kernel_stamp(trimmed)
        || http_status(trimmed)
        || symbol_first(trimmed)
        || (after_blank && json_line(trimmed))
}

/// A log line's time stamp: `2020/03/02 21:28:00`, `2023-05-01T11:52:51Z`,
/// `2023-05-01 11:52`, a time alone with seconds (`21:28:00 `), or klog's `I0302 21:28:00`.
fn time_stamp(line: &str) -> bool {
    let b = line.as_bytes();
    let digits = |from: usize, n: usize| {
        b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    let time_at = |at: usize| digits(at, 2) && b.get(at + 2) == Some(&b':') && digits(at + 3, 2);
    let date = digits(0, 4)
        && matches!(b.get(4), Some(b'-' | b'/'))
        && digits(5, 2)
        && b.get(7) == b.get(4)
        && digits(8, 2)
        && matches!(b.get(10), Some(b' ' | b'T'))
        && (time_at(11) || (digits(11, 1) && b.get(12) == Some(&b':') && digits(13, 2)));
    let time = time_at(0) && b.get(5) == Some(&b':') && digits(6, 2);
    let klog = matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F'))
        && digits(1, 4)
        && b.get(5) == Some(&b' ')
        && time_at(6);
    date || time || klog
}

/// The kernel's `[    1.528237] ...`: a bracket, blanks, seconds with a fraction, a bracket.
fn kernel_stamp(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((stamp, _)) = rest.split_once(']') else {
        return false;
    };
    let Some((whole, fraction)) = stamp.trim_start().split_once('.') else {
        return false;
    };
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|c| c.is_ascii_digit())
        && fraction.bytes().all(|c| c.is_ascii_digit())
}

/// An HTTP status line: `HTTP/1.1 200 OK`, `HTTP/2 404`.
fn http_status(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let version = words.next().unwrap_or("");
    let Some(number) = version.strip_prefix("HTTP/") else {
        return false;
    };
    !number.is_empty()
        && number.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        && words
            .next()
            .is_some_and(|c| c.len() == 3 && c.bytes().all(|d| d.is_ascii_digit()))
}

/// A line that opens with a symbol or an emoji outside ASCII (`☁️`, `✅`, `→`, `•`): no command
/// name starts so. A letter of any script is not such a symbol.
fn symbol_first(line: &str) -> bool {
    line.chars()
        .next()
        .is_some_and(|c| !c.is_ascii() && !c.is_alphanumeric())
}

/// JSON on one line, or opening an array of objects or strings: `{"a": 1}`, `{}`, `[]`,
/// `[{`, `["a", "b"]`. A `{` or `[` alone is [`super::reading`]'s to decide (it looks at the
/// next line).
fn json_line(line: &str) -> bool {
    line.starts_with("{\"")
        || line.starts_with("[{")
        || line.starts_with("[\"")
        || line == "{}"
        || line == "[]"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_no_one_types_start_output() {
        for line in [
            "2020/03/02 21:28:00 listening on 8080",
            "2023-05-01T11:52:51Z info started",
            "2023-05-01 9:05 done",
            "21:28:01 Received a new event",
            "I0302 21:28:00.123456   1 main.go:42] ready",
            "[    1.528237] DMAR: IOMMU enabled",
            "[12.5] up",
            "HTTP/1.1 200 OK",
            "HTTP/2 404",
            "☁️  cloudevents.Event",
            "✅ done",
            "• item",
        ] {
            assert!(starts_output(line, false), "{line}");
        }
        for line in [r#"{"status": "ok"}"#, "[{", r#"["a", "b"]"#, "{}", "[]"] {
            assert!(starts_output(line, true), "{line}");
            assert!(!starts_output(line, false), "{line}");
        }
    }

    #[test]
    fn commands_never_start_output() {
        for line in [
            "kubectl get pods",
            "[ -f x ] && echo yes",
            "[[ $a == b ]]",
            "{ echo a; echo b; } > out",
            "{",
            "[",
            "2to3 script.py",
            "20230501-backup.sh",
            "http GET example.org",
            "HTTP_PROXY=x curl example.org",
            "échoue --help",
            "./run.sh 12:30:00",
            "# 2020/03/02 a comment",
            "",
        ] {
            assert!(!starts_output(line, true), "{line}");
        }
    }
}
