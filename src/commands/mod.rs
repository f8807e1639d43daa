//! The subcommands: one small file each, which turns the parsed flags into a typed request,
//! calls the library operation ([`crate::ops`]) and prints its result.
//!
//! What they share: writing to stdout, JSON, and the [`Console`] through which an operation's
//! warnings and questions reach the terminal.

mod check;
mod console;
mod generate;
mod graph;
mod lint;
mod list;
mod plan;
mod run;
mod snips;
mod state;
mod test;
mod vars;

use std::io::Write;

use crate::cli::{Cli, Command, GlobalArgs, VarArgs};
use crate::error::Error;
use crate::ops::GuideRequest;
use crate::outcome::Outcome;
use crate::plan::{mask, Selection};
use crate::report;

pub use console::Console;

/// Runs the command line's subcommand.
pub fn dispatch(cli: &Cli) -> Result<Outcome, Error> {
    let g = &cli.global;
    match &cli.command {
        Command::Snips(args) => snips::snips(args),
        Command::List(args) => list::list(args, g),
        Command::Vars(args) => vars::vars(args, g),
        Command::Plan(args) => plan::plan(args, g),
        Command::Run(args) => run::run(args, g),
        Command::Check(args) => check::check(args, g),
        Command::Lint(args) => lint::lint(args, g),
        Command::Test(args) => test::test(args, g),
        Command::Graph(args) => graph::graph(args, g),
        Command::State(args) => state::state(args),
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

/// The guide a command names, with the values and the dialect its flags give.
fn guide_request(path: &std::path::Path, vars: &VarArgs, global: &GlobalArgs) -> GuideRequest {
    GuideRequest {
        path: path.to_path_buf(),
        site_data: vars.site_data.clone(),
        dialect: global.dialect,
        set: vars.set.clone(),
        values: vars.values.clone(),
    }
}

/// The steps the flags select.
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

/// JSON with every secret value replaced by `***`, wherever it stands (a check's field, a
/// message, a command).
fn to_json_masked<T: serde::Serialize>(value: &T, secrets: &[String]) -> Result<String, Error> {
    fn mask_strings(value: &mut serde_json::Value, secrets: &[String]) {
        match value {
            serde_json::Value::String(s) => *s = mask(s, secrets),
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

/// A value as JSON, for a field of a document being built.
fn json_value<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))
}
