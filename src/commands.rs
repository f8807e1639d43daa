//! One function per subcommand: read the inputs, call the library, print the result.

mod generate;

use std::io::Write;

use std::path::Path;

use crate::checker::Checker;
use crate::cli::{
    CheckArgs, Cli, Command, Format, GlobalArgs, LintArgs, ListArgs, PlanArgs, RunArgs, SnipsArgs,
    TestArgs, VarArgs, VarsArgs,
};
use crate::error::Error;
use crate::events::{Reporter, RunStatus};
use crate::exec::runner::{self, RunOptions};
use crate::exec::stop::Stop;
use crate::front::{ReadOptions, Reader};
use crate::istio::{self, SnipsOptions};
use crate::lint;
use crate::outcome::Outcome;
use crate::plan::{self, Inputs, Plan, Selection};
use crate::plan::{Binding, ValueSource};
use crate::preflight::{self, Summary};
use crate::report;
use crate::report::human::{Human, HumanOptions};
use crate::report::json_lines::JsonLines;
use crate::report::junit::JUnit;
use crate::runbook::Runbook;
use std::io::IsTerminal;

pub fn dispatch(cli: &Cli) -> Result<Outcome, Error> {
    let g = &cli.global;
    match &cli.command {
        Command::Snips(args) => snips(args),
        Command::List(args) => list(args, g),
        Command::Vars(args) => vars(args, g),
        Command::Plan(args) => plan_command(args, g),
        Command::Run(args) => run_command(args, g),
        Command::Check(args) => check_command(args, g),
        Command::Lint(args) => lint_command(args, g),
        Command::Test(args) => test_command(args, g),
        Command::Graph(args) => graph_command(args, g),
        Command::State(args) => state_command(args),
        Command::Completions(args) => {
            write_raw_stdout(&generate::completions(args.shell)).map(|()| Outcome::Passed)
        }
        Command::Man => {
            let page = generate::man_page()
                .map_err(|e| Error::Internal(format!("cannot render the manual page: {e}")))?;
            write_raw_stdout(&page).map(|()| Outcome::Passed)
        }
    }
}

fn snips(args: &SnipsArgs) -> Result<Outcome, Error> {
    // The guide must read cleanly as a guide before it is exported.
    let doc = crate::doc::Doc::load(&args.doc)?;
    let mut reader = Reader::new(&ReadOptions {
        site_data: args.site_data.clone(),
        dialect: None,
    })?;
    let site = reader.site(&args.doc)?.ok_or_else(|| {
        Error::Usage(format!(
            "{}: no site data found (no data/args.yml above the guide)\nhint: name the Hugo data folder with --site-data DIR",
            args.doc.display()
        ))
    })?;
    let options = SnipsOptions {
        prefix: args.prefix.clone(),
        boilerplate_snips: args.boilerplate_snips.clone(),
    };
    let snips = istio::extract(&doc.source, site, &options);
    for warning in &snips.warnings {
        eprintln!(
            "warning: {}",
            crate::visible::visible(&format!("{}: {warning}", doc.path().display()))
        );
    }
    if snips.is_empty() {
        eprintln!(
            "{}: no snippet or boilerplate; nothing to write",
            doc.path().display()
        );
        return Ok(Outcome::Passed);
    }
    write_raw_stdout(snips.render(&options).as_bytes())?;
    Ok(Outcome::Passed)
}

/// Writes docrun's own text to stdout, with hidden characters from guides written out
/// (see [`crate::visible`]).
fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let text = String::from_utf8_lossy(bytes);
    write_raw_stdout(crate::visible::visible(&text).as_bytes())
}

/// Writes bytes to stdout as they are: `snips.sh` is istio.io's file byte for byte.
fn write_raw_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`docrun plan | head`) is not an error of the guide.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Internal(format!("cannot write to stdout: {e}"))),
    }
}

/// Reads a guide and builds its runbook, with the site data named or found above it, in the
/// dialect `--dialect` or a `docrun.yaml` forces, else the one detected.
pub fn load_runbook(
    path: &Path,
    site_data: Option<&Path>,
    global: &GlobalArgs,
) -> Result<Runbook, Error> {
    let mut reader = Reader::new(&ReadOptions {
        site_data: site_data.map(Path::to_path_buf),
        dialect: crate::settings::forced_dialect(global.dialect, path)?,
    })?;
    reader.load(path).map(|(_, runbook)| runbook)
}

