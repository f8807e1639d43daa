//! `docrun lint`: findings on stdout, paths that cannot be read on stderr.

use crate::cli::{Format, GlobalArgs, LintArgs};
use crate::error::Error;
use crate::ops::lint::{self, LintRequest};
use crate::outcome::Outcome;

/// Exit 2 for an unreadable path, 1 for an error finding, else 0 (warnings alone do not fail).
pub fn lint(args: &LintArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let report = lint::lint(&LintRequest {
        paths: args.paths.clone(),
        dialect: global.dialect,
    })?;
    for err in &report.unreadable {
        eprintln!("error: {err}");
    }
    let out = match args.format {
        Format::Text => report.render_text(),
        Format::Json => super::to_json(&report.to_json())?,
    };
    super::write_stdout(out.as_bytes())?;
    Ok(lint::outcome(&report))
}
