//! Leak detection for a run or a test: whether it is on, and against which clusters.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::hygiene::{contexts_of, Config, Hygiene};
use crate::plan::Plan;
use crate::settings::{HygieneSettings, Mode};

use super::Feedback;

/// Leak detection as asked (`--hygiene*`); what is not asked comes from `docrun.yaml`, then the
/// operation's default.
#[derive(Debug, Clone, Default)]
pub struct HygieneRequest {
    pub mode: Option<Mode>,
    /// How long to wait for objects to go before calling them leaked.
    pub settle: Option<Duration>,
    /// Namespaces never reported, beyond those `docrun.yaml` names.
    pub exclude_namespaces: Vec<String>,
    /// Kinds never reported, beyond those `docrun.yaml` names.
    pub exclude_kinds: Vec<String>,
}

/// Hygiene for the plans, or none: off, or no plan uses a cluster. A kubeconfig that cannot be
/// read is said once; under `warn` the run goes on without hygiene, under `fail` it does not
/// start (no cluster could be checked, and `fail` fails closed).
pub fn for_plans<'a>(
    request: &HygieneRequest,
    default: Mode,
    settings: Option<&HygieneSettings>,
    mut plans: impl Iterator<Item = &'a Plan>,
    feedback: &mut dyn Feedback,
) -> Result<Option<Arc<Hygiene>>, Error> {
    let mut config = Config::resolve(request.mode, default, request.settle, settings);
    config
        .exclusions
        .namespaces
        .extend(request.exclude_namespaces.iter().cloned());
    config
        .exclusions
        .kinds
        .extend(request.exclude_kinds.iter().cloned());
    if config.mode == Mode::Off
        || !plans.any(|p| !contexts_of(p, Some("current-context")).is_empty())
    {
        return Ok(None);
    }
    match crate::checker::Checker::from_env() {
        Ok(checker) => Ok(Some(Arc::new(Hygiene::new(config, checker)))),
        Err(e) if config.mode == Mode::Fail => Err(Error::Usage(format!(
            "hygiene: {e}\nhint: --hygiene fail needs to read the clusters the guides use, before \
             and after each; fix KUBECONFIG, or give --hygiene warn to run without the check"
        ))),
        Err(e) => {
            feedback.warn(&format!("hygiene: {e}; no guide is checked for leaks"));
            Ok(None)
        }
    }
}
