//! The GitHub Actions job summary: with `GITHUB_STEP_SUMMARY` set, `docrun test` appends a
//! Markdown table of the guides and the failures, each linked to its file and line in the
//! repository at the commit being tested.
//!
//! Text from steps is hostile: it is written as escaped HTML inside table cells (no Markdown
//! or HTML of its own reaches the page) and cut to one line.
//!
//! The log is hostile ground too: the runner reads every line a step writes, to stdout or
//! stderr, as a possible workflow command (`::add-mask::x`, `::set-output name=a::b`, and the
//! older `##[command]data` anywhere in a line). Text from a guide that docrun echoes there (step
//! output, commands, section names, paths) goes between `::stop-commands::TOKEN` and
//! `::TOKEN::` ([`Fence`]), with a token from the system's random source that the guide cannot
//! know, and any spelling of the token inside the text defused. docrun's own annotations are
//! written outside these regions.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::forge::url_segment;
use crate::duration::human;
use crate::events::{Event, HygieneStatus, Masked, RunStatus};

/// Whether docrun runs as a GitHub Actions step (`GITHUB_ACTIONS=true`): its terminal output
/// is then a job log whose lines the runner reads as workflow commands.
pub fn in_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// A region of a GitHub Actions log where the runner runs no workflow command: it opens with
/// [`Fence::start`] and ends at [`Fence::end`], the only line the runner still obeys in it.
/// The token is 128 bits from `/dev/urandom`, new for each fence, and text written inside goes
/// through [`Fence::defuse`], so a guide can end a region neither by guessing nor by printing
/// the token it saw in an earlier region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    token: String,
}

impl Fence {
    /// A fence with a new random token.
    pub fn new() -> Self {
        Fence { token: token() }
    }

    /// The line that stops workflow commands.
    pub fn start(&self) -> String {
        format!("::stop-commands::{}\n", self.token)
    }

    /// The line that resumes them.
    pub fn end(&self) -> String {
        format!("::{}::\n", self.token)
    }

    /// `text` with every spelling of the token (the runner compares it without case) replaced,
    /// so that no line of it ends the region. The caller hands whole lines: a token split
    /// between two calls is not seen.
    pub fn defuse<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let lower = text.to_ascii_lowercase();
        if !lower.contains(&self.token) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut from = 0;
        for (at, _) in lower.match_indices(&self.token) {
            out.push_str(&text[from..at]);
            out.push_str("[stop token]");
            from = at + self.token.len();
        }
        out.push_str(&text[from..]);
        Cow::Owned(out)
    }

    /// `text` whole inside a new fence, ending on a line of its own; empty text stays empty.
    /// The token is drawn after the text exists, so nothing in it can know the token.
    pub fn around(text: &str) -> String {
        if text.is_empty() {
            return String::new();
        }
        let fence = Fence::new();
        let body = fence.defuse(text);
        let newline = if body.ends_with('\n') { "" } else { "\n" };
        format!("{}{body}{newline}{}", fence.start(), fence.end())
    }
}

impl Default for Fence {
    fn default() -> Self {
        Fence::new()
    }
}

/// `text` inside a [`Fence`] when `stop_commands` (docrun runs in GitHub Actions), else as it is.
pub fn guard(stop_commands: bool, text: &str) -> Cow<'_, str> {
    if stop_commands {
        Cow::Owned(Fence::around(text))
    } else {
        Cow::Borrowed(text)
    }
}

/// Serialized JSON with no line a GitHub Actions runner takes as a workflow command, and the
/// same JSON value: `##[` (the runner's older prefix, obeyed anywhere in a line) is written
/// `##\u005b`. In JSON `#` stands only inside strings, so the `[` after it does too. (A line
/// of JSON never starts with `::`: it starts with a bracket, a brace, a quote or a space.)
pub fn json_without_commands(json: String) -> String {
    if json.contains("##[") {
        json.replace("##[", "##\\u005b")
    } else {
        json
    }
}

/// 32 lowercase hex digits from `/dev/urandom`. Where it cannot be read, a SHA-256 of the
/// time, the process id, a counter and an address stands in: still not known to a guide,
/// which starts after docrun and cannot see into it.
fn token() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        use sha2::Digest;
        static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let mut hash = sha2::Sha256::new();
        hash.update(now.as_nanos().to_le_bytes());
        hash.update(std::process::id().to_le_bytes());
        hash.update(
            COUNT
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .to_le_bytes(),
        );
        hash.update((&bytes as *const _ as usize).to_le_bytes());
        bytes.copy_from_slice(&hash.finalize()[..16]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One guide of the summary.
pub struct SummaryGuide<'a> {
    pub path: &'a Path,
    pub status: RunStatus,
    pub flaky: bool,
    pub attempts: u32,
    pub duration: Duration,
    pub events: &'a [Masked],
}

