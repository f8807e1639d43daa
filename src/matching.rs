//! Output matching: deciding whether what a step really printed agrees with
//! the output a guide shows for it.
//!
//! The modes follow the verify helpers of istio.io's documentation tests
//! (`_verify_same`, `_verify_contains`, `_verify_like`, ...), with a few
//! deliberate refinements documented on [`MatchMode`].
//!
//! Every comparison starts by normalising both texts (see [`normalize`]):
//! CRLF becomes LF, trailing whitespace is stripped from every line and
//! leading/trailing blank lines are dropped.
//!
//! The module is pure: [`compare`] never panics, never does I/O, and its cost
//! is bounded by `O(expected lines × actual lines)` line comparisons.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;

use regex::{Captures, Regex, RegexBuilder};

/// How a step's real output is compared with the guide's expected output.
///
/// The default, used for a guide's output block when nothing else is said,
/// is [`MatchMode::Like`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchMode {
    /// Both texts are equal after normalisation.
    Same,
    /// The output contains the expected text (a substring, possibly spanning lines).
    Contains,
    /// The output does not contain the expected text. An empty expected text
    /// is contained in every output, so it always fails.
    NotContains,
    /// Line by line equality, anchored at both ends, where an expected line
    /// that is just `...` matches zero or more output lines, and `...` or
    /// `[..]` inside a line matches any text within that line.
    Elided,
    /// What a careful reader applies: [`MatchMode::Elided`], but lines are
    /// compared token by token (whitespace width is ignored) and tokens may
    /// differ in volatile values: ages, IP addresses, `<none>`/`<pending>`,
    /// generated name suffixes, restart counts, timestamps, UUIDs,
    /// resourceVersion/uid values and node ports. Status words and counts
    /// such as `Running` or `1/1` must match exactly.
    #[default]
    Like,
    /// Expected lines starting with `+ ` must each be contained in some
    /// output line; lines starting with `- ` must not be contained in any.
    /// Other expected lines are ignored (so a block without rules passes).
    Lines,
    /// The first lines are equal after normalisation.
    FirstLine,
    /// The expected text is a regular expression (multi-line mode: `^`/`$`
    /// match at line boundaries) that must match somewhere in the output.
    Regex,
    /// The command must exit with a non-zero status; the output is ignored.
    Failure,
    /// Always passes.
    Ignore,
}

impl MatchMode {
    /// Every mode, in declaration order.
    pub const ALL: &'static [MatchMode] = &[
        MatchMode::Same,
        MatchMode::Contains,
        MatchMode::NotContains,
        MatchMode::Elided,
        MatchMode::Like,
        MatchMode::Lines,
        MatchMode::FirstLine,
        MatchMode::Regex,
        MatchMode::Failure,
        MatchMode::Ignore,
    ];

    /// Parses a mode name: the kebab-case [`name`](Self::name), ASCII case
    /// insensitive, with `_` accepted for `-` (`not_contains`, `FIRST_LINE`).
    /// Surrounding whitespace is ignored. Returns `None` for unknown names.
    pub fn parse(s: &str) -> Option<Self> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL.iter().find(|m| m.name() == key).cloned()
    }

    /// The kebab-case name, as used in guides and in serialised form.
    pub fn name(&self) -> &'static str {
        match self {
            MatchMode::Same => "same",
            MatchMode::Contains => "contains",
            MatchMode::NotContains => "not-contains",
            MatchMode::Elided => "elided",
            MatchMode::Like => "like",
            MatchMode::Lines => "lines",
            MatchMode::FirstLine => "first-line",
            MatchMode::Regex => "regex",
            MatchMode::Failure => "failure",
            MatchMode::Ignore => "ignore",
        }
    }
}

impl fmt::Display for MatchMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The verdict of one comparison.
///
/// Invariant: when `passed` is true, `diff` and `reason` are `None`; when it
/// is false, `reason` is a one-line explanation and `diff` is, for every mode
/// that looks at the output, a short (at most [`MAX_DIFF_LINES`] lines)
/// human-readable diff: `-` lines come from the expected text, `+` lines
/// from the actual output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the output agrees with the expectation.
    pub passed: bool,
    /// Human-readable diff, only when failed.
    pub diff: Option<String>,
    /// One-line explanation, only when failed.
    pub reason: Option<String>,
}

impl Outcome {
    fn pass() -> Self {
        Outcome {
            passed: true,
            diff: None,
            reason: None,
        }
    }

    fn fail(reason: impl Into<String>, diff: Option<String>) -> Self {
        Outcome {
            passed: false,
            diff,
            reason: Some(reason.into()),
        }
    }
}

/// The most lines a diff carries; longer diffs are cut and say so.
pub const MAX_DIFF_LINES: usize = 60;

/// Context lines shown around each change in a diff.
const DIFF_CONTEXT: usize = 3;

/// Longest line (in characters) shown in a diff or a reason before clipping.
const MAX_SHOWN_CHARS: usize = 200;

/// Largest alignment table the diff computes; beyond it the differing middle
/// is shown as a plain removal followed by an addition.
const MAX_DIFF_CELLS: usize = 160_000;

/// Normalises a text for comparison: CRLF becomes LF, trailing whitespace is
/// stripped from every line and leading/trailing blank lines are dropped.
/// The result has no trailing newline; an all-blank text becomes `""`.
pub fn normalize(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.split('\n').map(str::trim_end).collect();
    let Some(start) = lines.iter().position(|l| !l.is_empty()) else {
        return String::new();
    };
    let end = lines.iter().rposition(|l| !l.is_empty()).unwrap_or(start);
    lines[start..=end].join("\n")
}

/// Compares a step's real output with the guide's expected output.
///
/// `exit_status` only matters for [`MatchMode::Failure`] (passes when it is
/// non-zero); for every other mode only the text is judged, and the caller
/// decides what a non-zero status means. Never panics.
pub fn compare(mode: &MatchMode, expected: &str, actual: &str, exit_status: i32) -> Outcome {
    match mode {
        MatchMode::Ignore => return Outcome::pass(),
        MatchMode::Failure => {
            return if exit_status != 0 {
                Outcome::pass()
            } else {
                Outcome::fail(
                    "the command exited with status 0, but the guide expects it to fail",
                    None,
                )
            };
        }
        _ => {}
    }

    let expected = normalize(expected);
    let actual = normalize(actual);
    let e = split_lines(&expected);
    let a = split_lines(&actual);

    match mode {
        MatchMode::Same => compare_same(&e, &a),
        MatchMode::Contains => compare_contains(&expected, &actual, &e, &a),
        MatchMode::NotContains => compare_not_contains(&expected, &actual, &e, &a),
        MatchMode::Elided => compare_glob(Flavor::Elided, &e, &a),
        MatchMode::Like => compare_glob(Flavor::Like, &e, &a),
        MatchMode::Lines => compare_rules(&e, &a),
        MatchMode::FirstLine => compare_first_line(&e, &a),
        MatchMode::Regex => compare_regex(&expected, &actual, &e, &a),
        MatchMode::Failure | MatchMode::Ignore => Outcome::pass(),
    }
}

/// Lines of a normalised text; the empty text has no lines.
fn split_lines(text: &str) -> Vec<&str> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').collect()
    }
}

// ---------------------------------------------------------------------------
// Simple modes
// ---------------------------------------------------------------------------

