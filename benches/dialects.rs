//! Reading and planning whole trees of every dialect, in one process: istio.io's corpus, Linkerd
//! (Hugo), cert-manager (Markdown), and a generated large tree (the three trees' guides repeated
//! to about 30 MB).
//!
//! `cargo bench --bench dialects` reports time per pass and MB/s; files/s is the number of
//! guides (printed first) divided by the time per pass.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use docrun::doc::{self, dialect, Detected};
use docrun::plan;
use docrun::runbook::{self, BuildOptions};
use docrun::site::SiteData;
use docrun::source::Source;

/// The guides of one tree, read into memory, with the tree's dialect and site data.
struct Tree {
    name: &'static str,
    guides: Vec<(PathBuf, String)>,
    dialect: Detected,
    site: Option<SiteData>,
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

fn tree(name: &'static str, root: &str) -> Tree {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(root);
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    let guides: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    let first = &guides[0];
    let dialect = dialect::from_tree(&first.0).unwrap_or_else(|| dialect::from_text(&first.1));
    let site = SiteData::find_for(&first.0).and_then(|d| SiteData::load(&d).ok());
    Tree {
        name,
        guides,
        dialect,
        site,
    }
}

/// Reads and plans every guide of a tree once; boilerplates are read once per pass.
fn read_and_plan(tree: &Tree) {
    let includes = runbook::Includes::default();
    for (path, text) in &tree.guides {
        let Ok(doc) = doc::parse_as(Arc::new(Source::new(path, text)), tree.dialect.clone()) else {
            continue;
        };
        let Ok(rb) = runbook::build(
            &doc,
            BuildOptions {
                site: tree.site.as_ref(),
                overlay: None,
                includes: Some(&includes),
            },
        ) else {
            continue;
        };
        let plan = plan::build(&rb, Default::default(), &Default::default());
        std::hint::black_box(plan.ok());
    }
}

fn bench(c: &mut Criterion) {
    let istio = tree("istio", "tests/corpus/istio/content");
    let linkerd = tree("linkerd", "tests/corpus/linkerd/linkerd.io/content/2-edge");
    let cert_manager = tree("cert-manager", "tests/corpus/cert-manager/content/docs");
    let mut large = Tree {
        name: "generated-large",
        guides: Vec::new(),
        dialect: cert_manager.dialect.clone(),
        site: None,
    };
    // Every guide of the three trees, read as plain Markdown, repeated to about 30 MB.
    let one_round: usize = [&istio, &linkerd, &cert_manager]
        .iter()
        .flat_map(|t| t.guides.iter().map(|(_, g)| g.len()))
        .sum();
    let rounds = (30 << 20) / one_round.max(1) + 1;
    for round in 0..rounds {
        for t in [&istio, &linkerd, &cert_manager] {
            for (path, text) in &t.guides {
                let name = format!("r{round}-{}", path.file_name().unwrap().to_string_lossy());
                large
                    .guides
                    .push((PathBuf::from("/generated").join(name), text.clone()));
            }
        }
    }
    let mut group = c.benchmark_group("read+plan");
    group.sample_size(10);
    for tree in [&istio, &linkerd, &cert_manager, &large] {
        let bytes: usize = tree.guides.iter().map(|(_, t)| t.len()).sum();
        eprintln!(
            "{}: {} guides, {:.1} MB, read as {}",
            tree.name,
            tree.guides.len(),
            bytes as f64 / 1e6,
            tree.dialect.dialect
        );
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(tree.name, |b| b.iter(|| read_and_plan(tree)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
