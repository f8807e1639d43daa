//! `docrun test`: doc CI over whole trees.

use std::io::IsTerminal;

use crate::cli::{Format, GlobalArgs, TestArgs};
use crate::error::Error;
use crate::events::Reporter;
use crate::ops::test::{self, Selected, TestRequest};
use crate::outcome::Outcome;
use crate::report;
use crate::report::github::guard;
use crate::report::human::HumanOptions;
use crate::report::json_lines::JsonLines;
use crate::report::progress::{Display, Progress};
use crate::suite;
use crate::visible::visible;

use super::Console;

/// Exit 0 when every guide that ran passed, 1 when one failed, 2 when a guide cannot be read
/// (then nothing runs), 130 when interrupted.
pub fn test(args: &TestArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let request = TestRequest {
        paths: args.paths.clone(),
        filters: args.filter.clone(),
        all: args.all,
        tags: args.tag.clone(),
        partition: args.partition.clone(),
        set: args.vars.set.clone(),
        values: args.vars.values.clone(),
        site_data: args.vars.site_data.clone(),
        dialect: global.dialect,
        with_prereqs: args.with_prereqs,
        changed_since: args.changed_since.clone(),
        list: args.list,
        step_timeout: args.timeout,
        retry: args.retry,
        jobs: args.jobs,
        rerun_failed: args.rerun_failed,
        full_output: args.full_output.clone(),
        bless: args.bless,
        hygiene: super::run::hygiene_request(&args.hygiene),
        junit: args.junit.clone(),
        html: args.report.clone(),
        step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
            .filter(|p| !p.is_empty())
            .map(Into::into),
    };
    let selected = test::select(&request)?;
    if args.list {
        return list(&selected, args);
    }
    let jobs = test::ready(&request)?;
    // In GitHub Actions, text from the tree (paths, steps' output) is fenced off from the
    // runner's workflow commands; docrun's own annotations are written outside the fences.
    let actions = report::github::in_actions();
    if !global.quiet {
        announce(&selected, jobs, actions);
    }
    if selected.none_tested() {
        // Never green on nothing without saying so: why, and what to pass.
        eprintln!("{}", suite::none_selected_hint(&selected.candidates));
    }
    let human = HumanOptions {
        color: global.color(),
        quiet: global.quiet,
        verbose: global.verbose,
        progress: false,
        live_output: false,
        stop_commands: actions,
        to_stdout: !args.json,
    };
    let bar = (std::io::stderr().is_terminal() && !global.quiet)
        .then(|| progress_bar(selected.to_run() as u64));
    let live = Progress::new(
        match (&bar, global.quiet) {
            (_, true) => Display::Off,
            (Some(bar), false) => Display::Bar(bar.clone()),
            (None, false) => Display::Lines,
        },
        actions,
    );
    let tested = test::run(selected, &request, jobs, human, live, &mut Console::new())?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let summary = suite::render_summary(&tested.results, tested.skipped);
    report::write_results(None, human.to_stdout, &guard(actions, &visible(&summary)));
    if args.json {
        let mut json = JsonLines::default();
        tested.events().for_each(|e| json.event(e));
        json.finish()
            .map_err(|e| Error::Failed(format!("--json: {e}")))?;
    }
    if actions {
        // In the stream of the results (stderr under `--json`, whose stdout is JSON Lines
        // only): the annotations come after the fences in the same stream, so the runner
        // reads them outside any.
        let annotations = suite::github_annotations(&tested.results);
        report::write_results(None, human.to_stdout, &annotations);
    }
    test::write_reports(&tested, &request)?;
    if tested.none_tested && args.fail_if_none {
        eprintln!("error: no guide was tested (--fail-if-none)");
    }
    Ok(tested.outcome(args.fail_if_none))
}

/// `--list`: the guides and what a run would do with each.
fn list(selected: &Selected, args: &TestArgs) -> Result<Outcome, Error> {
    let candidates = &selected.candidates;
    let out = match args.format {
        Format::Text => {
            let mut text = suite::render_list(candidates);
            if let Some(s) = &selected.scope {
                text.push_str(&s.render());
            }
            text
        }
        Format::Json => super::to_json(&serde_json::json!({
            "schema": "docrun.test-list/v1",
            "settings": selected.settings_path,
            "partition": args.partition,
            "changed_since": selected.scope,
            "guides": candidates,
            "coverage": suite::coverage(candidates),
        }))?,
    };
    super::write_stdout(out.as_bytes())?;
    Ok(selected.list_outcome())
}

/// Before the run: the scope of `--changed-since`, and how many guides run, how many are
/// skipped and why.
fn announce(selected: &Selected, jobs: usize, actions: bool) {
    let (to_run, skipped) = (selected.to_run(), selected.skipped());
    let account = suite::skip_account(&selected.candidates);
    let skipped_text = if account.is_empty() {
        format!("{skipped} skipped")
    } else {
        format!("{skipped} skipped: {account}")
    };
    if let Some(s) = &selected.scope {
        eprint!("{}", guard(actions, &s.render()));
    }
    let at_a_time = if to_run > 1 {
        format!(", {} at a time", jobs.min(to_run))
    } else {
        String::new()
    };
    eprintln!(
        "Testing {} ({skipped_text}){at_a_time}",
        suite::guides(to_run)
    );
}

fn progress_bar(guides: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(guides);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {pos}/{len} guides  {wide_msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