fn compare_same(e: &[&str], a: &[&str]) -> Outcome {
    let Some(k) = (0..e.len().max(a.len())).find(|&k| e.get(k) != a.get(k)) else {
        return Outcome::pass();
    };
    let reason = format!(
        "first difference at line {}: expected {}, got {}",
        k + 1,
        shown_or_end(e.get(k).copied()),
        shown_or_end(a.get(k).copied())
    );
    Outcome::fail(reason, Some(line_diff(Flavor::Exact, e, a, None)))
}

fn compare_contains(expected: &str, actual: &str, e: &[&str], a: &[&str]) -> Outcome {
    if actual.contains(expected) {
        return Outcome::pass();
    }
    let reason = match e.iter().position(|l| !actual.contains(l)) {
        Some(k) if e.len() > 1 => format!(
            "expected line {} {} does not appear in the output",
            k + 1,
            quote(e[k])
        ),
        Some(_) => "the output does not contain the expected text".to_string(),
        None => {
            "each expected line appears in the output, but not together in this order".to_string()
        }
    };
    Outcome::fail(reason, Some(line_diff(Flavor::Exact, e, a, None)))
}

fn compare_not_contains(expected: &str, actual: &str, e: &[&str], a: &[&str]) -> Outcome {
    let Some(offset) = actual.find(expected) else {
        return Outcome::pass();
    };
    if expected.is_empty() {
        return Outcome::fail(
            "the forbidden text is empty, and every output contains the empty text",
            Some("--- expected (must not appear)\n+++ actual\n(empty expected text)".to_string()),
        );
    }
    // The occurrence spans actual lines first..=last (0-based).
    let first = actual[..offset].matches('\n').count();
    let last = (first + e.len().max(1) - 1).min(a.len().saturating_sub(1));
    let lo = first.saturating_sub(DIFF_CONTEXT);
    let hi = (last + DIFF_CONTEXT + 1).min(a.len());
    let mut out = vec![
        "--- expected (must not appear)".to_string(),
        "+++ actual".to_string(),
        format!("@@ +{},{} @@", lo + 1, hi - lo),
    ];
    for (k, line) in a.iter().enumerate().take(hi).skip(lo) {
        let mark = if (first..=last).contains(&k) {
            '+'
        } else {
            ' '
        };
        out.push(format!("{mark}{}", clip(line)));
    }
    let reason = format!(
        "the output contains the forbidden text at line {}",
        first + 1
    );
    Outcome::fail(reason, Some(cap_lines(out)))
}

fn compare_first_line(e: &[&str], a: &[&str]) -> Outcome {
    let (ef, af) = (e.first().copied(), a.first().copied());
    if ef == af {
        return Outcome::pass();
    }
    let reason = format!(
        "first line differs: expected {}, got {}",
        shown_or_end(ef),
        shown_or_end(af)
    );
    let mut out = vec!["--- expected".to_string(), "+++ actual".to_string()];
    out.push("@@ -1 +1 @@".to_string());
    if let Some(l) = ef {
        out.push(format!("-{}", clip(l)));
    }
    if let Some(l) = af {
        out.push(format!("+{}", clip(l)));
    }
    Outcome::fail(reason, Some(out.join("\n")))
}

fn compare_regex(expected: &str, actual: &str, e: &[&str], a: &[&str]) -> Outcome {
    let re = match RegexBuilder::new(expected).multi_line(true).build() {
        Ok(re) => re,
        Err(err) => {
            return Outcome::fail(
                "the expected output is not a valid regular expression",
                Some(cap_lines(
                    err.to_string().lines().map(String::from).collect(),
                )),
            )
        }
    };
    if re.is_match(actual) {
        return Outcome::pass();
    }
    let reason = format!("no match in the output for the regex {}", quote(expected));
    Outcome::fail(reason, Some(line_diff(Flavor::Exact, e, a, None)))
}

fn compare_rules(e: &[&str], a: &[&str]) -> Outcome {
    let mut out = vec!["--- expected rules".to_string(), "+++ actual".to_string()];
    let mut first_reason = None;
    for (k, line) in e.iter().enumerate() {
        if let Some(text) = line.strip_prefix("+ ") {
            if !a.iter().any(|l| l.contains(text)) {
                let r = format!(
                    "expected line {} requires {}: not found in any output line",
                    k + 1,
                    quote(text)
                );
                out.push(format!("@@ {r} @@"));
                out.push(format!("-{}", clip(text)));
                first_reason.get_or_insert(r);
            }
        } else if let Some(text) = line.strip_prefix("- ") {
            if let Some(j) = a.iter().position(|l| l.contains(text)) {
                let r = format!(
                    "expected line {} forbids {}: found in actual line {}",
                    k + 1,
                    quote(text),
                    j + 1
                );
                out.push(format!("@@ {r} @@"));
                out.push(format!("+{}", clip(a[j])));
                first_reason.get_or_insert(r);
            }
        }
    }
    match first_reason {
        None => Outcome::pass(),
        Some(r) => Outcome::fail(r, Some(cap_lines(out))),
    }
}

// ---------------------------------------------------------------------------
// Line preparation for `elided` and `like`
// ---------------------------------------------------------------------------

/// How two lines are judged equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// Plain string equality, no wildcards.
    Exact,
    /// Equality with `...` lines and inline `...`/`[..]` wildcards.
    Elided,
    /// Token-wise equality tolerating volatile values, plus the wildcards.
    Like,
}

/// A line prepared once for repeated comparisons.
struct Line<'a> {
    raw: &'a str,
    /// An expected line that is just `...`: matches zero or more lines.
    star: bool,
    /// An expected line containing an inline wildcard.
    wild: bool,
    /// `Like` only: the canonicalised, classified tokens.
    tokens: Vec<Token>,
    /// `Like` only: the token texts joined by single spaces.
    collapsed: String,
}

impl<'a> Line<'a> {
    fn new(raw: &'a str, flavor: Flavor, expected: bool) -> Self {
        let globbing = expected && flavor != Flavor::Exact;
        let star = globbing && raw.trim() == "...";
        let wild = globbing && has_wildcard(raw);
        let (tokens, collapsed) = if flavor == Flavor::Like {
            let tokens = tokenize(&canonicalize(raw), expected);
            let collapsed = tokens
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            (tokens, collapsed)
        } else {
            (Vec::new(), String::new())
        };
        Line {
            raw,
            star,
            wild,
            tokens,
            collapsed,
        }
    }
}

fn prepare<'a>(lines: &[&'a str], flavor: Flavor, expected: bool) -> Vec<Line<'a>> {
    lines
        .iter()
        .map(|l| Line::new(l, flavor, expected))
        .collect()
}

/// Whether expected line `e` (not a star) matches actual line `a`.
fn line_matches(flavor: Flavor, e: &Line, a: &Line) -> bool {
    match flavor {
        Flavor::Exact => e.raw == a.raw,
        Flavor::Elided => {
            if e.wild {
                wildcard_match(e.raw, a.raw)
            } else {
                e.raw == a.raw
            }
        }
        Flavor::Like => {
            if e.tokens.len() == a.tokens.len()
                && e.tokens
                    .iter()
                    .zip(&a.tokens)
                    .all(|(x, y)| x.text == y.text)
            {
                return true;
            }
            if e.wild && wildcard_match(&e.collapsed, &a.collapsed) {
                return true;
            }
            glob(
                e.tokens.len(),
                a.tokens.len(),
                |i| e.tokens[i].kind == Kind::Star,
                |i, j| token_matches(&e.tokens[i], &a.tokens[j]),
            )
            .is_ok()
        }
    }
}

static WILDCARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\.\.\.|\[\.\.\]").expect("wildcard regex"));

/// Whether `expected`, compared under `mode`, holds a wildcard (`...` or `[..]`, a line of its
/// own or inside a line) that stands for output it does not show.
pub fn uses_wildcards(mode: &MatchMode, expected: &str) -> bool {
    matches!(mode, MatchMode::Elided | MatchMode::Like) && expected.lines().any(has_wildcard)
}

fn has_wildcard(s: &str) -> bool {
    s.contains("...") || s.contains("[..]")
}

/// Matches `text` against `pattern`, where each `...` or `[..]` in the
/// pattern matches any (possibly empty) run of characters. Linear-ish:
/// leftmost placement of each literal piece is optimal for `*`-only globs.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = WILDCARD.split(pattern).collect();
    let (first, last) = match parts.as_slice() {
        [] => return text.is_empty(),
        [only] => return *only == text,
        [first, .., last] => (*first, *last),
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for piece in &parts[1..parts.len() - 1] {
        match rest.find(piece) {
            Some(pos) => rest = &rest[pos + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

// ---------------------------------------------------------------------------
// Canonicalisation and tokens for `like`
// ---------------------------------------------------------------------------

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})?\b")
        .expect("timestamp regex")
});

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
        .expect("uuid regex")
});

static VOLATILE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b(resourceVersion|uid)(["']?\s*[:=]\s*["']?)[^\s"',}\]]+"#)
        .expect("volatile key regex")
});

/// Kubernetes generated names: `-<replicaset hash>-<5>` (deployment pods),
/// `-<5>` (job, daemonset pods) and `-<hash>` (replicasets). The random parts
/// use Kubernetes' generator alphabet (no vowels, no 0/1/3), so English words
/// such as `-proxy` or `-dashboard` are not mistaken for them; old decimal
/// replicaset hashes are accepted too.
static GENERATED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    let hash = r"(?:[bcdfghjklmnpqrstvwxz2456789]{9,10}|[0-9]{9,10})";
    let pod = r"[bcdfghjklmnpqrstvwxz2456789]{5}";
    Regex::new(&format!(
        r"([a-z0-9])-(?:({hash})-({pod})|({pod})|({hash}))([^A-Za-z0-9_-]|$)"
    ))
    .expect("generated name regex")
});

/// Service port mappings `port:nodePort/PROTO`: the node port is random.
static NODE_PORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,5}):3\d{4}/(TCP|UDP|SCTP)\b").expect("node port regex"));

static AGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|y))+$|^<invalid>$|^<unknown>$")
        .expect("age regex")
});

static RESTARTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d+(?: \((?:\d+[smhdy])+ ago\))?$").expect("restarts regex"));

/// Replaces values that change from run to run but are not tokens of their
/// own by placeholders, identically on both sides.
fn canonicalize(line: &str) -> String {
    let s = TIMESTAMP.replace_all(line, "<timestamp>");
    let s = UUID.replace_all(&s, "<uuid>");
    let s = VOLATILE_KEY.replace_all(&s, "${1}${2}<value>");
    let s = NODE_PORT.replace_all(&s, "${1}:<node-port>/${2}");
    let s = GENERATED_NAME.replace_all(&s, |c: &Captures| {
        let suffix = if c.get(2).is_some() {
            "<hash>-<id>"
        } else if c.get(4).is_some() {
            "<id>"
        } else {
            "<hash>"
        };
        format!("{}-{}{}", &c[1], suffix, &c[6])
    });
    match s {
        Cow::Borrowed(b) => b.to_string(),
        Cow::Owned(o) => o,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Expected token `...` or `[..]`: zero or more tokens.
    Star,
    /// Expected token with an inline wildcard.
    Pattern,
    /// An age or duration: `5s`, `3m2s`, `2d`, `<invalid>`.
    Age,
    /// `<none>` or `<pending>`.
    NoAddress,
    /// IP addresses (comma-separated list); the ports of each, if any.
    Address(Vec<Option<u16>>),
    /// A restart count, `0` or `1 (2m ago)`.
    Restarts {
        annotated: bool,
    },
    Plain,
}

#[derive(Debug, Clone)]
struct Token {
    text: String,
    kind: Kind,
}

/// Splits on whitespace runs, keeping `N (AGE ago)` restart counts as one
/// token, and classifies each token.
fn tokenize(line: &str, expected: bool) -> Vec<Token> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut tokens = Vec::with_capacity(words.len());
    let mut k = 0;
    while k < words.len() {
        let text = match words.get(k..k + 3) {
            Some([n, age, ago])
                if n.bytes().all(|b| b.is_ascii_digit())
                    && age.starts_with('(')
                    && *ago == "ago)" =>
            {
                k += 3;
                format!("{n} {age} {ago}")
            }
            _ => {
                k += 1;
                words[k - 1].to_string()
            }
        };
        let kind = classify(&text, expected);
        tokens.push(Token { text, kind });
    }
    tokens
}

fn classify(t: &str, expected: bool) -> Kind {
    if expected && (t == "..." || t == "[..]") {
        Kind::Star
    } else if expected && has_wildcard(t) {
        Kind::Pattern
    } else if t == "<none>" || t == "<pending>" {
        Kind::NoAddress
    } else if AGE.is_match(t) {
        Kind::Age
    } else if let Some(ports) = addresses(t) {
        Kind::Address(ports)
    } else if RESTARTS.is_match(t) {
        Kind::Restarts {
            annotated: t.contains(' '),
        }
    } else {
        Kind::Plain
    }
}

/// Parses `ip`, `ip:port`, `[v6]:port`, `ip/prefix`, or a comma-separated
/// list of those; returns the port of each address.
fn addresses(t: &str) -> Option<Vec<Option<u16>>> {
    t.split(',').map(address).collect()
}

fn address(s: &str) -> Option<Option<u16>> {
    let host = match s.rsplit_once('/') {
        Some((host, prefix))
            if (1..=3).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => s,
    };
    if let Ok(sa) = host.parse::<SocketAddr>() {
        return Some(Some(sa.port()));
    }
    host.parse::<IpAddr>().ok().map(|_| None)
}