/// Where links point: `https://github.com/OWNER/REPO/blob/SHA/` and the folder paths are
/// relative to (the workspace), from the variables GitHub Actions sets.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub blob: Option<String>,
    pub workspace: Option<PathBuf>,
}

impl Links {
    pub fn from_env() -> Self {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        let blob = match (
            var("GITHUB_SERVER_URL"),
            var("GITHUB_REPOSITORY"),
            var("GITHUB_SHA"),
        ) {
            (Some(server), Some(repo), Some(sha)) => Some(format!(
                "{}/{repo}/blob/{sha}/",
                server.trim_end_matches('/')
            )),
            _ => None,
        };
        Links {
            blob,
            workspace: var("GITHUB_WORKSPACE").map(PathBuf::from),
        }
    }

    /// `[path:line](url#Lline)`, or the plain `path:line` without a repository to link to.
    fn file_line(&self, file: &Path, line: usize) -> String {
        let absolute = if file.is_absolute() {
            file.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(file))
                .unwrap_or_else(|_| file.to_path_buf())
        };
        let relative = self
            .workspace
            .as_ref()
            .and_then(|w| absolute.strip_prefix(w).ok())
            .unwrap_or(file);
        let shown = relative.display().to_string();
        let shown = shown.trim_start_matches("./");
        match &self.blob {
            Some(blob) => format!(
                "[{}:{line}]({blob}{}#L{line})",
                cell(shown),
                shown
                    .split('/')
                    .map(url_segment)
                    .collect::<Vec<_>>()
                    .join("/")
            ),
            None => format!("{}:{line}", cell(shown)),
        }
    }
}

