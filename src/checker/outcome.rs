//! One result of a check as the engine builds it, before the check's name and duration are
//! added.

use crate::check::CheckStatus;

/// One result before the check's name and duration are added (see [`super::Checker::run`]).
pub(crate) struct Outcome {
    pub context: Option<String>,
    pub target: String,
    pub status: CheckStatus,
    pub message: String,
}

impl Outcome {
    pub fn new(
        context: Option<&str>,
        target: impl Into<String>,
        status: CheckStatus,
        message: impl Into<String>,
    ) -> Self {
        Outcome {
            context: context.map(str::to_string),
            target: target.into(),
            status,
            message: message.into(),
        }
    }

    /// A passed result about `context`.
    pub fn passed(context: &str, target: impl Into<String>, message: impl Into<String>) -> Self {
        Outcome::new(Some(context), target, CheckStatus::Passed, message)
    }

    /// A failed result about `context`; `message` says why (any `Display`, e.g. a
    /// [`super::explain::CallError`]).
    pub fn failed(context: &str, target: impl Into<String>, message: impl ToString) -> Self {
        Outcome::new(
            Some(context),
            target,
            CheckStatus::Failed,
            message.to_string(),
        )
    }
}
