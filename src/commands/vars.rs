//! `docrun vars`: a guide's variables, with the value each would take and from where.

use crate::cli::{Format, GlobalArgs, VarsArgs};
use crate::error::Error;
use crate::ops::guide;
use crate::outcome::Outcome;
use crate::report;

use super::Console;

pub fn vars(args: &VarsArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let request = super::guide_request(&args.doc, &args.vars, global);
    let plan = guide::plan_alone(&request, &mut Console::new())?;
    let out = match args.format {
        Format::Text => report::plan::vars(&plan.vars, &plan.contexts),
        Format::Json => super::to_json(&serde_json::json!({
            "schema": "docrun.vars/v1",
            "guide": plan.guide,
            "vars": plan.vars,
        }))?,
    };
    super::write_stdout(out.as_bytes())?;
    Ok(Outcome::Passed)
}
