//! Runbook + variable values + selection -> [`Plan`]: exactly what a run would do.
//!
//! A plan is what `docrun plan` and `docrun run --dry-run` show, and what `docrun run` executes.
//! Building it is pure and executes nothing. Variable values are bound with the precedence
//! `--set` > `--values` > environment > default, and each keeps where it came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::check::CheckSpec;
use crate::error::{Error, ErrorKind, MissingVar};
use crate::matching::MatchMode;
use crate::runbook::checkrefs;
use crate::runbook::effects::is_read_only;
use crate::runbook::subst::{self, Found};
use crate::runbook::{did_you_mean, Prerequisite, Runbook, StepKind, VarKind};
use crate::source::Source;
use crate::yaml::{Key, Places};

/// Where a variable's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueSource {
    Flag,
    ValuesFile,
    Environment,
    /// The `vars:` of a doc tree's `docrun.yaml`.
    Config,
    Default,
    Prompt,
}

impl ValueSource {
    pub fn describe(self) -> &'static str {
        match self {
            ValueSource::Flag => "--set",
            ValueSource::ValuesFile => "--values",
            ValueSource::Environment => "environment",
            ValueSource::Config => "docrun.yaml",
            ValueSource::Default => "default",
            ValueSource::Prompt => "prompt",
        }
    }
}

/// A variable's value and its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub value: String,
    pub source: ValueSource,
}

/// The values given for a run, before they meet a runbook.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub set: Vec<(String, String)>,
    pub values: BTreeMap<String, String>,
    /// Values a doc tree's `docrun.yaml` gives: below the environment, above guide defaults.
    pub config: BTreeMap<String, String>,
}

impl Inputs {
    /// Reads `--set NAME=VALUE` flags and a `--values` file. Malformed input is an error (exit 2).
    pub fn parse(set: &[String], values_file: Option<&Path>) -> Result<Inputs, Error> {
        let mut inputs = Inputs::default();
        for item in set {
            let Some((name, value)) = item.split_once('=') else {
                return Err(Error::Usage(format!(
                    "--set {item}: expected NAME=VALUE\nhint: e.g. --set CTX_CLUSTER1=kind-cluster1"
                )));
            };
            if !subst::is_var_name(name) {
                return Err(Error::Usage(format!(
                    "--set {item}: `{name}` is not a variable name (letters, digits and _, not starting with a digit)"
                )));
            }
            check_value(name, value).map_err(|e| Error::Usage(format!("--set {name}: {e}")))?;
            inputs.set.push((name.to_owned(), value.to_owned()));
        }
        if let Some(path) = values_file {
            inputs.values = read_values(path)?;
        }
        Ok(inputs)
    }
}

pub fn read_values(path: &Path) -> Result<BTreeMap<String, String>, Error> {
    values_of(&Places::of_file(crate::file::load(path)?))
}

/// Reads the text of a values file (`path` names it in errors): a YAML mapping of variable
/// names to plain values, each one fit for the environment ([`check_value`]).
pub fn parse_values(text: &str, path: &Path) -> Result<BTreeMap<String, String>, Error> {
    values_of(&Places::of_file(Arc::new(Source::new(path, text))))
}

/// The values of the values file `places` reads; errors point at the key or value.
/// Its errors never show the file's lines (see `SourceError::conceals_source`): a values file
/// holds secrets.
fn values_of(places: &Places) -> Result<BTreeMap<String, String>, Error> {
    places.within_budget(ErrorKind::ValuesYaml)?;
    let value: serde_yaml::Value = serde_yaml::from_str(places.source().text()).map_err(|e| {
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or("").to_owned();
        places.error(
            places.at_line_col(e.location()),
            ErrorKind::ValuesYaml(message),
            "here",
        )
    })?;
    let mut values = BTreeMap::new();
    let mapping = match value {
        serde_yaml::Value::Mapping(m) => m,
        serde_yaml::Value::Null => return Ok(values),
        _ => {
            return Err(places
                .error(places.value(&[]), ErrorKind::ValuesNotMapping, "here")
                .with_help("e.g.\n  CTX_CLUSTER1: kind-cluster1")
                .into())
        }
    };
    for (key, value) in mapping {
        let key_text = serde_yaml::to_string(&key)
            .unwrap_or_default()
            .trim()
            .to_owned();
        let (Some(name), Some(value)) = (key.as_str(), scalar(&value)) else {
            let span = places.key(&[Key::Name(&key_text)]);
            return Err(places
                .error(span, ErrorKind::ValueNotPlain(key_text), "here")
                .with_help("a values file maps NAME: value, one per line")
                .into());
        };
        check_value(name, &value).map_err(|reason| {
            let span = places.value(&[Key::Name(name)]);
            let kind = ErrorKind::InvalidValue {
                name: name.to_owned(),
                reason,
            };
            places.error(span, kind, "this value")
        })?;
        values.insert(name.to_owned(), value);
    }
    Ok(values)
}

