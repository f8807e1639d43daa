//! `--bless`: the output a step really printed is written into the guide, in place of the
//! expected output it no longer matches, so that drifted guides are updated by docrun and not
//! by hand.
//!
//! Contract:
//!
//! - Only a step whose *output comparison* failed is blessed (it exited 0, in time, and every
//!   byte of its output was compared, see [`crate::exec::runner::Drift`]). A step that failed
//!   otherwise (exit status, timeout, signal, native checks) is refused, and so is each of these,
//!   with the reason said per step:
//!   - a mode that compares with a pattern and not with the output itself (`contains`,
//!     `not-contains`, `lines`, `first-line`, `regex`): only `same`, `like` and `elided` blocks
//!     are rewritten;
//!   - an expected output with `...` or `[..]` wildcards: they stand for output the author chose
//!     not to show, and bless does not guess which of the new lines they should still cover;
//!   - an output holding the value of a secret variable: bless never writes a secret, and a
//!     `***` written instead would not match the next run;
//!   - an output with characters that hide or rewrite what is shown ([`crate::visible`]:
//!     colour codes, bidi and zero-width characters), or an empty one;
//!   - an expected output that is not one run of the guide's own lines (the outputs of several
//!     commands compared as one, a file's content), or whose lines no longer read as docrun read
//!     them (a value rendered from site data, the guide changed since).
//! - The guide's dialect is kept: only the lines of the expected output change (from its first
//!   to its last line that is not blank), each written with the indentation and line end of
//!   the lines it replaces (list items, MkDocs tabs, CRLF), and every other byte of the file
//!   stays as it was, its final newline or its lack of one included.
//! - Before a file is written, its new text is read again as the run read it: the same steps
//!   with the same commands, and each blessed step's expected output now what it printed. A
//!   step whose output would read otherwise (a line that would start a command or close its
//!   block) is refused, and the file is written without it.
//! - Files are written only inside the documentation tree of the guide run
//!   ([`crate::boundary`]), atomically (a temporary file in the same folder, renamed over the
//!   guide), with the file's permissions kept.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::exec::runner::FailedStep;
use crate::matching::{normalize, uses_wildcards, MatchMode};
use crate::plan::{Plan, PlanStep};
use crate::runbook::StepKind;

/// What `--bless` did with a run's failed steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blessing {
    /// One line per step, in the order of the plan: `blessed FILE:A-B ...` or
    /// `not blessed FILE:LINE ...: why`.
    pub lines: Vec<String>,
    pub tally: Tally,
}

/// How many steps were rewritten, in how many files, and how many were refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub rewritten: usize,
    pub files: usize,
    pub refused: usize,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.rewritten += other.rewritten;
        self.files += other.files;
        self.refused += other.refused;
    }

    /// `bless: 2 steps rewritten in 1 file, 1 refused`.
    pub fn summary(&self) -> String {
        format!(
            "bless: {} rewritten in {}, {} refused",
            plural(self.rewritten, "step"),
            plural(self.files, "file"),
            self.refused
        )
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A step whose expected output is to be replaced.
struct Candidate<'a> {
    step: &'a PlanStep,
    /// First and last line of the expected output in the file (1-based, inclusive).
    span: (usize, usize),
    /// The output, normalised as the comparison normalises it, one entry per line.
    output: Vec<String>,
}

