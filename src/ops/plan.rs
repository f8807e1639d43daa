//! `plan`: what a run of a guide would do, without running anything.

use std::time::Duration;

use crate::chain::Chain;
use crate::effects::GuideEffects;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::plan::{Plan, Selection};
use crate::preview::Preview;

use super::{guide, Feedback, GuideRequest};

/// A plan to make.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    pub guide: GuideRequest,
    pub selection: Selection,
    /// Plan the guide's prerequisites' steps first.
    pub with_prereqs: bool,
    /// Plan even when variables have no value or a step cannot run as written.
    pub allow_missing: bool,
    /// Say what each step would change on the clusters, read from its commands.
    pub effects: bool,
    /// Ask the API servers what each step would change (server-side dry run), each call bounded
    /// by this.
    pub preview: Option<Duration>,
}

/// A plan made, with what was asked beside it.
pub struct Planned {
    pub plan: Plan,
    /// The guide's prerequisites, when its links could be followed.
    pub chain: Option<Chain>,
    pub effects: Option<GuideEffects>,
    pub preview: Option<Preview>,
}

impl Planned {
    /// Passed, unless the API servers refused a step of the preview.
    pub fn outcome(&self) -> Outcome {
        match &self.preview {
            Some(preview) if !preview.passed() => Outcome::Failed,
            _ => Outcome::Passed,
        }
    }
}

/// Reads the guide once, with its chain, and plans it. Variables with no value are an error
/// (the note on which prerequisite would set them is said first), unless `allow_missing`.
pub fn plan(request: &PlanRequest, feedback: &mut dyn Feedback) -> Result<Planned, Error> {
    let chained = guide::chained(&request.guide, request.with_prereqs, feedback)?;
    let plan = guide::plan(
        &chained.runbook,
        &request.guide,
        &request.selection,
        feedback,
    )?;
    let chain = chained.chain;
    if !request.allow_missing {
        if !plan.missing.is_empty() {
            say_where_missing_come_from(chain.as_ref(), &plan, feedback);
            return Err(Error::MissingVars(plan.missing_vars()));
        }
        plan.check_runnable()?;
    }
    let effects = request.effects.then(|| crate::effects::of_plan(&plan));
    let preview = match request.preview {
        Some(per_call) => {
            Some(super::runtime()?.block_on(crate::preview::preview(&plan, per_call))?)
        }
        None => None,
    };
    Ok(Planned {
        plan,
        chain,
        effects,
        preview,
    })
}

/// Which prerequisite of the chain would set the variables that have no value, said before
/// the error that names them.
pub(super) fn say_where_missing_come_from(
    chain: Option<&Chain>,
    plan: &Plan,
    feedback: &mut dyn Feedback,
) {
    if let Some(note) = chain.and_then(|c| crate::report::graph::missing_note(c, &plan.missing)) {
        feedback.say(&format!("{note}\n"));
    }
}