fn scalar(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Binds every variable of the runbook; returns the bindings by name.
pub fn bind(
    runbook: &Runbook,
    inputs: &Inputs,
    env: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, Binding> {
    let mut bound = BTreeMap::new();
    for var in &runbook.vars {
        let flag = inputs
            .set
            .iter()
            .rev()
            .find(|(n, _)| n == &var.name)
            .map(|(_, v)| v.clone());
        let binding = flag
            .map(|value| Binding {
                value,
                source: ValueSource::Flag,
            })
            .or_else(|| {
                inputs.values.get(&var.name).map(|v| Binding {
                    value: v.clone(),
                    source: ValueSource::ValuesFile,
                })
            })
            .or_else(|| {
                env(&var.name).map(|value| Binding {
                    value,
                    source: ValueSource::Environment,
                })
            })
            .or_else(|| {
                inputs.config.get(&var.name).map(|v| Binding {
                    value: v.clone(),
                    source: ValueSource::Config,
                })
            })
            .or_else(|| {
                var.default.clone().map(|value| Binding {
                    value,
                    source: ValueSource::Default,
                })
            });
        if let Some(b) = binding {
            bound.insert(var.name.clone(), b);
        }
    }
    bound
}

/// Which steps a run takes: `--from`, `--only`, `--skip`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub from: Option<String>,
    pub only: Vec<String>,
    pub skip: Vec<String>,
    /// More steps that clean up, beyond those the overlay names (`--cleanup`).
    pub cleanup: Vec<String>,
    /// Tab names (`--tab`, any case): in a tabset with a tab of one of these names, that tab
    /// runs instead of the first.
    pub tabs: Vec<String>,
    /// Doc tests (`--tag`): only the steps tagged with one of these run, hidden ones too.
    pub tags: Vec<String>,
}

/// A variable as the plan shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanVar {
    pub name: String,
    pub description: Option<String>,
    pub placeholder: Option<String>,
    pub kind: VarKind,
    pub required: bool,
    /// The value, `***` for a secret, `null` when none was given.
    pub value: Option<String>,
    pub source: Option<ValueSource>,
    pub line: usize,
    /// The guide that declares it, when not the one planned (a prerequisite's variable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
}

/// How a run takes a command step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunsAs {
    /// The step's commands run in the shell session.
    Command,
    /// The step's native checks ([`PlanStep::native`]) run instead of its commands, unless the
    /// run is told `--no-native`.
    Native,
}

/// One step as a run would take it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanStep {
    pub id: String,
    pub section: String,
    pub file: Arc<Path>,
    pub line: usize,
    pub kind: StepKind,
    pub syntax: String,
    /// Whether this run takes the step.
    pub selected: bool,
    /// Why it does not, when it does not.
    pub reason: Option<String>,
    /// The commands as they will run (placeholders filled, secrets masked as `***`), with the
    /// variables the run binds shown resolved.
    pub commands: Vec<String>,
    pub command_lines: Vec<usize>,
    pub expected: Option<String>,
    pub expected_line: Option<usize>,
    /// The first and last line (1-based, inclusive) of `file` that `expected` is written on,
    /// as written: what `--bless` rewrites. `None` when the expected output is not one run of
    /// the guide's own lines (joined from several commands, or read from another file).
    #[serde(skip)]
    pub expected_span: Option<(usize, usize)>,
    pub text: Option<String>,
    /// How the output is compared with `expected`.
    pub mode: MatchMode,
    /// The step's own timeout (overlay `timeout:`), else the run's default.
    #[serde(serialize_with = "serialize_opt_duration")]
    pub timeout: Option<Duration>,
    /// The step's own retry budget (overlay `retry:`), else the run's default for verification.
    #[serde(serialize_with = "serialize_opt_duration")]
    pub retry: Option<Duration>,
    /// Every command only looks (so a verification step may be retried).
    pub read_only: bool,
    /// A cleanup step: it runs even after a failure, a timeout or Ctrl-C.
    pub cleanup: bool,
    /// Whether a run takes the step as its commands or as its native checks.
    pub runs_as: RunsAs,
    /// The native checks that replace the commands, variables resolved; empty when the step
    /// runs as commands. Kept whatever `--no-native` says: the runner decides.
    pub native: Vec<CheckSpec>,
    /// The scripts the shell session receives: never serialised, as they hold secret values.
    #[serde(skip)]
    pub scripts: Vec<String>,
}

