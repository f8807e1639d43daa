//! The variables a guide needs: from its `Variable | Description` table (`变量 | 描述`), its
//! `export NAME=<placeholder>` lines, placeholders inside commands, and the overlay.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::overlay::{Overlay, VarKindName};
use super::subst::{self, Found};
use super::{Step, StepKind};
use crate::doc::{Doc, Item};

/// What a variable's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VarKind {
    String,
    /// The name of a context in the kubeconfig.
    KubeContext,
    /// A value never shown in any output or report.
    Secret,
}

impl VarKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VarKind::String => "string",
            VarKind::KubeContext => "kube-context",
            VarKind::Secret => "secret",
        }
    }
}

/// A variable of a guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variable {
    pub name: String,
    pub description: Option<String>,
    /// The placeholder texts that stand for it in commands (`your cluster1 context`).
    pub placeholders: Vec<String>,
    pub kind: VarKind,
    /// The guide line that first declares it.
    pub line: usize,
    /// The guide it comes from, when not the one planned: a prerequisite's variable in a
    /// chain (`--with-prereqs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<std::path::PathBuf>,
    /// A value from the overlay, used when nothing else gives one.
    pub default: Option<String>,
    /// Whether the reader must give a value: a placeholder stands for it, or the guide's table
    /// names it and no step of the guide sets it.
    pub required: bool,
    /// How the guide declares it, in the order found.
    pub declared_by: Vec<DeclaredBy>,
}

/// How a guide declares a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclaredBy {
    /// A row of the guide's `Variable | Description` table.
    Table,
    /// `export NAME=<placeholder>` in a step.
    Export,
    /// A `<placeholder>` the reader fills in.
    Placeholder,
    /// `$NAME` used in a step and never set there.
    Reference,
    /// The overlay's `vars:`.
    Overlay,
}

impl DeclaredBy {
    /// Declared for the reader in so many words: a table row or the overlay.
    pub fn is_explicit(self) -> bool {
        matches!(self, DeclaredBy::Table | DeclaredBy::Overlay)
    }
}

static TABLE_NAME: &[&str] = &[
    "variable",
    "variables",
    "变量",
    "name",
    "env",
    "environment variable",
];
static TABLE_DESC: &[&str] = &["description", "描述", "说明", "meaning"];
static ASSIGN_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=$").unwrap()
});
static SECRET_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)password|passwd|passphrase|pwd|token|secret|private|credential|auth|api[_ -]?key|_key$|^key$|密码|令牌",
    )
    .unwrap()
});
static CONTEXT_WORDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bcontext\b|上下文").unwrap());

/// Collects the variables of a guide from its tables, its steps and the overlay.
pub fn collect(doc: &Doc, steps: &[Step], overlay: &Overlay) -> Vec<Variable> {
    let mut vars: Vec<Variable> = Vec::new();
    for item in &doc.items {
        let Item::Table(table) = item else { continue };
        let header: Vec<String> = table
            .header
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let is_var_table = header.len() >= 2
            && TABLE_NAME.contains(&header[0].as_str())
            && TABLE_DESC.contains(&header[1].as_str());
        if !is_var_table {
            continue;
        }
        for row in &table.rows {
            let name = row
                .cells
                .first()
                .map(|c| c.trim().trim_start_matches('$'))
                .unwrap_or("");
            if !subst::is_var_name(name) {
                continue;
            }
            let var = entry(&mut vars, name, row.line);
            var.description = row
                .cells
                .get(1)
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty());
            var.declared_by.push(DeclaredBy::Table);
        }
    }

    let mut set_by_steps: Vec<String> = Vec::new();
    for step in steps.iter().filter(|s| s.kind == StepKind::Command) {
        for command in &step.commands {
            for occ in subst::scan(&command.text) {
                let Found::Placeholder(text) = &occ.found else {
                    continue;
                };
                let before = &command.text[..occ.range.start];
                let (name, how) = placeholder_var(before, text, &vars);
                let line = command.line + before.matches('\n').count();
                let var = entry(&mut vars, &name, line);
                if !var.placeholders.contains(text) {
                    var.placeholders.push(text.clone());
                }
                if !var.declared_by.contains(&how) {
                    var.declared_by.push(how);
                }
            }
            if step.runs {
                set_by_steps.extend(assignments(&command.text).into_iter().map(|(_, name)| name));
            }
        }
    }

    // Variables the runnable steps use but neither the guide nor its steps define: the reader
    // must have set them (often in an earlier guide).
    for step in steps
        .iter()
        .filter(|s| s.kind == StepKind::Command && s.runs)
    {
        for command in &step.commands {
            for occ in subst::scan(&command.text) {
                let Found::VarRef(name) = &occ.found else {
                    continue;
                };
                if vars.iter().any(|v| &v.name == name)
                    || set_by_steps.contains(name)
                    || is_environment_name(name)
                {
                    continue;
                }
                let line = command.line + command.text[..occ.range.start].matches('\n').count();
                let var = entry(&mut vars, name, line);
                var.declared_by.push(DeclaredBy::Reference);
            }
        }
    }

    for (name, o) in &overlay.vars {
        let var = entry(&mut vars, name, 0);
        var.declared_by.push(DeclaredBy::Overlay);
        if let Some(d) = &o.description {
            var.description = Some(d.clone());
        }
        var.default = o.default.clone();
        if let Some(kind) = o.kind {
            var.kind = match kind {
                VarKindName::String => VarKind::String,
                VarKindName::KubeContext => VarKind::KubeContext,
                VarKindName::Secret => VarKind::Secret,
            };
        }
    }

    for var in &mut vars {
        if overlay.vars.get(&var.name).is_none_or(|o| o.kind.is_none()) {
            var.kind = guess_kind(var);
        }
        var.required = !var.placeholders.is_empty() || !set_by_steps.contains(&var.name);
    }
    vars.sort_by_key(|v| (v.line == 0, v.line));
    vars
}

