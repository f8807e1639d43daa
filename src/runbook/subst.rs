//! Placeholders (`<your cluster1 context>`) and variable references (`$CTX`, `${CTX}`) in shell
//! commands, and their safe substitution.
//!
//! The contract: a value never changes a command's structure. Each occurrence is found with its
//! quoting context, and a value is written so that the shell reads it back as exactly that
//! value, as one word, in that context. A value that cannot be placed safely is an error.

use std::ops::Range;

/// The quoting around an occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Outside quotes: the value is written shell-quoted.
    Unquoted,
    /// Inside `"..."` with other text. The string may be code for another shell (`sh -c "..."`),
    /// so the value is shell-quoted, then escaped for double quotes (`\`, `$`, `` ` ``, `"`).
    Double,
    /// Inside `'...'` with other text. As for [`Context::Double`], the value is shell-quoted,
    /// and each `'` of that is written `'\''`.
    Single,
    /// The placeholder is the whole quoted word (`'<password you choose>'`); the range covers
    /// the quotes, and the value replaces the word shell-quoted.
    WholeQuoted,
    /// In the body of a heredoc whose delimiter is quoted: the body is literal.
    HeredocLiteral,
    /// In the body of a heredoc with a bare delimiter: `$`, `` ` `` and `\` are special.
    HeredocExpanding,
}

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// `<text>`: the reader is meant to put a value here.
    Placeholder(String),
    /// `$NAME` or `${NAME}`.
    VarRef(String),
}

/// One placeholder or variable reference in a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub range: Range<usize>,
    pub found: Found,
    pub context: Context,
}

/// A value that cannot be placed in a command without changing its structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value of {name} has a line break, which cannot be placed safely in a heredoc body")]
pub struct UnsafeValue {
    pub name: String,
}