/// Whether expected token `e` (not a star) matches actual token `a`.
fn token_matches(e: &Token, a: &Token) -> bool {
    if e.text == a.text {
        return true;
    }
    match (&e.kind, &a.kind) {
        (Kind::Pattern, _) => wildcard_match(&e.text, &a.text),
        (Kind::Age, Kind::Age) => true,
        (Kind::NoAddress, Kind::NoAddress | Kind::Address(_)) => true,
        (Kind::Address(_), Kind::NoAddress) => true,
        (Kind::Address(x), Kind::Address(y)) => x == y,
        (Kind::Restarts { annotated: x }, Kind::Restarts { annotated: y }) => *x || *y,
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Wildcard alignment
// ---------------------------------------------------------------------------

/// Where an alignment got stuck: the furthest expected item reached.
#[derive(Debug, Clone, Copy)]
struct Stall {
    /// Index of the first expected item that could not be matched, or the
    /// number of expected items if they all matched but output remained.
    expected: usize,
    /// Number of actual items consumed when `expected` was reached.
    actual: usize,
    /// Whether a star preceded `expected`.
    after_star: bool,
}

/// Aligns `m` pattern items with `n` subject items, where star items match
/// zero or more subject items and every other item matches exactly one
/// (when `eq` says so). Greedy with backtracking to the last star, which is
/// exact for such patterns and costs at most `O(m × n)` calls of `eq`.
fn glob(
    m: usize,
    n: usize,
    is_star: impl Fn(usize) -> bool,
    mut eq: impl FnMut(usize, usize) -> bool,
) -> Result<(), Stall> {
    let (mut i, mut j) = (0, 0);
    let mut star: Option<usize> = None;
    let mut mark = 0;
    let mut best = Stall {
        expected: 0,
        actual: 0,
        after_star: false,
    };
    loop {
        if i > best.expected || (i == m && best.expected == m && j > best.actual) {
            best = Stall {
                expected: i,
                actual: j,
                after_star: star.is_some(),
            };
        }
        if j == n {
            while i < m && is_star(i) {
                i += 1;
            }
            if i == m {
                return Ok(());
            }
            if i > best.expected {
                best = Stall {
                    expected: i,
                    actual: j,
                    after_star: true,
                };
            }
            return Err(best);
        }
        if i < m && is_star(i) {
            star = Some(i);
            i += 1;
            mark = j;
        } else if i < m && eq(i, j) {
            i += 1;
            j += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return Err(best);
        }
    }
}

fn compare_glob(flavor: Flavor, e: &[&str], a: &[&str]) -> Outcome {
    let el = prepare(e, flavor, true);
    let al = prepare(a, flavor, false);
    match glob(
        el.len(),
        al.len(),
        |i| el[i].star,
        |i, j| line_matches(flavor, &el[i], &al[j]),
    ) {
        Ok(()) => Outcome::pass(),
        Err(stall) => {
            let pointer = describe_stall(&stall, e, a);
            let diff = unified_diff(flavor, &el, &al, Some(&pointer));
            Outcome::fail(pointer, Some(diff))
        }
    }
}

fn describe_stall(st: &Stall, e: &[&str], a: &[&str]) -> String {
    match e.get(st.expected) {
        Some(line) if st.after_star && st.actual == 0 => format!(
            "expected line {} {} not found in the output",
            st.expected + 1,
            quote(line)
        ),
        Some(line) if st.after_star => format!(
            "expected line {} {} not found after actual line {}",
            st.expected + 1,
            quote(line),
            st.actual
        ),
        Some(line) => match a.get(st.actual) {
            Some(got) => format!(
                "expected line {} {} does not match actual line {} {}",
                st.expected + 1,
                quote(line),
                st.actual + 1,
                quote(got)
            ),
            None => format!(
                "expected line {} {} is missing: the output ended after {} line(s)",
                st.expected + 1,
                quote(line),
                a.len()
            ),
        },
        None => match a.get(st.actual) {
            Some(extra) => format!(
                "unexpected actual line {} {} after the last expected line",
                st.actual + 1,
                quote(extra)
            ),
            None => "the output does not match the expected lines".to_string(),
        },
    }
}

// ---------------------------------------------------------------------------
// Diffs
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Expected line `.0` matched actual line `.1`.
    Equal(usize, usize),
    /// Expected line only.
    Delete(usize),
    /// Actual line only.
    Insert(usize),
    /// Expected `...` line `.0` absorbed `.1` actual lines.
    Elide(usize, usize),
}

impl Op {
    /// (expected lines, actual lines) the op covers.
    fn span(self) -> (usize, usize) {
        match self {
            Op::Equal(..) => (1, 1),
            Op::Delete(_) => (1, 0),
            Op::Insert(_) => (0, 1),
            Op::Elide(_, k) => (1, k),
        }
    }

    fn is_change(self) -> bool {
        matches!(self, Op::Delete(_) | Op::Insert(_))
    }
}

/// Unified diff of two normalised line lists under `flavor`.
fn line_diff(flavor: Flavor, e: &[&str], a: &[&str], pointer: Option<&str>) -> String {
    let el = prepare(e, flavor, true);
    let al = prepare(a, flavor, false);
    unified_diff(flavor, &el, &al, pointer)
}

fn unified_diff(flavor: Flavor, e: &[Line], a: &[Line], pointer: Option<&str>) -> String {
    let ops = align(flavor, e, a);
    let mut out = Vec::new();
    if let Some(p) = pointer {
        out.push(p.to_string());
    }
    out.push("--- expected".to_string());
    out.push("+++ actual".to_string());

    // Line numbers (0-based) before each op.
    let mut before = Vec::with_capacity(ops.len());
    let (mut ei, mut ai) = (0, 0);
    for op in &ops {
        before.push((ei, ai));
        let (de, da) = op.span();
        ei += de;
        ai += da;
    }

    let changes: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].is_change()).collect();
    if changes.is_empty() {
        out.push("(no line-level difference)".to_string());
        return cap_lines(out);
    }
    // Group changes into hunks with context.
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for &k in &changes {
        let lo = k.saturating_sub(DIFF_CONTEXT);
        let hi = (k + DIFF_CONTEXT + 1).min(ops.len());
        match hunks.last_mut() {
            Some(last) if lo <= last.1 => last.1 = hi,
            _ => hunks.push((lo, hi)),
        }
    }
    for (lo, hi) in hunks {
        let (es, as_) = before[lo];
        let (ec, ac) = ops[lo..hi].iter().fold((0, 0), |(x, y), op| {
            let (de, da) = op.span();
            (x + de, y + da)
        });
        out.push(format!(
            "@@ -{},{} +{},{} @@",
            es + usize::from(ec > 0),
            ec,
            as_ + usize::from(ac > 0),
            ac
        ));
        for op in &ops[lo..hi] {
            out.push(match *op {
                Op::Equal(_, j) => format!(" {}", clip(a[j].raw)),
                Op::Delete(i) => format!("-{}", clip(e[i].raw)),
                Op::Insert(j) => format!("+{}", clip(a[j].raw)),
                Op::Elide(i, k) => format!(
                    " {}  ({k} line{} elided)",
                    clip(e[i].raw),
                    if k == 1 { "" } else { "s" }
                ),
            });
        }
    }
    cap_lines(out)
}

