//! The prerequisite edges of guides: derived from their links and variables, or declared with
//! `requires:`, between guides read once each.
//!
//! An edge goes from a guide to a prerequisite and says which part of the prerequisite is
//! needed ([`Part`]): the whole guide, one section (with its subsections), or the guide up to
//! one step. Derived edges only lead to a part that contributes something (a step a run takes,
//! a check, or prerequisites of its own), and, from a guide that asks for no values, never to
//! a part that (with its own chain) asks for some: a guide that runs alone keeps running with
//! `--with-prereqs`, and the edge not taken is a [`Missing`] that says why. Declared ones are
//! taken as written.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;

use super::links::{self, Link, LinkRole};
use super::resolve::{self, Target};
use crate::doc::Item;
use crate::error::Error;
use crate::front::Reader;
use crate::runbook::{self, effective_anchor, Runbook};

/// Which part of a prerequisite guide a dependent needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "part", content = "at", rename_all = "kebab-case")]
pub enum Part {
    /// Every step a run takes, except its cleanup.
    Whole,
    /// One section (and its subsections), with the earlier steps that set what it uses.
    Section(String),
    /// The guide up to and including one step.
    UpTo(String),
}

impl Part {
    /// `#anchor`, `up to step_id`, or empty for the whole guide.
    pub fn describe(&self) -> String {
        match self {
            Part::Whole => String::new(),
            Part::Section(a) => format!("#{a}"),
            Part::UpTo(id) => format!("up to {id}"),
        }
    }
}

/// Where an edge comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A link in a prerequisite section, or whose text names one.
    Prerequisites,
    /// A link in a sentence that says to follow it.
    Follow,
    /// A link to a guide that exports a variable the dependent uses without defining.
    Variable,
    /// `requires:` in the overlay or the front matter's `runbook:`.
    Declared,
}

impl Origin {
    /// `derived` or `declared`: how `graph` tells edges apart.
    pub fn kind(self) -> &'static str {
        match self {
            Origin::Declared => "declared",
            _ => "derived",
        }
    }
}

/// A guide needs (part of) another first.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    /// The dependent guide.
    pub from: PathBuf,
    /// The prerequisite guide.
    pub to: PathBuf,
    #[serde(flatten)]
    pub part: Part,
    pub origin: Origin,
    /// The line of the link or of `requires:` in the dependent.
    pub line: usize,
    /// Variables the dependent uses that the prerequisite's part sets.
    pub variables: Vec<String>,
}

/// A prerequisite that could not be found.
#[derive(Debug, Clone, Serialize)]
pub struct Missing {
    pub from: PathBuf,
    pub line: usize,
    pub target: String,
    pub declared: bool,
    pub reason: String,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: prerequisite `{}` {}",
            self.from.display(),
            self.line,
            self.target,
            self.reason
        )
    }
}

/// A guide read for chains: its runbook, its links and its sections.
#[derive(Debug)]
pub struct Guide {
    pub path: PathBuf,
    pub runbook: Runbook,
    pub links: Vec<Link>,
    /// Headings in order: level and anchor.
    headings: Vec<(u8, String)>,
}

impl Guide {
    /// The name a chain gives the guide's steps: its folder for `index.md`, else its file name
    /// without the language and `.md`.
    pub fn slug(&self) -> String {
        slug(&self.path)
    }

    /// The indices of the steps a run takes in `part`: commands selected by default, not in a
    /// cleanup section. For a section, earlier steps that set a variable the section's steps use
    /// come too.
    pub fn steps_of(&self, part: &Part) -> Vec<usize> {
        let runs = |i: &usize| {
            let s = &self.runbook.steps[*i];
            s.runs && s.kind.is_executed() && !self.is_cleanup(s)
        };
        let all = 0..self.runbook.steps.len();
        match part {
            Part::Whole => all.filter(runs).collect(),
            Part::UpTo(id) => {
                let end = self
                    .runbook
                    .steps
                    .iter()
                    .position(|s| &s.id == id)
                    .unwrap_or(0);
                (0..=end).filter(runs).collect()
            }
            Part::Section(anchor) => {
                let anchors = self.section_anchors(anchor);
                let own: Vec<usize> = all
                    .clone()
                    .filter(runs)
                    .filter(|i| anchors.contains(&self.runbook.steps[*i].section.anchor))
                    .collect();
                let Some(&first) = own.first() else {
                    return own;
                };
                let used: BTreeSet<String> = own.iter().flat_map(|i| self.uses(*i)).collect();
                let mut picked: Vec<usize> = (0..first)
                    .filter(runs)
                    .filter(|i| self.sets(*i).iter().any(|v| used.contains(v)))
                    .collect();
                picked.extend(own);
                picked
            }
        }
    }

