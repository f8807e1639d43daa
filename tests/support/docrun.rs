//! `docrun` as the tests start it.

use std::path::Path;
use std::process::Command;

/// The docrun binary, run in `dir` with its state in `dir/.state`, no colour, and none of the
/// settings of the machine running the tests leaking in: no kubeconfig, no kube contexts, no
/// variables the guides of the tests export, not GitHub Actions. A test adds what it needs.
pub fn docrun(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_docrun"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DOCRUN_STATE_DIR", dir.join(".state"));
    for name in [
        "KUBECONFIG",
        "CTX_CLUSTER1",
        "CTX_CLUSTER2",
        "GATEWAY_URL",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
    ] {
        cmd.env_remove(name);
    }
    cmd
}

/// [`docrun`] in the project's folder (the corpus and runbooks are named from there), with its
/// state in a temporary folder of the test process.
pub fn docrun_in_project() -> Command {
    let mut cmd = docrun(Path::new(env!("CARGO_MANIFEST_DIR")));
    cmd.env(
        "DOCRUN_STATE_DIR",
        std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
    );
    cmd
}

/// [`docrun`] against fake clusters: `kubeconfig` (usually `kube.kubeconfig_path`), a private
/// HOME (kubectl caches discovery there) and the state in the clusters' folder.
pub fn docrun_with_kube(
    kube: &super::fakekube::FakeKube,
    kubeconfig: &Path,
    dir: &Path,
) -> Command {
    let mut cmd = docrun(dir);
    cmd.env("KUBECONFIG", kubeconfig)
        .env("HOME", kube.dir.path())
        .env("DOCRUN_STATE_DIR", kube.dir.path().join("state"));
    cmd
}

/// What a finished docrun printed, standard output then standard error, for assertions and
/// their messages.
pub fn printed(out: &std::process::Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What a finished docrun printed: standard output (the results) then standard error
/// (progress and diagnostics), with nothing between.
pub fn both(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