/// Builds the plan of a guide from the command line's variables and selection.
pub fn load_plan(
    path: &Path,
    vars: &VarArgs,
    selection: &Selection,
    global: &GlobalArgs,
) -> Result<Plan, Error> {
    let runbook = load_runbook(path, vars.site_data.as_deref(), global)?;
    plan_runbook(&runbook, vars, selection)
}

/// The plan of a runbook already built, with the command line's variables.
fn plan_runbook(runbook: &Runbook, vars: &VarArgs, selection: &Selection) -> Result<Plan, Error> {
    let path = &runbook.path;
    let inputs = Inputs::parse(&vars.set, vars.values.as_deref())?;
    for (name, _) in &inputs.set {
        if runbook.var(name).is_none() {
            eprintln!(
                "warning: --set {name}: {} does not use this variable",
                path.display()
            );
        }
    }
    let bindings = plan::bind(runbook, &inputs, &|name| std::env::var(name).ok());
    let mut plan = plan::build(runbook, bindings, selection)?;
    plan.values_file = vars.values.clone();
    Ok(plan)
}

fn list(args: &ListArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let mut out = String::new();
    let mut json = Vec::new();
    for path in &args.docs {
        let runbook = load_runbook(path, args.site_data.as_deref(), global)?;
        match args.format {
            Format::Text => out.push_str(&report::plan::list(&runbook)),
            Format::Json => json.push(serde_json::json!({
                "guide": runbook.path,
                "dialect": runbook.dialect,
                "steps": runbook.steps,
            })),
        }
    }
    if args.format == Format::Json {
        let document = serde_json::json!({"schema": "docrun.list/v1", "guides": json});
        out = serde_json::to_string_pretty(&document)
            .map_err(|e| Error::Internal(e.to_string()))?
            + "\n";
    }
    write_stdout(out.as_bytes())?;
    Ok(Outcome::Passed)
}

fn vars(args: &VarsArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let plan = load_plan(&args.doc, &args.vars, &Selection::default(), global)?;
    let out = match args.format {
        Format::Text => report::plan::vars(&plan.vars, &plan.contexts),
        Format::Json => to_json(&serde_json::json!({
            "schema": "docrun.vars/v1",
            "guide": plan.guide,
            "vars": plan.vars,
        }))?,
    };
    write_stdout(out.as_bytes())?;
    Ok(Outcome::Passed)
}

/// The runbook of a guide and its chain: with `--with-prereqs`, the chain's runbook (its
/// prerequisites' steps first); without, the guide's own, the chain found all the same so that
/// `plan` can say what it would add. A guide whose links cannot be followed has no chain.
fn load_chained(
    path: &Path,
    site_data: Option<&Path>,
    global: &GlobalArgs,
    with_prereqs: bool,
) -> Result<(Runbook, Option<crate::chain::Chain>), Error> {
    let options = ReadOptions {
        site_data: site_data.map(Path::to_path_buf),
        dialect: crate::settings::forced_dialect(global.dialect, path)?,
    };
    let mut guides = crate::chain::Guides::new(options)?;
    if with_prereqs {
        let (runbook, chain) = crate::chain::runbook(&mut guides, path)?;
        return Ok((runbook, Some(chain)));
    }
    let runbook = load_runbook(path, site_data, global)?;
    let chain = match crate::chain::chain(&mut guides, path) {
        Ok(chain) => Some(chain),
        Err(e) => {
            // Run alone, the guide does not need its chain: a cycle is a warning here.
            eprintln!("warning: {}", crate::visible::visible(&e.to_string()));
            None
        }
    };
    Ok((runbook, chain))
}