/// Finds the placeholders and variable references of a command, in order.
///
/// `<text>` is a placeholder when it starts with a letter, stays on one line, does not end in
/// a blank and is not an HTML-like tag that the command also closes (`"<title>.*</title>"`).
/// Inside a quoted string that holds more than the placeholder, it must hold a blank too
/// (`sed 's/x/<redacted>/'` is text; `"https://<repo URL>/x"` is a placeholder).
pub fn scan(command: &str) -> Vec<Occurrence> {
    let mut found = Vec::new();
    let bytes = command.as_bytes();
    let mut i = 0;
    let mut quote: Option<(u8, usize)> = None;
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    let mut heredoc_body: Option<(String, bool)> = None;
    let mut line_start = true;
    while i < bytes.len() {
        if line_start {
            line_start = false;
            if heredoc_body.is_none() && quote.is_none() && !heredocs.is_empty() {
                heredoc_body = Some(heredocs.remove(0));
            }
            if let Some((delim, quoted)) = heredoc_body.clone() {
                let end = command[i..].find('\n').map_or(command.len(), |n| i + n);
                let line = &command[i..end];
                if line.trim_start_matches('\t') == delim {
                    heredoc_body = if heredocs.is_empty() {
                        None
                    } else {
                        Some(heredocs.remove(0))
                    };
                } else {
                    let ctx = if quoted {
                        Context::HeredocLiteral
                    } else {
                        Context::HeredocExpanding
                    };
                    scan_plain(command, i, end, ctx, !quoted, &mut found);
                }
                i = end + 1;
                line_start = true;
                continue;
            }
        }
        let c = bytes[i];
        match quote {
            Some((b'\'', open)) => {
                if c == b'\'' {
                    quote = None;
                } else if c == b'<' {
                    if let Some(occ) = placeholder_at(command, i, Context::Single, open) {
                        i = occ.range.end;
                        found.push(occ);
                        continue;
                    }
                }
            }
            Some((_, open)) => match c {
                b'\\' => i += 1,
                b'"' => quote = None,
                b'$' => {
                    if let Some(occ) = var_ref_at(command, i, Context::Double) {
                        i = occ.range.end;
                        found.push(occ);
                        continue;
                    }
                }
                b'<' => {
                    if let Some(occ) = placeholder_at(command, i, Context::Double, open) {
                        i = occ.range.end;
                        found.push(occ);
                        continue;
                    }
                }
                _ => {}
            },
            None => match c {
                b'\\' => i += 1,
                b'\'' | b'"' => {
                    // A quoted word that is exactly one placeholder.
                    if let Some(occ) = whole_quoted_at(command, i) {
                        i = occ.range.end;
                        found.push(occ);
                        continue;
                    }
                    quote = Some((c, i));
                }
                b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'\n' => line_start = true,
                b'$' => {
                    if let Some(occ) = var_ref_at(command, i, Context::Unquoted) {
                        i = occ.range.end;
                        found.push(occ);
                        continue;
                    }
                }
                b'<' if bytes.get(i + 1) == Some(&b'<') => {
                    if bytes.get(i + 2) == Some(&b'<') {
                        i += 3;
                        continue;
                    }
                    let (doc, next) = crate::doc::bash::heredoc_at(command, i + 2);
                    heredocs.extend(doc.map(|d| (d.word, d.quoted)));
                    i = next;
                    continue;
                }
                b'<' => {
                    if let Some(occ) = placeholder_at(command, i, Context::Unquoted, i) {
                        i = occ.range.end;
                        found.push(occ);
                        continue;
                    }
                }
                b'A'..=b'Z' => {
                    if let Some(occ) = caps_word_at(command, i) {
                        i = occ.range.end;
                        found.push(occ);
                        continue;
                    }
                    // Skip the rest of the word: only a word's start can be a placeholder.
                    while bytes
                        .get(i + 1)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    {
                        i += 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    found
}

fn scan_plain(
    command: &str,
    start: usize,
    end: usize,
    ctx: Context,
    refs: bool,
    found: &mut Vec<Occurrence>,
) {
    let bytes = command.as_bytes();
    let mut i = start;
    while i < end {
        match bytes[i] {
            b'\\' if refs => i += 1,
            b'$' if refs => {
                if let Some(occ) = var_ref_at(command, i, ctx) {
                    i = occ.range.end;
                    found.push(occ);
                    continue;
                }
            }
            b'<' => {
                if let Some(occ) = placeholder_at(command, i, ctx, start) {
                    if occ.range.end <= end {
                        i = occ.range.end;
                        found.push(occ);
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
}

fn var_ref_at(command: &str, i: usize, context: Context) -> Option<Occurrence> {
    let rest = &command[i + 1..];
    let (name, len) = if let Some(inner) = rest.strip_prefix('{') {
        let close = inner.find('}')?;
        let name = &inner[..close];
        if !is_var_name(name) {
            return None;
        }
        (name, close + 2)
    } else {
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let name = &rest[..len];
        if !is_var_name(name) {
            return None;
        }
        (name, len)
    };
    Some(Occurrence {
        range: i..i + 1 + len,
        found: Found::VarRef(name.to_owned()),
        context,
    })
}

/// Whether `name` is a shell variable name.
pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The placeholder text of `<text>` starting at `i`, if it is one.
fn placeholder_text(command: &str, i: usize) -> Option<&str> {
    let bytes = command.as_bytes();
    if i > 0 && bytes[i - 1] == b'<' {
        return None;
    }
    let rest = &command[i + 1..];
    let first = rest.chars().next()?;
    if !first.is_alphabetic() {
        return None;
    }
    let close = rest.find(['>', '<', '\n'])?;
    if rest.as_bytes()[close] != b'>' {
        return None;
    }
    let text = &rest[..close];
    if text.ends_with(char::is_whitespace) || text.contains(['"', '\'', '$', '`']) {
        return None;
    }
    // What kubectl prints for an empty field (`"<none>"` in a wait loop) is no placeholder.
    if matches!(text, "none" | "pending" | "unknown" | "nil" | "invalid") {
        return None;
    }
    if !text.contains(' ') && command.contains(&format!("</{text}>")) {
        return None;
    }
    Some(text)
}

fn placeholder_at(
    command: &str,
    i: usize,
    context: Context,
    quote_open: usize,
) -> Option<Occurrence> {
    let text = placeholder_text(command, i)?;
    let end = i + text.len() + 2;
    if matches!(context, Context::Single | Context::Double) {
        // Text in a quoted string with more around it is a placeholder only if it reads as words.
        let _ = quote_open;
        if !text.contains(' ') {
            return None;
        }
    }
    Some(Occurrence {
        range: i..end,
        found: Found::Placeholder(text.to_owned()),
        context,
    })
}

/// Whether a text in capitals is a value the reader must replace: it names the reader
/// (`YOUR_API_KEY_HERE`, `NAMESPACE OF YOUR ISSUER RESOURCE`) or says to replace it.
fn is_caps_placeholder(text: &str) -> bool {
    text.len() >= 4
        && text.starts_with(|c: char| c.is_ascii_uppercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b' ')
        && !text.ends_with(' ')
        && text
            .split(['_', ' '])
            .any(|w| w == "YOUR" || w == "HERE" || w == "REPLACE")
}

/// A word in capitals that is a placeholder (see [`is_caps_placeholder`]), unquoted, at `i`.
fn caps_word_at(command: &str, i: usize) -> Option<Occurrence> {
    let bytes = command.as_bytes();
    if i > 0 && !(bytes[i - 1].is_ascii_whitespace() || bytes[i - 1] == b'=') {
        return None;
    }
    let len = command[i..]
        .bytes()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        .count();
    let end = i + len;
    let boundary = bytes
        .get(end)
        .is_none_or(|b| b.is_ascii_whitespace() || b";|&)".contains(b));
    let text = &command[i..end];
    (boundary && is_caps_placeholder(text)).then(|| Occurrence {
        range: i..end,
        found: Found::Placeholder(text.to_owned()),
        context: Context::Unquoted,
    })
}

fn whole_quoted_at(command: &str, i: usize) -> Option<Occurrence> {
    let q = command.as_bytes()[i];
    // `'NAMESPACE OF YOUR ISSUER RESOURCE'`: a quoted value in capitals for the reader.
    if let Some(close) = command[i + 1..].find(q as char) {
        let text = &command[i + 1..i + 1 + close];
        if is_caps_placeholder(text) {
            return Some(Occurrence {
                range: i..i + close + 2,
                found: Found::Placeholder(text.to_owned()),
                context: Context::WholeQuoted,
            });
        }
    }
    if command.as_bytes().get(i + 1) != Some(&b'<') {
        return None;
    }
    let text = placeholder_text(command, i + 1)?;
    let end = i + 1 + text.len() + 2;
    if command.as_bytes().get(end) != Some(&q) {
        return None;
    }
    Some(Occurrence {
        range: i..end + 1,
        found: Found::Placeholder(text.to_owned()),
        context: Context::WholeQuoted,
    })
}

/// The variable name a placeholder stands for: `<my-cluster-name>` -> `MY_CLUSTER_NAME`.
pub fn placeholder_var_name(text: &str) -> String {
    let mut name = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_uppercase());
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
    }
    let name = name.trim_end_matches('_').to_owned();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("VALUE_{name}")
    } else {
        name
    }
}

/// Quotes a value as one shell word: bare when it is made of safe characters, else in single
/// quotes with each `'` written as `'\''`.
pub fn shell_quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Writes `value` for `context` so that the shell reads back exactly `value`.
pub fn encode(value: &str, context: Context, name: &str) -> Result<String, UnsafeValue> {
    Ok(match context {
        Context::Unquoted | Context::WholeQuoted => shell_quote(value),
        Context::Double => {
            let mut out = String::with_capacity(value.len());
            for c in shell_quote(value).chars() {
                if matches!(c, '\\' | '$' | '`' | '"') {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        }
        Context::Single => shell_quote(value).replace('\'', r"'\''"),
        Context::HeredocLiteral | Context::HeredocExpanding => {
            if value.contains('\n') {
                return Err(UnsafeValue {
                    name: name.to_owned(),
                });
            }
            if context == Context::HeredocLiteral {
                value.to_owned()
            } else {
                let mut out = String::with_capacity(value.len());
                for c in value.chars() {
                    if matches!(c, '\\' | '$' | '`') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out
            }
        }
    })
}

/// Replaces the occurrences for which `value_of` gives a value; leaves the others as written.
///
/// `value_of` returns the variable name (for messages) and the value.
pub fn substitute(
    command: &str,
    occurrences: &[Occurrence],
    mut value_of: impl FnMut(&Occurrence) -> Option<(String, String)>,
) -> Result<String, UnsafeValue> {
    let mut out = String::with_capacity(command.len());
    let mut pos = 0;
    for occ in occurrences {
        if let Some((name, value)) = value_of(occ) {
            out.push_str(&command[pos..occ.range.start]);
            out.push_str(&encode(&value, occ.context, &name)?);
            pos = occ.range.end;
        }
    }
    out.push_str(&command[pos..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(command: &str) -> Vec<(String, Context)> {
        scan(command)
            .into_iter()
            .filter_map(|o| match o.found {
                Found::Placeholder(t) => Some((t, o.context)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn placeholders_from_the_corpus_and_what_is_not_one() {
        use Context::*;
        let cases: &[(&str, &[(&str, Context)])] = &[
            (
                "export CTX_CLUSTER1=<your cluster1 context>",
                &[("your cluster1 context", Unquoted)],
            ),
            (
                "gcloud container clusters create --name <my-cluster-name>",
                &[("my-cluster-name", Unquoted)],
            ),
            (
                "kubectl apply -f https://<repo URL>/x.yaml",
                &[("repo URL", Unquoted)],
            ),
            (
                "--password '<password you choose>'",
                &[("password you choose", WholeQuoted)],
            ),
            ("curl -s x | grep -o \"<title>.*</title>\"", &[]),
            ("sed 's/Hash=[a-z0-9]*;/Hash=<redacted>;/'", &[]),
            (
                "cat <<EOF > f.yaml\nkind: <kind>\nEOF",
                &[("kind", HeredocExpanding)],
            ),
            (
                "while [ \"$(kubectl get svc -o name)\" = \"<none>\" ]; do sleep 1; done",
                &[],
            ),
            (
                "cat <<'EOF' > f.yaml\nname: <your name>\nEOF",
                &[("your name", HeredocLiteral)],
            ),
            ("echo \"host: <your host> ok\"", &[("your host", Double)]),
            (
                "kubectl logs -n istio-system <gateway-service-pod>",
                &[("gateway-service-pod", Unquoted)],
            ),
            ("echo $((1<2))", &[]),
            ("cat <<<word", &[]),
            ("echo x # see <your notes>", &[]),
            (
                "kubectl create secret generic x --namespace='NAMESPACE OF YOUR ISSUER RESOURCE' --from-literal=apikey='YOUR_API_KEY_HERE'",
                &[
                    ("NAMESPACE OF YOUR ISSUER RESOURCE", WholeQuoted),
                    ("YOUR_API_KEY_HERE", WholeQuoted),
                ],
            ),
            ("helm install x --set name=YOUR_NAME", &[("YOUR_NAME", Unquoted)]),
            ("export NAME=YOURS; echo $NAME HELLO_WORLD", &[]),
        ];
        for (command, expected) in cases {
            let got = placeholders(command);
            let expected: Vec<(String, Context)> =
                expected.iter().map(|(t, c)| (t.to_string(), *c)).collect();
            assert_eq!(got, expected, "{command}");
        }
    }

    #[test]
    fn variable_references_outside_single_quotes() {
        let refs: Vec<(String, Context)> =
            scan("kubectl --context=\"${CTX_CLUSTER1}\" get ns $NS -o jsonpath='{$.x}' '$NOT'")
                .into_iter()
                .filter_map(|o| match o.found {
                    Found::VarRef(n) => Some((n, o.context)),
                    _ => None,
                })
                .collect();
        assert_eq!(
            refs,
            vec![
                ("CTX_CLUSTER1".into(), Context::Double),
                ("NS".into(), Context::Unquoted)
            ]
        );
    }

    fn run_bash(script: &str) -> String {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn substituted_values_reach_the_shell_as_exactly_one_word() {
        let evil = [
            "x\"; touch /tmp/docrun-pwned; \"",
            "a'b",
            "$(touch /tmp/docrun-pwned)",
            "`touch /tmp/docrun-pwned`",
            "two words",
            "back\\slash",
            "",
        ];
        let templates = [
            "printf '[%s]\\n' <your value>",
            "printf '[%s]\\n' '<your value>'",
            "printf '[%s]\\n' \"<your value>\"",
            "printf '[%s]\\n' \"pre <your value> post\"",
            "printf '[%s]\\n' 'pre <your value> post'",
        ];
        for template in templates {
            for value in evil {
                let occs = scan(template);
                assert_eq!(occs.len(), 1, "{template}");
                let cmd =
                    substitute(template, &occs, |_| Some(("V".into(), value.into()))).unwrap();
                let printed = run_bash(&cmd);
                // Inside a longer quoted string the value stays quoted, in case it is code for
                // another shell.
                let expected = if template.contains("pre ") {
                    format!("[pre {} post]\n", shell_quote(value))
                } else {
                    format!("[{value}]\n")
                };
                assert_eq!(printed, expected, "{template} with {value:?} gave {cmd}");
                assert!(!std::path::Path::new("/tmp/docrun-pwned").exists(), "{cmd}");
            }
        }
    }

    #[test]
    fn a_value_inside_code_for_another_shell_stays_one_word() {
        for template in [
            "sh -c 'printf \"[%s]\\n\" <your value>'",
            "sh -c \"printf '[%s]\\n' <your value>\"",
        ] {
            let value = "x; touch /tmp/docrun-pwned2";
            let occs = scan(template);
            let cmd = substitute(template, &occs, |_| Some(("V".into(), value.into()))).unwrap();
            assert_eq!(run_bash(&cmd), format!("[{value}]\n"), "{cmd}");
            assert!(
                !std::path::Path::new("/tmp/docrun-pwned2").exists(),
                "{cmd}"
            );
        }
    }

    #[test]
    fn a_line_break_cannot_enter_a_heredoc() {
        let cmd = "cat <<EOF\n<your value>\nEOF";
        let occs = scan(cmd);
        let err = substitute(cmd, &occs, |_| {
            Some(("V".into(), "x\nEOF\nrm -rf /".into()))
        })
        .unwrap_err();
        assert_eq!(err.name, "V");
        let ok = substitute(cmd, &occs, |_| Some(("V".into(), "$HOME `x`".into()))).unwrap();
        assert_eq!(run_bash(&ok), "$HOME `x`\n");
    }

    #[test]
    fn placeholder_names() {
        assert_eq!(placeholder_var_name("my-cluster-name"), "MY_CLUSTER_NAME");
        assert_eq!(
            placeholder_var_name("your cluster1 context"),
            "YOUR_CLUSTER1_CONTEXT"
        );
        assert_eq!(placeholder_var_name("repo URL"), "REPO_URL");
        assert_eq!(placeholder_var_name("1st"), "VALUE_1ST");
    }
}
