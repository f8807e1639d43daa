//! A guide and its prerequisites as one runbook: the prerequisites' steps first, in dependency
//! order, then the guide's own, so that `plan` and `run` take the chain as they take one guide
//! (one shell session: exported variables and the working directory flow on).
//!
//! Order: each guide comes after every guide it needs (a depth-first walk from the guide asked
//! for, prerequisites in the order the guide names them). A guide's prerequisite checks run as
//! checks: those of the section a prerequisite link sits in after that prerequisite's steps
//! (before-you-begin's trust check after the steps that make the `cacerts`), the others before.
//! Checks that come before any step are the run's preflight; later ones are a step of their own
//! (`<guide>/prerequisites`) that runs as native checks. A prerequisite's steps keep their
//! file and line and get its name as a prefix (`bookinfo/deploying_the_application_1`); the
//! guide's own steps keep their ids.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;

use super::graph::{Edge, Guide, Guides, Missing, Part};
use crate::error::Error;
use crate::runbook::{self, Prerequisite, Runbook, Section, Step, StepKind, Variable};

/// One guide of a chain and the part of it the chain takes.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub guide: PathBuf,
    /// The parts its dependents asked for (`whole` when one asked for all of it).
    pub parts: Vec<Part>,
    /// How many of its steps the chain takes.
    pub steps: usize,
    /// How many steps it adds to the chain's plan: the steps taken, and the step that runs
    /// its prerequisite checks when they come after other steps. Without a composed runbook
    /// (`plan` without `--with-prereqs`), the steps it would add.
    pub adds: usize,
    /// Variables its steps set that a later guide of the chain uses.
    pub sets: Vec<String>,
    /// The edges that brought it in.
    pub needed_by: Vec<Edge>,
}

impl Link {
    /// `path#part, ...` as `test --list` shows a chain.
    pub fn describe(&self) -> String {
        match self.parts_text() {
            None => self.guide.display().to_string(),
            Some(parts) => format!("{} ({parts})", self.guide.display()),
        }
    }

