//! `docrun lint` over a large tree costs about what reading and planning it costs.
//!
//! The tree is the project's three corpora (istio.io, Linkerd, cert-manager) copied until it
//! holds about 30 MB of guides. `cargo bench --bench lint` reports, per pass over the tree:
//! `read+plan` (what `docrun test --all --list` does) and `lint` (every rule, `bash -n`
//! included).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use docrun::lint;
use docrun::suite::{self, SuiteOptions};

/// Copies the corpora into `dir` until the guides there hold about `bytes`.
fn build_tree(dir: &Path, bytes: u64) -> u64 {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut total = 0;
    let mut copy = 0;
    while total < bytes {
        for site in ["istio", "linkerd", "cert-manager"] {
            total += copy_tree(&corpus.join(site), &dir.join(format!("c{copy}/{site}")));
        }
        copy += 1;
    }
    total
}

/// Copies a folder; the bytes of the `.md` files copied.
fn copy_tree(from: &Path, to: &Path) -> u64 {
    std::fs::create_dir_all(to).unwrap();
    let mut md = 0;
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            md += copy_tree(&entry.path(), &target);
        } else {
            let n = std::fs::copy(entry.path(), &target).unwrap();
            if entry.path().extension().is_some_and(|e| e == "md") {
                md += n;
            }
        }
    }
    md
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = build_tree(dir.path(), 30_000_000);
    eprintln!("tree: {:.1} MB of guides", bytes as f64 / 1e6);
    let paths: Vec<PathBuf> = vec![dir.path().to_path_buf()];
    let options = SuiteOptions {
        filters: Vec::new(),
        all: true,
        select: Default::default(),
        tags: Vec::new(),
        partition: None,
        inputs: Default::default(),
        site_data: None,
        dialect: None,
        with_prereqs: false,
    };
    let mut group = c.benchmark_group("tree 30 MB");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("read+plan", |b| {
        b.iter(|| std::hint::black_box(suite::discover(&paths, &options).unwrap().len()))
    });
    group.bench_function("lint", |b| {
        b.iter(|| std::hint::black_box(lint::run(&paths, None, &[]).findings.len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
