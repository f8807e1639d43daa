//! docrun's overhead per step: a guide of 1,000 trivial steps (`$ true`) run by `docrun run`,
//! against the same 1,000 commands in one `bash -c` script. Prints the median of 7 runs of each
//! and the difference per step. `cargo bench --bench steps`.

use std::process::Command;
use std::time::{Duration, Instant};

const STEPS: usize = 1000;
const RUNS: usize = 7;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time(mut command: impl FnMut() -> Command) -> Duration {
    let times = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let out = command().output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            started.elapsed()
        })
        .collect();
    median(times)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("thousand.md");
    let mut text =
        String::from("---\ntitle: A thousand steps\ntest: yes\n---\n## Steps {#steps}\n\n");
    for _ in 0..STEPS {
        text.push_str("{{< text bash >}}\n$ true\n{{< /text >}}\n\n");
    }
    std::fs::write(&guide, text).unwrap();
    let script = "true\n".repeat(STEPS);

    let docrun = time(|| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_docrun"));
        c.args(["run", "-q"])
            .arg(&guide)
            .current_dir(dir.path())
            .env("DOCRUN_STATE_DIR", dir.path());
        c
    });
    let bash = time(|| {
        let mut c = Command::new("bash");
        c.arg("-c").arg(&script);
        c
    });
    let per_step = docrun.saturating_sub(bash) / STEPS as u32;
    println!(
        "docrun run, {STEPS} steps:     {:>8.1} ms (median of {RUNS})",
        docrun.as_secs_f64() * 1e3
    );
    println!(
        "bash -c, {STEPS} commands:     {:>8.1} ms (median of {RUNS})",
        bash.as_secs_f64() * 1e3
    );
    println!(
        "docrun overhead per step:   {:>8.3} ms",
        per_step.as_secs_f64() * 1e3
    );
}