/// Minimum-edit alignment where expected `...` lines absorb actual lines for
/// free. Common prefix and suffix are matched directly; the middle uses a
/// DP table of at most [`MAX_DIFF_CELLS`] cells, else a plain replacement.
fn align(flavor: Flavor, e: &[Line], a: &[Line]) -> Vec<Op> {
    let eq = |i: usize, j: usize| !e[i].star && line_matches(flavor, &e[i], &a[j]);
    let (m, n) = (e.len(), a.len());
    let mut p = 0;
    while p < m && p < n && eq(p, p) {
        p += 1;
    }
    let mut s = 0;
    while s < m - p && s < n - p && eq(m - 1 - s, n - 1 - s) {
        s += 1;
    }
    let (mm, nn) = (m - p - s, n - p - s);

    let mut ops: Vec<Op> = (0..p).map(|k| Op::Equal(k, k)).collect();
    let cells = (mm + 1).saturating_mul(nn + 1);
    if cells <= MAX_DIFF_CELLS {
        let w = nn + 1;
        let mut matched = vec![false; mm * nn];
        for i in 0..mm {
            for j in 0..nn {
                matched[i * nn + j] = eq(p + i, p + j);
            }
        }
        let mut cost = vec![0u32; cells];
        for i in (0..=mm).rev() {
            for j in (0..=nn).rev() {
                if i == mm && j == nn {
                    continue;
                }
                let mut best = u32::MAX;
                if i < mm {
                    if e[p + i].star {
                        best = best.min(cost[(i + 1) * w + j]);
                        if j < nn {
                            best = best.min(cost[i * w + j + 1]);
                        }
                    } else {
                        if j < nn && matched[i * nn + j] {
                            best = best.min(cost[(i + 1) * w + j + 1]);
                        }
                        best = best.min(cost[(i + 1) * w + j].saturating_add(1));
                    }
                }
                if j < nn {
                    best = best.min(cost[i * w + j + 1].saturating_add(1));
                }
                cost[i * w + j] = best;
            }
        }
        let (mut i, mut j, mut absorbed) = (0, 0, 0);
        while i < mm || j < nn {
            let c = cost[i * w + j];
            if i < mm && e[p + i].star {
                if j < nn && cost[i * w + j + 1] == c {
                    absorbed += 1;
                    j += 1;
                    continue;
                }
                if cost[(i + 1) * w + j] == c {
                    ops.push(Op::Elide(p + i, absorbed));
                    absorbed = 0;
                    i += 1;
                    continue;
                }
            } else if i < mm {
                if j < nn && matched[i * nn + j] && cost[(i + 1) * w + j + 1] == c {
                    ops.push(Op::Equal(p + i, p + j));
                    i += 1;
                    j += 1;
                    continue;
                }
                if cost[(i + 1) * w + j].saturating_add(1) == c {
                    ops.push(Op::Delete(p + i));
                    i += 1;
                    continue;
                }
            }
            if j < nn && cost[i * w + j + 1].saturating_add(1) == c {
                ops.push(Op::Insert(p + j));
                j += 1;
                continue;
            }
            // Unreachable with a consistent table; stay total regardless.
            break;
        }
    } else {
        ops.extend((p..p + mm).map(|i| {
            if e[i].star {
                Op::Elide(i, 0)
            } else {
                Op::Delete(i)
            }
        }));
        ops.extend((p..p + nn).map(Op::Insert));
    }
    ops.extend((0..s).map(|k| Op::Equal(m - s + k, n - s + k)));
    ops
}

/// Cuts a diff to [`MAX_DIFF_LINES`] lines, saying how many were cut.
fn cap_lines(mut lines: Vec<String>) -> String {
    if lines.len() > MAX_DIFF_LINES {
        let cut = lines.len() - (MAX_DIFF_LINES - 1);
        lines.truncate(MAX_DIFF_LINES - 1);
        lines.push(format!("... ({cut} more diff lines not shown)"));
    }
    lines.join("\n")
}

/// A line clipped to [`MAX_SHOWN_CHARS`] characters.
fn clip(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(MAX_SHOWN_CHARS) {
        None => Cow::Borrowed(s),
        Some((idx, _)) => Cow::Owned(format!("{}…", &s[..idx])),
    }
}

fn quote(s: &str) -> String {
    let c = clip(s);
    let c = c.chars().take(80).collect::<String>();
    if c.len() < s.len() {
        format!("`{c}…`")
    } else {
        format!("`{c}`")
    }
}