/// Text for a table cell: one line, HTML escaped, `|` and Markdown's own characters made
/// harmless.
fn cell(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut line: String = line.chars().take(200).collect();
    if text.lines().count() > 1 || text.chars().count() > 200 {
        line.push('…');
    }
    let mut out = String::new();
    for c in line.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '*' | '_' | '[' | ']' | '\\' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The Markdown of the summary.
pub fn step_summary(title: &str, guides: &[SummaryGuide<'_>], links: &Links) -> String {
    let failed = guides
        .iter()
        .filter(|g| g.status != RunStatus::Passed)
        .count();
    let flaky = guides.iter().filter(|g| g.flaky).count();
    let passed = guides.len() - failed - flaky;
    let mut out = format!("## {}\n\n", cell(title));
    let mut counts = vec![
        format!("{} {failed} failed", if failed > 0 { "❌" } else { "✅" }),
        format!("{passed} passed"),
    ];
    if flaky > 0 {
        counts.push(format!("⚠️ {flaky} flaky"));
    }
    let total: Duration = guides.iter().map(|g| g.duration).sum();
    counts.push(format!("{} guides in {}", guides.len(), human(total)));
    out.push_str(&counts.join(" · "));
    out.push_str("\n\n| Status | Guide | Steps passed | Steps failed | Duration | Hygiene |\n");
    out.push_str("|---|---|---:|---:|---:|---|\n");
    let mut failures = Vec::new();
    for g in guides {
        let (mut ok, mut bad) = (0, 0);
        let mut hygiene = "—".to_string();
        for e in g.events {
            match e.event() {
                Event::StepFinished {
                    id,
                    file,
                    line,
                    status,
                    message,
                    ..
                } => {
                    if status.is_failure() {
                        bad += 1;
                        failures.push(format!(
                            "- **{}** step <code>{}</code> at {}: {}",
                            cell(&g.path.display().to_string()),
                            cell(id),
                            links.file_line(file, *line),
                            cell(message.as_deref().unwrap_or("failed"))
                        ));
                    } else if *status == crate::events::StepStatus::Passed {
                        ok += 1;
                    }
                }
                Event::Hygiene {
                    status,
                    fails,
                    leaked,
                    removed,
                    unreachable,
                    ..
                } => {
                    let unread: Vec<&str> =
                        unreachable.iter().map(|u| u.context.as_str()).collect();
                    hygiene = match status {
                        _ if *fails && !unread.is_empty() && *status != HygieneStatus::Leaked => {
                            let text =
                                format!("❌ context {} cannot be read", cell(&unread.join(", ")));
                            failures.push(format!(
                                "- **{}** hygiene: {}",
                                cell(&g.path.display().to_string()),
                                text
                            ));
                            text
                        }
                        HygieneStatus::Clean => "clean".into(),
                        HygieneStatus::Unchecked => "not checked".into(),
                        HygieneStatus::Leaked => {
                            let names: Vec<String> = leaked
                                .iter()
                                .map(|o| format!("leaked {o}"))
                                .chain(removed.iter().map(|o| format!("removed {o}")))
                                .collect();
                            let shown: Vec<String> =
                                names.iter().take(5).map(|n| cell(n)).collect();
                            let more = if names.len() > 5 {
                                format!(" and {} more", names.len() - 5)
                            } else {
                                String::new()
                            };
                            let text = format!(
                                "{} {}{more}",
                                if *fails { "❌" } else { "⚠️" },
                                shown.join(", ")
                            );
                            failures.push(format!(
                                "- **{}** hygiene: {}",
                                cell(&g.path.display().to_string()),
                                text
                            ));
                            text
                        }
                    };
                }
                _ => {}
            }
        }
        let status = if g.flaky {
            format!("⚠️ flaky ({} attempts)", g.attempts)
        } else {
            match g.status {
                RunStatus::Passed => "✅ passed".into(),
                RunStatus::Failed => "❌ failed".into(),
                RunStatus::Interrupted => "⏹ interrupted".into(),
            }
        };
        out.push_str(&format!(
            "| {status} | {} | {ok} | {bad} | {} | {hygiene} |\n",
            cell(&g.path.display().to_string()),
            human(g.duration)
        ));
    }
    if !failures.is_empty() {
        out.push_str("\n### Failures\n\n");
        for f in failures {
            out.push_str(&f);
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

/// Appends the summary to the file `GITHUB_STEP_SUMMARY` names.
pub fn append(path: &Path, markdown: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    file.write_all(markdown.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_hold_no_markup_and_one_line() {
        assert_eq!(
            cell("<b>x</b> | y `z`\nsecond"),
            "&lt;b&gt;x&lt;/b&gt; &#124; y &#96;z&#96;…"
        );
        assert_eq!(cell("[link](http://x)"), "\\[link\\](http://x)");
    }

    #[test]
    fn a_fence_holds_text_between_its_lines_and_defuses_its_token() {
        let (a, b) = (Fence::new(), Fence::new());
        assert_ne!(a, b);
        assert_eq!(a.token.len(), 32);
        assert!(a.token.bytes().all(|c| c.is_ascii_hexdigit()));
        let spelled = format!("::{}::\n##[{}]\n", a.token.to_uppercase(), a.token);
        assert_eq!(a.defuse(&spelled), "::[stop token]::\n##[[stop token]]\n");
        assert_eq!(a.defuse("::add-mask::x\n"), "::add-mask::x\n");

        let fenced = Fence::around("::add-mask::x");
        let lines: Vec<&str> = fenced.lines().collect();
        assert_eq!(lines.len(), 3, "{fenced}");
        let token = lines[0].strip_prefix("::stop-commands::").unwrap();
        assert_eq!(lines[1], "::add-mask::x");
        assert_eq!(lines[2], format!("::{token}::"));
        assert_eq!(Fence::around(""), "");
        assert_eq!(guard(false, "::x::"), "::x::");
    }

    #[test]
    fn json_keeps_its_value_and_holds_no_old_style_command() {
        let value = serde_json::json!({"out": "x ##[add-mask]y ##[[z"});
        let text = json_without_commands(serde_json::to_string(&value).unwrap());
        assert!(!text.contains("##["), "{text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }

    #[test]
    fn links_point_at_the_line_at_the_commit() {
        let links = Links {
            blob: Some("https://github.com/o/r/blob/abc/".into()),
            workspace: Some(PathBuf::from("/w")),
        };
        assert_eq!(
            links.file_line(Path::new("/w/content/a b.md"), 7),
            "[content/a b.md:7](https://github.com/o/r/blob/abc/content/a%20b.md#L7)"
        );
        assert_eq!(Links::default().file_line(Path::new("a.md"), 3), "a.md:3");
    }
}
