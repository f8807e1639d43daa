//! `docrun run`: one guide, step by step, for real or as a dry run.

use std::io::IsTerminal;

use crate::cli::{GlobalArgs, RunArgs};
use crate::error::Error;
use crate::ops::hygiene::HygieneRequest;
use crate::ops::run::{self, RunOutput, RunRequest};
use crate::outcome::Outcome;
use crate::report;
use crate::report::human::HumanOptions;

use super::Console;

pub fn run(args: &RunArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let request = RunRequest {
        guide: super::guide_request(&args.doc, &args.vars, global),
        selection: super::selection(&args.selection),
        with_prereqs: args.with_prereqs,
        dry_run: args.dry_run,
        workdir: std::env::current_dir()
            .map_err(|e| Error::Internal(format!("no working directory: {e}")))?,
        step_timeout: args.timeout,
        retry: args.retry,
        wait_timeout: args.wait_timeout,
        keep_going: args.keep_going,
        resume: args.resume,
        no_native: args.no_native,
        preflight: !args.no_preflight,
        quiet: global.quiet,
        bless: args.bless,
        full_output: args.full_output.clone(),
        hygiene: hygiene_request(&args.hygiene),
        output: RunOutput {
            human: HumanOptions {
                color: global.color(),
                quiet: global.quiet,
                verbose: global.verbose,
                progress: std::io::stderr().is_terminal() && !global.quiet,
                live_output: !args.json,
                stop_commands: report::github::in_actions(),
                to_stdout: !args.json,
            },
            json_lines: args.json,
            junit: args.junit.clone(),
            html: args.report.clone(),
        },
    };
    let mut console = Console::asking(args.no_prompt);
    let prepared = run::prepare(&request, &mut console)?;
    if args.dry_run {
        let view = prepared
            .chain
            .as_ref()
            .map(|chain| report::plan::ChainView {
                chain,
                with_prereqs: args.with_prereqs,
            });
        super::write_stdout(report::plan::plan_in_chain(&prepared.plan, view).as_bytes())?;
        return Ok(Outcome::Passed);
    }
    Ok(run::execute(&prepared, &request, &mut console)?.outcome())
}

/// Leak detection as the `--hygiene*` flags ask it.
pub(super) fn hygiene_request(args: &crate::cli::HygieneArgs) -> HygieneRequest {
    HygieneRequest {
        mode: args.hygiene,
        settle: args.hygiene_settle,
        exclude_namespaces: args.hygiene_exclude_namespace.clone(),
        exclude_kinds: args.hygiene_exclude_kind.clone(),
    }
}