    /// Whether the guide has a section of this anchor.
    pub fn has_section(&self, anchor: &str) -> bool {
        self.headings.iter().any(|(_, a)| a == anchor)
    }

    /// The anchor and those of the headings under it.
    fn section_anchors(&self, anchor: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let Some(start) = self.headings.iter().position(|(_, a)| a == anchor) else {
            return out;
        };
        let level = self.headings[start].0;
        out.insert(anchor.to_owned());
        for (l, a) in &self.headings[start + 1..] {
            if *l <= level {
                break;
            }
            out.insert(a.clone());
        }
        out
    }

    fn is_cleanup(&self, step: &runbook::Step) -> bool {
        let anchor = step.section.anchor.to_lowercase();
        anchor.starts_with("clean")
            || self
                .runbook
                .overlay
                .cleanup
                .iter()
                .any(|c| c == &step.id || c == &step.section.anchor)
    }

    /// The variables a step sets.
    pub fn sets(&self, index: usize) -> Vec<String> {
        self.runbook.steps[index]
            .commands
            .iter()
            .flat_map(|c| runbook::assignments(&c.text))
            .map(|(_, name)| name)
            .collect()
    }

    /// The variables a step refers to.
    pub fn uses(&self, index: usize) -> Vec<String> {
        self.runbook.steps[index]
            .commands
            .iter()
            .flat_map(|c| runbook::subst::scan(&c.text))
            .filter_map(|o| match o.found {
                runbook::subst::Found::VarRef(name) => Some(name),
                _ => None,
            })
            .collect()
    }

    /// Variables the guide's runnable steps use that neither it nor its reader defines: what
    /// an earlier guide must have set.
    pub fn needs(&self) -> Vec<String> {
        self.runbook
            .vars
            .iter()
            .filter(|v| {
                v.declared_by
                    .iter()
                    .all(|d| *d == crate::runbook::DeclaredBy::Reference)
            })
            .map(|v| v.name.clone())
            .collect()
    }

    /// The values a person must give for the steps at `indices`: required variables without
    /// a default that those steps name (`$NAME`, `${NAME}` or one of their `<placeholders>`),
    /// in the guide's order. The environment is not looked at: this is what the guide asks
    /// for, not what a run happens to have.
    pub fn asks_in(&self, indices: &[usize]) -> Vec<String> {
        let text: String = indices
            .iter()
            .flat_map(|i| self.runbook.steps[*i].commands.iter())
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        self.runbook
            .vars
            .iter()
            .filter(|v| v.required && v.default.is_none())
            .filter(|v| {
                text.contains(&format!("${}", v.name))
                    || text.contains(&format!("${{{}}}", v.name))
                    || v.placeholders
                        .iter()
                        .any(|p| text.contains(&format!("<{p}>")))
            })
            .map(|v| v.name.clone())
            .collect()
    }

    /// The values a person must give to run the guide alone: those its runnable steps ask
    /// for (cleanup included).
    pub fn asks_alone(&self) -> Vec<String> {
        let all: Vec<usize> = (0..self.runbook.steps.len())
            .filter(|i| {
                let s = &self.runbook.steps[*i];
                s.runs && s.kind.is_executed()
            })
            .collect();
        self.asks_in(&all)
    }

    /// Whether taking `part` of this guide does anything: a step, a check, or prerequisites of
    /// its own (edges are passed in, as they need the other guides).
    fn contributes(&self, part: &Part, has_edges: bool) -> bool {
        !self.steps_of(part).is_empty()
            || self
                .runbook
                .prerequisites
                .iter()
                .any(|p| !p.checks.is_empty())
            || has_edges
    }
}

