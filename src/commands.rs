//! One function per subcommand: read the inputs, call the library, print the result.

use std::io::Write;
use std::process::ExitCode;

use std::path::Path;

use crate::cli::{
    Cli, Command, Format, LintArgs, ListArgs, PlanArgs, SnipsArgs, VarArgs, VarsArgs,
};
use crate::doc::Doc;
use crate::error::Error;
use crate::istio::{self, SnipsOptions};
use crate::lint;
use crate::plan::{self, Inputs, Plan, Selection};
use crate::report;
use crate::runbook::{self, BuildOptions, Runbook};
use crate::site::SiteData;

pub fn dispatch(cli: &Cli) -> Result<ExitCode, Error> {
    match &cli.command {
        Command::Snips(args) => snips(args),
        Command::List(args) => list(args),
        Command::Vars(args) => vars(args),
        Command::Plan(args) => plan_command(args),
        Command::Lint(args) => lint_command(args),
        other => Err(Error::Usage(format!(
            "`docrun {}` is not implemented yet",
            command_name(other)
        ))),
    }
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::List(_) => "list",
        Command::Vars(_) => "vars",
        Command::Plan(_) => "plan",
        Command::Run(_) => "run",
        Command::Check(_) => "check",
        Command::Test(_) => "test",
        Command::Lint(_) => "lint",
        Command::Snips(_) => "snips",
    }
}

fn snips(args: &SnipsArgs) -> Result<ExitCode, Error> {
    // The guide must read cleanly as a guide before it is exported.
    let doc = crate::doc::Doc::load(&args.doc)?;
    let site = load_site(args.site_data.as_deref(), &args.doc)?.ok_or_else(|| {
        Error::Usage(format!(
            "{}: no site data found (no data/args.yml above the guide)\nhint: name the Hugo data folder with --site-data DIR",
            args.doc.display()
        ))
    })?;
    let options = SnipsOptions {
        prefix: args.prefix.clone(),
        boilerplate_snips: args.boilerplate_snips.clone(),
    };
    let snips = istio::extract(&doc.source, &site, &options);
    for warning in &snips.warnings {
        eprintln!("warning: {}: {warning}", doc.path().display());
    }
    if snips.is_empty() {
        eprintln!(
            "{}: no snippet or boilerplate; nothing to write",
            doc.path().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    write_stdout(snips.render(&options).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The site data named on the command line, or the one found above the guide.
pub fn load_site(
    given: Option<&std::path::Path>,
    guide: &std::path::Path,
) -> Result<Option<SiteData>, Error> {
    match given {
        Some(dir) => SiteData::load(dir).map(Some),
        None => SiteData::find_for(guide)
            .map(|dir| SiteData::load(&dir))
            .transpose(),
    }
}

fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`docrun plan | head`) is not an error of the guide.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Internal(format!("cannot write to stdout: {e}"))),
    }
}

/// Reads a guide and builds its runbook, with the site data named or found above it.
pub fn load_runbook(path: &Path, site_data: Option<&Path>) -> Result<Runbook, Error> {
    let doc = Doc::load(path)?;
    let site = load_site(site_data, path)?;
    runbook::build(
        &doc,
        BuildOptions {
            site: site.as_ref(),
            overlay: None,
        },
    )
}

/// Builds the plan of a guide from the command line's variables and selection.
pub fn load_plan(path: &Path, vars: &VarArgs, selection: &Selection) -> Result<Plan, Error> {
    let runbook = load_runbook(path, vars.site_data.as_deref())?;
    let inputs = Inputs::parse(&vars.set, vars.values.as_deref())?;
    for (name, _) in &inputs.set {
        if runbook.var(name).is_none() {
            eprintln!(
                "warning: --set {name}: {} does not use this variable",
                path.display()
            );
        }
    }
    let bindings = plan::bind(&runbook, &inputs, &|name| std::env::var(name).ok());
    plan::build(&runbook, bindings, selection)
}

fn list(args: &ListArgs) -> Result<ExitCode, Error> {
    let mut out = String::new();
    let mut json = Vec::new();
    for path in &args.docs {
        let runbook = load_runbook(path, args.site_data.as_deref())?;
        match args.format {
            Format::Text => out.push_str(&report::plan::list(&runbook)),
            Format::Json => json.push(serde_json::json!({
                "guide": runbook.path,
                "steps": runbook.steps,
            })),
        }
    }
    if args.format == Format::Json {
        out =
            serde_json::to_string_pretty(&json).map_err(|e| Error::Internal(e.to_string()))? + "\n";
    }
    write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn vars(args: &VarsArgs) -> Result<ExitCode, Error> {
    let plan = load_plan(&args.doc, &args.vars, &Selection::default())?;
    let out = match args.format {
        Format::Text => report::plan::vars(&plan.vars),
        Format::Json => to_json(&plan.vars)?,
    };
    write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn plan_command(args: &PlanArgs) -> Result<ExitCode, Error> {
    let selection = Selection {
        from: args.selection.from.clone(),
        only: args.selection.only.clone(),
        skip: args.selection.skip.clone(),
    };
    let plan = load_plan(&args.doc, &args.vars, &selection)?;
    if !plan.missing.is_empty() && !args.allow_missing {
        return Err(Error::MissingVars(plan.missing_vars()));
    }
    let out = match args.format {
        Format::Text => report::plan::plan(&plan),
        Format::Json => to_json(&plan)?,
    };
    write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Findings on stdout; paths that cannot be read on stderr. Exit 2 for an unreadable path, 1 for
/// an error finding, else 0 (warnings alone do not fail).
fn lint_command(args: &LintArgs) -> Result<ExitCode, Error> {
    let report = lint::run(&args.paths);
    for err in &report.unreadable {
        eprintln!("error: {err}");
    }
    let out = match args.format {
        Format::Text => report.render_text(),
        Format::Json => to_json(&report.to_json())?,
    };
    write_stdout(out.as_bytes())?;
    Ok(ExitCode::from(report.exit_code()))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))
}