/// Writes the output of each failed step whose comparison alone failed into its guide, and
/// says for every failed step what was done. `failures` come from a run of `plan` with
/// [`crate::exec::runner::RunOptions::bless`].
pub fn bless(plan: &Plan, failures: &[FailedStep]) -> Blessing {
    let mut said: Vec<(usize, String)> = Vec::new();
    let mut tally = Tally::default();
    let mut by_file: BTreeMap<PathBuf, Vec<Candidate>> = BTreeMap::new();
    for failure in failures {
        let Some(step) = plan.steps.get(failure.index) else {
            continue;
        };
        match candidate(step, failure) {
            Ok(c) => by_file.entry(step.file.to_path_buf()).or_default().push(c),
            Err(why) => {
                tally.refused += 1;
                said.push((failure.index, refused_line(step, step.line, &why)));
            }
        }
    }
    let root = crate::boundary::root(&plan.guide);
    for (file, candidates) in by_file {
        let indexes: Vec<usize> = candidates.iter().map(|c| index_of(plan, c.step)).collect();
        match bless_file(&root, &file, candidates, &plan.dialect) {
            Ok(done) => {
                if done.iter().any(|d| d.1.is_ok()) {
                    tally.files += 1;
                }
                for (step, result) in done {
                    let index = index_of(plan, step);
                    match result {
                        Ok((first, count, was)) => {
                            tally.rewritten += 1;
                            said.push((
                                index,
                                format!(
                                    "blessed {}:{} (step {}): {} where {} {}",
                                    file.display(),
                                    lines_range(first, count),
                                    step.id,
                                    plural(count, "line"),
                                    was,
                                    if was == 1 { "was" } else { "were" }
                                ),
                            ));
                        }
                        Err(why) => {
                            tally.refused += 1;
                            let line = step.expected_line.unwrap_or(step.line);
                            said.push((index, refused_line(step, line, &why)));
                        }
                    }
                }
            }
            Err(why) => {
                for index in indexes {
                    tally.refused += 1;
                    let step = &plan.steps[index];
                    let line = step.expected_line.unwrap_or(step.line);
                    said.push((index, refused_line(step, line, &why)));
                }
            }
        }
    }
    said.sort_by_key(|(index, _)| *index);
    Blessing {
        lines: said
            .into_iter()
            .map(|(_, line)| crate::visible::visible(&plan.mask(&line)).into_owned())
            .collect(),
        tally,
    }
}

impl Blessing {
    /// The lines and the summary, for stderr.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&self.tally.summary());
        out.push('\n');
        out
    }
}

/// `7` for one line, `7-9` for three.
fn lines_range(first: usize, count: usize) -> String {
    if count <= 1 {
        first.to_string()
    } else {
        format!("{first}-{}", first + count - 1)
    }
}

fn index_of(plan: &Plan, step: &PlanStep) -> usize {
    plan.steps
        .iter()
        .position(|s| std::ptr::eq(s, step))
        .unwrap_or(usize::MAX)
}

fn refused_line(step: &PlanStep, line: usize, why: &str) -> String {
    format!(
        "not blessed {}:{line} (step {}): {why}",
        step.file.display(),
        step.id
    )
}

/// Whether the step may be blessed, and with what; else why not.
fn candidate<'a>(step: &'a PlanStep, failure: &FailedStep) -> Result<Candidate<'a>, String> {
    let Some(drift) = &failure.drift else {
        let why = if failure.message.is_empty() {
            "the step failed".to_owned()
        } else {
            failure.message.clone()
        };
        return Err(format!(
            "{why}; bless writes only output that differs from the guide's, from a step that otherwise passed"
        ));
    };
    if !matches!(
        step.mode,
        MatchMode::Same | MatchMode::Like | MatchMode::Elided
    ) {
        return Err(format!(
            "its mode `{}` compares with a pattern, not with the output itself; bless rewrites only `same`, `like` and `elided` blocks",
            step.mode.name()
        ));
    }
    let expected = step.expected.as_deref().unwrap_or("");
    if uses_wildcards(&step.mode, expected) {
        return Err(
            "its expected output uses `...` or `[..]` wildcards, which stand for output the guide chose not to show; update it by hand"
                .to_owned(),
        );
    }
    if drift.held_secret {
        return Err(
            "its output holds the value of a secret variable; bless never writes a secret (and `***` in its place would not match the next run)"
                .to_owned(),
        );
    }
    let Some(span) = step.expected_span else {
        return Err(
            "its expected output is not one run of the guide's own lines (the outputs of several commands compared as one, or a file's content)"
                .to_owned(),
        );
    };
    let normalized = normalize(&drift.output);
    if normalized.is_empty() {
        return Err(
            "it printed nothing; bless does not leave an empty expected output (remove the block by hand)"
                .to_owned(),
        );
    }
    if normalized.chars().any(crate::visible::is_hidden) {
        return Err(
            "its output holds characters that hide or rewrite what a reader sees (control sequences such as colour codes, bidi or zero-width characters), which a guide should not hold"
                .to_owned(),
        );
    }
    Ok(Candidate {
        step,
        span,
        output: normalized.split('\n').map(str::to_owned).collect(),
    })
}

