//! `lint`: what in a tree's guides would stop docrun reading or running them as written.

use std::path::PathBuf;

use crate::doc::Dialect;
use crate::error::Error;
use crate::lint::Report;
use crate::settings::Settings;

/// The trees or guides to lint.
#[derive(Debug, Clone, Default)]
pub struct LintRequest {
    pub paths: Vec<PathBuf>,
    /// The dialect to read them in; else the one `docrun.yaml` forces, else each one's own.
    pub dialect: Option<Dialect>,
}

/// Lints the guides under the paths, with the rules `docrun.yaml` (found from the first path)
/// turns off left out. A `docrun.yaml` that does not read is an error; a guide that does not is
/// in the report.
pub fn lint(request: &LintRequest) -> Result<Report, Error> {
    let (forced, off) = match request.paths.first() {
        Some(path) => (
            crate::settings::forced_dialect(request.dialect, path)?,
            Settings::find(path)?
                .map(|(_, settings)| settings.lint.off)
                .unwrap_or_default(),
        ),
        None => (None, Vec::new()),
    };
    Ok(crate::lint::run(&request.paths, forced, &off))
}

/// Unusable when a path could not be read, failed on an error finding; warnings alone pass.
pub fn outcome(report: &Report) -> crate::outcome::Outcome {
    use crate::outcome::Outcome;
    if !report.unreadable.is_empty() {
        Outcome::Unusable
    } else if report.errors() > 0 {
        Outcome::Failed
    } else {
        Outcome::Passed
    }
}