/// `bookinfo` for `.../bookinfo/index.md`, `before-you-begin` for `before-you-begin.zh.md`.
pub fn slug(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("guide");
    let stem = name.trim_end_matches(".md");
    let stem = match stem.rsplit_once('.') {
        Some((base, lang)) if lang.len() <= 5 && !lang.contains('/') => base,
        _ => stem,
    };
    if stem == "index" || stem == "_index" {
        if let Some(dir) = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
        {
            return dir.to_owned();
        }
    }
    stem.to_owned()
}

pub use crate::front::ReadOptions;

/// A guide's edges to its prerequisites, and the prerequisites not found.
pub type Found = (Vec<Edge>, Vec<Missing>);

/// Guides read once each, with their edges computed once each.
pub struct Guides {
    reader: Reader,
    read: HashMap<PathBuf, Result<Rc<Guide>, String>>,
    edges: HashMap<PathBuf, Rc<Found>>,
}

impl Guides {
    pub fn new(options: ReadOptions) -> Result<Guides, Error> {
        Ok(Guides {
            reader: Reader::new(&options)?,
            read: HashMap::new(),
            edges: HashMap::new(),
        })
    }

    /// The guide at `path`, read and built once; the error as text when it does not read.
    pub fn get(&mut self, path: &Path) -> Result<Rc<Guide>, String> {
        if let Some(found) = self.read.get(path) {
            return found.clone();
        }
        let result = self.load(path).map(Rc::new).map_err(|e| e.to_string());
        self.read.insert(path.to_path_buf(), result.clone());
        result
    }

    /// The guide at `path`, read and built once, as [`Guides::get`]; but the first reading's
    /// error is returned as it is (a [`SourceError`](crate::error::SourceError) keeps its
    /// file:line and hint), for the caller whose own guide it is. A guide that failed before is
    /// that failure's text.
    pub fn read(&mut self, path: &Path) -> Result<Rc<Guide>, Error> {
        if let Some(found) = self.read.get(path) {
            return found.clone().map_err(Error::Usage);
        }
        match self.load(path) {
            Ok(guide) => {
                let guide = Rc::new(guide);
                self.read.insert(path.to_path_buf(), Ok(guide.clone()));
                Ok(guide)
            }
            Err(e) => {
                self.read.insert(path.to_path_buf(), Err(e.to_string()));
                Err(e)
            }
        }
    }

    /// The runbook of the guide at `path`, taken out of the set once its chain is known: the
    /// caller plans the guide from it instead of building it again. The runbook is the one
    /// [`front::Reader::load`](crate::front::Reader::load) builds (same reader, same options);
    /// it is moved out when nothing else holds the guide, else cloned. `None` when the guide was
    /// not read or did not read. The guide leaves the set: asked for again, it is read again.
    pub fn take_runbook(&mut self, path: &Path) -> Option<Runbook> {
        let guide = self.read.remove(path)?.ok()?;
        Some(match Rc::try_unwrap(guide) {
            Ok(guide) => guide.runbook,
            Err(shared) => shared.runbook.clone(),
        })
    }

    fn load(&mut self, path: &Path) -> Result<Guide, Error> {
        let (doc, runbook) = self.reader.load(path)?;
        Ok(Guide {
            path: path.to_path_buf(),
            links: links::extract(&doc),
            headings: doc
                .items
                .iter()
                .filter_map(|i| match i {
                    Item::Heading(h) => Some((h.level, effective_anchor(h))),
                    _ => None,
                })
                .collect(),
            runbook,
        })
    }

    /// The edges from `path` to its prerequisites, and the prerequisites not found.
    pub fn edges(&mut self, path: &Path) -> Rc<Found> {
        if let Some(found) = self.edges.get(path) {
            return found.clone();
        }
        // Guard against a cycle while computing: a guide being computed has no edges yet.
        self.edges
            .insert(path.to_path_buf(), Rc::new((Vec::new(), Vec::new())));
        let computed = Rc::new(match self.get(path) {
            Ok(guide) => self.compute_edges(&guide),
            Err(_) => (Vec::new(), Vec::new()),
        });
        self.edges.insert(path.to_path_buf(), computed.clone());
        computed
    }