fn plan_command(args: &PlanArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let (runbook, chain) = load_chained(
        &args.doc,
        args.vars.site_data.as_deref(),
        global,
        args.with_prereqs,
    )?;
    let plan = plan_runbook(&runbook, &args.vars, &selection(&args.selection))?;
    if !plan.missing.is_empty() && !args.allow_missing {
        if let Some(note) = chain
            .as_ref()
            .and_then(|c| report::graph::missing_note(c, &plan.missing))
        {
            eprintln!("{}", crate::visible::visible(&note.to_string()));
        }
        return Err(Error::MissingVars(plan.missing_vars()));
    }
    if !args.allow_missing {
        plan.check_runnable()?;
    }
    let effects = args.effects.then(|| crate::effects::of_plan(&plan));
    let preview = if args.preview {
        Some(runtime()?.block_on(crate::preview::preview(&plan, args.timeout))?)
    } else {
        None
    };
    let out = match args.format {
        Format::Text => {
            let view = chain.as_ref().map(|chain| report::plan::ChainView {
                chain,
                with_prereqs: args.with_prereqs,
            });
            let chain = chain.as_ref().map(|c| {
                report::graph::chain_text(c, args.with_prereqs, &|p| {
                    plan.mask(&p.display().to_string())
                })
            });
            let mut out = report::plan::plan_in_chain(&plan, view) + &chain.unwrap_or_default();
            if let Some(effects) = &effects {
                out.push_str(&report::effects::effects(effects));
            }
            if let Some(preview) = &preview {
                out.push_str(&plan.mask(&report::preview::preview(preview)));
            }
            out
        }
        Format::Json => {
            let mut value =
                serde_json::to_value(&plan).map_err(|e| Error::Internal(e.to_string()))?;
            value["chain"] =
                serde_json::to_value(&chain).map_err(|e| Error::Internal(e.to_string()))?;
            if let Some(effects) = &effects {
                value["effects"] =
                    serde_json::to_value(effects).map_err(|e| Error::Internal(e.to_string()))?;
            }
            if let Some(preview) = &preview {
                value["preview"] =
                    serde_json::to_value(preview).map_err(|e| Error::Internal(e.to_string()))?;
            }
            to_json_masked(&value, &plan.secrets)?
        }
    };
    write_stdout(out.as_bytes())?;
    Ok(match &preview {
        Some(p) if !p.passed() => Outcome::Failed,
        _ => Outcome::Passed,
    })
}

/// `docrun graph`: the prerequisite graph of the guides under the paths.
fn graph_command(args: &crate::cli::GraphArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let options = ReadOptions {
        site_data: args.site_data.clone(),
        dialect: match args.paths.first() {
            Some(path) => crate::settings::forced_dialect(global.dialect, path)?,
            None => None,
        },
    };
    let graph = crate::chain::graph::build(&args.paths, options)?;
    for problem in &graph.unreadable {
        eprintln!("warning: {}", crate::visible::visible(problem));
    }
    let out = match args.format {
        crate::cli::GraphFormat::Mermaid => report::graph::mermaid(&graph),
        crate::cli::GraphFormat::Dot => report::graph::dot(&graph),
        crate::cli::GraphFormat::Json => report::graph::json(&graph),
    };
    write_stdout(out.as_bytes())?;
    Ok(Outcome::Passed)
}

fn selection(args: &crate::cli::Selection) -> Selection {
    Selection {
        from: args.from.clone(),
        only: args.only.clone(),
        skip: args.skip.clone(),
        cleanup: args.cleanup.clone(),
        tabs: args.tab.clone(),
        tags: args.tag.clone(),
    }
}

