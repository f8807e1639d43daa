//! `docrun list`: the steps of guides, as read.

use crate::cli::{Format, GlobalArgs, ListArgs};
use crate::error::Error;
use crate::ops::guide;
use crate::outcome::Outcome;
use crate::report;

pub fn list(args: &ListArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let mut out = String::new();
    let mut json = Vec::new();
    let mut shelf = guide::Shelf::new(args.site_data.clone(), global.dialect);
    for path in &args.docs {
        let runbook = shelf.runbook(path)?;
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
    super::write_stdout(out.as_bytes())?;
    Ok(Outcome::Passed)
}
