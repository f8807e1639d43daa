//! PR scope (`docrun test --changed-since REF`): the guides a change touches, and why each.
//!
//! The change is what git sees between `REF` and the work tree: committed, staged and unstaged
//! changes to tracked files (`git diff --name-status -M REF`), and untracked files that are not
//! ignored. A guide is selected when one of these changed:
//! - its own file (also when it was renamed to where it is);
//! - a file that went into its plan: its overlay, an included boilerplate, Hugo include or
//!   MkDocs snippet, a file a block names ([`Candidate::sources`]);
//! - its site data (`data/`, `variables.json`, `mkdocs.yml`), when the guide or what it
//!   includes uses a value the site data renders (a shortcode, `[[VAR::x]]`, a macro);
//! - the tree's `docrun.yaml`, which every guide reads.
//!
//! A guide that was deleted, or renamed away, under the tested paths is reported, not an error.
//!
//! The tested files are a stranger's: git runs hardened (no fsmonitor, hooks, system config,
//! `GIT_*` variables of docrun's environment, or bare repository it was not pointed at), and
//! only on the repository whose work tree holds the tested path.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Error;
use crate::site::SiteData;
use crate::suite::Candidate;

/// How long one git command may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(60);

/// What changed between a reference and the work tree, by absolute path.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub reference: String,
    /// The repository's top folder.
    pub root: PathBuf,
    /// Changed or added files (renamed ones at their new path), with how.
    pub changed: BTreeMap<PathBuf, String>,
    /// Deleted files.
    pub deleted: Vec<PathBuf>,
    /// Renamed files: (from, to).
    pub renamed: Vec<(PathBuf, PathBuf)>,
}

/// The settings every git command runs with, whatever the repository's or the tested tree's
/// files say. The tested tree is a stranger's (a pull request), so git must not run anything
/// it names, nor take a repository from it that docrun was not pointed at:
/// - `core.fsmonitor=false`: no fsmonitor hook or daemon (a command git runs on reading the
///   index);
/// - `safe.bareRepository=explicit`: a bare repository committed inside the tree (its own
///   `HEAD`, `config`, `objects/`, `refs/`) is refused instead of used with its config;
/// - `core.hooksPath=/dev/null`: no hooks (none of the commands below runs one today);
/// - `core.quotePath=false`: paths as they are (docrun reads them with `-z` anyway).
///
/// Network transports stay allowed: a partial clone fetches the blobs a diff needs from the
/// remote of the repository's own config, which the tree cannot change.
const GIT_SETTINGS: [&str; 4] = [
    "core.fsmonitor=false",
    "safe.bareRepository=explicit",
    "core.hooksPath=/dev/null",
    "core.quotePath=false",
];

/// Variables of docrun's environment that git keeps. Every other `GIT_*` variable (`GIT_DIR`,
/// `GIT_WORK_TREE`, `GIT_CEILING_DIRECTORIES`, `GIT_INDEX_FILE`, `GIT_CONFIG_PARAMETERS`,
/// `GIT_EXTERNAL_DIFF`, ...) is removed, so that the repository and its settings are the
/// tested path's. The user's global config is kept (`GIT_CONFIG_GLOBAL` names it when set): it
/// is the machine's, not the tree's, and it holds what CI needs, such as the `safe.directory`
/// that `actions/checkout` adds for a checkout owned by another user.
const GIT_ENV_KEPT: [&str; 2] = ["GIT_CONFIG_GLOBAL", "GIT_EXEC_PATH"];