fn run_command(args: &RunArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let options = RunOptions {
        workdir: std::env::current_dir()
            .map_err(|e| Error::Internal(format!("no working directory: {e}")))?,
        default_timeout: args.timeout,
        default_retry: args.retry,
        keep_going: args.keep_going,
        resume: args.resume,
        checkpoint: true,
        no_native: args.no_native,
        wait_timeout: args.wait_timeout,
        full_output: args.full_output.clone(),
        start_state: None,
        keep_state: false,
        bless: args.bless,
        source: match crate::settings::Settings::find(&args.doc)? {
            Some((_, settings)) => settings.source,
            None => Vec::new(),
        },
    };
    let (runbook, chain) = load_chained(
        &args.doc,
        args.vars.site_data.as_deref(),
        global,
        args.with_prereqs,
    )?;
    if let Some(chain) = chain.as_ref().filter(|_| args.with_prereqs) {
        // A prerequisite declared but not found would leave the chain short: refuse to run it.
        if let Some(missing) = chain.declared_missing() {
            return Err(Error::Usage(format!(
                "{missing}\nhint: fix the path in `requires:`, or run without --with-prereqs"
            )));
        }
    }
    let mut plan = plan_runbook(&runbook, &args.vars, &selection(&args.selection))?;
    if !plan.missing.is_empty() {
        let interactive =
            !args.no_prompt && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        if !interactive || args.dry_run {
            if let Some(note) = chain
                .as_ref()
                .and_then(|c| report::graph::missing_note(c, &plan.missing))
            {
                eprintln!("{}", crate::visible::visible(&note.to_string()));
            }
            return Err(Error::MissingVars(plan.missing_vars()));
        }
        let missing: Vec<&crate::plan::PlanVar> = plan
            .vars
            .iter()
            .filter(|v| plan.missing.contains(&v.name))
            .collect();
        let contexts = || {
            crate::checker::Checker::from_env()
                .map(|c| c.contexts())
                .unwrap_or_default()
        };
        let answers = crate::prompt::ask(&missing, &contexts)?;
        let mut bindings = plan.bindings.clone();
        for (name, value) in answers {
            bindings.insert(
                name,
                Binding {
                    value,
                    source: ValueSource::Prompt,
                },
            );
        }
        plan = plan::build(&runbook, bindings, &selection(&args.selection))?;
    }
    plan.check_runnable()?;
    if args.dry_run {
        let view = chain.as_ref().map(|chain| report::plan::ChainView {
            chain,
            with_prereqs: args.with_prereqs,
        });
        write_stdout(report::plan::plan_in_chain(&plan, view).as_bytes())?;
        return Ok(Outcome::Passed);
    }
    // A command that does not look like what runs is said before anything runs.
    for warning in &plan.concealed {
        eprintln!("warning: {}", crate::visible::visible(warning));
    }

    if let Some(path) = &args.junit {
        report::check_writable("--junit", path)?;
    }
    if let Some(path) = &args.report {
        report::check_writable("--report", path)?;
    }
    crate::exec::host::check()?;
    let hygiene = hygiene_for(
        &args.hygiene,
        crate::settings::Mode::Off,
        None,
        std::iter::once(&plan),
    )?;
    let runtime = runtime()?;
    if !args.no_preflight {
        preflight::commands_before_run(&plan, args.no_native)?;
        runtime.block_on(preflight_before_run(&plan, global.quiet))?;
    }
    let color = global.color();
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(Human::new(HumanOptions {
        color,
        quiet: global.quiet,
        verbose: global.verbose,
        progress: std::io::stderr().is_terminal() && !global.quiet,
        live_output: !args.json,
        stop_commands: report::github::in_actions(),
        to_stdout: !args.json,
    }))];
    if args.json {
        reporters.push(Box::new(JsonLines::default()));
    }
    if let Some(path) = &args.junit {
        reporters.push(Box::new(JUnit::new(path)));
    }
    if let Some(path) = &args.report {
        let title = format!("docrun run {}", args.doc.display());
        let info = report::html::RunInfo::now(title, report::invocation::of_this_run(&[&plan]));
        reporters.push(Box::new(report::html::HtmlReport::new(path, info)));
    }
    protect_processes();
    let (summary, mut reporters) = runtime.block_on(crate::hygiene::run_checked(
        hygiene.as_deref(),
        &plan,
        reporters,
        |mut r| {
            let (plan, options) = (&plan, &options);
            async move {
                let summary = runner::run(plan, options, &mut r).await;
                (summary, r)
            }
        },
    ));
    let summary = summary?;
    if args.bless {
        eprint!("{}", crate::bless::bless(&plan, &summary.failures).render());
    }
    let mut report_failed = false;
    for r in reporters.iter_mut() {
        if let Err(e) = r.finish() {
            eprintln!("error: cannot write the report: {e}");
            report_failed = true;
        }
    }
    if report_failed && summary.status != RunStatus::Interrupted {
        // A report that cannot be written is a failed run: CI would read nothing.
        let ran = summary.passed + summary.failed > 0;
        return Ok(if ran {
            Outcome::Failed
        } else {
            Outcome::Unusable
        });
    }
    Ok(match summary.status {
        RunStatus::Passed => Outcome::Passed,
        RunStatus::Failed => Outcome::Failed,
        RunStatus::Interrupted => Outcome::Stopped(summary.stop.unwrap_or(Stop::Interrupt)),
    })
}