    /// The parts taken, `section, section`; `None` when the whole guide is.
    pub fn parts_text(&self) -> Option<String> {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(Part::describe)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// A guide's chain: the guides before it, in order, and what could not be found.
#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    pub guide: PathBuf,
    /// The prerequisites in the order they run; the guide itself is not in it.
    pub prerequisites: Vec<Link>,
    pub missing: Vec<Missing>,
    /// In the chain's runbook: how many steps come before the guide's own (its prerequisites'
    /// steps and checks), the part `test` shares between guides.
    #[serde(skip)]
    pub steps_before: usize,
}

impl Chain {
    /// The prerequisites an overlay or front matter declares with `requires:` and that are
    /// not found, one line each; a run cannot go on without them.
    pub fn declared_missing(&self) -> Option<String> {
        let declared: Vec<String> = self
            .missing
            .iter()
            .filter(|m| m.declared)
            .map(|m| m.to_string())
            .collect();
        (!declared.is_empty()).then(|| declared.join("\n"))
    }
}

/// What the walk emits, in order.
enum Piece {
    Checks(Rc<Guide>, Vec<Prerequisite>),
    Steps(Rc<Guide>),
}

/// Finds the chain of `path`: its prerequisites in dependency order. A cycle is an error
/// naming the guides in it.
pub fn chain(guides: &mut Guides, path: &Path) -> Result<Chain, Error> {
    let (order, _) = walk(guides, path)?;
    let mut missing = Vec::new();
    for p in order.iter().chain(std::iter::once(&path.to_path_buf())) {
        missing.extend(guides.edges(p).1.iter().cloned());
    }
    let mut links = Vec::new();
    for p in &order {
        let guide = guides.get(p).map_err(Error::Usage)?;
        let (parts, needed_by) = parts_of(guides, &order, path, p);
        let steps = selected_steps(&guide, &parts);
        let mut sets: Vec<String> = Vec::new();
        for e in &needed_by {
            for v in &e.variables {
                if !sets.contains(v) {
                    sets.push(v.clone());
                }
            }
        }
        links.push(Link {
            guide: p.clone(),
            parts,
            steps: steps.len(),
            adds: steps.len(),
            sets,
            needed_by,
        });
    }
    Ok(Chain {
        guide: path.to_path_buf(),
        prerequisites: links,
        missing,
        steps_before: 0,
    })
}

/// The guides `path` needs, in the order they run, and the pieces of the walk.
fn walk(guides: &mut Guides, path: &Path) -> Result<(Vec<PathBuf>, Vec<PieceRef>), Error> {
    let mut done: Vec<PathBuf> = Vec::new();
    let mut pieces = Vec::new();
    let mut stack: Vec<PathBuf> = Vec::new();
    visit(guides, path, &mut stack, &mut done, &mut pieces)?;
    done.retain(|p| p != path);
    Ok((done, pieces))
}

/// A piece of the walk before the guides are looked up again: checks of a guide's sections
/// before or after its prerequisites, or its steps.
enum PieceRef {
    EarlyChecks(PathBuf),
    LateChecks(PathBuf),
    Steps(PathBuf),
}

fn visit(
    guides: &mut Guides,
    path: &Path,
    stack: &mut Vec<PathBuf>,
    done: &mut Vec<PathBuf>,
    pieces: &mut Vec<PieceRef>,
) -> Result<(), Error> {
    if done.iter().any(|p| p == path) {
        return Ok(());
    }
    if let Some(start) = stack.iter().position(|p| p == path) {
        let mut names: Vec<String> = stack[start..]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        names.push(path.display().to_string());
        return Err(Error::Usage(format!(
            "the prerequisites form a cycle: {}\nhint: break it with `requires:` in one guide's overlay (`requires: []` drops the derived ones)",
            names.join(" -> ")
        )));
    }
    guides.get(path).map_err(Error::Usage)?;
    stack.push(path.to_path_buf());
    pieces.push(PieceRef::EarlyChecks(path.to_path_buf()));
    let edges = guides.edges(path);
    for edge in &edges.0 {
        visit(guides, &edge.to, stack, done, pieces)?;
    }
    stack.pop();
    pieces.push(PieceRef::LateChecks(path.to_path_buf()));
    pieces.push(PieceRef::Steps(path.to_path_buf()));
    done.push(path.to_path_buf());
    Ok(())
}

/// The parts of `p` that the guides of the chain ask for, and the edges that ask.
fn parts_of(
    guides: &mut Guides,
    order: &[PathBuf],
    root: &Path,
    p: &Path,
) -> (Vec<Part>, Vec<Edge>) {
    let mut parts: Vec<Part> = Vec::new();
    let mut by = Vec::new();
    for dependent in order.iter().map(PathBuf::as_path).chain([root]) {
        for e in guides.edges(dependent).0.iter().filter(|e| e.to == p) {
            if !parts.contains(&e.part) {
                parts.push(e.part.clone());
            }
            by.push(e.clone());
        }
    }
    if parts.contains(&Part::Whole) {
        parts = vec![Part::Whole];
    }
    (parts, by)
}

fn selected_steps(guide: &Guide, parts: &[Part]) -> Vec<usize> {
    let mut set: BTreeSet<usize> = BTreeSet::new();
    for part in parts {
        set.extend(guide.steps_of(part));
    }
    set.into_iter().collect()
}

/// Which of a guide's prerequisite checks wait for its prerequisites: those of the sections
/// that hold a prerequisite link, or all of them when the prerequisites are declared (a
/// declared prerequisite has no place in the text).
enum Late {
    All,
    Sections(HashSet<String>),
}

fn late_checks(guides: &mut Guides, guide: &Guide) -> Late {
    let edges = guides.edges(&guide.path);
    if edges
        .0
        .iter()
        .any(|e| e.origin == super::graph::Origin::Declared)
    {
        return Late::All;
    }
    let lines: Vec<usize> = edges.0.iter().map(|e| e.line).collect();
    Late::Sections(
        guide
            .links
            .iter()
            .filter(|l| lines.contains(&l.line) && !l.section.is_empty())
            .map(|l| l.section.clone())
            .collect(),
    )
}

/// The runbook of `path` with its prerequisites' steps and checks before its own.
pub fn runbook(guides: &mut Guides, path: &Path) -> Result<(Runbook, Chain), Error> {
    let mut chain = chain(guides, path)?;
    let (_, refs) = walk(guides, path)?;
    let root = guides.get(path).map_err(Error::Usage)?;
    let mut pieces: Vec<Piece> = Vec::new();
    for r in refs {
        let late = matches!(r, PieceRef::LateChecks(_));
        match r {
            PieceRef::EarlyChecks(p) | PieceRef::LateChecks(p) => {
                let guide = guides.get(&p).map_err(Error::Usage)?;
                let which = late_checks(guides, &guide);
                let checks: Vec<Prerequisite> = guide
                    .runbook
                    .prerequisites
                    .iter()
                    .filter(|q| {
                        let is_late = match &which {
                            Late::All => true,
                            Late::Sections(s) => s.contains(&q.section),
                        };
                        is_late == late
                    })
                    .cloned()
                    .collect();
                if !checks.is_empty() {
                    pieces.push(Piece::Checks(guide, checks));
                }
            }
            PieceRef::Steps(p) => pieces.push(Piece::Steps(guides.get(&p).map_err(Error::Usage)?)),
        }
    }

    let mut steps: Vec<Step> = Vec::new();
    let mut prerequisites: Vec<Prerequisite> = Vec::new();
    let mut vars: Vec<Variable> = Vec::new();
    let mut set_before: HashSet<String> = HashSet::new();
    let mut contexts = root.runbook.contexts.clone();
    let mut warnings = Vec::new();
    let mut sources: Vec<PathBuf> = Vec::new();
    let mut slugs: Vec<(PathBuf, String)> = Vec::new();
    let mut slug_of = |p: &Path| -> String {
        if let Some((_, s)) = slugs.iter().find(|(q, _)| q == p) {
            return s.clone();
        }
        let base = super::graph::slug(p);
        let mut s = base.clone();
        let mut n = 2;
        while slugs.iter().any(|(_, t)| t == &s) {
            s = format!("{base}-{n}");
            n += 1;
        }
        slugs.push((p.to_path_buf(), s.clone()));
        s
    };
    let mut steps_before = None;
    // The guide each step of the chain comes from, in order.
    let mut added: Vec<PathBuf> = Vec::new();
    for piece in &pieces {
        let own = match piece {
            Piece::Checks(g, _) | Piece::Steps(g) => g.path == root.path,
        };
        if own && steps_before.is_none() {
            steps_before = Some(steps.len());
        }
        match piece {
            Piece::Checks(guide, checks) => {
                let ran_before = steps.iter().any(|s| s.runs);
                if !ran_before {
                    prerequisites.extend(checks.iter().cloned());
                    continue;
                }
                let native: Vec<_> = checks.iter().flat_map(|c| c.checks.clone()).collect();
                if native.is_empty() {
                    continue;
                }
                let slug = slug_of(&guide.path);
                let first = &checks[0];
                let id = if guide.path == root.path {
                    "prerequisites".to_owned()
                } else {
                    format!("{slug}/prerequisites")
                };
                let text: Vec<&str> = checks.iter().map(|c| c.text.as_str()).collect();
                added.push(guide.path.clone());
                steps.push(Step {
                    id,
                    section: std::sync::Arc::new(Section {
                        anchor: first.section.clone(),
                        title: "prerequisites".to_owned(),
                    }),
                    file: guide.path.as_path().into(),
                    line: first.line,
                    kind: StepKind::Command,
                    syntax: "native".to_owned(),
                    commands: Vec::new(),
                    expected: None,
                    text: Some(text.join("; ")),
                    runs: true,
                    skip_reason: None,
                    tab: None,
                    alternative: false,
                    native,
                    settings: Default::default(),
                    tags: Vec::new(),
                });
            }
            Piece::Steps(guide) => {
                let is_root = guide.path == root.path;
                let indices: Vec<usize> = if is_root {
                    (0..guide.runbook.steps.len()).collect()
                } else {
                    let parts = chain
                        .prerequisites
                        .iter()
                        .find(|l| l.guide == guide.path)
                        .map(|l| l.parts.clone())
                        .unwrap_or_default();
                    selected_steps(guide, &parts)
                };
                let slug = slug_of(&guide.path);
                let taken: Vec<&Step> = indices.iter().map(|i| &guide.runbook.steps[*i]).collect();
                // Variables: the guide's own, for the root; for a prerequisite, those its taken
                // steps and checks name.
                let text: String = taken
                    .iter()
                    .flat_map(|s| s.commands.iter().map(|c| c.text.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n");
                let checks_text = format!("{:?}", guide.runbook.prerequisites);
                for var in &guide.runbook.vars {
                    let named = is_root
                        || text.contains(&format!("${}", var.name))
                        || text.contains(&format!("${{{}}}", var.name))
                        || text.contains(&format!("{}=", var.name))
                        || var
                            .placeholders
                            .iter()
                            .any(|p| text.contains(&format!("<{p}>")))
                        || checks_text.contains(&format!("${}", var.name));
                    if !named {
                        continue;
                    }
                    let mut var = var.clone();
                    if !is_root {
                        var.file = Some(guide.path.clone());
                    }
                    merge_var(&mut vars, &var, &set_before);
                }
                for s in &taken {
                    if s.runs && s.kind == StepKind::Command {
                        for c in &s.commands {
                            set_before
                                .extend(runbook::assignments(&c.text).into_iter().map(|(_, n)| n));
                        }
                    }
                    let mut step = (*s).clone();
                    if !is_root {
                        step.id = format!("{slug}/{}", step.id);
                    }
                    added.push(guide.path.clone());
                    steps.push(step);
                }
                if !is_root {
                    // A change to a prerequisite (or what it includes) changes this chain.
                    for source in std::iter::once(&guide.path)
                        .chain(&guide.runbook.overlay_path)
                        .chain(&guide.runbook.sources)
                    {
                        if !sources.contains(source) {
                            sources.push(source.clone());
                        }
                    }
                    for c in &guide.runbook.contexts {
                        if !contexts.iter().any(|k| k.name == c.name) {
                            contexts.push(c.clone());
                        }
                    }
                    warnings.extend(guide.runbook.warnings.iter().cloned());
                }
            }
        }
    }
    warnings.extend(root.runbook.warnings.iter().cloned());
    for source in &root.runbook.sources {
        if !sources.contains(source) {
            sources.push(source.clone());
        }
    }
    chain.steps_before = steps_before.unwrap_or(steps.len());
    for link in &mut chain.prerequisites {
        link.adds = added.iter().filter(|p| **p == link.guide).count();
    }
    let combined = Runbook {
        path: root.runbook.path.clone(),
        dialect: root.runbook.dialect.clone(),
        title: root.runbook.title.clone(),
        test: root.runbook.test.clone(),
        steps,
        vars,
        contexts,
        prerequisites,
        warnings,
        overlay: root.runbook.overlay.clone(),
        overlay_path: root.runbook.overlay_path.clone(),
        sources,
    };
    Ok((combined, chain))
}

/// Adds a guide's variable to the chain's: a variable an earlier step of the chain sets is
/// not asked for again, unless the reader must give it (a placeholder stands for it); one
/// already there keeps its first declaration.
fn merge_var(vars: &mut Vec<Variable>, var: &Variable, set_before: &HashSet<String>) {
    if let Some(existing) = vars.iter_mut().find(|v| v.name == var.name) {
        if existing.description.is_none() {
            existing.description = var.description.clone();
        }
        for p in &var.placeholders {
            if !existing.placeholders.contains(p) {
                existing.placeholders.push(p.clone());
            }
        }
        return;
    }
    if set_before.contains(&var.name) && var.placeholders.is_empty() {
        return;
    }
    vars.push(var.clone());
}
