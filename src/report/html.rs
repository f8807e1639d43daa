//! The HTML report (`--report FILE`): one self-contained page of a run, to open from a CI
//! artifact. No network, no external assets, no framework: inline CSS and a few lines of
//! inline script that only add a "failures only" filter (the page reads the same without it).
//!
//! What a reader sees first: the summary (guides passed, failed, flaky; leaks; duration),
//! then the failures, each linked to its step, then a row per guide. Each guide has its steps
//! with status, a duration bar on the guide's timeline, file:line, commands, output and the
//! diff; its hygiene (leaked and removed objects). Failed guides and failed steps are open;
//! the rest folded.
//!
//! The header says what made the page: docrun's version and commit, the date (UTC, RFC 3339)
//! and the command line ([`super::invocation`]). A failure's message is stated once, in its
//! step, in preformatted text beside its diff, whose changed lines have their changed words
//! marked. A step's file:line links to that line on the forge when CI says where
//! ([`super::forge`]).
//!
//! Every text comes from events, where secrets are masked already, and is escaped here: the
//! output of a step is hostile (it may hold `<script>`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::forge::Forge;
use crate::duration::human;
use crate::events::{ClusterObject, Event, HygieneStatus, Masked, Reporter, RunStatus, StepStatus};

/// How a guide ended, as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// Failed, then passed on a rerun.
    Flaky,
    Interrupted,
}

impl Outcome {
    pub fn from_run(status: RunStatus) -> Self {
        match status {
            RunStatus::Passed => Outcome::Passed,
            RunStatus::Failed => Outcome::Failed,
            RunStatus::Interrupted => Outcome::Interrupted,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Flaky => "flaky",
            Outcome::Interrupted => "interrupted",
        }
    }
}

/// What the page's header says about the run that made it.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// Names the run in the page's title: `docrun run GUIDE`, `docrun test PATH...`.
    pub title: String,
    /// The command line, made safe to show by [`super::invocation::shown`].
    pub command_line: String,
    /// When the report was made.
    pub date: SystemTime,
    /// Where a step's file:line links to.
    pub forge: Forge,
}

impl RunInfo {
    /// The header of a report made now, linking to the forge the environment names.
    pub fn now(title: String, command_line: String) -> Self {
        RunInfo {
            title,
            command_line,
            date: SystemTime::now(),
            forge: Forge::from_env(),
        }
    }
}

/// docrun's version, and the commit it was built from when the build recorded one, as
/// `docrun --version` says it: `0.1.0 (1a2b3c4 2026-12-06)` (see `build.rs`).
pub fn version() -> String {
    env!("DOCRUN_VERSION").to_owned()
}