/// Before the first step: makes sure the steps' processes cannot outlive docrun, and says what
/// could not be set up.
fn protect_processes() {
    for problem in crate::guard::protect() {
        eprintln!("warning: {}", crate::visible::visible(&problem));
    }
}

/// Before a run: the guide's prerequisite checks. A failed one stops the run before its first
/// step (exit 1); warnings are shown and the run goes on.
async fn preflight_before_run(plan: &Plan, quiet: bool) -> Result<(), Error> {
    let mut groups: Vec<preflight::Group> = preflight::groups(plan)
        .into_iter()
        .filter(|g| g.kind == preflight::GroupKind::Prerequisite)
        .collect();
    if groups.is_empty() {
        return Ok(());
    }
    let checker = Checker::from_env().map_err(|e| {
        Error::Usage(format!(
            "{e}\nhint: the guide's prerequisites need the kubeconfig of its contexts; point KUBECONFIG at it, or give --no-preflight"
        ))
    })?;
    let timeout = crate::checker::DEFAULT_CALL_TIMEOUT;
    preflight::run(&checker.with_timeout(timeout), &mut groups, timeout).await;
    let summary = Summary::of(&groups);
    if !quiet || summary.failed > 0 {
        eprint!(
            "{}",
            plan.mask(&report::check::preflight(
                &plan.guide,
                plan.title.as_deref(),
                &groups
            ))
        );
    }
    if summary.failed > 0 {
        return Err(Error::Failed(format!(
            "preflight: {} of {} checks failed; no step ran\nhint: fix what they say, or give --no-preflight to run anyway",
            summary.failed,
            summary.total()
        )));
    }
    Ok(())
}

/// `docrun check`: the preflight. Exit 0 when every check passed (warnings allowed), 1 when one
/// failed, 2 when the guide, the variables or the kubeconfig are wrong.
fn check_command(args: &CheckArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let plan = load_plan(&args.doc, &args.vars, &Selection::default(), global)?;
    if !plan.missing.is_empty() {
        return Err(Error::MissingVars(plan.missing_vars()));
    }
    let mut groups = preflight::groups(&plan);
    if !groups.is_empty() {
        let checker = Checker::from_env()
            .map_err(|e| {
                Error::Usage(format!(
                    "{e}\nhint: point KUBECONFIG at the kubeconfig that holds the guide's contexts"
                ))
            })?
            .with_timeout(args.timeout);
        let runtime = runtime()?;
        runtime.block_on(preflight::run(&checker, &mut groups, args.timeout));
    }
    let summary = Summary::of(&groups);
    let missing = preflight::missing_commands(&plan, false, &preflight::on_path);
    let out = match args.format {
        Format::Text => plan.mask(&format!(
            "{}{}",
            report::check::preflight(&plan.guide, plan.title.as_deref(), &groups),
            preflight::missing_text(&missing)
        )),
        Format::Json => to_json_masked(
            &serde_json::json!({
                "schema": "docrun.check/v1",
                "guide": plan.guide,
                "groups": groups,
                "summary": summary,
                "missing_commands": missing,
            }),
            &plan.secrets,
        )?,
    };
    write_stdout(out.as_bytes())?;
    if summary.failed > 0 {
        return Err(Error::Failed(format!(
            "{} of {} checks failed",
            summary.failed,
            summary.total()
        )));
    }
    Ok(Outcome::Passed)
}

