//! `check`: a guide's preflight, alone: its prerequisites and verifications asked of the
//! clusters, and the commands it needs looked up on `PATH`.

use std::time::Duration;

use crate::checker::Checker;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::plan::Plan;
use crate::preflight::{self, Group, MissingCommand, Summary};

use super::{guide, Feedback, GuideRequest};

/// A preflight to make.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub guide: GuideRequest,
    /// The bound on each call to an API server and on each wait.
    pub timeout: Duration,
}

/// A preflight made.
pub struct Checked {
    pub plan: Plan,
    pub groups: Vec<Group>,
    pub summary: Summary,
    /// Commands the guide runs that are not on `PATH`.
    pub missing_commands: Vec<MissingCommand>,
}

impl Checked {
    /// Passed when no check failed (warnings allowed); else an error saying how many failed.
    pub fn outcome(&self) -> Result<Outcome, Error> {
        if self.summary.failed > 0 {
            return Err(Error::Failed(format!(
                "{} of {} checks failed",
                self.summary.failed,
                self.summary.total()
            )));
        }
        Ok(Outcome::Passed)
    }
}

/// Plans the guide (every variable must have a value) and runs its checks against the clusters
/// of the kubeconfig `KUBECONFIG` names.
pub fn check(request: &CheckRequest, feedback: &mut dyn Feedback) -> Result<Checked, Error> {
    let plan = guide::plan_alone(&request.guide, feedback)?;
    if !plan.missing.is_empty() {
        return Err(Error::MissingVars(plan.missing_vars()));
    }
    let mut groups = preflight::groups(&plan);
    if !groups.is_empty() {
        let checker = Checker::from_env()
            .map_err(|e| {
                Error::Usage(format!(
                    "{e}\nhint: point KUBECONFIG at the kubeconfig that holds the guide's contexts"
                ))
            })?
            .with_timeout(request.timeout);
        super::runtime()?.block_on(preflight::run(&checker, &mut groups, request.timeout));
    }
    let summary = Summary::of(&groups);
    let missing_commands = preflight::missing_commands(&plan, false, &preflight::on_path);
    Ok(Checked {
        plan,
        groups,
        summary,
        missing_commands,
    })
}
