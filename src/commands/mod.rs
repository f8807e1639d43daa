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
    let mut out = StdoutLines::text();
    out.write_all(bytes).map_err(stdout_error)?;
    out.finish()
}

/// Writes bytes to stdout as they are: `snips.sh` is istio.io's file byte for byte.
fn write_raw_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`docrun plan | head`) is not an error of the guide.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(stdout_error(e)),
    }
}

fn stdout_error(e: std::io::Error) -> Error {
    Error::Internal(format!("cannot write to stdout: {e}"))
}

/// Standard output for docrun's own text, written a line at a time as it is made, so that a
/// large document is never held whole: hidden characters from guides written out (see
/// [`crate::visible`]) and, for JSON, no line a GitHub Actions runner obeys as a command
/// ([`report::github::json_without_commands`]). Both rewrite within a line, so a line at a
/// time gives the same text as the whole. A closed pipe (`docrun plan | head`) ends the
/// writing quietly: what is left is not wanted.
struct StdoutLines {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    /// The end of a line not yet written.
    pending: Vec<u8>,
    json: bool,
    closed: bool,
    /// The first error writing met, said by [`StdoutLines::finish`]: text written through
    /// [`std::fmt::Write`] cannot carry it.
    failed: Option<std::io::Error>,
}

impl StdoutLines {
    fn text() -> StdoutLines {
        StdoutLines {
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
            pending: Vec::new(),
            json: false,
            closed: false,
            failed: None,
        }
    }

    fn json() -> StdoutLines {
        StdoutLines {
            json: true,
            ..StdoutLines::text()
        }
    }

    /// Writes `bytes`, rewritten as the output asks: whole lines, but for what is left at the
    /// end.
    fn emit(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.closed || bytes.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(bytes);
        let mut line = crate::visible::visible(&text);
        if self.json {
            line =
                std::borrow::Cow::Owned(report::github::json_without_commands(line.into_owned()));
        }
        match self.out.write_all(line.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }

    /// Writes what is left and flushes; the first error writing met, if any.
    fn finish(&mut self) -> Result<(), Error> {
        if let Some(e) = self.failed.take() {
            return Err(stdout_error(e));
        }
        let rest = std::mem::take(&mut self.pending);
        self.emit(&rest).map_err(stdout_error)?;
        match self.out.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(stdout_error),
        }
    }
}

impl Write for StdoutLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match memchr::memrchr(b'\n', buf) {
            None => self.pending.extend_from_slice(buf),
            Some(last) => {
                let (lines, rest) = buf.split_at(last + 1);
                if self.pending.is_empty() {
                    self.emit(lines)?;
                } else {
                    let mut joined = std::mem::take(&mut self.pending);
                    joined.extend_from_slice(lines);
                    self.emit(&joined)?;
                }
                self.pending.extend_from_slice(rest);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::fmt::Write for StdoutLines {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.failed.is_some() {
            return Err(std::fmt::Error);
        }
        std::io::Write::write_all(self, s.as_bytes()).map_err(|e| {
            self.failed = Some(e);
            std::fmt::Error
        })
    }
}

/// Replaces every secret value by `***` in the strings of a JSON tree.
fn mask_strings(value: &mut serde_json::Value, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    match value {
        serde_json::Value::String(s) => *s = mask(s, secrets),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| mask_strings(v, secrets)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| mask_strings(v, secrets)),
        _ => {}
    }
}

/// JSON with every secret value replaced by `***`, wherever it stands (a check's field, a
/// message, a command).
fn to_json_masked<T: serde::Serialize>(value: &T, secrets: &[String]) -> Result<String, Error> {
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

/// Writes pretty JSON to stdout as it is serialized, as [`to_json`] then [`write_stdout`]
/// would, without the whole text in memory.
fn write_json_stdout<T: serde::Serialize>(value: &T) -> Result<(), Error> {
    let mut out = StdoutLines::json();
    let mut serializer = serde_json::Serializer::pretty(&mut out);
    value
        .serialize(&mut serializer)
        .map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))?;
    out.write_all(b"\n").map_err(stdout_error)?;
    out.finish()
}

/// A value as JSON, for a field of a document being built.
fn json_value<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))
}