fn entry<'a>(vars: &'a mut Vec<Variable>, name: &str, line: usize) -> &'a mut Variable {
    let index = match vars.iter().position(|v| v.name == name) {
        Some(i) => i,
        None => {
            vars.push(Variable {
                name: name.to_owned(),
                description: None,
                placeholders: Vec::new(),
                kind: VarKind::String,
                line,
                file: None,
                default: None,
                required: false,
                declared_by: Vec::new(),
            });
            vars.len() - 1
        }
    };
    let var = &mut vars[index];
    if var.line == 0 {
        var.line = line;
    }
    var
}

/// The variable a placeholder stands for, given the command text `before` it: the name it is
/// assigned to (`export NAME=<...>`, how: `export`), else the variable already known by the
/// same placeholder, else a name made from its text (how: `placeholder`).
pub(crate) fn placeholder_var(before: &str, text: &str, vars: &[Variable]) -> (String, DeclaredBy) {
    match ASSIGN_BEFORE.captures(before) {
        Some(c) => (c[1].to_owned(), DeclaredBy::Export),
        None => (
            find_by_placeholder(vars, text).unwrap_or_else(|| subst::placeholder_var_name(text)),
            DeclaredBy::Placeholder,
        ),
    }
}

/// Names the shell or the system sets, which a guide may use without defining.
pub(crate) fn is_environment_name(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "HOME",
        "PATH",
        "PWD",
        "OLDPWD",
        "USER",
        "SHELL",
        "TMPDIR",
        "HOSTNAME",
        "LANG",
        "TERM",
        "UID",
        "EUID",
        "RANDOM",
        "SECONDS",
        "LINENO",
        "IFS",
        "PPID",
        "KUBECONFIG",
        "OSTYPE",
        "HOSTTYPE",
        "MACHTYPE",
        "REPLY",
        "OPTARG",
        "OPTIND",
        "PIPESTATUS",
        "GOPATH",
        "EDITOR",
    ];
    NAMES.contains(&name) || name.starts_with("BASH") || name.starts_with("DOCRUN_")
}

/// The names a command sets, with the offset of each: assignments (`NAME=`, `export NAME=`,
/// `local NAME=`), `for NAME in` and `read NAME`.
pub(crate) fn assignments(command: &str) -> Vec<(usize, String)> {
    static ASSIGN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:^|[\s;&|(`{])([A-Za-z_][A-Za-z0-9_]*)\+?=").unwrap());
    static LOOP_OR_READ: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:\bfor\s+|\bselect\s+|\bread\s+(?:-[a-zA-Z]+\s+)*)([A-Za-z_][A-Za-z0-9_]*)")
            .unwrap()
    });
    let mut found: Vec<(usize, String)> = [&*ASSIGN, &*LOOP_OR_READ]
        .into_iter()
        .flat_map(|re| re.captures_iter(command))
        .filter_map(|c| c.get(1))
        .map(|m| (m.start(), m.as_str().to_owned()))
        .collect();
    found.sort();
    found
}

/// Whether a variable's name says it holds a secret, whatever its value: it contains
/// `PASSWORD`, `PASSWD`, `PASSPHRASE`, `TOKEN`, `SECRET`, `PRIVATE`, `CREDENTIAL`, `AUTH`, `PWD`
/// or `API_KEY` (any case), or ends in `_KEY` or is `KEY`. Broader than the guess of a variable's
/// kind, because it decides what docrun may keep on disk (a `--resume` checkpoint), where
/// keeping a secret by mistake costs more than dropping a variable.
pub fn is_secret_name(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "TOKEN",
        "SECRET",
        "PRIVATE",
        "CREDENTIAL",
        "AUTH",
        "PWD",
    ];
    let upper = name.to_ascii_uppercase();
    WORDS.iter().any(|w| upper.contains(w))
        || upper.ends_with("_KEY")
        || upper == "KEY"
        || SECRET_WORDS.is_match(name)
}

fn find_by_placeholder(vars: &[Variable], text: &str) -> Option<String> {
    vars.iter()
        .find(|v| v.placeholders.iter().any(|p| p == text))
        .map(|v| v.name.clone())
}

fn guess_kind(var: &Variable) -> VarKind {
    let words = format!(
        "{} {} {}",
        var.name,
        var.description.as_deref().unwrap_or(""),
        var.placeholders.join(" ")
    );
    let described_as_secret = var
        .description
        .as_deref()
        .is_some_and(|d| SECRET_WORDS.is_match(d) && !d.to_lowercase().contains("context"));
    if SECRET_WORDS.is_match(&var.name)
        || var.placeholders.iter().any(|p| SECRET_WORDS.is_match(p))
        || described_as_secret
    {
        VarKind::Secret
    } else if CONTEXT_WORDS.is_match(&words) || var.name.starts_with("CTX_") {
        VarKind::KubeContext
    } else {
        VarKind::String
    }
}