    fn compute_edges(&mut self, guide: &Guide) -> (Vec<Edge>, Vec<Missing>) {
        let mut edges: Vec<Edge> = Vec::new();
        let mut missing = Vec::new();
        if let Some(requires) = guide.runbook.overlay.requires.clone() {
            let line = requires_line(guide);
            for entry in requires {
                match self.declared(guide, &entry) {
                    Ok(edge) => edges.push(edge),
                    Err(reason) => missing.push(Missing {
                        from: guide.path.clone(),
                        line,
                        target: entry,
                        declared: true,
                        reason,
                    }),
                }
            }
            return (edges, missing);
        }

        // A guide that asks for no values does not follow a derived prerequisite that does.
        let asks_alone = !guide.asks_alone().is_empty();
        for link in &guide.links {
            let origin = match link.role {
                LinkRole::Prerequisites => Origin::Prerequisites,
                LinkRole::Follow => Origin::Follow,
                LinkRole::Other => continue,
            };
            let Some(found) = resolve::resolve(&guide.path, &link.target) else {
                if origin == Origin::Prerequisites
                    && matches!(resolve::parse_target(&link.target), Target::Page { .. })
                {
                    missing.push(Missing {
                        from: guide.path.clone(),
                        line: link.line,
                        target: link.target.clone(),
                        declared: false,
                        reason: "names no guide in this tree; not followed".to_owned(),
                    });
                }
                continue;
            };
            let target = match self.get(&found.path) {
                Ok(t) => t,
                Err(e) => {
                    missing.push(Missing {
                        from: guide.path.clone(),
                        line: link.line,
                        target: link.target.clone(),
                        declared: false,
                        reason: format!("leads to a guide that cannot be read: {e}"),
                    });
                    continue;
                }
            };
            let part = match &found.anchor {
                Some(a) if target.has_section(a) => Part::Section(a.clone()),
                _ => Part::Whole,
            };
            // A section is needed for its steps; a whole guide also for its checks and its own
            // prerequisites.
            let contributes = match &part {
                Part::Whole => {
                    let has_edges = !self.edges(&found.path).0.is_empty();
                    target.contributes(&part, has_edges)
                }
                _ => !target.steps_of(&part).is_empty(),
            };
            if !contributes {
                continue;
            }
            if let Some(reason) = self.asks_too_much(asks_alone, &found.path, &part) {
                missing.push(Missing {
                    from: guide.path.clone(),
                    line: link.line,
                    target: link.target.clone(),
                    declared: false,
                    reason,
                });
                continue;
            }
            add_edge(
                &mut edges,
                Edge {
                    from: guide.path.clone(),
                    to: found.path,
                    part,
                    origin,
                    line: link.line,
                    variables: Vec::new(),
                },
            );
        }

        // Variables: a guide that uses `$V` without defining it needs the guide it links to that
        // sets V, up to the step that does.
        for name in guide.needs() {
            let mut done = false;
            // An edge already taken that sets it.
            for edge in edges.iter_mut() {
                if let Ok(target) = self.get(&edge.to) {
                    if target
                        .steps_of(&edge.part)
                        .iter()
                        .any(|i| target.sets(*i).contains(&name))
                    {
                        edge.variables.push(name.clone());
                        done = true;
                        break;
                    }
                }
            }
            if done {
                continue;
            }
            for link in &guide.links {
                let Some(found) = resolve::resolve(&guide.path, &link.target) else {
                    continue;
                };
                let Ok(target) = self.get(&found.path) else {
                    continue;
                };
                let setter = target
                    .steps_of(&Part::Whole)
                    .into_iter()
                    .find(|i| target.sets(*i).contains(&name));
                if let Some(i) = setter {
                    let part = Part::UpTo(target.runbook.steps[i].id.clone());
                    if let Some(reason) = self.asks_too_much(asks_alone, &found.path, &part) {
                        missing.push(Missing {
                            from: guide.path.clone(),
                            line: link.line,
                            target: link.target.clone(),
                            declared: false,
                            reason,
                        });
                        break;
                    }
                    add_edge(
                        &mut edges,
                        Edge {
                            from: guide.path.clone(),
                            to: found.path,
                            part,
                            origin: Origin::Variable,
                            line: link.line,
                            variables: vec![name.clone()],
                        },
                    );
                    break;
                }
            }
        }
        (edges, missing)
    }

