//! Placeholders (`<your cluster1 context>`) and variable references (`$CTX`, `${CTX}`) in shell
//! commands, and their safe substitution.
//!
//! The contract: a value never changes a command's structure. Each occurrence is found with its
//! quoting context, and a value is written so that the shell reads it back as exactly that
//! value, as one word, in that context. A value that cannot be placed safely is an error.

pub use crate::doc::bash::is_var_name;
use std::ops::Range;

/// How the shell that reads an occurrence reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A plain word: the value is written shell-quoted.
    Unquoted,
    /// Inside `"..."` with other text, as the outer shell reads a `$NAME` there.
    Double,
    /// Inside `'...'` with other text.
    Single,
    /// The placeholder is the whole quoted word (`'<password you choose>'`); the range covers
    /// the quotes, and the value replaces the word shell-quoted.
    WholeQuoted,
    /// In the body of a heredoc whose delimiter is quoted: the body is literal.
    HeredocLiteral,
    /// In the body of a heredoc with a bare delimiter: `$`, `` ` `` and `\` are special.
    HeredocExpanding,
    /// Bash evaluates the text as arithmetic (`$(( ))`, `(( ))`, `let`, `[[ x -eq y ]]`, an
    /// array subscript), where a value such as `a[$(cmd)]` runs `cmd`: only an integer is data.
    Arithmetic,
    /// Quoted too deeply for docrun to follow: only an inert value is data.
    Opaque,
}

impl Context {
    /// How a message names the context.
    pub fn describe(self) -> &'static str {
        match self {
            Context::Unquoted | Context::WholeQuoted => "a shell word",
            Context::Double => "a double-quoted string",
            Context::Single => "a single-quoted string",
            Context::HeredocLiteral | Context::HeredocExpanding => "a heredoc body",
            Context::Arithmetic => {
                "arithmetic (`$(( ))`, `(( ))`, `let`, `[[ -eq ]]`, a subscript)"
            }
            Context::Opaque => "text quoted more deeply than docrun follows",
        }
    }
}

/// A passage from one shell to the next that reads the text again as code: the value is
/// written for the inner reader, then escaped for each layer outwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// The inside of `"..."`: `\`, `$`, `` ` `` and `"` are escaped with `\`.
    Double,
    /// The inside of `'...'`: a `'` is written `'\''`.
    Single,
    /// The inside of backticks. Escaping there depends on the quotes around the backticks, so
    /// only an inert value is written (a value of letters, digits, blanks and `-_./:=@%+,`).
    Backtick,
    /// A plain word that a shell reads again (`eval echo <x>`, `echo <x> | sh`): quoted once
    /// more.
    Word,
    /// A heredoc body fed to a shell (`bash <<EOF`): escaped as the outer shell expands the
    /// body when the delimiter is bare; never a line break.
    Heredoc { expanding: bool },
}

impl Layer {
    fn describe(self) -> &'static str {
        match self {
            Layer::Double | Layer::Single | Layer::Word => {
                "text another shell runs (`sh -c`, `eval`, `| sh`)"
            }
            Layer::Backtick => "backticks",
            Layer::Heredoc { .. } => "a heredoc fed to a shell",
        }
    }
}

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// `<text>`: the reader is meant to put a value here.
    Placeholder(String),
    /// `$NAME` or `${NAME}`.
    VarRef(String),
    /// A bare name in arithmetic (`(( N > 1 ))`): bash evaluates the variable's value as
    /// arithmetic. Only the value checks use it.
    ArithName(String),
}

/// One placeholder or variable use in a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub range: Range<usize>,
    pub found: Found,
    /// How the innermost shell that reads it reads it.
    pub context: Context,
    /// The layers between that shell and the command, innermost first.
    pub layers: Vec<Layer>,
    /// A `$NAME` that one shell expands before another parses the result as code (`sh -c
    /// "echo $NAME"`, `eval $NAME`, `$NAME` in `bash <<EOF`): its value must be inert.
    pub expanded_before_parse: bool,
}

impl Occurrence {
    /// An occurrence read by the shell that runs the command, in `context`.
    pub fn new(range: Range<usize>, found: Found, context: Context) -> Self {
        Occurrence {
            range,
            found,
            context,
            layers: Vec::new(),
            expanded_before_parse: false,
        }
    }
}

/// Why a value cannot be placed in a command without changing its structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsafe {
    /// A line break would end a heredoc body early.
    LineBreakInHeredoc,
    /// Not an integer, in arithmetic.
    NotAnInteger,
    /// Shell-active characters in text a shell reads as code.
    Active(&'static str),
}

/// A value that cannot be placed in a command without changing its structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct UnsafeValue {
    pub name: String,
    pub reason: Unsafe,
}

impl UnsafeValue {
    fn describe(&self) -> String {
        let name = &self.name;
        match self.reason {
            Unsafe::LineBreakInHeredoc => format!(
                "the value of {name} has a line break, which cannot be placed safely in a heredoc body"
            ),
            Unsafe::NotAnInteger => format!(
                "the value of {name} lands in {}, where bash runs what is not a number; only an integer is data there",
                Context::Arithmetic.describe()
            ),
            Unsafe::Active(place) => format!(
                "the value of {name} lands in {place}, where its shell-active characters would run as code; only letters, digits, blanks and -_./:=@%+, are data there"
            ),
        }
    }
}

