//! Parsing and planning the istio.io corpus: the 95 guides that have goldens.
//!
//! `cargo bench --bench corpus` reports time per pass over all guides and MB/s; files/s is
//! 95 divided by the time per pass.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use docrun::doc;
use docrun::plan;
use docrun::runbook::{self, BuildOptions};
use docrun::site::SiteData;
use docrun::source::Source;

fn guides() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/istio");
    let mut found = Vec::new();
    let mut stack = vec![root.join("golden/docs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root.join("golden"))
                    .unwrap()
                    .with_extension("md");
                let md = root.join("content/en").join(rel);
                let md = if md.is_file() {
                    md
                } else {
                    md.with_file_name("_index.md")
                };
                let text = std::fs::read_to_string(&md).unwrap();
                found.push((md, text));
            }
        }
    }
    found.sort();
    found
}

fn bench(c: &mut Criterion) {
    let guides = guides();
    assert_eq!(guides.len(), 95);
    let bytes: usize = guides.iter().map(|(_, t)| t.len()).sum();
    let site =
        SiteData::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/istio/data"))
            .unwrap();
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse 95 guides", |b| {
        b.iter(|| {
            for (path, text) in &guides {
                let doc = doc::parse(Arc::new(Source::new(path, text))).unwrap();
                std::hint::black_box(doc);
            }
        })
    });
    group.bench_function("parse and plan 95 guides", |b| {
        b.iter(|| {
            // One pass reads each included boilerplate once, as `docrun test` and `lint` do.
            let includes = runbook::Includes::default();
            for (path, text) in &guides {
                let doc = doc::parse(Arc::new(Source::new(path, text))).unwrap();
                let rb = runbook::build(
                    &doc,
                    BuildOptions {
                        site: Some(&site),
                        overlay: None,
                        includes: Some(&includes),
                    },
                )
                .unwrap();
                let plan = plan::build(&rb, Default::default(), &Default::default()).unwrap();
                std::hint::black_box(plan);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