/// `git` with [`GIT_SETTINGS`] and a scrubbed environment ([`GIT_ENV_KEPT`]), run in `dir`:
/// no system config (`GIT_CONFIG_NOSYSTEM`), never a prompt for credentials
/// (`GIT_TERMINAL_PROMPT=0`), no lock taken to refresh the index (`GIT_OPTIONAL_LOCKS=0`: a
/// read must not block the user's own git).
fn hardened_git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    for (name, _) in std::env::vars_os() {
        let git_variable = name.as_encoded_bytes().starts_with(b"GIT_");
        if git_variable && !name.to_str().is_some_and(|n| GIT_ENV_KEPT.contains(&n)) {
            cmd.env_remove(name);
        }
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0");
    for setting in GIT_SETTINGS {
        cmd.arg("-c").arg(setting);
    }
    cmd.arg("-C").arg(dir);
    cmd
}

/// Runs [`hardened_git`] in `dir`, bounded by [`GIT_TIMEOUT`]; its stdout, or an error with its
/// stderr.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut child = hardened_git(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut o = Vec::new();
        let mut e = Vec::new();
        if let Some(s) = out.as_mut() {
            let _ = s.read_to_end(&mut o);
        }
        if let Some(s) = err.as_mut() {
            let _ = s.read_to_end(&mut e);
        }
        (o, e)
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > GIT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "git {} took more than {}s",
                    args.join(" "),
                    GIT_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("git: {e}")),
        }
    };
    let (stdout, stderr) = reader.join().unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        Err(String::from_utf8_lossy(&stderr).trim().to_string())
    }
}

/// The top folder of the repository whose work tree holds `at` (a guide or a folder), as a
/// canonical path. `at` is resolved first (symbolic links, `..`), git is asked from there
/// ([`hardened_git`]), and the answer must hold `at`: a tree cannot point docrun at another
/// repository. Every failure is an input error that names `at` and says what to do.
fn top_level(reference: &str, at: &Path) -> Result<PathBuf, Error> {
    let usage = |what: String| Error::Usage(format!("--changed-since {reference}: {what}"));
    let canonical = at.canonicalize().map_err(|e| {
        usage(format!(
            "cannot resolve {}: {e}\nhint: --changed-since reads the repository that holds the first tested path",
            at.display()
        ))
    })?;
    let dir = if canonical.is_dir() {
        canonical.as_path()
    } else {
        canonical.parent().unwrap_or(Path::new("/"))
    };
    let top = git(dir, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        if e.contains("cannot use bare repository") {
            usage(format!(
                "{} is in a bare repository that git found inside the tested files ({e})\n\
                 hint: a folder with its own HEAD, config, objects and refs is a git repository; \
                 docrun uses only the repository that holds the checkout, so remove those files",
                at.display()
            ))
        } else if e.contains("dubious ownership") {
            usage(format!(
                "{} is in a repository git does not trust ({e})\n\
                 hint: add it to safe.directory in the global git config; docrun does not read the system config",
                at.display()
            ))
        } else {
            usage(format!(
                "{} is not in a git repository ({e})\nhint: --changed-since compares with a git reference",
                at.display()
            ))
        }
    })?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
    let top = top.canonicalize().map_err(|e| {
        usage(format!(
            "git names {} as the top folder of {}, which cannot be resolved: {e}",
            top.display(),
            at.display()
        ))
    })?;
    if !canonical.starts_with(&top) {
        return Err(usage(format!(
            "{} ({}) is outside {}, the work tree git reports for it\n\
             hint: a repository setting (core.worktree) points elsewhere; docrun compares only files in the repository's own work tree",
            at.display(),
            canonical.display(),
            top.display()
        )));
    }
    Ok(top)
}