/// Finds the placeholders and variable uses of a command, in order, each with its context
/// (see [`super::shell_reader`]).
///
/// `<text>` is a placeholder when it starts with a letter, stays on one line, does not end in
/// a blank and is not an HTML-like tag that the command also closes (`"<title>.*</title>"`).
/// Inside a quoted string that holds more than the placeholder, it must hold a blank too
/// (`sed 's/x/<redacted>/'` is text; `"https://<repo URL>/x"` is a placeholder).
pub fn scan(command: &str) -> Vec<Occurrence> {
    super::shell_reader::read(command)
}

/// Whether a value is inert: nothing in it means anything to a shell but a word break.
pub fn is_inert(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_alphanumeric() || " -_./:=@%+,".contains(c))
}

fn is_integer(value: &str) -> bool {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    !digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a variable's value where a shell expands it (`$NAME`, a bare name in arithmetic):
/// an integer in arithmetic, an inert value where the expansion is read again as code.
pub fn check_use(value: &str, occ: &Occurrence, name: &str) -> Result<(), UnsafeValue> {
    let refuse = |reason| {
        Err(UnsafeValue {
            name: name.to_owned(),
            reason,
        })
    };
    if occ.context == Context::Arithmetic && !is_integer(value) {
        return refuse(Unsafe::NotAnInteger);
    }
    if occ.expanded_before_parse && !is_inert(value) {
        let place = occ
            .layers
            .last()
            .map_or("text another shell runs", |l| l.describe());
        return refuse(Unsafe::Active(place));
    }
    Ok(())
}

pub(super) fn var_ref_at(command: &str, i: usize, context: Context) -> Option<Occurrence> {
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
    Some(Occurrence::new(
        i..i + 1 + len,
        Found::VarRef(name.to_owned()),
        context,
    ))
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

pub(super) fn placeholder_at(command: &str, i: usize, context: Context) -> Option<Occurrence> {
    let text = placeholder_text(command, i)?;
    let end = i + text.len() + 2;
    if matches!(context, Context::Single | Context::Double) {
        // Text in a quoted string with more around it is a placeholder only if it reads as words.
        if !text.contains(' ') {
            return None;
        }
    }
    Some(Occurrence::new(
        i..end,
        Found::Placeholder(text.to_owned()),
        context,
    ))
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
pub(super) fn caps_word_at(command: &str, i: usize) -> Option<Occurrence> {
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
    (boundary && is_caps_placeholder(text)).then(|| {
        Occurrence::new(
            i..end,
            Found::Placeholder(text.to_owned()),
            Context::Unquoted,
        )
    })
}

pub(super) fn whole_quoted_at(command: &str, i: usize) -> Option<Occurrence> {
    let q = command.as_bytes()[i];
    // `'NAMESPACE OF YOUR ISSUER RESOURCE'`: a quoted value in capitals for the reader.
    if let Some(close) = command[i + 1..].find(q as char) {
        let text = &command[i + 1..i + 1 + close];
        if is_caps_placeholder(text) {
            return Some(Occurrence::new(
                i..i + close + 2,
                Found::Placeholder(text.to_owned()),
                Context::WholeQuoted,
            ));
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
    Some(Occurrence::new(
        i..end + 1,
        Found::Placeholder(text.to_owned()),
        Context::WholeQuoted,
    ))
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

/// Writes a value for the occurrence it replaces, so that every shell on the way reads back
/// exactly the value, as one word, in the innermost context: written for that context, then
/// escaped for each [`Layer`] outwards. Where no writing is safe, an error says why.
pub fn encode(value: &str, occ: &Occurrence, name: &str) -> Result<String, UnsafeValue> {
    let refuse = |reason| {
        Err(UnsafeValue {
            name: name.to_owned(),
            reason,
        })
    };
    let in_heredoc = matches!(
        occ.context,
        Context::HeredocLiteral | Context::HeredocExpanding
    ) || occ
        .layers
        .iter()
        .any(|l| matches!(l, Layer::Heredoc { .. }));
    if in_heredoc && value.contains('\n') {
        return refuse(Unsafe::LineBreakInHeredoc);
    }
    if let Some(layer) = occ.layers.iter().find(|l| **l == Layer::Backtick) {
        if !is_inert(value) {
            return refuse(Unsafe::Active(layer.describe()));
        }
    }
    let mut out = match occ.context {
        Context::Unquoted | Context::WholeQuoted => shell_quote(value),
        Context::Double => escape(&shell_quote(value), "\\$`\""),
        Context::Single => shell_quote(value).replace('\'', r"'\''"),
        Context::HeredocLiteral => value.to_owned(),
        Context::HeredocExpanding => escape(value, "\\$`"),
        Context::Arithmetic if is_integer(value) => value.to_owned(),
        Context::Arithmetic => return refuse(Unsafe::NotAnInteger),
        Context::Opaque if is_inert(value) => value.to_owned(),
        Context::Opaque => return refuse(Unsafe::Active(Context::Opaque.describe())),
    };
    for layer in &occ.layers {
        out = match layer {
            Layer::Double => escape(&out, "\\$`\""),
            Layer::Single => out.replace('\'', r"'\''"),
            Layer::Backtick | Layer::Heredoc { expanding: false } => out,
            Layer::Heredoc { expanding: true } => escape(&out, "\\$`"),
            Layer::Word => shell_quote(&out),
        };
    }
    Ok(out)
}

/// `text` with a `\` before each of `special`.
fn escape(text: &str, special: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if special.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
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
        if occ.range.start < pos {
            continue;
        }
        if let Some((name, value)) = value_of(occ) {
            out.push_str(&command[pos..occ.range.start]);
            out.push_str(&encode(&value, occ, &name)?);
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
            // Read as the code it would be for another shell: a word inside the string.
            ("echo \"host: <your host> ok\"", &[("your host", Unquoted)]),
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