/// The outcome of one step in a file: the first line written, how many lines, how many there
/// were; or why not.
type StepResult = Result<(usize, usize, usize), String>;

/// Rewrites one file for its candidates; an error refuses them all.
fn bless_file<'a>(
    root: &Path,
    file: &Path,
    mut candidates: Vec<Candidate<'a>>,
    dialect: &crate::doc::Detected,
) -> Result<Vec<(&'a PlanStep, StepResult)>, String> {
    let name = file.display().to_string();
    let path = crate::boundary::resolve(root, file, &name).map_err(|e| e.to_string())?;
    let bytes = crate::file::read_bounded(&path).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8 text"))?;
    candidates.sort_by_key(|c| c.span.0);
    let mut results: Vec<(&'a PlanStep, StepResult)> = Vec::new();
    // Each candidate's replacement, or why there is none.
    let mut edits: Vec<(Candidate<'a>, Edit)> = Vec::new();
    let mut last_end = 0;
    for c in candidates {
        if c.span.0 <= last_end {
            results.push((
                c.step,
                Err("another step of this run blesses the same lines".to_owned()),
            ));
            continue;
        }
        match edit(&text, &c) {
            Ok(e) => {
                last_end = c.span.1;
                edits.push((c, e));
            }
            Err(why) => results.push((c.step, Err(why))),
        }
    }
    if edits.is_empty() {
        return Ok(results);
    }
    // Read again as the run read it; a step that would read otherwise is left out.
    let before = read_steps(&path, &text, dialect)?;
    while !edits.is_empty() {
        let edits_before = edits.len();
        let (new_text, placed) = apply(&text, &edits);
        let after = read_steps(&path, &new_text, dialect)?;
        if !same_commands(&before, &after) {
            // The edits that change the steps on their own are left out.
            let mut kept = Vec::new();
            for (c, e) in edits.drain(..) {
                let alone = [(c, e)];
                let (text_alone, _) = apply(&text, &alone);
                let [(c, e)] = alone;
                if same_commands(&before, &read_steps(&path, &text_alone, dialect)?) {
                    kept.push((c, e));
                } else {
                    results.push((c.step, Err(rereads_otherwise())));
                }
            }
            if kept.len() > 1 && kept.len() == edits_before {
                // Together, and only together, they change the steps.
                return Err(format!(
                    "written back, {name} would not read as the same steps; nothing written"
                ));
            }
            edits = kept;
            continue;
        }
        let wrong: Vec<usize> = edits
            .iter()
            .zip(&placed)
            .enumerate()
            .filter(|(_, ((c, _), first))| !reads_back(&before, &after, c, **first))
            .map(|(i, _)| i)
            .collect();
        if wrong.is_empty() {
            write_atomically(&path, new_text.as_bytes()).map_err(|e| {
                format!(
                    "{}: cannot write: {e}; the guide is as it was",
                    path.display()
                )
            })?;
            for ((c, e), first) in edits.drain(..).zip(placed) {
                results.push((c.step, Ok((first, e.lines.len(), e.replaced))));
            }
            break;
        }
        for i in wrong.into_iter().rev() {
            let (c, _) = edits.remove(i);
            results.push((c.step, Err(rereads_otherwise())));
        }
    }
    Ok(results)
}

fn rereads_otherwise() -> String {
    "written back, its output would not read as its expected output (a line of it would start a command, close its block or change how the block reads); update it by hand".to_owned()
}

/// The lines that replace part of a file.
struct Edit {
    /// 0-based index of the first line replaced, and how many are.
    start: usize,
    replaced: usize,
    /// The new lines, line ends included.
    lines: Vec<String>,
}

/// The lines of `text` with their line ends.
fn lines_of(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn line_end(line: &str) -> &str {
    if line.ends_with("\r\n") {
        "\r\n"
    } else if line.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}

/// The replacement of a candidate's expected output in `text`: its lines from the first to the
/// last that is not blank, checked against what the run compared, written with their
/// indentation and line ends.
fn edit(text: &str, c: &Candidate) -> Result<Edit, String> {
    let lines = lines_of(text);
    let (first, last) = c.span;
    let changed = || {
        "its lines in the guide no longer read as the expected output docrun compared (a value rendered from site data, or the guide changed since it was read)".to_owned()
    };
    if first == 0 || last < first || last > lines.len() {
        return Err(changed());
    }
    let expected: Vec<&str> = c.step.expected.as_deref().unwrap_or("").lines().collect();
    let raw = &lines[first - 1..last];
    if expected.len() != raw.len() {
        return Err(changed());
    }
    let mut prefix: Option<&str> = None;
    for (raw, expected) in raw.iter().zip(&expected) {
        let bare = &raw[..raw.len() - line_end(raw).len()];
        if expected.trim().is_empty() {
            if !bare.trim().is_empty() {
                return Err(changed());
            }
            continue;
        }
        let Some(before) = bare.strip_suffix(expected) else {
            return Err(changed());
        };
        match prefix {
            None => prefix = Some(before),
            Some(p) if p == before => {}
            Some(_) => return Err(changed()),
        }
    }
    let Some(prefix) = prefix else {
        return Err(
            "the guide's expected output is blank; bless has no line to write in its place"
                .to_owned(),
        );
    };
    let from = expected
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(0);
    let to = expected
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .unwrap_or(0);
    let eol = line_end(raw[from]);
    let final_eol = line_end(raw[to]);
    let count = c.output.len();
    let new_lines = c
        .output
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let end = if i + 1 == count { final_eol } else { eol };
            if line.is_empty() {
                format!("{}{end}", prefix.trim_end())
            } else {
                format!("{prefix}{line}{end}")
            }
        })
        .collect();
    Ok(Edit {
        start: first - 1 + from,
        replaced: to - from + 1,
        lines: new_lines,
    })
}

/// `text` with the edits made (they are in order and do not overlap), and the 1-based line
/// each edit's first new line lands on.
fn apply(text: &str, edits: &[(Candidate, Edit)]) -> (String, Vec<usize>) {
    let lines = lines_of(text);
    let mut out = String::with_capacity(text.len());
    let mut placed = Vec::new();
    let mut at = 0;
    let mut written = 0;
    for (_, e) in edits {
        for line in &lines[at..e.start] {
            out.push_str(line);
        }
        written += e.start - at;
        placed.push(written + 1);
        for line in &e.lines {
            out.push_str(line);
        }
        written += e.lines.len();
        at = e.start + e.replaced;
    }
    for line in &lines[at..] {
        out.push_str(line);
    }
    (out, placed)
}

/// A step of a file as its reader reads it alone (no site data, no other guide).
struct ReadStep {
    line: usize,
    kind: StepKind,
    commands: Vec<String>,
    expected: Option<(usize, String)>,
}

fn read_steps(
    path: &Path,
    text: &str,
    dialect: &crate::doc::Detected,
) -> Result<Vec<ReadStep>, String> {
    let source = Arc::new(crate::source::Source::new(path, text));
    let doc = crate::doc::parse_as(source, dialect.clone()).map_err(|e| {
        format!(
            "{} cannot be read again ({e}); nothing written",
            path.display()
        )
    })?;
    let runbook = crate::runbook::build(
        &doc,
        crate::runbook::BuildOptions {
            site: None,
            overlay: None,
            includes: None,
        },
    )
    .map_err(|e| {
        format!(
            "{} cannot be read again ({e}); nothing written",
            path.display()
        )
    })?;
    Ok(runbook
        .steps
        .into_iter()
        .filter(|s| *s.file == *path)
        .map(|s| ReadStep {
            line: s.line,
            kind: s.kind,
            commands: s.commands.into_iter().map(|c| c.text).collect(),
            expected: s.expected.map(|e| (e.line, normalize(&e.text))),
        })
        .collect())
}

/// Whether two readings have the same steps with the same commands.
fn same_commands(before: &[ReadStep], after: &[ReadStep]) -> bool {
    before.len() == after.len()
        && before
            .iter()
            .zip(after)
            .all(|(b, a)| b.kind == a.kind && b.commands == a.commands)
}

/// Whether the blessed step, read again, expects what it printed, on the lines it was written.
fn reads_back(before: &[ReadStep], after: &[ReadStep], c: &Candidate, first: usize) -> bool {
    let Some(at) = before.iter().position(|s| s.line == c.step.line) else {
        return false;
    };
    let Some((line, text)) = after.get(at).and_then(|s| s.expected.as_ref()) else {
        return false;
    };
    *text == c.output.join("\n") && *line <= first
}

/// Replaces `path` with `bytes` at once: a temporary file in the same folder, with the file's
/// permissions, renamed over it. On an error the file is as it was.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(path)?.permissions();
    let mut temp = tempfile::Builder::new()
        .prefix(".docrun-bless-")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    std::fs::set_permissions(temp.path(), permissions)?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_places_each_edit_where_the_earlier_ones_leave_it() {
        let text = "a\nb\nc\nd\n";
        let step = dummy_step();
        let edits = vec![
            (
                Candidate {
                    step: &step,
                    span: (2, 2),
                    output: vec![],
                },
                Edit {
                    start: 1,
                    replaced: 1,
                    lines: vec!["x\n".into(), "y\n".into()],
                },
            ),
            (
                Candidate {
                    step: &step,
                    span: (4, 4),
                    output: vec![],
                },
                Edit {
                    start: 3,
                    replaced: 1,
                    lines: vec!["z\n".into()],
                },
            ),
        ];
        let (out, placed) = apply(text, &edits);
        assert_eq!(out, "a\nx\ny\nc\nz\n");
        assert_eq!(placed, vec![2, 5]);
    }

    fn candidate_for<'a>(
        step: &'a PlanStep,
        span: (usize, usize),
        output: &[&str],
    ) -> Candidate<'a> {
        Candidate {
            step,
            span,
            output: output.iter().map(|l| l.to_string()).collect(),
        }
    }

    #[test]
    fn edit_writes_with_the_indentation_and_line_ends_of_the_lines_it_replaces() {
        let text = "x\r\n    ```\r\n    old\r\n    ```\r\n";
        let step = dummy_step();
        let e = edit(text, &candidate_for(&step, (3, 3), &["new", "", "  more"])).unwrap();
        assert_eq!((e.start, e.replaced), (2, 1));
        assert_eq!(e.lines, vec!["    new\r\n", "\r\n", "      more\r\n"]);
    }

    #[test]
    fn edit_keeps_the_blank_lines_around_the_output() {
        let text = "$ cmd\n\nold\n\n";
        let mut step = dummy_step();
        step.expected = Some("\nold\n\n".into());
        let e = edit(text, &candidate_for(&step, (2, 4), &["new"])).unwrap();
        assert_eq!((e.start, e.replaced), (2, 1));
        assert_eq!(e.lines, vec!["new\n"]);
    }

    #[test]
    fn edit_refuses_lines_that_no_longer_read_as_the_expected_output() {
        let step = dummy_step();
        // Changed since it was read, rendered from a shortcode, or out of the file.
        for (text, span) in [
            ("x\nnewer\n", (2, 2)),
            ("x\n{{< istio_version >}}\n", (2, 2)),
            ("x\n", (2, 2)),
            ("x\nold\nold\n", (2, 3)),
        ] {
            assert!(
                edit(text, &candidate_for(&step, span, &["new"])).is_err(),
                "{text:?}"
            );
        }
    }

    fn dummy_step() -> PlanStep {
        PlanStep {
            id: "s".into(),
            section: String::new(),
            file: PathBuf::from("g.md").into(),
            line: 1,
            kind: StepKind::Command,
            syntax: "bash".into(),
            selected: true,
            reason: None,
            commands: vec![],
            command_lines: vec![],
            expected: Some("old\n".into()),
            expected_line: Some(2),
            expected_span: Some((2, 2)),
            text: None,
            mode: MatchMode::Like,
            timeout: None,
            retry: None,
            read_only: true,
            cleanup: false,
            runs_as: crate::plan::RunsAs::Command,
            native: vec![],
            scripts: vec![],
        }
    }
}