/// `time` in UTC as RFC 3339, to the second: `2026-12-06T05:14:30Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's days-to-civil, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// One guide of the report.
#[derive(Debug, Clone)]
pub struct GuidePage<'a> {
    pub path: &'a Path,
    pub outcome: Outcome,
    pub duration: Duration,
    /// The events of the attempt shown (the last one).
    pub events: &'a [Masked],
    /// How many times the guide ran (more than 1 with `--rerun-failed`).
    pub attempts: u32,
    /// The events of the earlier, failed attempts: their failed steps are shown, folded.
    pub earlier: &'a [Vec<Masked>],
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline (terminal escapes) are shown as
            // their code, not passed to the page.
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
header{padding:16px 24px;border-bottom:1px solid var(--line);background:var(--bg)}
h1{font-size:20px;margin:0 0 8px}
h2{font-size:16px;margin:24px 0 8px}
main{padding:0 24px 32px}
.counts{display:flex;gap:12px;flex-wrap:wrap}
.count{padding:6px 12px;border-radius:6px;background:#fff;border:1px solid var(--line);font-weight:600}
.count.failed{color:var(--bad);border-color:var(--bad)}
.count.passed{color:var(--ok)}
.count.flaky,.count.leaks{color:var(--warn);border-color:var(--warn)}
.badge{display:inline-block;min-width:64px;text-align:center;padding:1px 6px;border-radius:4px;font-size:12px;font-weight:700;color:#fff;background:var(--muted)}
.badge.passed{background:var(--ok)}.badge.failed,.badge.timed_out,.badge.leaked-fail{background:var(--bad)}
.badge.flaky,.badge.leaked-warn,.badge.interrupted{background:var(--warn)}.badge.skipped{background:#8c959f}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);font-weight:600}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
ul.failures{padding-left:20px}ul.failures li{margin:4px 0}
details.guide{border:1px solid var(--line);border-radius:6px;margin:10px 0}
details.guide>summary{padding:8px 12px;cursor:pointer;background:var(--bg);font-weight:600}
details.guide.failed>summary{background:#ffebe9}
details.guide.flaky>summary{background:#fff8c5}
.guide-body{padding:8px 12px}
details.step{border-top:1px solid var(--line);padding:4px 0}
details.step>summary{cursor:pointer;display:grid;grid-template-columns:80px minmax(140px,1fr) minmax(200px,1.5fr) 90px 1.5fr;gap:8px;align-items:center}
details.step.failed>summary,details.step.timed_out>summary{color:var(--bad);font-weight:600}
.where{color:var(--muted);font-family:ui-monospace,monospace;font-size:12px;overflow-wrap:anywhere}
.timeline{position:relative;height:10px;background:var(--bg);border-radius:3px}
.timeline span{position:absolute;top:0;height:10px;min-width:2px;border-radius:3px;background:var(--ok)}
.step.failed .timeline span,.step.timed_out .timeline span{background:var(--bad)}
.step.skipped .timeline span{background:#8c959f}
pre{background:#0d1117;color:#e6edf3;padding:8px 10px;border-radius:6px;overflow:auto;max-height:480px;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
pre .del{color:#ff7b72}pre .add{color:#7ee787}pre .hunk{color:#79c0ff}
pre .del mark{background:#8e1519;color:#fff;border-radius:2px}pre .add mark{background:#1f6f2b;color:#fff;border-radius:2px}
pre .head{color:#8b949e}
pre.message{background:#ffebe9;color:var(--bad);border:1px solid #ffcecb;margin:6px 0;font-weight:600;font-size:13px}
pre.note-text{background:var(--bg);color:#1f2328;border:1px solid var(--line);margin:6px 0}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 10px;font-size:13px}
dl.run dt{color:var(--muted)}dl.run dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
a.where{color:#0969da}
.note{color:var(--warn);margin:6px 0;font-weight:600}
.label{color:var(--muted);font-size:12px;margin:6px 0 2px}
.hygiene{margin-top:10px;padding:8px 10px;border-radius:6px;background:var(--bg)}
.hygiene.leaked{background:#fff8c5}.hygiene.leaked.fails{background:#ffebe9}
.hygiene code{font-size:12px}
.toolbar{margin:12px 0}
body.only-failures details.guide.passed{display:none}
"#;

/// The page's only script: a "failures only" filter, and a marker on `<html>` saying it ran
/// (`data-script="ok"`, or `"error"` if any script on the page threw).
const SCRIPT: &str = r#"
window.onerror=function(){document.documentElement.setAttribute('data-script','error');};
(function(){
  var box=document.getElementById('only-failures');
  if(box){box.addEventListener('change',function(){document.body.classList.toggle('only-failures',box.checked);});}
  if(document.documentElement.getAttribute('data-script')!=='error'){document.documentElement.setAttribute('data-script','ok');}
})();
"#;

/// One step as the page shows it, from its `StepFinished` event.
struct StepView<'a> {
    id: &'a str,
    section: &'a str,
    file: &'a Path,
    line: usize,
    status: StepStatus,
    duration_ms: u64,
    start_ms: u64,
    exit_status: Option<i32>,
    attempts: u32,
    message: Option<&'a str>,
    diff: Option<&'a str>,
    output: &'a str,
    commands: &'a [String],
}

fn steps_of(events: &[Masked]) -> Vec<StepView<'_>> {
    let mut start = 0;
    let mut steps = Vec::new();
    for e in events {
        if let Event::StepFinished {
            id,
            section,
            file,
            line,
            status,
            exit_status,
            duration_ms,
            attempts,
            message,
            diff,
            output,
            commands,
            ..
        } = e.event()
        {
            steps.push(StepView {
                id,
                section,
                file,
                line: *line,
                status: *status,
                duration_ms: *duration_ms,
                start_ms: start,
                exit_status: *exit_status,
                attempts: *attempts,
                message: message.as_deref(),
                diff: diff.as_deref(),
                output,
                commands,
            });
            start += duration_ms;
        }
    }
    steps
}

struct HygieneView<'a> {
    status: HygieneStatus,
    fails: bool,
    contexts: &'a [String],
    leaked: &'a [ClusterObject],
    removed: &'a [ClusterObject],
    unreachable: Vec<&'a str>,
    duration_ms: u64,
}

fn hygiene_of(events: &[Masked]) -> Option<HygieneView<'_>> {
    events.iter().find_map(|e| match e.event() {
        Event::Hygiene {
            status,
            fails,
            contexts,
            leaked,
            removed,
            unreachable,
            duration_ms,
            ..
        } => Some(HygieneView {
            status: *status,
            fails: *fails,
            contexts,
            leaked,
            removed,
            unreachable: unreachable.iter().map(|u| u.context.as_str()).collect(),
            duration_ms: *duration_ms,
        }),
        _ => None,
    })
}

fn status_class(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Passed => "passed",
        StepStatus::Failed => "failed",
        StepStatus::TimedOut => "timed_out",
        StepStatus::Skipped => "skipped",
        StepStatus::Interrupted => "interrupted",
    }
}

fn anchor(guide_index: usize, step_index: usize) -> String {
    format!("g{guide_index}-s{step_index}")
}

/// A unified diff with its lines coloured, and in each changed line the words that changed
/// marked (`<mark>`): a run of removed lines and the run of added lines after it are paired
/// line by line. Lines before the diff's headers that restate `message` are left out: the step
/// shows its message once, above.
fn diff_html(diff: &str, message: Option<&str>) -> String {
    let lines: Vec<&str> = diff.lines().collect();
    let headers = lines.iter().position(|l| *l == "--- expected");
    let restated = |l: &&str| message.is_some_and(|m| m.lines().any(|ml| ml == *l));
    let from = match headers {
        Some(h) if lines[..h].iter().all(restated) => h,
        _ => 0,
    };
    let first_hunk = lines.iter().position(|l| l.starts_with("@@"));
    let mut out = String::new();
    let mut i = from;
    while i < lines.len() {
        let line = lines[i];
        let in_headers = first_hunk.is_none_or(|h| i < h) && headers.is_some_and(|h| i >= h);
        if in_headers && (line.starts_with("--- ") || line.starts_with("+++ ")) {
            let _ = writeln!(out, "<span class=\"head\">{}</span>", escape(line));
            i += 1;
        } else if line.starts_with("@@") {
            let _ = writeln!(out, "<span class=\"hunk\">{}</span>", escape(line));
            i += 1;
        } else if line.starts_with('-') || line.starts_with('+') {
            let removed: Vec<&str> = lines[i..]
                .iter()
                .take_while(|l| l.starts_with('-'))
                .map(|l| &l[1..])
                .collect();
            let added: Vec<&str> = lines[i + removed.len()..]
                .iter()
                .take_while(|l| l.starts_with('+'))
                .map(|l| &l[1..])
                .collect();
            let mut marked_removed = Vec::new();
            let mut marked_added = Vec::new();
            for k in 0..removed.len().max(added.len()) {
                match (removed.get(k), added.get(k)) {
                    (Some(old), Some(new)) => {
                        let (o, n) = changed_words(old, new);
                        marked_removed.push(o);
                        marked_added.push(n);
                    }
                    (Some(old), None) => marked_removed.push(escape(old)),
                    (None, Some(new)) => marked_added.push(escape(new)),
                    (None, None) => {}
                }
            }
            for l in marked_removed {
                let _ = writeln!(out, "<span class=\"del\">-{l}</span>");
            }
            for l in marked_added {
                let _ = writeln!(out, "<span class=\"add\">+{l}</span>");
            }
            i += removed.len() + added.len();
        } else {
            let _ = writeln!(out, "{}", escape(line));
            i += 1;
        }
    }
    out
}

/// Two versions of a line, escaped, with the words each has that the other has not marked.
fn changed_words(old: &str, new: &str) -> (String, String) {
    use similar::ChangeTag;
    let diff = similar::TextDiff::from_words(old, new);
    let (mut o, mut n) = (String::new(), String::new());
    for change in diff.iter_all_changes() {
        let text = escape(change.value());
        match change.tag() {
            ChangeTag::Equal => {
                o.push_str(&text);
                n.push_str(&text);
            }
            ChangeTag::Delete => {
                let _ = write!(o, "<mark>{text}</mark>");
            }
            ChangeTag::Insert => {
                let _ = write!(n, "<mark>{text}</mark>");
            }
        }
    }
    (o, n)
}

/// The whole page: its header from `info`, then the guides.
pub fn render(info: &RunInfo, guides: &[GuidePage<'_>]) -> String {
    let count = |o: Outcome| guides.iter().filter(|g| g.outcome == o).count();
    let total: Duration = guides.iter().map(|g| g.duration).sum();
    let hygiene: Vec<Option<HygieneView>> = guides.iter().map(|g| hygiene_of(g.events)).collect();
    let leaks: usize = hygiene
        .iter()
        .flatten()
        .map(|h| h.leaked.len() + h.removed.len())
        .sum();
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\" data-script=\"none\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <title>docrun: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>docrun: {}</h1>\n\
         <dl class=\"run\"><dt>docrun</dt><dd class=\"version\">{}</dd><dt>date</dt><dd><time class=\"date\" datetime=\"{date}\">{date}</time></dd>\
         <dt>command</dt><dd class=\"command\">{}</dd></dl>\n<div class=\"counts\">",
        escape(&info.title),
        escape(&info.title),
        escape(&version()),
        escape(&info.command_line),
        date = rfc3339(info.date),
    );
    let failed = count(Outcome::Failed) + count(Outcome::Interrupted);
    let _ = write!(
        out,
        "<span class=\"count {}\">{} failed</span><span class=\"count passed\">{} passed</span>",
        if failed > 0 { "failed" } else { "" },
        failed,
        count(Outcome::Passed)
    );
    if count(Outcome::Flaky) > 0 {
        let _ = write!(
            out,
            "<span class=\"count flaky\">{} flaky</span>",
            count(Outcome::Flaky)
        );
    }
    if leaks > 0 {
        let _ = write!(
            out,
            "<span class=\"count leaks\">{leaks} leaked or removed object{}</span>",
            if leaks == 1 { "" } else { "s" }
        );
    }
    let _ = write!(
        out,
        "<span class=\"count\">{} guide{} in {}</span></div>\n</header>\n<main>\n",
        guides.len(),
        if guides.len() == 1 { "" } else { "s" },
        human(total)
    );

    // Failures first: each failed step and each failing leak, linked to where it is shown.
    let mut failures = String::new();
    for (gi, g) in guides.iter().enumerate() {
        for (si, s) in steps_of(g.events).iter().enumerate() {
            if s.status.is_failure() {
                // The message is in the step, stated once.
                let _ = write!(
                    failures,
                    "<li><span class=\"badge {}\">{}</span> <a href=\"#{}\">{} <b>{}</b></a> {}</li>",
                    status_class(s.status),
                    s.status.label(),
                    anchor(gi, si),
                    escape(&g.path.display().to_string()),
                    escape(s.id),
                    file_line(&info.forge, s.file, s.line),
                );
            }
        }
        if let Some(h) = &hygiene[gi] {
            if h.fails && !h.unreachable.is_empty() && h.status != HygieneStatus::Leaked {
                let _ = write!(
                    failures,
                    "<li><a href=\"#g{gi}-hygiene\">{} <b>hygiene</b></a> — context {} cannot be read</li>",
                    escape(&g.path.display().to_string()),
                    escape(&h.unreachable.join(", "))
                );
            }
            if h.status == HygieneStatus::Leaked {
                let _ = write!(
                    failures,
                    "<li><a href=\"#g{gi}-hygiene\">{} <b>hygiene</b></a> — {} leaked, {} removed{}</li>",
                    escape(&g.path.display().to_string()),
                    h.leaked.len(),
                    h.removed.len(),
                    if h.fails { "" } else { " (warning)" }
                );
            }
        }
    }
    if !failures.is_empty() {
        let _ = write!(
            out,
            "<h2 id=\"failures\">Failures</h2>\n<ul class=\"failures\">{failures}</ul>\n"
        );
    }

    // A row per guide.
    out.push_str(
        "<h2>Guides</h2>\n<table class=\"guides\">\n<thead><tr><th>Status</th><th>Guide</th>\
         <th class=\"num\">Passed</th><th class=\"num\">Failed</th><th class=\"num\">Skipped</th>\
         <th class=\"num\">Duration</th><th>Hygiene</th></tr></thead>\n<tbody>\n",
    );
    for (gi, g) in guides.iter().enumerate() {
        let steps = steps_of(g.events);
        let n = |f: &dyn Fn(StepStatus) -> bool| steps.iter().filter(|s| f(s.status)).count();
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td><span class=\"badge {}\">{}</span></td><td><a href=\"#g{gi}\">{}</a>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            g.outcome.class(),
            g.outcome.class(),
            g.outcome.class(),
            escape(&g.path.display().to_string()),
            if g.attempts > 1 {
                format!(" <span class=\"where\">({} attempts)</span>", g.attempts)
            } else {
                String::new()
            },
            n(&|s| s == StepStatus::Passed),
            n(&|s| s.is_failure()),
            n(&|s| s == StepStatus::Skipped),
            human(g.duration),
            hygiene_cell(hygiene[gi].as_ref())
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str(
        "<div class=\"toolbar\"><label><input type=\"checkbox\" id=\"only-failures\"> \
         Show failed and flaky guides only</label></div>\n",
    );

    // Each guide, its steps and its hygiene.
    for (gi, g) in guides.iter().enumerate() {
        guide_section(&mut out, &info.forge, gi, g, hygiene[gi].as_ref());
    }
    let _ = write!(
        out,
        "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    out
}

fn hygiene_cell(h: Option<&HygieneView>) -> String {
    match h {
        None => "<span class=\"where\">no cluster</span>".into(),
        Some(h) => match h.status {
            _ if h.fails && !h.unreachable.is_empty() && h.status != HygieneStatus::Leaked => {
                "<span class=\"badge leaked-fail\">unreadable</span>".into()
            }
            HygieneStatus::Clean => "<span class=\"badge passed\">clean</span>".into(),
            HygieneStatus::Unchecked => "<span class=\"badge skipped\">unchecked</span>".into(),
            HygieneStatus::Leaked => format!(
                "<span class=\"badge leaked-{}\">{} leaked</span>",
                if h.fails { "fail" } else { "warn" },
                h.leaked.len() + h.removed.len()
            ),
        },
    }
}

fn guide_section(
    out: &mut String,
    forge: &Forge,
    gi: usize,
    g: &GuidePage<'_>,
    h: Option<&HygieneView>,
) {
    let steps = steps_of(g.events);
    let open = matches!(
        g.outcome,
        Outcome::Failed | Outcome::Flaky | Outcome::Interrupted
    ) || h.is_some_and(|h| {
        h.status == HygieneStatus::Leaked || (h.fails && !h.unreachable.is_empty())
    });
    let _ = write!(
        out,
        "<details class=\"guide {}\" id=\"g{gi}\"{}>\n<summary><span class=\"badge {}\">{}</span> {} \
         <span class=\"where\">{} step{}, {}</span></summary>\n<div class=\"guide-body\">\n",
        g.outcome.class(),
        if open { " open" } else { "" },
        g.outcome.class(),
        g.outcome.class(),
        escape(&g.path.display().to_string()),
        steps.len(),
        if steps.len() == 1 { "" } else { "s" },
        human(g.duration)
    );
    if g.outcome == Outcome::Flaky {
        let _ = writeln!(
            out,
            "<p class=\"note\">Flaky: failed, then passed on attempt {} of {}. The steps below are the last attempt's.</p>",
            g.attempts, g.attempts
        );
    }
    let span = steps
        .last()
        .map(|s| s.start_ms + s.duration_ms)
        .unwrap_or(0)
        .max(1) as f64;
    for (si, s) in steps.iter().enumerate() {
        step_html(out, forge, &anchor(gi, si), s, span);
    }
    for (ai, attempt) in g.earlier.iter().enumerate() {
        let failed: Vec<StepView> = steps_of(attempt)
            .into_iter()
            .filter(|s| s.status.is_failure())
            .collect();
        let _ = writeln!(
            out,
            "<details class=\"attempt\"><summary class=\"label\">attempt {} of {} failed: {}</summary>",
            ai + 1,
            g.attempts,
            escape(&failed.iter().map(|s| s.id).collect::<Vec<_>>().join(", "))
        );
        let span = failed
            .iter()
            .map(|s| s.start_ms + s.duration_ms)
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        for (si, s) in failed.iter().enumerate() {
            step_html(out, forge, &format!("g{gi}-a{}-s{si}", ai + 1), s, span);
        }
        out.push_str("</details>\n");
    }
    if let Some(h) = h {
        hygiene_block(out, gi, h);
    }
    out.push_str("</div>\n</details>\n");
}

/// `file:line`, linked to that line on the forge when there is one to link to.
fn file_line(forge: &Forge, file: &Path, line: usize) -> String {
    let shown = escape(&format!("{}:{line}", file.display()));
    match forge.line_url(file, line) {
        Some(url) => format!("<a class=\"where\" href=\"{}\">{shown}</a>", escape(&url)),
        None => format!("<span class=\"where\">{shown}</span>"),
    }
}

/// One step: a folded `<details>` (open when it failed) with its bar on the guide's timeline
/// (`span`: the guide's length in ms), file:line, its message, commands, diff and output.
fn step_html(out: &mut String, forge: &Forge, id: &str, s: &StepView<'_>, span: f64) {
    let class = status_class(s.status);
    let left = s.start_ms as f64 / span * 100.0;
    let width = (s.duration_ms as f64 / span * 100.0).max(0.3);
    let tries = if s.attempts > 1 {
        format!(", {} attempts", s.attempts)
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<details class=\"step {class}\" id=\"{}\"{}>\n<summary><span class=\"badge {class}\">{}</span>\
         <span>{}</span>{}<span class=\"where\">{}{tries}</span>\
         <div class=\"timeline\" title=\"starts at {} of the guide\"><span style=\"left:{left:.2}%;width:{width:.2}%\"></span></div></summary>\n",
        id,
        if s.status.is_failure() { " open" } else { "" },
        s.status.label(),
        escape(s.id),
        file_line(forge, s.file, s.line),
        human(Duration::from_millis(s.duration_ms)),
        human(Duration::from_millis(s.start_ms)),
    );
    if !s.section.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"label\">section {}</div>",
            escape(s.section)
        );
    }
    if let Some(m) = s.message {
        let class = if s.status.is_failure() {
            "message"
        } else {
            "note-text"
        };
        let _ = writeln!(out, "<pre class=\"{class}\">{}</pre>", escape(m));
    }
    if !s.commands.is_empty() {
        out.push_str("<div class=\"label\">commands</div><pre class=\"commands\">");
        for c in s.commands {
            let _ = writeln!(out, "$ {}", escape(c));
        }
        out.push_str("</pre>\n");
    }
    if let Some(code) = s.exit_status {
        let said = s
            .message
            .is_some_and(|m| m.contains(&format!("status {code}")));
        if code != 0 && !said {
            let _ = writeln!(out, "<div class=\"label\">exit status {code}</div>");
        }
    }
    if let Some(d) = s.diff {
        let _ = writeln!(
            out,
            "<div class=\"label\">output differs from the guide (- expected, + actual)</div><pre class=\"diff\">{}</pre>",
            diff_html(d, s.message)
        );
    }
    if !s.output.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"label\">output</div><pre class=\"output\">{}</pre>",
            escape(s.output)
        );
    }
    out.push_str("</details>\n");
}

fn hygiene_block(out: &mut String, gi: usize, h: &HygieneView) {
    let (class, text) = match h.status {
        HygieneStatus::Clean => (
            "clean",
            "the clusters hold what they held before".to_string(),
        ),
        _ if h.fails && !h.unreachable.is_empty() && h.status != HygieneStatus::Leaked => (
            "leaked",
            format!(
                "context {} cannot be read: the guide fails",
                h.unreachable.join(", ")
            ),
        ),
        HygieneStatus::Unchecked => (
            "unchecked",
            format!(
                "not checked: context {} cannot be read",
                h.unreachable.join(", ")
            ),
        ),
        HygieneStatus::Leaked => (
            "leaked",
            format!(
                "{} leaked, {} removed{}",
                h.leaked.len(),
                h.removed.len(),
                if h.fails {
                    ": the guide fails"
                } else {
                    " (a warning)"
                }
            ),
        ),
    };
    let _ = write!(
        out,
        "<div class=\"hygiene {class}{}\" id=\"g{gi}-hygiene\"><b>Hygiene</b> ({}) — {} <span class=\"where\">{}</span>",
        if h.fails { " fails" } else { "" },
        escape(&h.contexts.join(", ")),
        escape(&text),
        human(Duration::from_millis(h.duration_ms))
    );
    if !h.leaked.is_empty() || !h.removed.is_empty() {
        out.push_str("<table><thead><tr><th></th><th>Context</th><th>Kind</th><th>Namespace</th><th>Name</th></tr></thead><tbody>");
        for (what, list) in [("leaked", h.leaked), ("removed", h.removed)] {
            for o in list {
                let _ = write!(
                    out,
                    "<tr class=\"{what}\"><td>{what}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    escape(&o.context),
                    escape(&o.kind),
                    escape(o.namespace.as_deref().unwrap_or("")),
                    escape(&o.name)
                );
            }
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</div>\n");
}

/// Writes the page, naming the file in the error.
pub fn write(path: &Path, info: &RunInfo, guides: &[GuidePage<'_>]) -> std::io::Result<()> {
    std::fs::write(path, render(info, guides))
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// The HTML report of `docrun run`: collects the guide's events and writes the page when the
/// run ends.
pub struct HtmlReport {
    path: PathBuf,
    info: RunInfo,
    events: Vec<Masked>,
}

impl HtmlReport {
    pub fn new(path: &Path, info: RunInfo) -> Self {
        HtmlReport {
            path: path.to_path_buf(),
            info,
            events: Vec::new(),
        }
    }
}

impl Reporter for HtmlReport {
    fn event(&mut self, event: &Masked) {
        self.events.push(event.clone());
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let (guide, status, duration) = self
            .events
            .iter()
            .rev()
            .find_map(|e| match e.event() {
                Event::RunFinished {
                    guide,
                    status,
                    duration_ms,
                    ..
                } => Some((
                    guide.clone(),
                    Outcome::from_run(*status),
                    Duration::from_millis(*duration_ms),
                )),
                _ => None,
            })
            .or_else(|| {
                self.events.iter().find_map(|e| match e.event() {
                    Event::RunStarted { guide, .. } => {
                        Some((guide.clone(), Outcome::Interrupted, Duration::ZERO))
                    }
                    _ => None,
                })
            })
            .unwrap_or_else(|| (PathBuf::new(), Outcome::Interrupted, Duration::ZERO));
        let page = GuidePage {
            path: &guide,
            outcome: status,
            duration,
            events: &self.events,
            attempts: 1,
            earlier: &[],
        };
        write(&self.path, &self.info, &[page])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("a\x1b[31mred"), "a\\u{1b}[31mred");
    }

    fn info(forge: Forge) -> RunInfo {
        RunInfo {
            title: "t".into(),
            command_line: "docrun run g.md".into(),
            date: SystemTime::UNIX_EPOCH,
            forge,
        }
    }

    #[test]
    fn dates_are_utc_rfc3339() {
        let at = |secs: u64| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_796_534_070), "2026-12-06T05:14:30Z");
    }

    #[test]
    fn a_changed_line_marks_the_words_that_changed() {
        let diff = "expected line 2 `b 1/1 Running` does not match actual line 2 `b 0/1 Pending`\n\
                    --- expected\n+++ actual\n@@ -1,2 +1,2 @@\n a  x\n-b   1/1   Running\n+b   0/1   Pending\n";
        let message =
            "expected line 2 `b 1/1 Running` does not match actual line 2 `b 0/1 Pending`";
        let html = diff_html(diff, Some(message));
        assert!(
            !html.contains("does not match"),
            "the message is not restated: {html}"
        );
        assert!(
            html.contains(
                "<span class=\"del\">-b   <mark>1/1</mark>   <mark>Running</mark></span>"
            ),
            "{html}"
        );
        assert!(
            html.contains(
                "<span class=\"add\">+b   <mark>0/1</mark>   <mark>Pending</mark></span>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"head\">--- expected</span>"),
            "{html}"
        );
        // A pointer that says something else than the message stays.
        let other = diff_html(diff, Some("the command exited with status 1"));
        assert!(other.starts_with("expected line 2"), "{other}");
    }

    #[test]
    fn a_failed_step_is_listed_first_and_open() {
        let events = vec![
            Event::StepFinished {
                id: "ok_1".into(),
                section: "s".into(),
                file: "g.md".into(),
                line: 3,
                status: StepStatus::Passed,
                exit_status: Some(0),
                duration_ms: 100,
                attempts: 1,
                mode: None,
                message: None,
                diff: None,
                output: "fine\n".into(),
                commands: vec!["echo fine".into()],
            },
            Event::StepFinished {
                id: "bad_1".into(),
                section: "s".into(),
                file: "g.md".into(),
                line: 9,
                status: StepStatus::Failed,
                exit_status: Some(1),
                duration_ms: 300,
                attempts: 1,
                mode: None,
                message: Some("exit status 1".into()),
                diff: None,
                output: "<script>alert(1)</script>\n".into(),
                commands: vec!["false".into()],
            },
        ];
        let masker = crate::events::Masker::none();
        let events: Vec<Masked> = events.into_iter().map(|e| masker.mask(e)).collect();
        let page = render(
            &info(Forge::default()),
            &[GuidePage {
                path: Path::new("g.md"),
                outcome: Outcome::Failed,
                duration: Duration::from_millis(400),
                events: &events,
                attempts: 1,
                earlier: &[],
            }],
        );
        assert!(!page.contains("<script>alert"), "escaped");
        let failures = page.find("id=\"failures\"").unwrap();
        let table = page.find("class=\"guides\"").unwrap();
        assert!(failures < table, "failures come before the table");
        assert!(page.contains("<details class=\"step failed\" id=\"g0-s1\" open>"));
        assert!(page.contains("<details class=\"step passed\" id=\"g0-s0\">"));
        assert!(page.contains("g.md:9"));
        assert!(page.contains("left:25.00%;width:75.00%"), "timeline");
    }
}
