//! One function per subcommand: read the inputs, call the library, print the result.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{Cli, Command, SnipsArgs};
use crate::error::Error;
use crate::istio::{self, SnipsOptions};
use crate::site::SiteData;
use crate::source::Source;

pub fn dispatch(cli: &Cli) -> Result<ExitCode, Error> {
    match &cli.command {
        Command::Snips(args) => snips(args),
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

#[allow(dead_code)]
fn unused(_: &Source) {}