    /// The values a person must give to take `part` of the guide at `path` with everything
    /// it brings along: its steps' and those of every prerequisite its own edges lead to.
    /// A variable some step of that chain sets is not asked for, unless a placeholder stands
    /// for it (the reader fills that in whatever ran before, as the chain's runbook does).
    fn asks_with_chain(&mut self, path: &Path, part: &Part) -> BTreeSet<String> {
        let mut asked: BTreeSet<(String, bool)> = BTreeSet::new();
        let mut set: BTreeSet<String> = BTreeSet::new();
        let mut seen: Vec<PathBuf> = Vec::new();
        let mut todo: Vec<(PathBuf, Part)> = vec![(path.to_path_buf(), part.clone())];
        while let Some((p, part)) = todo.pop() {
            let Ok(guide) = self.get(&p) else {
                continue;
            };
            let steps = guide.steps_of(&part);
            asked.extend(guide.asks_in(&steps).into_iter().map(|name| {
                let placeholder = guide
                    .runbook
                    .vars
                    .iter()
                    .any(|v| v.name == name && !v.placeholders.is_empty());
                (name, placeholder)
            }));
            set.extend(steps.iter().flat_map(|i| guide.sets(*i)));
            if seen.contains(&p) {
                continue;
            }
            seen.push(p.clone());
            for e in &self.edges(&p).0 {
                todo.push((e.to.clone(), e.part.clone()));
            }
        }
        asked
            .into_iter()
            .filter(|(name, placeholder)| *placeholder || !set.contains(name))
            .map(|(name, _)| name)
            .collect()
    }

    /// Why a derived edge from a guide that asks for no values is not followed: the part it
    /// leads to (with its own chain) asks for values a person gives, so following it would
    /// turn a guide that runs alone into one that is skipped. `None` when it is followed.
    fn asks_too_much(&mut self, asks_alone: bool, path: &Path, part: &Part) -> Option<String> {
        if asks_alone {
            return None;
        }
        let asked = self.asks_with_chain(path, part);
        (!asked.is_empty()).then(|| {
            let names: Vec<&str> = asked.iter().map(String::as_str).collect();
            format!(
                "asks for values a person gives ({}) and this guide asks for none; not followed \
                 (hint: `requires:` in the guide's overlay follows it anyway)",
                names.join(", ")
            )
        })
    }

    /// A `requires:` entry: a path (relative to the guide, or site-absolute) and maybe
    /// `#anchor` or `#step_id`.
    fn declared(&mut self, guide: &Guide, entry: &str) -> Result<Edge, String> {
        let (path, fragment) = match entry.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (entry, None),
        };
        let beside = guide.path.parent().unwrap_or(Path::new("")).join(path);
        let to = if !path.is_empty() && beside.is_file() {
            beside
        } else {
            resolve::resolve(&guide.path, path)
                .map(|r| r.path)
                .ok_or_else(|| "names no guide: no such file, and no page of the site".to_owned())?
        };
        let target = self.get(&to).map_err(|e| format!("cannot be read: {e}"))?;
        let part = match fragment {
            None | Some("") => Part::Whole,
            Some(f) if target.has_section(f) => Part::Section(f.to_owned()),
            Some(f) if target.runbook.step(f).is_some() => Part::UpTo(f.to_owned()),
            Some(f) => {
                return Err(format!(
                    "names `#{f}`, which is neither a section nor a step of {}{}",
                    to.display(),
                    runbook::did_you_mean(
                        f,
                        target
                            .headings
                            .iter()
                            .map(|(_, a)| a.as_str())
                            .chain(target.runbook.steps.iter().map(|s| s.id.as_str()))
                    )
                ))
            }
        };
        Ok(Edge {
            from: guide.path.clone(),
            to,
            part,
            origin: Origin::Declared,
            line: requires_line(guide),
            variables: Vec::new(),
        })
    }
}