fn shown_or_end(line: Option<&str>) -> String {
    line.map_or_else(|| "end of output".to_string(), quote)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One comparison and its expected verdict.
    struct Case {
        name: &'static str,
        mode: MatchMode,
        expected: &'static str,
        actual: &'static str,
        exit: i32,
        pass: bool,
    }

    fn case(
        name: &'static str,
        mode: MatchMode,
        expected: &'static str,
        actual: &'static str,
        pass: bool,
    ) -> Case {
        Case {
            name,
            mode,
            expected,
            actual,
            exit: 0,
            pass,
        }
    }

    /// Runs every case, reporting all wrong verdicts at once, and checks the
    /// `Outcome` invariant.
    fn run(cases: &[Case]) {
        let mut wrong = Vec::new();
        for c in cases {
            let out = compare(&c.mode, c.expected, c.actual, c.exit);
            if out.passed != c.pass {
                wrong.push(format!(
                    "{} ({}): expected passed={}, got {:?}",
                    c.name, c.mode, c.pass, out
                ));
            }
            if out.passed {
                assert!(out.diff.is_none() && out.reason.is_none(), "{}", c.name);
            } else {
                assert!(out.reason.is_some(), "{}: no reason", c.name);
            }
        }
        assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    }

    const PODS_DOC: &str = "
NAME                             READY   STATUS    RESTARTS   AGE
helloworld-v1-776f57d5f6-s7zfc   1/1     Running   0          40s
helloworld-v2-54df5f84b-9hxgw    1/1     Running   0          40s
";

    const PODS_REAL: &str =
        "NAME                              READY   STATUS    RESTARTS      AGE\r
helloworld-v1-5b75657f75-ccwz7    1/1     Running   0             3m2s   \r
helloworld-v2-7d48cf86d6-xp4bn    1/1     Running   1 (2m ago)    3m2s\r
";

    const SVC_DOC: &str = "
NAME                   TYPE           CLUSTER-IP     EXTERNAL-IP      PORT(S)                                      AGE
istio-ingressgateway   LoadBalancer   10.96.12.34    172.18.255.200   15021:31052/TCP,80:30582/TCP,443:31358/TCP   2d
";

    const SVC_PENDING: &str = "
NAME                   TYPE           CLUSTER-IP      EXTERNAL-IP   PORT(S)                                      AGE
istio-ingressgateway   LoadBalancer   10.110.43.201   <pending>     15021:30407/TCP,80:32199/TCP,443:30841/TCP   <invalid>
";

    const YAML_REAL: &str = "apiVersion: v1
kind: Service
metadata:
  creationTimestamp: \"2024-05-01T10:00:00Z\"
  name: helloworld
  namespace: sample
  resourceVersion: \"48213\"
  uid: 3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b
spec:
  clusterIP: 10.96.7.7
  ports:
  - name: http
    port: 5000
    protocol: TCP
  selector:
    app: helloworld";

    #[test]
    fn same_cases() {
        use MatchMode::Same;
        run(&[
            case(
                "crlf, trailing spaces and blank edges are normalised",
                Same,
                "\nHello version: v1, instance: helloworld-v1-776f57d5f6-s7zfc\n\n",
                "Hello version: v1, instance: helloworld-v1-776f57d5f6-s7zfc   \r\n",
                true,
            ),
            case(
                "one character differs",
                Same,
                "Hello version: v1",
                "Hello version: v2",
                false,
            ),
            case(
                "volatile values are not tolerated",
                Same,
                PODS_DOC,
                PODS_REAL,
                false,
            ),
            case("extra line", Same, "a\nb", "a\nb\nc", false),
            case("both empty", Same, "", "  \n\r\n", true),
        ]);
    }

    #[test]
    fn contains_cases() {
        use MatchMode::{Contains, NotContains};
        run(&[
            case(
                "multi-line substring",
                Contains,
                "  ports:\n  - name: http",
                YAML_REAL,
                true,
            ),
            case("absent text", Contains, "port: 8080", YAML_REAL, false),
            case(
                "lines present but not adjacent",
                Contains,
                "kind: Service\nname: helloworld",
                YAML_REAL,
                false,
            ),
            case(
                "forbidden header absent",
                NotContains,
                "x-envoy-upstream-service-time",
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nserver: istio-envoy\r\n",
                true,
            ),
            case(
                "forbidden header present",
                NotContains,
                "server: istio-envoy",
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nserver: istio-envoy\r\n",
                false,
            ),
            case(
                "empty forbidden text always fails",
                NotContains,
                "\n\n",
                "anything",
                false,
            ),
        ]);
    }

    #[test]
    fn first_line_cases() {
        use MatchMode::FirstLine;
        run(&[
            case(
                "status line equal, headers differ",
                FirstLine,
                "HTTP/1.1 200 OK\nserver: istio-envoy\ndate: Mon, 01 Jan 2024",
                "\r\nHTTP/1.1 200 OK\r\nserver: istio-envoy\r\ndate: Tue, 07 May 2024\r\n",
                true,
            ),
            case(
                "status line differs",
                FirstLine,
                "HTTP/1.1 200 OK",
                "HTTP/1.1 403 Forbidden\nRBAC: access denied",
                false,
            ),
            case("empty output", FirstLine, "HTTP/1.1 200 OK", "", false),
        ]);
    }

    #[test]
    fn regex_cases() {
        use MatchMode::Regex;
        run(&[
            case(
                "anchored line in multi-line mode",
                Regex,
                r"^helloworld-v2-\w+-\w+\s+1/1\s+Running",
                PODS_REAL,
                true,
            ),
            case(
                "no running v3",
                Regex,
                r"^helloworld-v3-\S+\s+1/1\s+Running",
                PODS_REAL,
                false,
            ),
            case(
                "invalid regex fails",
                Regex,
                r"(unclosed",
                "(unclosed",
                false,
            ),
        ]);
    }

    #[test]
    fn failure_and_ignore_cases() {
        let with_exit = |name, mode, exit, pass| Case {
            name,
            mode,
            expected: "Error from server (NotFound): pods \"nope\" not found",
            actual: "totally different",
            exit,
            pass,
        };
        run(&[
            with_exit("failure with exit 1", MatchMode::Failure, 1, true),
            with_exit("failure with exit 0", MatchMode::Failure, 0, false),
            with_exit(
                "failure with a signal-like status",
                MatchMode::Failure,
                -9,
                true,
            ),
            with_exit("ignore with exit 0", MatchMode::Ignore, 0, true),
            with_exit("ignore with exit 1", MatchMode::Ignore, 1, true),
            // A non-zero exit status alone does not fail a text mode.
            Case {
                name: "like judges text only, even on exit 1",
                mode: MatchMode::Like,
                expected: "error: no context exists",
                actual: "error: no context exists",
                exit: 1,
                pass: true,
            },
            Case {
                name: "same still fails on text with exit 1",
                mode: MatchMode::Same,
                expected: "ok",
                actual: "error",
                exit: 1,
                pass: false,
            },
        ]);
    }

    #[test]
    fn lines_cases() {
        use MatchMode::Lines;
        let rules = "+ helloworld-v1\n+ Running\n- CrashLoopBackOff\nfree text is ignored";
        run(&[
            case(
                "required present, forbidden absent",
                Lines,
                rules,
                PODS_REAL,
                true,
            ),
            case(
                "required text missing",
                Lines,
                "+ helloworld-v3",
                PODS_REAL,
                false,
            ),
            case(
                "forbidden text present",
                Lines,
                "- Running",
                PODS_REAL,
                false,
            ),
            case(
                "a rule must fit within one line",
                Lines,
                "+ Running   0\n+ 40s",
                "helloworld-v1 Running   0\n40s",
                true,
            ),
            case("no rules passes", Lines, "just prose", "whatever", true),
        ]);
    }

    #[test]
    fn elided_cases() {
        use MatchMode::Elided;
        run(&[
            case(
                "... at start, middle and end",
                Elided,
                "...\n  name: helloworld\n...\n  ports:\n  - name: http\n...",
                YAML_REAL,
                true,
            ),
            case(
                "... matching zero lines",
                Elided,
                "apiVersion: v1\n...\nkind: Service\n...",
                YAML_REAL,
                true,
            ),
            case("only ... matches anything", Elided, "  ...  ", YAML_REAL, true),
            case("only ... matches empty output", Elided, "...", "", true),
            case(
                "inline ... and [..]",
                Elided,
                "apiVersion: v1\nkind: Service\nmetadata:\n  creationTimestamp: ...\n  name: hello[..]\n...",
                YAML_REAL,
                true,
            ),
            case(
                "anchored: missing leading ... fails",
                Elided,
                "kind: Service\n...",
                YAML_REAL,
                false,
            ),
            case(
                "anchored: missing trailing ... fails",
                Elided,
                "apiVersion: v1\nkind: Service",
                YAML_REAL,
                false,
            ),
            case(
                "line absent after ...",
                Elided,
                "...\n    port: 8080\n...",
                YAML_REAL,
                false,
            ),
            case(
                "order matters",
                Elided,
                "...\nspec:\n...\nkind: Service\n...",
                YAML_REAL,
                false,
            ),
            case(
                "indentation matters",
                Elided,
                "...\nname: helloworld\n...",
                YAML_REAL,
                false,
            ),
            case(
                "no volatile tolerance",
                Elided,
                "...\n  uid: 00000000-0000-4000-8000-000000000000\n...",
                YAML_REAL,
                false,
            ),
        ]);
    }

    #[test]
    fn like_cases() {
        use MatchMode::Like;
        run(&[
            case(
                "pod hash suffixes, ages, restarts, column widths, crlf",
                Like,
                PODS_DOC,
                PODS_REAL,
                true,
            ),
            case(
                "0/1 Pending does not pass for 1/1 Running",
                Like,
                PODS_DOC,
                "NAME                             READY   STATUS    RESTARTS   AGE
helloworld-v1-5b75657f75-ccwz7   0/1     Pending   0          3s
helloworld-v2-7d48cf86d6-xp4bn   1/1     Running   0          3s",
                false,
            ),
            case(
                "different deployment is not a suffix change",
                Like,
                "helloworld-v1-776f57d5f6-s7zfc   1/1   Running   0   40s",
                "helloworld-v2-776f57d5f6-s7zfc   1/1   Running   0   40s",
                false,
            ),
            case(
                "job pod suffix and replicaset hash",
                Like,
                "pod/pi-7fxrk   replicaset.apps/reviews-v1-545db77b95",
                "pod/pi-9wq2n   replicaset.apps/reviews-v1-6b9c4d8f7",
                true,
            ),
            case(
                "a word is not a generated suffix",
                Like,
                "istio-proxy",
                "istio-pzzzz",
                false,
            ),
            case(
                "bare restart counts must match",
                Like,
                "ratings-v1-6b9c4d8f7b-2xk8d   2/2   Running   0   5m",
                "ratings-v1-6b9c4d8f7b-2xk8d   2/2   Running   3   5m",
                false,
            ),
            case(
                "external IP vs <pending>, cluster IP, node ports, <invalid> age",
                Like,
                SVC_DOC,
                SVC_PENDING,
                true,
            ),
            case(
                "<none> and <pending> are interchangeable",
                Like,
                "productpage   ClusterIP   10.0.0.1   <none>      9080/TCP   1h",
                "productpage   ClusterIP   10.0.0.9   <pending>   9080/TCP   7m",
                true,
            ),
            case(
                "service ports must match",
                Like,
                "productpage   ClusterIP   10.0.0.1   <none>   9080/TCP   1h",
                "productpage   ClusterIP   10.0.0.1   <none>   9090/TCP   1h",
                false,
            ),
            case(
                "ipv6 with prefix, ip:port endpoints",
                Like,
                "10.244.0.12:9080   HEALTHY   OK   outbound|9080||reviews.default.svc.cluster.local\nfd00:10:244::/64",
                "10.244.1.7:9080    HEALTHY   OK   outbound|9080||reviews.default.svc.cluster.local\nfd00:10:96::/56",
                true,
            ),
            case(
                "endpoint port must match",
                Like,
                "10.244.0.12:9080   HEALTHY",
                "10.244.0.12:15000  HEALTHY",
                false,
            ),
            case(
                "timestamps, uid and resourceVersion in yaml",
                Like,
                "...\n  creationTimestamp: \"2023-01-01T00:00:00Z\"\n  name: helloworld\n  namespace: sample\n  resourceVersion: \"1\"\n  uid: 00000000-0000-4000-8000-000000000000\n...",
                YAML_REAL,
                true,
            ),
            case(
                "rfc3339 with fraction and offset in a log line",
                Like,
                "[2023-01-01T00:00:00.000Z] \"GET /productpage HTTP/1.1\" 200",
                "[2025-06-30T23:59:59.123456+02:00] \"GET /productpage HTTP/1.1\" 200",
                true,
            ),
            case(
                "http status is not volatile",
                Like,
                "[2023-01-01T00:00:00.000Z] \"GET /productpage HTTP/1.1\" 200",
                "[2023-01-01T00:00:00.000Z] \"GET /productpage HTTP/1.1\" 503",
                false,
            ),
            case(
                "extra row fails",
                Like,
                PODS_DOC,
                "NAME READY STATUS RESTARTS AGE
helloworld-v1-5b75657f75-ccwz7 1/1 Running 0 3s
helloworld-v2-7d48cf86d6-xp4bn 1/1 Running 0 3s
helloworld-v3-7d48cf86d6-xp4bn 1/1 Running 0 3s",
                false,
            ),
            case(
                "missing row fails",
                Like,
                PODS_DOC,
                "NAME READY STATUS RESTARTS AGE
helloworld-v1-5b75657f75-ccwz7 1/1 Running 0 3s",
                false,
            ),
            case(
                "missing column fails",
                Like,
                "reviews-v1-545db77b95-9xk2p   2/2   Running   0   5m",
                "reviews-v1-545db77b95-9xk2p   2/2   Running   5m",
                false,
            ),
            case(
                "... rows at start, middle and end",
                Like,
                "NAME READY STATUS RESTARTS AGE\n...\nhelloworld-v2-54df5f84b-9hxgw 1/1 Running 0 1m\n...",
                PODS_REAL,
                true,
            ),
            case(
                "... row matching zero rows",
                Like,
                "...\nNAME READY STATUS RESTARTS AGE\n...\nhelloworld-v1-776f57d5f6-s7zfc 1/1 Running 0 4s\n...\nhelloworld-v2-54df5f84b-9hxgw 1/1 Running 0 4s",
                PODS_REAL,
                true,
            ),
            case(
                "... token for trailing columns and inline ... in a token",
                Like,
                "NAME READY ...\nhelloworld-v1-... 1/1 Running ...\n...",
                PODS_REAL,
                true,
            ),
            case(
                "inline ... spanning columns",
                Like,
                "istio-ingressgateway   LoadBalancer ... 2d",
                "istio-ingressgateway   LoadBalancer   10.96.12.34   172.18.255.200   80:30582/TCP   5h",
                true,
            ),
            case(
                "inline ... inside a token, with volatile values elsewhere",
                Like,
                "helloworld-v1-... 1/1 Running 0 40s",
                "helloworld-v1-5b75657f75-ccwz7    1/1     Running   0     3m2s",
                true,
            ),
            case(
                "inline ... inside a token still anchors its literal parts",
                Like,
                "helloworld-v1-... 1/1 Running 0 40s",
                "helloworld-v2-5b75657f75-ccwz7    1/1     Running   0     3m2s",
                false,
            ),
            case(
                "inline ... joining two columns",
                Like,
                "istio-ingressgateway   LoadBalancer   10.96...200   80:30582/TCP   5h",
                "istio-ingressgateway   LoadBalancer   10.96.12.34   172.18.255.200   80:30582/TCP   5h",
                true,
            ),
            case(
                "row not found after ...",
                Like,
                "...\nhelloworld-v3-54df5f84b-9hxgw 1/1 Running 0 1m\n...",
                PODS_REAL,
                false,
            ),
            case("empty expected, empty output", Like, "\n", "", true),
            case("empty expected, some output", Like, "", "something", false),
        ]);
    }

    #[test]
    fn like_failure_points_at_the_unmatched_line() {
        let out = compare(
            &MatchMode::Like,
            "NAME READY STATUS\n...\nreviews-v3-7dbcdcbc56-m8dph 2/2 Running",
            "NAME READY STATUS\nreviews-v1-545db77b95-9xk2p 2/2 Running\nreviews-v2-7bf8c9648f-zq2tj 2/2 Running",
            0,
        );
        assert!(!out.passed);
        let reason = out.reason.expect("reason");
        assert_eq!(
            reason,
            "expected line 3 `reviews-v3-7dbcdcbc56-m8dph 2/2 Running` not found after actual line 1"
        );
        let diff = out.diff.expect("diff");
        assert!(diff.starts_with(&reason), "{diff}");
        assert!(
            diff.contains("-reviews-v3-7dbcdcbc56-m8dph 2/2 Running"),
            "{diff}"
        );
        assert!(diff.contains(" ...  (2 lines elided)"), "{diff}");
    }

    #[test]
    fn like_anchored_mismatch_names_both_lines() {
        let out = compare(
            &MatchMode::Like,
            PODS_DOC,
            "NAME READY STATUS RESTARTS AGE\nhelloworld-v1-5b75657f75-ccwz7 0/1 Pending 0 3s\nhelloworld-v2-7d48cf86d6-xp4bn 1/1 Running 0 3s",
            0,
        );
        let reason = out.reason.expect("reason");
        assert!(
            reason.starts_with("expected line 2 `helloworld-v1-776f57d5f6-s7zfc")
                && reason.contains("does not match actual line 2"),
            "{reason}"
        );
        let diff = out.diff.expect("diff");
        // The volatile-only difference on line 3 is context, not a change.
        assert!(
            diff.contains(" helloworld-v2-7d48cf86d6-xp4bn 1/1 Running 0 3s"),
            "{diff}"
        );
        assert!(diff.contains("+helloworld-v1-5b75657f75-ccwz7 0/1 Pending 0 3s"));
        assert!(diff.contains("@@ -1,3 +1,3 @@"), "{diff}");
    }

    #[test]
    fn elided_reports_missing_and_extra_lines() {
        let missing = compare(&MatchMode::Elided, "a\nb\nc", "a\nb", 0);
        assert_eq!(
            missing.reason.as_deref(),
            Some("expected line 3 `c` is missing: the output ended after 2 line(s)")
        );
        let extra = compare(&MatchMode::Elided, "a\nb", "a\nb\nc", 0);
        assert_eq!(
            extra.reason.as_deref(),
            Some("unexpected actual line 3 `c` after the last expected line")
        );
        assert!(extra.diff.expect("diff").ends_with(" b\n+c"));
        // After a star, the extra line reported is the one after the
        // furthest complete match.
        let late = compare(&MatchMode::Elided, "...\nx", "x\nx\ny", 0);
        assert_eq!(
            late.reason.as_deref(),
            Some("unexpected actual line 3 `y` after the last expected line")
        );
    }

    #[test]
    fn same_diff_is_unified() {
        let out = compare(
            &MatchMode::Same,
            "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven",
            "one\n2\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\ntwelve",
            0,
        );
        assert_eq!(
            out.reason.as_deref(),
            Some("first difference at line 2: expected `two`, got `2`")
        );
        assert_eq!(
            out.diff.as_deref(),
            Some(
                "--- expected\n+++ actual\n\
                 @@ -1,5 +1,5 @@\n one\n-two\n+2\n three\n four\n five\n\
                 @@ -9,3 +9,4 @@\n nine\n ten\n eleven\n+twelve"
            )
        );
    }

    #[test]
    fn nearby_changes_share_a_hunk() {
        let out = compare(
            &MatchMode::Same,
            "a\nb\nc\nd\ne\nf\ng\nh\ni",
            "A\nb\nc\nd\ne\nf\ng\nH\ni",
            0,
        );
        let diff = out.diff.expect("diff");
        assert_eq!(diff.matches("\n@@ ").count(), 1, "{diff}");
        assert!(diff.contains("@@ -1,9 +1,9 @@"), "{diff}");
    }

    #[test]
    fn other_diffs() {
        let nc = compare(
            &MatchMode::NotContains,
            "denied",
            "a\nb\nRBAC: access denied\nc",
            0,
        );
        assert_eq!(
            nc.reason.as_deref(),
            Some("the output contains the forbidden text at line 3")
        );
        assert!(nc
            .diff
            .expect("diff")
            .contains("\n+RBAC: access denied\n c"));

        let empty = compare(&MatchMode::NotContains, "", "output", 0);
        assert!(empty
            .reason
            .expect("reason")
            .contains("forbidden text is empty"));

        let lines = compare(&MatchMode::Lines, "+ v3\n- v1", "v1\nv2", 0);
        let diff = lines.diff.expect("diff");
        assert!(
            diff.contains("\n-v3\n") && diff.ends_with("\n+v1"),
            "{diff}"
        );

        let fl = compare(&MatchMode::FirstLine, "a", "b\nc", 0);
        assert!(fl.diff.expect("diff").ends_with("-a\n+b"));

        let bad = compare(&MatchMode::Regex, "(", "(", 0);
        assert!(bad
            .reason
            .expect("reason")
            .contains("not a valid regular expression"));
        assert!(bad.diff.is_some());
    }

    #[test]
    fn diff_is_capped() {
        let expected: String = (0..500).map(|k| format!("line {k}\n")).collect();
        let actual: String = (0..500).map(|k| format!("other {k}\n")).collect();
        for mode in [MatchMode::Same, MatchMode::Like, MatchMode::Elided] {
            let out = compare(&mode, &expected, &actual, 0);
            let diff = out.diff.expect("diff");
            assert_eq!(diff.lines().count(), MAX_DIFF_LINES, "{mode}");
            assert!(
                diff.ends_with("more diff lines not shown)"),
                "{mode}: {diff}"
            );
        }
        let long = "x".repeat(10_000);
        let out = compare(&MatchMode::Same, &long, "y", 0);
        assert!(out.diff.expect("diff").len() < 1_000);
    }

    #[test]
    fn large_inputs_stay_bounded() {
        // 20 000 output lines; the pattern forces many star backtracks.
        let actual: String = (0..20_000)
            .map(|k| format!("reviews-v1-545db77b95-9xk2p  2/2  Running  0  {k}s\n"))
            .collect();
        let hit = "...\nreviews-v1-545db77b95-9xk2p 2/2 Running 0 1s\n...";
        assert!(compare(&MatchMode::Like, hit, &actual, 0).passed);
        let miss = "...\nreviews-v1-545db77b95-9xk2p 2/2 Running 0 1s\nnever\n...";
        let out = compare(&MatchMode::Like, miss, &actual, 0);
        assert!(!out.passed);
        assert!(out.diff.expect("diff").lines().count() <= MAX_DIFF_LINES);
        let out = compare(&MatchMode::Elided, "...\nnever", &actual, 0);
        assert!(!out.passed);
    }

    #[test]
    fn never_panics_on_odd_inputs() {
        let inputs = [
            "",
            "\n",
            "\r\n\r\n",
            "...",
            "[..]",
            "...\n...",
            "......",
            "a...",
            "...a",
            "é…ü ... 😀",
            "+ ",
            "- ",
            "(",
            "1 (2m ago)",
            "0 (",
            "[::]:80 ::/0 ,, <none> 999.1.1.1/99 :/",
            "2024-01-01T00:00:00Z-abcde",
        ];
        for mode in MatchMode::ALL {
            for e in inputs {
                for a in inputs {
                    for exit in [0, 1] {
                        let out = compare(mode, e, a, exit);
                        assert_eq!(out.passed, out.reason.is_none(), "{mode} {e:?} {a:?}");
                        if out.passed {
                            assert!(out.diff.is_none());
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn normalize_contract() {
        assert_eq!(normalize("\n \r\n a  \r\nb\t\n\n  \n"), " a\nb");
        assert_eq!(normalize(" \n\t\r\n"), "");
        assert_eq!(normalize("x"), "x");
    }

    #[test]
    fn mode_names_round_trip() {
        for mode in MatchMode::ALL {
            assert_eq!(MatchMode::parse(mode.name()).as_ref(), Some(mode));
            let json = serde_json::to_string(mode).expect("serialise");
            assert_eq!(json, format!("\"{}\"", mode.name()));
            let back: MatchMode = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(&back, mode);
        }
        assert_eq!(MatchMode::ALL.len(), 10);
        assert_eq!(
            MatchMode::parse(" NOT_CONTAINS "),
            Some(MatchMode::NotContains)
        );
        assert_eq!(MatchMode::parse("First-Line"), Some(MatchMode::FirstLine));
        assert_eq!(MatchMode::parse("verify_like"), None);
        assert_eq!(MatchMode::parse(""), None);
        assert_eq!(MatchMode::default(), MatchMode::Like);
        assert_eq!(MatchMode::NotContains.to_string(), "not-contains");
    }

    #[test]
    fn token_classes() {
        let e = |s: &str| tokenize(&canonicalize(s), true);
        let a = |s: &str| tokenize(&canonicalize(s), false);
        let m = |x: &str, y: &str| {
            let (x, y) = (e(x), a(y));
            x.len() == 1 && y.len() == 1 && token_matches(&x[0], &y[0])
        };
        assert!(m("5s", "3m2s"));
        assert!(m("10m", "2d"));
        assert!(m("<invalid>", "12h"));
        assert!(!m("5s", "5"));
        assert!(m("0", "1 (2m ago)"));
        assert!(!m("0", "1"));
        assert!(m("192.168.1.1", "fd00::1"));
        assert!(m("[fd00::1]:80", "10.0.0.7:80"));
        assert!(!m("10.0.0.1:80", "10.0.0.1"));
        assert!(m("10.0.0.1,fd00::1", "10.0.0.2,fd00::2"));
        assert!(!m("10.0.0.1,fd00::1", "10.0.0.2"));
        assert!(m("<pending>", "35.1.2.3"));
        assert!(!m("<none>", "Running"));
        assert!(!m("1/1", "0/1"));
        assert!(!m("1.22.0", "1.23.0"));
    }
}