/// The resolved plan of a guide.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub schema: &'static str,
    pub guide: PathBuf,
    /// The dialect the guide was read in, and why.
    pub dialect: crate::doc::Detected,
    pub title: Option<String>,
    pub test: String,
    pub vars: Vec<PlanVar>,
    /// Kube contexts the guide's commands name literally (`--context=west`).
    pub contexts: Vec<crate::runbook::NamedContext>,
    /// Names of required variables without a value (including those a prerequisite's checks
    /// refer to).
    pub missing: Vec<String>,
    /// The prerequisites, their checks' variables resolved (references without a value stay
    /// as written and are listed in `missing`).
    pub prerequisites: Vec<Prerequisite>,
    pub steps: Vec<PlanStep>,
    pub warnings: Vec<String>,
    /// Why a step a run takes cannot run as the guide means it (a value that cannot be placed
    /// safely in its command): `run` and `test` refuse the guide before anything runs, `plan`
    /// too unless asked to show it anyway. Each is also in `warnings`.
    #[serde(skip)]
    pub refused: Vec<String>,
    /// Commands of steps a run takes that hold characters a reader does not see (see
    /// [`crate::visible`]): `run` and `test` say so before the first step. Each is also in
    /// `warnings`.
    #[serde(skip)]
    pub concealed: Vec<String>,
    #[serde(skip)]
    pub bindings: BTreeMap<String, Binding>,
    #[serde(skip)]
    pub secrets: Vec<String>,
    /// The `--values` file the run's values came from, if any (a checkpoint names it).
    #[serde(skip)]
    pub values_file: Option<PathBuf>,
}

impl Plan {
    /// The required variables without a value, for the "missing variables" error.
    pub fn missing_vars(&self) -> Vec<MissingVar> {
        self.vars
            .iter()
            .filter(|v| self.missing.contains(&v.name))
            .map(|v| MissingVar {
                name: v.name.clone(),
                description: v.description.clone(),
                location: format!(
                    "{}:{}",
                    v.file.as_deref().unwrap_or(&self.guide).display(),
                    v.line
                ),
            })
            .collect()
    }

    /// `Err` when a step the run takes cannot run as the guide means it (see `refused`).
    pub fn check_runnable(&self) -> Result<(), Error> {
        for (name, binding) in &self.bindings {
            check_value(name, &binding.value).map_err(|e| {
                Error::Usage(format!(
                    "{name} (from {}): {e}; nothing ran",
                    binding.source.describe()
                ))
            })?;
        }
        if self.refused.is_empty() {
            return Ok(());
        }
        Err(Error::Usage(format!(
            "{} cannot run as written; nothing ran:\n  {}\nhint: give a value that fits (a secret of at least 4 characters, no line break in a heredoc), or skip the step with --skip ID",
            self.guide.display(),
            self.refused.join("\n  ")
        )))
    }

    /// Replaces every secret value in `text` with `***`.
    pub fn mask(&self, text: &str) -> String {
        mask(text, &self.secrets)
    }
}