/// The line of `requires:` in the overlay file, else in the guide's front matter (1 when it
/// cannot be found).
fn requires_line(guide: &Guide) -> usize {
    let find = |path: &Path| {
        std::fs::read_to_string(path).ok().and_then(|text| {
            text.lines()
                .position(|l| l.trim_start().starts_with("requires:"))
                .map(|i| i + 1)
        })
    };
    guide
        .runbook
        .overlay_path
        .as_deref()
        .and_then(find)
        .or_else(|| find(&guide.path))
        .unwrap_or(1)
}

/// Adds an edge unless one to the same part of the same guide, or to all of it, is there; an
/// edge to a whole guide takes the place of those to its parts.
fn add_edge(edges: &mut Vec<Edge>, mut edge: Edge) {
    if edges
        .iter()
        .any(|e| e.to == edge.to && (e.part == edge.part || e.part == Part::Whole))
    {
        return;
    }
    if edge.part == Part::Whole {
        let (parts, rest): (Vec<Edge>, Vec<Edge>) = edges.drain(..).partition(|e| e.to == edge.to);
        *edges = rest;
        for v in parts.into_iter().flat_map(|e| e.variables) {
            if !edge.variables.contains(&v) {
                edge.variables.push(v);
            }
        }
    }
    edges.push(edge);
}

/// The whole graph of the guides under some paths, for `docrun graph`.
#[derive(Debug, Serialize)]
pub struct Graph {
    /// Every guide: those under the paths, and prerequisites they lead to outside them.
    pub guides: Vec<PathBuf>,
    pub edges: Vec<Edge>,
    pub missing: Vec<Missing>,
    /// Guides that do not read, with the error: left out of the graph.
    #[serde(skip)]
    pub unreadable: Vec<String>,
}

