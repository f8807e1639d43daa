//! docrun: make documentation executable.
//!
//! The pipeline: [`doc`] reads a guide, [`runbook`] turns it into steps and variables, [`plan`]
//! binds the variables and says what a run would do. Everything up to the plan is pure: a
//! function of the text, the overlay, the site data and the variables.

pub mod bless;
pub mod boundary;
pub mod chain;
pub mod changed;
pub mod check;
pub mod checker;
pub mod cli;
mod commands;
pub mod doc;
pub mod duration;
pub mod effects;
pub mod error;
pub mod events;
pub mod exec;
pub mod file;
pub mod front;
pub mod guard;
pub mod hygiene;
pub mod istio;
pub mod lint;
pub mod matching;
pub mod ops;
pub mod outcome;
pub mod plan;
pub mod preflight;
pub mod preview;
pub mod prompt;
pub mod report;
pub mod runbook;
pub mod settings;
pub mod site;
pub mod source;
pub mod state;
pub mod suite;
pub mod tree;
pub mod visible;
pub mod yaml;

use std::process::ExitCode;

use cli::Cli;
use error::Error;

/// Runs one command line and turns its outcome into the process exit code.
///
/// Results go to stdout; progress and diagnostics go to stderr.
pub fn run(cli: Cli) -> ExitCode {
    let color = cli.global.color();
    let result = commands::dispatch(&cli);
    for (file, why) in boundary::distrusted() {
        // A settings file passed over in silence would change how guides read, unexplained.
        eprintln!(
            "warning: {}: not read, as {why}\n  hint: `chmod go-w` the file if you trust it",
            visible::visible(&file.display().to_string())
        );
    }
    if let Err(err) = &result {
        report_error(err, color);
    }
    ExitCode::from(outcome::exit_code(&result))
}

/// Source lines longer than this are not shown under an error.
const MAX_SHOWN_LINE: usize = 400;

/// Prints an error to stderr. In GitHub Actions the text (a guide's line, a path, a message
/// with a step's words) is fenced off from workflow commands, as the reports are
/// ([`report::github::Fence`]).
fn report_error(err: &Error, color: bool) {
    let text = error_text(err, color);
    eprint!(
        "{}",
        report::github::guard(report::github::in_actions(), &text)
    );
}

/// An error as shown: a guide's hidden characters written out (see [`visible`]), a values
/// file's lines never shown.
fn error_text(err: &Error, color: bool) -> String {
    use crate::visible::visible;
    match err {
        // A line too long to read on a terminal (a 100 KB value) is not shown: the location,
        // the message and the hint say enough.
        Error::Source(diag) if diag.line_len() > MAX_SHOWN_LINE || diag.conceals_source() => {
            let mut text = format!("error: {}\n", visible(&diag.to_string()));
            if let Some(help) = &diag.help {
                text.push_str(&format!("  help: {}\n", visible(help)));
            }
            text
        }
        Error::Source(diag) => {
            let render = |theme| {
                let mut out = String::new();
                miette::GraphicalReportHandler::new_themed(theme)
                    .render_report(&mut out, diag.as_ref())
                    .ok()
                    .map(|_| out)
            };
            // A guide's line with hidden characters is shown without colour, written out.
            let plain = render(miette::GraphicalTheme::unicode_nocolor());
            let out = match plain {
                Some(plain) if visible(&plain) != plain => visible(&plain).into_owned(),
                _ if color => {
                    render(miette::GraphicalTheme::unicode()).unwrap_or_else(|| diag.to_string())
                }
                Some(plain) => plain,
                None => visible(&diag.to_string()).into_owned(),
            };
            format!("error: {out}\n")
        }
        Error::Failed(msg) if msg.is_empty() => String::new(),
        other => format!("error: {}\n", visible(&other.to_string())),
    }
}