/// Masks the text a diff shows (expected and actual lines, and what its sentences quote between
/// backticks), never its `--- `, `+++ ` and `@@` headers or the words of its sentences, which
/// are docrun's own. A sentence with an unpaired backtick is masked whole.
pub fn mask_diff(diff: &str, secrets: &[String]) -> String {
    diff.split_inclusive('\n')
        .map(|line| {
            if line.starts_with("--- ") || line.starts_with("+++ ") || line.starts_with("@@") {
                line.to_owned()
            } else if line.starts_with(['-', '+', ' '])
                || !line.matches('`').count().is_multiple_of(2)
            {
                mask(line, secrets)
            } else {
                line.split('`')
                    .enumerate()
                    .map(|(i, part)| {
                        if i % 2 == 1 {
                            mask(part, secrets)
                        } else {
                            part.to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("`")
            }
        })
        .collect()
}

/// The longest `NAME=VALUE` Linux passes in a process's environment (`MAX_ARG_STRLEN`, with the
/// final NUL): every variable's value is exported to the steps' shell.
pub const MAX_ENV_ENTRY: usize = 128 * 1024;

/// Whether a variable's value can reach the steps: no NUL byte (a C string ends there) and
/// `NAME=VALUE` within [`MAX_ENV_ENTRY`]. `Err` says what is wrong.
pub fn check_value(name: &str, value: &str) -> Result<(), String> {
    if let Some(at) = value.find('\0') {
        return Err(format!(
            "the value has a NUL byte at offset {at}; a value cannot hold one (the environment of a command ends a value there)"
        ));
    }
    let size = name.len() + 1 + value.len() + 1;
    if size > MAX_ENV_ENTRY {
        return Err(format!(
            "the value is {} bytes, more than the {} this variable may hold: the steps get each variable in their environment, where Linux allows {MAX_ENV_ENTRY} bytes for NAME=VALUE",
            value.len(),
            MAX_ENV_ENTRY - name.len() - 2
        ));
    }
    Ok(())
}

/// The shortest secret docrun masks. A shorter one would hide ordinary text with it (a secret
/// `a` turns `a1 banana` into `***1 b***n***n***`), so `run` and `test` refuse it and `plan`
/// warns that it is not masked.
pub const MIN_SECRET_LEN: usize = 4;

/// Replaces each secret (longest first) with `***`. Secrets shorter than [`MIN_SECRET_LEN`]
/// are left alone.
///
/// A secret that only shows once terminal control sequences are taken out (split by colour
/// codes, `grep --color=always`) is masked in the text without them: what a reader of any
/// report sees never holds it.
pub fn mask(text: &str, secrets: &[String]) -> String {
    let mut out = mask_plain(text, secrets);
    if out.contains('\u{1b}') {
        let bare = strip_control_sequences(&out);
        let masked = mask_plain(&bare, secrets);
        if masked != bare {
            out = masked;
        }
    }
    out
}

fn mask_plain(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        if secret.chars().count() >= MIN_SECRET_LEN && out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

/// `text` without ANSI escape sequences (CSI `\e[...X`, OSC `\e]...BEL` or `\e\\`, and
/// two-character escapes).
pub fn strip_control_sequences(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The forms a secret's value takes in output besides itself: base64 in the standard and
/// URL alphabets at each of the three alignments it can have inside longer encoded text
/// (the characters that depend on the secret alone), and percent-encoding. Forms shorter
/// than [`MIN_SECRET_LEN`] are left out.
pub fn encoded_forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    let bytes = secret.as_bytes();
    let mut forms = Vec::new();
    for offset in 0..3usize {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(bytes);
        let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&padded);
        let start = (4 * offset).div_ceil(3);
        let end = (8 * padded.len() / 6).min(encoded.len());
        if end > start {
            let core = &encoded[start..end];
            forms.push(core.to_owned());
            forms.push(core.replace('+', "-").replace('/', "_"));
        }
    }
    let mut percent = String::new();
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(b) {
            percent.push(*b as char);
        } else {
            percent.push_str(&format!("%{b:02X}"));
        }
    }
    forms.push(percent.replace("%20", "+"));
    forms.push(lower_case_escapes(&percent));
    forms.push(percent);
    forms.retain(|f| f.len() >= MIN_SECRET_LEN && f != secret);
    forms.sort();
    forms.dedup();
    forms
}

/// Percent-escapes with lower-case hex digits (`%2f`), as some encoders write them.
fn lower_case_escapes(percent: &str) -> String {
    let mut out = String::with_capacity(percent.len());
    let mut rest = percent;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3).unwrap_or(&rest[at..]);
        out.push_str(&escape.to_lowercase());
        rest = &rest[at + escape.len()..];
    }
    out.push_str(rest);
    out
}