/// Reads every guide under `paths` and derives its edges.
pub fn build(paths: &[PathBuf], options: ReadOptions) -> Result<Graph, Error> {
    let (files, errors) = crate::tree::guides(paths);
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    let mut guides = Guides::new(options)?;
    let mut all: Vec<PathBuf> = Vec::new();
    let mut edges = Vec::new();
    let mut missing = Vec::new();
    let mut unreadable = Vec::new();
    for file in &files {
        if let Err(e) = guides.get(file) {
            unreadable.push(e);
            continue;
        }
        let found = guides.edges(file);
        all.push(file.clone());
        edges.extend(found.0.iter().cloned());
        missing.extend(found.1.iter().cloned());
    }
    for e in &edges {
        if !all.contains(&e.to) {
            all.push(e.to.clone());
        }
    }
    Ok(Graph {
        guides: all,
        edges,
        missing,
        unreadable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guides written into a temporary folder, read through [`Guides`].
    fn guides(files: &[(&str, &str)]) -> (tempfile::TempDir, Guides) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        (dir, Guides::new(ReadOptions::default()).unwrap())
    }

    const SETUP: &str = "---\ntitle: setup\n---\n## Install {#install}\n\n```bash\nexport A=1\n```\n\n```bash\necho install\n```\n\n## Expose {#expose}\n\n### Port {#port}\n\n```bash\nexport URL=\"$A:80\"\n```\n\n## Cleanup {#cleanup}\n\n```bash\necho clean\n```\n";

    fn ids(guide: &Guide, part: &Part) -> Vec<String> {
        guide
            .steps_of(part)
            .into_iter()
            .map(|i| guide.runbook.steps[i].id.clone())
            .collect()
    }

    #[test]
    fn the_runbook_handed_back_after_the_chain_is_the_guides_own() {
        let guide_text = "# App\n\n## Before you begin\n\nFollow [setup](setup.md).\n\n## Run {#run}\n\n```bash\necho $URL\n```\n";
        let (dir, mut g) = guides(&[("setup.md", SETUP), ("app.md", guide_text)]);
        let path = dir.path().join("app.md");
        g.read(&path).unwrap();
        let chain = crate::chain::chain(&mut g, &path).unwrap();
        assert_eq!(chain.prerequisites.len(), 1);
        let runbook = g.take_runbook(&path).unwrap();
        let (_, alone) = Reader::new(&ReadOptions::default())
            .unwrap()
            .load(&path)
            .unwrap();
        let step_ids = |r: &Runbook| r.steps.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(step_ids(&runbook), step_ids(&alone));
        assert_eq!(step_ids(&runbook), ["run_1"]);
        // Taken out, the guide is read again when asked for.
        assert!(g.take_runbook(&path).is_none());
        assert!(g.get(&path).is_ok());
    }

    #[test]
    fn a_guide_that_does_not_read_keeps_its_line_for_its_reader() {
        let (dir, mut g) = guides(&[("bad.md", "# Bad\n\n{{< text bash >}}\n$ ls\n")]);
        let path = dir.path().join("bad.md");
        match g.read(&path) {
            Err(Error::Source(e)) => assert_eq!(e.line_col().0, 3),
            other => panic!("not a located error: {other:?}"),
        }
        assert!(g.take_runbook(&path).is_none());
    }

    #[test]
    fn parts_take_a_section_with_its_subsections_and_what_it_uses_and_never_the_cleanup() {
        let (dir, mut g) = guides(&[("setup.md", SETUP)]);
        let setup = g.get(&dir.path().join("setup.md")).unwrap();
        assert_eq!(
            ids(&setup, &Part::Whole),
            ["install_1", "install_2", "port_1"]
        );
        // `port` uses $A, which install_1 sets: it comes too; install_2 does not.
        assert_eq!(
            ids(&setup, &Part::Section("expose".into())),
            ["install_1", "port_1"]
        );
        assert_eq!(
            ids(&setup, &Part::UpTo("install_2".into())),
            ["install_1", "install_2"]
        );
        assert_eq!(slug(&dir.path().join("setup.md")), "setup");
        assert_eq!(slug(Path::new("a/bookinfo/index.md")), "bookinfo");
        assert_eq!(
            slug(Path::new("a/before-you-begin.zh.md")),
            "before-you-begin"
        );
    }

    #[test]
    fn requires_names_a_guide_a_section_or_a_step_and_says_what_it_cannot_find() {
        let user = "---\ntitle: user\nrunbook:\n  requires: [setup.md#expose, setup.md#install_2, setup.md#exposs, gone.md]\n---\n## Use {#use}\n\n```bash\necho \"$URL\"\n```\n";
        let (dir, mut g) = guides(&[("setup.md", SETUP), ("user.md", user)]);
        let found = g.edges(&dir.path().join("user.md"));
        let parts: Vec<(&Part, Origin, usize)> = found
            .0
            .iter()
            .map(|e| (&e.part, e.origin, e.line))
            .collect();
        assert_eq!(
            parts,
            [
                (&Part::Section("expose".into()), Origin::Declared, 4),
                (&Part::UpTo("install_2".into()), Origin::Declared, 4)
            ]
        );
        let missing: Vec<String> = found.1.iter().map(|m| m.reason.clone()).collect();
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(
            missing[0].contains("neither a section nor a step")
                && missing[0].contains("did you mean `expose`"),
            "{missing:?}"
        );
        assert!(missing[1].contains("names no guide"), "{missing:?}");
        assert!(found.1.iter().all(|m| m.declared));
    }

    #[test]
    fn a_variable_used_and_not_defined_leads_to_the_linked_guide_that_exports_it() {
        let user = "---\ntitle: user\n---\nThe address is in `$URL`, see [setup](setup.md).\n\n## Use {#use}\n\n```bash\ncurl \"$URL\"\n```\n";
        let (dir, mut g) = guides(&[("setup.md", SETUP), ("user.md", user)]);
        let found = g.edges(&dir.path().join("user.md"));
        assert_eq!(found.0.len(), 1, "{:?}", found.0);
        let e = &found.0[0];
        assert_eq!(e.origin, Origin::Variable);
        assert_eq!(e.part, Part::UpTo("port_1".into()));
        assert_eq!(e.variables, ["URL"]);
        assert_eq!(e.line, 4);
    }
}
