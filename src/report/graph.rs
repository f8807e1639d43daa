//! `docrun graph`: the prerequisite graph of guides as Mermaid, Graphviz DOT or JSON.
//!
//! An arrow goes from a prerequisite to the guide that needs it (the order a run takes them),
//! labelled with the part it needs (`#section`, `up to step`) and the variables it sets.
//! Derived edges are solid (dashed when only a variable makes them), declared ones thick
//! (Mermaid `==>`, DOT `style=bold`). Every guide appears once, linked or not.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::chain::{Edge, Graph, Origin};

/// A guide's name in the graph: its path below the folder common to all guides, without
/// `/index.md`.
fn names(guides: &[PathBuf]) -> Vec<String> {
    let common = common_dir(guides);
    guides
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(&common).unwrap_or(p);
            let text = rel.display().to_string();
            let text = text
                .strip_suffix("/index.md")
                .or_else(|| text.strip_suffix("/_index.md"))
                .unwrap_or(&text)
                .to_owned();
            if text.is_empty() {
                p.display().to_string()
            } else {
                text
            }
        })
        .collect()
}

fn common_dir(paths: &[PathBuf]) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for p in paths {
        let dir = p.parent().unwrap_or(Path::new("")).to_path_buf();
        common = Some(match common {
            None => dir,
            Some(c) => {
                let mut out = PathBuf::new();
                for (a, b) in c.components().zip(dir.components()) {
                    if a != b {
                        break;
                    }
                    out.push(a);
                }
                out
            }
        });
    }
    common.unwrap_or_default()
}

fn label(edge: &Edge) -> String {
    let mut parts = Vec::new();
    let part = edge.part.describe();
    if !part.is_empty() {
        parts.push(part);
    }
    if !edge.variables.is_empty() {
        parts.push(format!("sets {}", edge.variables.join(", ")));
    }
    parts.join("; ")
}

fn index_of(graph: &Graph, p: &Path) -> usize {
    graph.guides.iter().position(|g| g == p).unwrap_or(0)
}

/// Mermaid's text must not carry its own syntax: quotes become `#quot;`.
fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// A Mermaid flowchart.
pub fn mermaid(graph: &Graph) -> String {
    let names = names(&graph.guides);
    let mut out = String::from(
        "flowchart LR\n    %% prerequisite --> guide that needs it; --> derived from a link, -.-> from a variable, ==> declared (requires:)\n",
    );
    for (i, name) in names.iter().enumerate() {
        out.push_str(&format!("    g{i}[\"{}\"]\n", mermaid_text(name)));
    }
    for e in &graph.edges {
        let from = index_of(graph, &e.to);
        let to = index_of(graph, &e.from);
        let arrow = match e.origin {
            Origin::Declared => "==>",
            Origin::Variable => "-.->",
            _ => "-->",
        };
        let text = label(e);
        if text.is_empty() {
            out.push_str(&format!("    g{from} {arrow} g{to}\n"));
        } else {
            out.push_str(&format!(
                "    g{from} {arrow}|\"{}\"| g{to}\n",
                mermaid_text(&text)
            ));
        }
    }
    out
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A Graphviz digraph.
pub fn dot(graph: &Graph) -> String {
    let names = names(&graph.guides);
    let mut out = String::from(
        "// prerequisite -> guide that needs it; solid: derived from a link, dashed: from a variable, bold: declared (requires:)\ndigraph prerequisites {\n    rankdir=LR;\n    node [shape=box, fontname=\"sans-serif\"];\n    edge [fontname=\"sans-serif\", fontsize=10];\n",
    );
    for (i, name) in names.iter().enumerate() {
        out.push_str(&format!("    g{i} [label=\"{}\"];\n", dot_text(name)));
    }
    for e in &graph.edges {
        let from = index_of(graph, &e.to);
        let to = index_of(graph, &e.from);
        let style = match e.origin {
            Origin::Declared => "bold",
            Origin::Variable => "dashed",
            _ => "solid",
        };
        out.push_str(&format!(
            "    g{from} -> g{to} [label=\"{}\", style={style}, kind={}];\n",
            dot_text(&label(e)),
            e.origin.kind()
        ));
    }
    out.push_str("}\n");
    out
}

#[derive(Serialize)]
struct JsonGraph<'a> {
    schema: &'static str,
    guides: Vec<JsonGuide<'a>>,
    edges: Vec<JsonEdge<'a>>,
    missing: &'a [crate::chain::Missing],
}

