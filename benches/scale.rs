//! Reading and planning stays linear: the same MB/s for a guide of 10 KB and of 50 MB, and for
//! 1,000, 50,000 and 200,000 steps.
//!
//! `cargo bench --bench scale` reports time per pass and MB/s for each generated guide: prose
//! with steps in istio.io's dialect (a section, a `{{< text bash >}}` block with a command and
//! its output) and in Markdown (a fence, prose that announces output, an output fence), cut to
//! the size named.

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use docrun::doc::{self, dialect::Reason, Detected, Dialect};
use docrun::plan;
use docrun::runbook::{self, BuildOptions};
use docrun::source::Source;

/// An istio.io guide of `steps` steps.
fn istio_steps(steps: usize) -> String {
    let mut text = String::from("---\ntitle: Scale\ntest: yes\n---\n");
    for i in 0..steps {
        text.push_str(&format!(
            "## Step {i}\n\nRun the command and read what it says.\n\n{{{{< text bash >}}}}\n$ echo {i}\n{i}\n{{{{< /text >}}}}\n\n"
        ));
    }
    text
}

/// A Markdown guide of `steps` steps, each a command fence and an output fence.
fn markdown_steps(steps: usize) -> String {
    let mut text = String::from("# Scale\n\n");
    for i in 0..steps {
        text.push_str(&format!(
            "## Step {i}\n\n```bash\nkubectl get pods -n ns{i}\n```\n\nThe output is similar to:\n\n```text\nNAME   READY\nweb    1/1\n```\n\n"
        ));
    }
    text
}

/// About `bytes` of a guide made of the given generator's steps.
fn of_size(bytes: usize, make: fn(usize) -> String) -> String {
    let per_step = make(100).len() / 100;
    make(bytes / per_step + 1)
}

fn read_and_plan(text: &str, dialect: Dialect) {
    let detected = Detected::new(dialect, Reason::Text { what: "bench" });
    let doc = doc::parse_as(Arc::new(Source::new(Path::new("g.md"), text)), detected).unwrap();
    let rb = runbook::build(&doc, BuildOptions::default()).unwrap();
    let plan = plan::build(&rb, Default::default(), &Default::default()).unwrap();
    std::hint::black_box(plan);
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("scale");
    group.sample_size(10);
    let cases: Vec<(String, String, Dialect)> = vec![
        (
            "istio 10 KB".into(),
            of_size(10_000, istio_steps),
            Dialect::Istio,
        ),
        (
            "istio 1 MB".into(),
            of_size(1_000_000, istio_steps),
            Dialect::Istio,
        ),
        (
            "istio 10 MB".into(),
            of_size(10_000_000, istio_steps),
            Dialect::Istio,
        ),
        (
            "istio 50 MB".into(),
            of_size(50_000_000, istio_steps),
            Dialect::Istio,
        ),
        (
            "istio 1000 steps".into(),
            istio_steps(1_000),
            Dialect::Istio,
        ),
        (
            "istio 50000 steps".into(),
            istio_steps(50_000),
            Dialect::Istio,
        ),
        (
            "istio 200000 steps".into(),
            istio_steps(200_000),
            Dialect::Istio,
        ),
        (
            "markdown 10 KB".into(),
            of_size(10_000, markdown_steps),
            Dialect::Markdown,
        ),
        (
            "markdown 10 MB".into(),
            of_size(10_000_000, markdown_steps),
            Dialect::Markdown,
        ),
        (
            "markdown 50 MB".into(),
            of_size(50_000_000, markdown_steps),
            Dialect::Markdown,
        ),
    ];
    for (name, text, dialect) in &cases {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name.as_str(), |b| b.iter(|| read_and_plan(text, *dialect)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