/// Findings on stdout; paths that cannot be read on stderr. Exit 2 for an unreadable path, 1 for
/// an error finding, else 0 (warnings alone do not fail).
fn lint_command(args: &LintArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let forced = match args.paths.first() {
        Some(path) => crate::settings::forced_dialect(global.dialect, path)?,
        None => None,
    };
    let off = match args.paths.first() {
        Some(path) => crate::settings::Settings::find(path)?
            .map(|(_, settings)| settings.lint.off)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let report = lint::run(&args.paths, forced, &off);
    for err in &report.unreadable {
        eprintln!("error: {err}");
    }
    let out = match args.format {
        Format::Text => report.render_text(),
        Format::Json => to_json(&report.to_json())?,
    };
    write_stdout(out.as_bytes())?;
    Ok(if !report.unreadable.is_empty() {
        Outcome::Unusable
    } else if report.errors() > 0 {
        Outcome::Failed
    } else {
        Outcome::Passed
    })
}

/// `docrun test`: doc CI over whole trees. Exit 0 when every guide that ran passed, 1 when one
/// failed, 2 when a guide cannot be read (then nothing runs), 130 when interrupted.
fn test_command(args: &TestArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    use crate::settings::Settings;
    use crate::suite::{self, Decision, SuiteOptions};

    let settings = match args.paths.first() {
        Some(path) => Settings::find(path)?,
        None => None,
    };
    let (settings_path, settings) = match settings {
        Some((path, s)) => (Some(path), s),
        None => (None, Settings::default()),
    };
    let mut inputs = Inputs::parse(&args.vars.set, args.vars.values.as_deref())?;
    inputs.config = settings.vars.clone();
    let options = SuiteOptions {
        filters: args.filter.clone(),
        all: args.all,
        select: settings.select,
        tags: args.tag.clone(),
        partition: args.partition.as_deref().map(str::parse).transpose()?,
        inputs,
        site_data: args.vars.site_data.clone().or(settings.site_data.clone()),
        dialect: match (global.dialect, &settings_path) {
            (Some(d), _) => Some(crate::doc::Detected::new(
                d,
                crate::doc::dialect::Reason::Flag,
            )),
            (None, Some(file)) => settings.dialect(file),
            (None, None) => None,
        },
        with_prereqs: args.with_prereqs,
    };
    if let (Some(path), false) = (&args.junit, args.list) {
        report::check_writable("--junit", path)?;
    }
    if let (Some(path), false) = (&args.report, args.list) {
        report::check_writable("--report", path)?;
    }
    let mut candidates = suite::discover(&args.paths, &options)?;
    let command_line = report::invocation::of_this_run(
        &candidates
            .iter()
            .filter_map(|c| c.plan.as_ref())
            .collect::<Vec<_>>(),
    );
    let mut scope = None;
    if let (Some(reference), Some(first)) = (&args.changed_since, args.paths.first()) {
        let changes = crate::changed::since(reference, first)?;
        let (kept, s) = crate::changed::select(
            candidates,
            &changes,
            &args.paths,
            options.site_data.as_deref(),
            settings_path.as_deref(),
        );
        candidates = kept;
        scope = Some(s);
    }
    if args.list {
        let out = match args.format {
            Format::Text => {
                let mut text = suite::render_list(&candidates);
                if let Some(s) = &scope {
                    text.push_str(&s.render());
                }
                text
            }
            Format::Json => to_json(&serde_json::json!({
                "schema": "docrun.test-list/v1",
                "settings": settings_path,
                "partition": args.partition,
                "changed_since": scope,
                "guides": candidates,
                "coverage": suite::coverage(&candidates),
            }))?,
        };
        write_stdout(out.as_bytes())?;
        let unreadable = candidates
            .iter()
            .any(|c| matches!(c.decision, Decision::Unreadable(_)));
        return Ok(if unreadable {
            Outcome::Failed
        } else {
            Outcome::Passed
        });
    }
    use crate::duration::{default, defaults};
    let template = RunOptions {
        workdir: std::env::temp_dir(),
        // The flag, then docrun.yaml, then the default.
        default_timeout: args
            .timeout
            .or(settings.timeout)
            .unwrap_or_else(|| default(defaults::STEP_TIMEOUT)),
        default_retry: args
            .retry
            .or(settings.retry)
            .unwrap_or_else(|| default(defaults::RETRY)),
        keep_going: false,
        resume: false,
        checkpoint: false,
        no_native: false,
        wait_timeout: default(defaults::WAIT_TIMEOUT),
        full_output: args.full_output.clone(),
        start_state: None,
        keep_state: false,
        bless: args.bless,
        source: settings.source.clone(),
    };
    if args.jobs == Some(0) {
        return Err(Error::Usage(
            "-j 0: at least one guide must run at a time\nhint: -j 1 runs the guides one after the other".into(),
        ));
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    crate::exec::host::check()?;
    let to_run = candidates
        .iter()
        .filter(|c| c.decision == Decision::Run)
        .count();
    let unreadable = candidates
        .iter()
        .filter(|c| matches!(c.decision, Decision::Unreadable(_)))
        .count();
    let skipped = candidates.len() - to_run - unreadable;
    let terminal = std::io::stderr().is_terminal();
    // In GitHub Actions, text from the tree (paths, steps' output) is fenced off from the
    // runner's workflow commands; docrun's own annotations are written outside the fences.
    let actions = report::github::in_actions();
    let human = HumanOptions {
        color: global.color(),
        quiet: global.quiet,
        verbose: global.verbose,
        progress: false,
        live_output: false,
        stop_commands: actions,
        to_stdout: !args.json,
    };
    let account = suite::skip_account(&candidates);
    let skipped_text = if account.is_empty() {
        format!("{skipped} skipped")
    } else {
        format!("{skipped} skipped: {account}")
    };
    if !global.quiet {
        if let Some(s) = &scope {
            eprint!("{}", report::github::guard(actions, &s.render()));
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
    let none_tested = to_run == 0 && unreadable == 0;
    if none_tested {
        // Never green on nothing without saying so: why, and what to pass.
        eprintln!("{}", suite::none_selected_hint(&candidates));
    }
    let progress = (terminal && !global.quiet).then(|| {
        let bar = indicatif::ProgressBar::new(to_run as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {pos}/{len} guides  {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let hygiene = hygiene_for(
        &args.hygiene,
        crate::settings::Mode::Warn,
        settings.hygiene.as_ref(),
        candidates
            .iter()
            .filter(|c| c.decision == Decision::Run)
            .filter_map(|c| c.plan.as_ref()),
    )?;
    let runtime = runtime()?;
    protect_processes();
    use crate::report::progress::{Display, Progress};
    let live = Progress::new(
        match (&progress, global.quiet) {
            (_, true) => Display::Off,
            (Some(bar), false) => Display::Bar(bar.clone()),
            (None, false) => Display::Lines,
        },
        actions,
    );
    let results = runtime.block_on(suite::run(
        candidates,
        jobs,
        template,
        human,
        live,
        hygiene,
        args.rerun_failed,
    ))?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    report::write_results(
        None,
        human.to_stdout,
        &report::github::guard(
            actions,
            &crate::visible::visible(&suite::render_summary(&results, skipped)),
        ),
    );
    if args.json {
        let mut json = JsonLines::default();
        for e in results.iter().flat_map(|r| &r.events) {
            json.event(e);
        }
        json.finish()
            .map_err(|e| Error::Failed(format!("--json: {e}")))?;
    }
    if actions {
        // In the stream of the results (stderr under `--json`, whose stdout is JSON Lines
        // only): the annotations come after the fences in the same stream, so the runner
        // reads them outside any.
        report::write_results(None, human.to_stdout, &suite::github_annotations(&results));
    }
    if let Some(path) = &args.junit {
        let mut junit = JUnit::new(path);
        for r in &results {
            if let Some(s) = JUnit::suite_with_reruns(&r.events, &r.earlier) {
                junit.add_suite(s);
            }
        }
        junit.finish().map_err(|e| {
            Error::Failed(format!("{}: cannot write the report: {e}", path.display()))
        })?;
    }
    let title = format!(
        "docrun test {}",
        args.paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Some(path) = &args.report {
        let info = report::html::RunInfo::now(title.clone(), command_line);
        suite::write_html(path, &info, &results)
            .map_err(|e| Error::Failed(format!("--report: cannot write the report: {e}")))?;
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        suite::write_step_summary(std::path::Path::new(&path), &title, &results).map_err(|e| {
            Error::Failed(format!(
                "GITHUB_STEP_SUMMARY: cannot write the job summary: {e}"
            ))
        })?;
    }
    let interrupted = results.iter().any(|r| r.status == RunStatus::Interrupted);
    let failed = results.iter().any(|r| r.status != RunStatus::Passed);
    if none_tested && args.fail_if_none {
        eprintln!("error: no guide was tested (--fail-if-none)");
        return Ok(Outcome::Failed);
    }
    Ok(if interrupted {
        let stop = crate::exec::stop::requested().unwrap_or(Stop::Interrupt);
        Outcome::Stopped(stop)
    } else if failed {
        Outcome::Failed
    } else {
        Outcome::Passed
    })
}

/// Hygiene for a run, or none: off, or no guide uses a cluster. A kubeconfig that cannot be
/// read is said once; under `warn` the run goes on without hygiene, under `fail` it does not
/// start (no cluster could be checked, and `fail` fails closed).
fn hygiene_for<'a>(
    args: &crate::cli::HygieneArgs,
    default: crate::settings::Mode,
    settings: Option<&crate::settings::HygieneSettings>,
    mut plans: impl Iterator<Item = &'a Plan>,
) -> Result<Option<std::sync::Arc<crate::hygiene::Hygiene>>, Error> {
    use crate::hygiene::{contexts_of, Config, Hygiene, Mode};
    let mut config = Config::resolve(args.hygiene, default, args.hygiene_settle, settings);
    config
        .exclusions
        .namespaces
        .extend(args.hygiene_exclude_namespace.iter().cloned());
    config
        .exclusions
        .kinds
        .extend(args.hygiene_exclude_kind.iter().cloned());
    if config.mode == Mode::Off
        || !plans.any(|p| !contexts_of(p, Some("current-context")).is_empty())
    {
        return Ok(None);
    }
    match crate::checker::Checker::from_env() {
        Ok(checker) => Ok(Some(std::sync::Arc::new(Hygiene::new(config, checker)))),
        Err(e) if config.mode == Mode::Fail => Err(Error::Usage(format!(
            "hygiene: {e}\nhint: --hygiene fail needs to read the clusters the guides use, before \
             and after each; fix KUBECONFIG, or give --hygiene warn to run without the check"
        ))),
        Err(e) => {
            eprintln!("warning: hygiene: {e}; no guide is checked for leaks");
            Ok(None)
        }
    }
}

/// JSON with every secret value replaced by `***`, wherever it stands (a check's field, a
/// message, a command).
/// The async runtime of a command: one thread is enough, the work is waiting on processes and
/// API servers.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))
}

fn to_json_masked<T: serde::Serialize>(value: &T, secrets: &[String]) -> Result<String, Error> {
    fn mask_strings(value: &mut serde_json::Value, secrets: &[String]) {
        match value {
            serde_json::Value::String(s) => *s = plan::mask(s, secrets),
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|v| mask_strings(v, secrets))
            }
            serde_json::Value::Object(map) => {
                map.values_mut().for_each(|v| mask_strings(v, secrets))
            }
            _ => {}
        }
    }
    if secrets.is_empty() {
        // Nothing to mask: no copy of the document as a JSON tree.
        return to_json(value);
    }
    let mut value = serde_json::to_value(value)
        .map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))?;
    mask_strings(&mut value, secrets);
    to_json(&value)
}

/// Pretty JSON for stdout, with no line a GitHub Actions runner would obey as a command
/// ([`report::github::json_without_commands`]): plans and listings hold a guide's text.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(value)
        .map(|s| report::github::json_without_commands(s) + "\n")
        .map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))
}

fn state_command(command: &crate::cli::StateCommand) -> Result<Outcome, Error> {
    let out = match command {
        crate::cli::StateCommand::List => crate::state::list()?,
        crate::cli::StateCommand::Clear { guide } => crate::state::clear(guide.as_deref())?,
    };
    write_stdout(out.as_bytes())?;
    Ok(Outcome::Passed)
}
