//! What a native check found: a [`CheckResult`] per context or comparison, with its
//! [`CheckStatus`].

use std::time::Duration;

/// The verdict of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The condition holds.
    Passed,
    /// The condition does not hold, or could not be checked (unreachable server, unknown context).
    Failed,
    /// The condition holds but something will likely bite later (a loopback API server, a
    /// `cert-chain.pem` without the root).
    Warning,
}

/// The outcome of a check (one [`CheckSpec`](super::CheckSpec) may yield several, e.g. one per
/// context).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckResult {
    /// The check's name, as in [`CheckSpec::name`](super::CheckSpec::name) (`"kube.secret"`).
    pub check: String,
    /// The context the result is about; `None` for results about several contexts
    /// (`kube.distinct`, the root comparison of `trust.common-root`).
    pub context: Option<String>,
    /// What was checked, for humans: `secret istio-system/cacerts`, `deployment sample/helloworld-v1`.
    pub target: String,
    /// The verdict.
    pub status: CheckStatus,
    /// What was expected, what was found and, on failure, what to do. Never holds secret values.
    pub message: String,
    /// How long the spec took (the same for every result of one spec).
    #[serde(serialize_with = "serialize_millis", rename = "duration_ms")]
    pub duration: Duration,
}

fn serialize_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// `PASS`, `WARN`, `FAIL`.
impl CheckStatus {
    pub fn word(self) -> &'static str {
        match self {
            CheckStatus::Passed => "PASS",
            CheckStatus::Warning => "WARN",
            CheckStatus::Failed => "FAIL",
        }
    }
}
