//! The catalogue of native checks as data: what a check asks ([`CheckSpec`], its shared target
//! [`ObjectRef`]) and what it found ([`CheckResult`], [`CheckStatus`]).
//!
//! Guides, overlays, plans, reports and the run loop share these types; the engine that asks
//! API servers (`checker`) is above them. Nothing here talks to a cluster.

mod result;
mod spec;

pub use result::{CheckResult, CheckStatus};
pub use spec::{CheckSpec, ObjectRef};

/// The context a guide's step or check names when it names none: the current context of
/// docrun's kubeconfig, asked when the step runs.
pub const CURRENT_CONTEXT: &str = "<current-context>";

/// Whether `name` is `prefix` followed by a suffix a controller generates, so that the prefix a
/// guide shows (`helloworld-v1`) matches the pods it creates:
/// - Deployment pods: `-<pod-template-hash>-<5 chars>` (`helloworld-v1-776f57d5f6-s7zfc`; the hash
///   has 6 to 10 characters),
/// - StatefulSet pods: `-<ordinal>` (`web-0`),
/// - DaemonSet, Job and `generateName` pods: `-<5 chars>` (`ztunnel-x7k2p`),
/// - or the name itself.
///
/// Suffix characters are lowercase letters and digits. `helloworld` does not match
/// `helloworld-v1-abcde`: `v1` is too short to be a pod-template hash.
pub fn name_has_prefix(name: &str, prefix: &str) -> bool {
    if name == prefix {
        return true;
    }
    let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    let alnum = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let parts: Vec<&str> = rest.split('-').collect();
    match parts.as_slice() {
        [ordinal] if !ordinal.is_empty() && ordinal.bytes().all(|b| b.is_ascii_digit()) => true,
        [random] => random.len() == 5 && alnum(random),
        [hash, random] => {
            (6..=10).contains(&hash.len()) && alnum(hash) && random.len() == 5 && alnum(random)
        }
        _ => false,
    }
}