/// Reads the changes since `reference` in the repository that holds `at`. Every git command
/// runs hardened ([`hardened_git`]) in the top folder [`top_level`] found and checked.
pub fn since(reference: &str, at: &Path) -> Result<Changes, Error> {
    let usage = |what: String| Error::Usage(format!("--changed-since {reference}: {what}"));
    if reference.starts_with('-') {
        return Err(usage(
            "a reference does not start with '-'\nhint: name a branch, a tag or a commit".into(),
        ));
    }
    let root = top_level(reference, at)?;
    git(&root, &["rev-parse", "--verify", "--quiet", &format!("{reference}^{{commit}}")])
        .map_err(|_| {
            usage(format!(
                "git knows no commit by that name in {}\nhint: in CI, fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin main)",
                root.display()
            ))
        })?;
    let diff = git(
        &root,
        &[
            "diff",
            "--no-ext-diff",
            "--no-textconv",
            "--name-status",
            "-M",
            "-z",
            reference,
            "--",
        ],
    )
    .map_err(usage)?;
    let untracked =
        git(&root, &["ls-files", "--others", "--exclude-standard", "-z"]).map_err(usage)?;
    let mut changes = Changes {
        reference: reference.to_string(),
        root: root.clone(),
        ..Changes::default()
    };
    let text = String::from_utf8_lossy(&diff);
    let mut fields = text.split('\0').filter(|f| !f.is_empty());
    while let Some(status) = fields.next() {
        let kind = status.chars().next().unwrap_or('M');
        match kind {
            'R' | 'C' => {
                let (Some(from), Some(to)) = (fields.next(), fields.next()) else {
                    break;
                };
                let (from, to) = (root.join(from), root.join(to));
                if kind == 'R' {
                    changes.renamed.push((from.clone(), to.clone()));
                    changes
                        .changed
                        .insert(to, format!("renamed from {}", relative(&from, &root)));
                } else {
                    changes.changed.insert(to, "copied".into());
                }
            }
            'D' => {
                if let Some(path) = fields.next() {
                    changes.deleted.push(root.join(path));
                }
            }
            _ => {
                if let Some(path) = fields.next() {
                    let how = if kind == 'A' { "added" } else { "changed" };
                    changes.changed.insert(root.join(path), how.into());
                }
            }
        }
    }
    for path in String::from_utf8_lossy(&untracked)
        .split('\0')
        .filter(|f| !f.is_empty())
    {
        changes
            .changed
            .insert(root.join(path), "added (untracked)".into());
    }
    Ok(changes)
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn absolute(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    })
}

/// What `--changed-since` made of a tree.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    pub reference: String,
    /// Guides left out: nothing they are made of changed.
    pub unchanged: usize,
    /// Guides deleted under the tested paths.
    pub deleted: Vec<String>,
    /// Guides renamed under the tested paths: (from, to).
    pub renamed: Vec<(String, String)>,
}

impl Scope {
    /// What the terminal says besides the guides: deleted and renamed guides, and the count of
    /// guides left out.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.deleted {
            out.push_str(&format!(
                "deleted since {}: {d} (nothing to run)\n",
                self.reference
            ));
        }
        for (from, to) in &self.renamed {
            out.push_str(&format!(
                "renamed since {}: {from} -> {to}\n",
                self.reference
            ));
        }
        out.push_str(&format!(
            "{} guide{} unchanged since {} (not selected)\n",
            self.unchanged,
            if self.unchanged == 1 { "" } else { "s" },
            self.reference
        ));
        out
    }
}