/// Builds the plan. Unknown step ids in the selection are errors (exit 2); missing variables
/// are listed in [`Plan::missing`] and left to the caller to refuse.
pub fn build(
    runbook: &Runbook,
    bindings: BTreeMap<String, Binding>,
    selection: &Selection,
) -> Result<Plan, Error> {
    for id in selection
        .from
        .iter()
        .chain(&selection.only)
        .chain(&selection.skip)
        .chain(&selection.cleanup)
    {
        if runbook.step(id).is_none() {
            return Err(Error::Usage(format!(
                "{}: no step `{id}`{}\nhint: `docrun list {}` shows the step ids",
                runbook.path.display(),
                did_you_mean(id, runbook.steps.iter().map(|s| s.id.as_str())),
                runbook.path.display()
            )));
        }
    }
    if let Some(tag) = selection
        .tags
        .iter()
        .find(|t| !runbook.steps.iter().any(|s| s.tags.contains(t)))
    {
        let mut known: Vec<&str> = runbook
            .steps
            .iter()
            .flat_map(|s| s.tags.iter().map(String::as_str))
            .collect();
        known.sort_unstable();
        known.dedup();
        return Err(Error::Usage(format!(
            "{}: no step tagged `{tag}`{}\nhint: the guide's doc tests are: {}",
            runbook.path.display(),
            did_you_mean(tag, known.iter().copied()),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    }
    let mut secrets: Vec<String> = Vec::new();
    let mut short_secrets = Vec::new();
    for v in runbook.vars.iter().filter(|v| v.kind == VarKind::Secret) {
        match bindings.get(&v.name).map(|b| b.value.clone()) {
            Some(value) if value.chars().count() >= MIN_SECRET_LEN => {
                secrets.extend(encoded_forms(&value));
                secrets.push(value);
            }
            Some(value) if !value.is_empty() => short_secrets.push(format!(
                "{}: a secret of {} character{} cannot be kept out of the output without hiding ordinary text with it, so docrun does not mask it (it masks secrets of 4 characters or more)",
                v.name,
                value.chars().count(),
                if value.chars().count() == 1 { "" } else { "s" }
            )),
            _ => {}
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));

    let vars: Vec<PlanVar> = runbook
        .vars
        .iter()
        .map(|v| {
            let b = bindings.get(&v.name);
            PlanVar {
                name: v.name.clone(),
                description: v.description.clone(),
                placeholder: v.placeholders.first().map(|p| format!("<{p}>")),
                kind: v.kind,
                required: v.required,
                value: b.map(|b| {
                    if v.kind == VarKind::Secret {
                        "***".to_owned()
                    } else {
                        b.value.clone()
                    }
                }),
                source: b.map(|b| b.source),
                line: v.line,
                file: v.file.clone(),
            }
        })
        .collect();
    let mut missing: Vec<String> = runbook
        .vars
        .iter()
        .filter(|v| v.required && !bindings.contains_key(&v.name))
        .map(|v| v.name.clone())
        .collect();
    // The variables the guide's steps need; those prerequisites' checks need come after.
    let needed_by_steps = missing.len();

    let from_index = selection
        .from
        .as_ref()
        .and_then(|id| runbook.steps.iter().position(|s| &s.id == id));
    let value = |name: &str| bindings.get(name).map(|b| b.value.clone());
    let mut prerequisites = runbook.prerequisites.clone();
    for check in prerequisites.iter_mut().flat_map(|p| p.checks.iter_mut()) {
        match checkrefs::resolve(check, &value) {
            Ok(resolved) => *check = resolved,
            Err(unbound) => {
                for name in unbound {
                    if !missing.contains(&name) {
                        missing.push(name);
                    }
                }
            }
        }
    }

    let mut steps = Vec::new();
    let mut warnings = runbook.warnings.clone();
    warnings.extend(short_secrets.iter().cloned());
    let mut refused = short_secrets;
    let mut concealed = Vec::new();
    // The tab `--tab` chose in each tabset (by file and tabset) that has a tab of that name.
    let mut chosen: std::collections::HashMap<(&Path, usize), &crate::doc::TabRef> =
        std::collections::HashMap::new();
    // Tabsets are counted per page: the page of the step's tab, or the step's own file.
    fn tabset_page(step: &crate::runbook::Step) -> &Path {
        step.tab
            .as_ref()
            .and_then(|t| t.page.as_deref())
            .unwrap_or(&step.file)
    }
    if !selection.tabs.is_empty() {
        for step in &runbook.steps {
            if let Some(tab) = step
                .tab
                .as_ref()
                .filter(|t| selection.tabs.iter().any(|name| t.answers_to(name)))
            {
                chosen.entry((tabset_page(step), tab.tabset)).or_insert(tab);
            }
        }
    }
    let chosen_tab = |step: &crate::runbook::Step| {
        let tab = step.tab.as_ref()?;
        chosen.get(&(tabset_page(step), tab.tabset)).copied()
    };
    for (index, step) in runbook.steps.iter().enumerate() {
        let (selected, reason) = if !selection.only.is_empty() {
            if selection.only.contains(&step.id) {
                if step.kind.is_executed() {
                    (true, None)
                } else {
                    (false, step.skip_reason.clone())
                }
            } else {
                (false, Some("not named by --only".to_owned()))
            }
        } else if !selection.tags.is_empty()
            && !step.tags.iter().any(|t| selection.tags.contains(t))
        {
            (false, Some("not a step of the --tag test".to_owned()))
        } else if from_index.is_some_and(|f| index < f) {
            (false, Some("before --from".to_owned()))
        } else if selection.skip.contains(&step.id) {
            (false, Some("named by --skip".to_owned()))
        } else if let (Some(tab), Some(chosen)) = (step.tab.as_ref(), chosen_tab(step)) {
            if tab.index == chosen.index {
                (
                    step.runs || step.alternative,
                    step.skip_reason.clone().filter(|_| !step.alternative),
                )
            } else {
                let reason = format!(
                    "in tab {}; --tab chose {}",
                    tab.describe(),
                    chosen.describe()
                );
                (false, Some(reason))
            }
        } else if !selection.tags.is_empty() && step.kind.is_executed() {
            // The test asks for its steps, hidden ones included.
            (true, None)
        } else {
            (step.runs, step.skip_reason.clone())
        };
        let mut commands = Vec::new();
        let mut scripts = Vec::new();
        for command in &step.commands {
            if selected && command.text.contains(crate::visible::is_hidden) {
                concealed.push(format!(
                    "{}:{}: step {}: the command holds characters a reader does not see ({}); shown written out, it runs as the guide has it",
                    step.file.display(),
                    command.line,
                    step.id,
                    crate::visible::hidden_in(&command.text).join(", ")
                ));
                warnings.extend(concealed.last().cloned());
            }
            let occurrences = subst::scan(&command.text);
            // A value the shell expands where it would run as code (arithmetic, text another
            // shell parses) is refused as a placeholder's would be.
            let unsafe_use = occurrences.iter().find_map(|occ| {
                let (Found::VarRef(name) | Found::ArithName(name)) = &occ.found else {
                    return None;
                };
                let binding = bindings.get(name)?;
                subst::check_use(&binding.value, occ, name).err()
            });
            let script = subst::substitute(&command.text, &occurrences, |occ| match &occ.found {
                Found::Placeholder(text) => {
                    let name = runbook.placeholder_var(text);
                    bindings.get(&name).map(|b| (name, b.value.clone()))
                }
                Found::VarRef(_) | Found::ArithName(_) => None,
            });
            let display = subst::substitute(&command.text, &occurrences, |occ| {
                let name = match &occ.found {
                    Found::Placeholder(text) => runbook.placeholder_var(text),
                    Found::VarRef(name) => name.clone(),
                    Found::ArithName(_) => return None,
                };
                let binding = bindings.get(&name)?;
                let secret = runbook
                    .var(&name)
                    .is_some_and(|v| v.kind == VarKind::Secret);
                let value = if secret {
                    "***".to_owned()
                } else {
                    binding.value.clone()
                };
                // A `$NAME` shows its value where it can be written; its check is above.
                if matches!(occ.found, Found::VarRef(_))
                    && subst::encode(&value, occ, &name).is_err()
                {
                    return None;
                }
                Some((name, value))
            });
            match (script, display, unsafe_use) {
                (Ok(script), Ok(display), None) => {
                    scripts.push(script);
                    commands.push(mask(&display, &secrets));
                }
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Some(e)) => {
                    let problem = format!(
                        "{}:{}: step {}: {e}",
                        step.file.display(),
                        command.line
                            + command.text[..first_line_of(&occurrences, &e)]
                                .matches('\n')
                                .count(),
                        step.id
                    );
                    if selected && step.kind.is_executed() {
                        refused.push(mask(&problem, &secrets));
                    }
                    warnings.push(problem);
                    scripts.push(command.text.clone());
                    commands.push(mask(&command.text, &secrets));
                }
            }
        }
        // Read and checked where the overlay was read, with its file:line.
        let settings = &step.settings;
        let mode = settings.mode.clone().unwrap_or(MatchMode::Like);
        let (timeout, retry) = (settings.timeout, settings.retry);
        let cleanup = runbook
            .overlay
            .cleanup
            .iter()
            .any(|c| c == &step.id || c == &step.section.anchor)
            || selection.cleanup.contains(&step.id);
        let (runs_as, native) = native_checks(step, &value, &missing, &mut warnings);
        steps.push(PlanStep {
            mode,
            timeout,
            retry,
            read_only: settings.read_only.unwrap_or_else(|| {
                !step.commands.is_empty() && step.commands.iter().all(|c| is_read_only(&c.text))
            }),
            cleanup,
            id: step.id.clone(),
            section: step.section.anchor.clone(),
            file: step.file.clone(),
            line: step.line,
            kind: step.kind,
            syntax: step.syntax.clone(),
            selected,
            reason: if selected { None } else { reason },
            commands,
            command_lines: step.commands.iter().map(|c| c.line).collect(),
            expected: step.expected.as_ref().map(|e| e.text.clone()),
            expected_line: step.expected.as_ref().map(|e| e.line),
            expected_span: step
                .expected
                .as_ref()
                .filter(|e| e.as_written && !e.text.is_empty())
                .map(|e| (e.line, e.line + e.text.lines().count().max(1) - 1)),
            text: step.text.clone(),
            runs_as,
            native,
            scripts,
        });
    }
    if !selection.tags.is_empty() {
        // A doc test needs only the variables its own steps use.
        // (a `$NAME` the test's own steps set is not asked for; a placeholder always is).
        let mut used = std::collections::HashSet::new();
        let mut referenced = std::collections::HashSet::new();
        let mut assigned = std::collections::HashSet::new();
        for (step, planned) in runbook.steps.iter().zip(&steps) {
            if !planned.selected {
                continue;
            }
            for command in &step.commands {
                assigned.extend(
                    crate::runbook::assignments(&command.text)
                        .into_iter()
                        .map(|(_, name)| name),
                );
                for occ in subst::scan(&command.text) {
                    match &occ.found {
                        Found::Placeholder(text) => used.insert(runbook.placeholder_var(text)),
                        Found::VarRef(name) | Found::ArithName(name) => {
                            referenced.insert(name.clone())
                        }
                    };
                }
            }
        }
        used.extend(referenced.difference(&assigned).cloned());
        let mut index = 0;
        missing.retain(|name| {
            index += 1;
            index > needed_by_steps || used.contains(name)
        });
    }
    Ok(Plan {
        schema: "docrun.plan/v1",
        dialect: runbook.dialect.clone(),
        guide: runbook.path.clone(),
        title: runbook.title.clone(),
        test: runbook.test.as_str().to_owned(),
        vars,
        contexts: runbook.contexts.clone(),
        missing,
        prerequisites,
        steps,
        warnings,
        refused,
        concealed,
        bindings,
        secrets,
        values_file: None,
    })
}

/// Where in a command the first use of the variable an error names starts.
fn first_line_of(occurrences: &[subst::Occurrence], e: &subst::UnsafeValue) -> usize {
    occurrences
        .iter()
        .find(|o| match &o.found {
            Found::VarRef(n) | Found::ArithName(n) => *n == e.name,
            Found::Placeholder(_) => false,
        })
        .map_or(0, |o| o.range.start)
}

/// How a run takes a step, with its native checks resolved. A step runs as native checks when
/// it has some and each reference in them has a value, or belongs to a required variable (which
/// is then reported missing). A reference to a value only the guide's own steps set cannot be
/// resolved before the run: the step runs as commands, with a warning.
fn native_checks(
    step: &crate::runbook::Step,
    value: &dyn Fn(&str) -> Option<String>,
    missing: &[String],
    warnings: &mut Vec<String>,
) -> (RunsAs, Vec<CheckSpec>) {
    if step.kind != StepKind::Command || step.native.is_empty() {
        return (RunsAs::Command, Vec::new());
    }
    let mut resolved = Vec::new();
    let mut unbound: Vec<String> = Vec::new();
    for check in &step.native {
        match checkrefs::resolve(check, value) {
            Ok(r) => resolved.push(r),
            Err(names) => {
                unbound.extend(names.into_iter().filter(|n| !missing.contains(n)));
                resolved.push(check.clone());
            }
        }
    }
    if unbound.is_empty() {
        return (RunsAs::Native, resolved);
    }
    unbound.dedup();
    warnings.push(format!(
        "{}:{}: step {} runs its commands, not native checks: they need ${}, which has no value before the run",
        step.file.display(),
        step.line,
        step.id,
        unbound.join(", $")
    ));
    (RunsAs::Command, Vec::new())
}

fn serialize_opt_duration<S: serde::Serializer>(
    d: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&crate::duration::human(*d)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_a_diff_keeps_docruns_words() {
        let secrets = vec!["pected".to_owned()];
        let diff = "expected line 1 `a pected` does not match `b`\n--- expected\n+++ actual\n@@ -1 +1 @@\n-x\n+pected y\n";
        assert_eq!(
            mask_diff(diff, &secrets),
            "expected line 1 `a ***` does not match `b`\n--- expected\n+++ actual\n@@ -1 +1 @@\n-x\n+*** y\n"
        );
    }

    /// Not a fuzzer (see the cargo-fuzz target `values`): a deterministic sweep of
    /// pseudo-random and mutated values files, over many seeds. No input may panic.
    #[test]
    fn random_values_files_never_panic() {
        let base = b"CTX_CLUSTER1: kind-cluster1\nN: 3\nB: yes\nQ: \"a\\0b\"\n";
        let mut seed: u64 = 0xD1B5_4A32_D192_ED03;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..5000 {
            let mut bytes: Vec<u8> = if round % 2 == 0 {
                (0..next() % 48)
                    .map(|_| b"ab:{}[]\"'\\\n -#&*!|>0\x00\xff"[next() as usize % 21])
                    .collect()
            } else {
                base.to_vec()
            };
            for _ in 0..(next() % 5) {
                if bytes.is_empty() {
                    break;
                }
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            let _ = parse_values(&String::from_utf8_lossy(&bytes), Path::new("v.yaml"));
        }
    }

    #[test]
    fn values_file_errors_are_kinds_at_the_key_or_value() {
        let at = |text: &str| match parse_values(text, Path::new("v.yaml")).unwrap_err() {
            Error::Source(e) => (e.kind().clone(), e.line_col()),
            other => panic!("not located: {other}"),
        };
        assert_eq!(
            at("A: 1\nB: [x]\n"),
            (ErrorKind::ValueNotPlain("B".into()), (2, 1))
        );
        assert!(matches!(
            at("A: 1\nB: \"nul\\0here\"\n"),
            (ErrorKind::InvalidValue { name, .. }, (2, 4)) if name == "B"
        ));
        assert_eq!(at("- a\n- b\n"), (ErrorKind::ValuesNotMapping, (1, 1)));
        assert!(matches!(
            at("A: 1\nB: [\n"),
            (ErrorKind::ValuesYaml(_), (3, _))
        ));
        let values = parse_values("A: 1\nB: two\n", Path::new("v.yaml")).unwrap();
        assert_eq!(values["A"], "1");
    }

    #[test]
    fn secrets_too_short_are_not_masked() {
        assert_eq!(mask("a1 banana", &["a".to_owned()]), "a1 banana");
        assert_eq!(mask("a1 banana", &["nana".to_owned()]), "a1 ba***");
    }
}
