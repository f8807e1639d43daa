//! `docrun check`: the preflight of a guide.

use crate::cli::{CheckArgs, Format, GlobalArgs};
use crate::error::Error;
use crate::ops::check::{self, CheckRequest};
use crate::outcome::Outcome;
use crate::{preflight, report};

use super::Console;

/// Exit 0 when every check passed (warnings allowed), 1 when one failed, 2 when the guide, the
/// variables or the kubeconfig are wrong.
pub fn check(args: &CheckArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let request = CheckRequest {
        guide: super::guide_request(&args.doc, &args.vars, global),
        timeout: args.timeout,
    };
    let checked = check::check(&request, &mut Console::new())?;
    let plan = &checked.plan;
    let out = match args.format {
        Format::Text => plan.mask(&format!(
            "{}{}",
            report::check::preflight(&plan.guide, plan.title.as_deref(), &checked.groups),
            preflight::missing_text(&checked.missing_commands)
        )),
        Format::Json => super::to_json_masked(
            &serde_json::json!({
                "schema": "docrun.check/v1",
                "guide": plan.guide,
                "groups": checked.groups,
                "summary": checked.summary,
                "missing_commands": checked.missing_commands,
            }),
            &plan.secrets,
        )?,
    };
    super::write_stdout(out.as_bytes())?;
    checked.outcome()
}