/// Keeps the candidates a change touches, each with [`Candidate::selected_by`] saying which
/// changes selected it. `paths` are the tested paths (deleted guides under them are
/// reported); `site_data` is `--site-data` if given; `settings` the tree's `docrun.yaml`.
pub fn select(
    candidates: Vec<Candidate>,
    changes: &Changes,
    paths: &[PathBuf],
    site_data: Option<&Path>,
    settings: Option<&Path>,
) -> (Vec<Candidate>, Scope) {
    let root = &changes.root;
    let under_paths = |p: &Path| {
        p.extension().is_some_and(|e| e == "md")
            && paths.iter().any(|given| p.starts_with(absolute(given)))
    };
    let settings_changed = settings
        .map(absolute)
        .and_then(|s| changes.changed.get(&s).map(|how| (s, how)));
    let mut sites: HashMap<PathBuf, Option<SiteData>> = HashMap::new();
    let mut kept = Vec::new();
    let mut unchanged = 0;
    for mut c in candidates {
        let mut why = Vec::new();
        let guide = absolute(&c.path);
        if let Some(how) = changes.changed.get(&guide) {
            why.push(format!("the guide itself ({how})"));
        }
        for source in &c.sources {
            let source = absolute(source);
            if let Some(how) = changes.changed.get(&source) {
                let what = if source
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(".docrun.yaml"))
                {
                    "its overlay"
                } else {
                    "it includes"
                };
                why.push(format!("{what} {} ({how})", relative(&source, root)));
            }
        }
        if let Some((file, how)) = &settings_changed {
            why.push(format!("the tree's {} ({how})", relative(file, root)));
        }
        let site_dir = site_data
            .map(Path::to_path_buf)
            .or_else(|| SiteData::find_for(&c.path));
        if let Some(dir) = site_dir.map(|d| absolute(&d)) {
            let touched: Vec<(&PathBuf, &String)> = changes
                .changed
                .iter()
                .filter(|(p, _)| is_site_file(p, &dir))
                .collect();
            if !touched.is_empty() {
                let site = sites
                    .entry(dir.clone())
                    .or_insert_with(|| SiteData::load(&dir).ok());
                if let Some(used) = uses_site_values(&c, site.as_ref()) {
                    for (p, how) in touched {
                        why.push(format!(
                            "site data {} ({how}): it uses {used}",
                            relative(p, root)
                        ));
                    }
                }
            }
        }
        if why.is_empty() {
            unchanged += 1;
        } else {
            c.selected_by = why;
            kept.push(c);
        }
    }
    let shown = |p: &Path| relative(p, root);
    let scope = Scope {
        reference: changes.reference.clone(),
        unchanged,
        deleted: changes
            .deleted
            .iter()
            .filter(|p| under_paths(p))
            .map(|p| shown(p))
            .collect(),
        renamed: changes
            .renamed
            .iter()
            .filter(|(from, _)| under_paths(from))
            .map(|(from, to)| (shown(from), shown(to)))
            .collect(),
    };
    (kept, scope)
}

/// Whether a changed file is part of the site data in `dir` (a `data` folder: anything in it;
/// else its `variables.json` or `mkdocs.yml`).
fn is_site_file(path: &Path, dir: &Path) -> bool {
    if dir.file_name().is_some_and(|n| n == "data") {
        path.starts_with(dir)
    } else {
        path.parent() == Some(dir)
            && path
                .file_name()
                .is_some_and(|n| n == "variables.json" || n == "mkdocs.yml")
    }
}

/// The first site value the guide (or a file it includes) uses, as written (`{{< istio_version
/// >}}`), or `None`. Without readable site data, any guide under it counts as using it.
fn uses_site_values(c: &Candidate, site: Option<&SiteData>) -> Option<String> {
    let Some(site) = site else {
        return Some("its values (the site data cannot be read now)".into());
    };
    static TAG: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\{\{[<%][^{}]*[>%]\}\}|\[\[VAR::[A-Za-z0-9_]+\]\]|\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")
            .unwrap()
    });
    std::iter::once(&c.path)
        .chain(&c.sources)
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .find_map(|text| {
            TAG.find_iter(&text)
                .map(|m| m.as_str())
                .find(|tag| crate::site::render_values(tag, Some(site)) != *tag)
                .map(str::to_owned)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_files_are_the_data_folder_or_the_known_files() {
        let data = Path::new("/s/data");
        assert!(is_site_file(Path::new("/s/data/args.yml"), data));
        assert!(is_site_file(
            Path::new("/s/data/compatibility/supportStatus.yml"),
            data
        ));
        assert!(!is_site_file(Path::new("/s/content/a.md"), data));
        let mk = Path::new("/m");
        assert!(is_site_file(Path::new("/m/mkdocs.yml"), mk));
        assert!(!is_site_file(Path::new("/m/docs/x.md"), mk));
    }
}