#[derive(Serialize)]
struct JsonGuide<'a> {
    id: String,
    name: String,
    path: &'a Path,
}

#[derive(Serialize)]
struct JsonEdge<'a> {
    /// The id of the guide that runs first.
    prerequisite: String,
    /// The id of the guide that needs it.
    dependent: String,
    /// `derived` or `declared`.
    kind: &'static str,
    origin: Origin,
    #[serde(flatten)]
    part: &'a crate::chain::Part,
    /// The line of the dependent that makes the edge.
    line: usize,
    variables: &'a [String],
}

/// JSON: `{"schema": "docrun.graph/v1", "guides": [...], "edges": [...], "missing": [...]}`.
pub fn json(graph: &Graph) -> String {
    let names = names(&graph.guides);
    let doc = JsonGraph {
        schema: "docrun.graph/v1",
        guides: graph
            .guides
            .iter()
            .zip(names)
            .enumerate()
            .map(|(i, (path, name))| JsonGuide {
                id: format!("g{i}"),
                name,
                path,
            })
            .collect(),
        edges: graph
            .edges
            .iter()
            .map(|e| JsonEdge {
                prerequisite: format!("g{}", index_of(graph, &e.to)),
                dependent: format!("g{}", index_of(graph, &e.from)),
                kind: e.origin.kind(),
                origin: e.origin,
                part: &e.part,
                line: e.line,
                variables: &e.variables,
            })
            .collect(),
        missing: &graph.missing,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// What `plan` says of a guide's chain: the prerequisites in the order they run, what each
/// is needed for and which variables it sets; with `--with-prereqs` their steps are in the
/// plan above, without it they are only listed. Prerequisites not found are warnings.
pub fn chain_text(
    chain: &crate::chain::Chain,
    with: bool,
    show: &dyn Fn(&Path) -> String,
) -> String {
    if chain.prerequisites.is_empty() && chain.missing.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    out.push_str(if with {
        "\nprerequisite guides (their steps come first above, in this order):\n"
    } else {
        "\nprerequisite guides (not in this plan; --with-prereqs puts their steps first):\n"
    });
    for link in &chain.prerequisites {
        let part = link
            .parts_text()
            .unwrap_or_else(|| "whole guide".to_owned());
        out.push_str(&format!(
            "  {}  ({part}; {} step{})\n",
            show(&link.guide),
            link.steps,
            if link.steps == 1 { "" } else { "s" }
        ));
        for e in &link.needed_by {
            let how = match e.origin {
                Origin::Prerequisites => "prerequisite link",
                Origin::Follow => "\"follow\" link",
                Origin::Variable => "variable",
                Origin::Declared => "requires:",
            };
            out.push_str(&format!(
                "      needed by {}:{} ({how}, {})\n",
                show(&e.from),
                e.line,
                e.origin.kind()
            ));
        }
        if !link.sets.is_empty() {
            out.push_str(&format!("      sets {}\n", link.sets.join(", ")));
        }
    }
    for m in &chain.missing {
        out.push_str(&format!("  warning: {m}\n"));
    }
    out
}

/// A note for a guide run alone whose missing variables a prerequisite would set: which
/// guide sets which, and that `--with-prereqs` runs it first.
pub fn missing_note(chain: &crate::chain::Chain, missing: &[String]) -> Option<String> {
    let mut lines = Vec::new();
    for link in &chain.prerequisites {
        let sets: Vec<&str> = link
            .sets
            .iter()
            .filter(|v| missing.contains(v))
            .map(String::as_str)
            .collect();
        if !sets.is_empty() {
            lines.push(format!(
                "note: {} sets {}; --with-prereqs runs it first",
                link.guide.display(),
                sets.join(", ")
            ));
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}
