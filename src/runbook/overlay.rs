//! Overlays: settings and checks declared for a guide, in a `<name>.docrun.yaml` file beside it
//! or under a `runbook:` key in its front matter.
//!
//! An overlay is keyed by section anchors and step ids, which are the same in every language,
//! so one overlay file serves `guide.en.md` and `guide.zh.md` alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use std::sync::Arc;
use std::time::Duration;

use crate::check::CheckSpec;
use crate::error::{Error, ErrorKind};
use crate::matching::MatchMode;
use crate::source::Source;
use crate::yaml::{Key, Places};

/// The whole overlay.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Overlay {
    /// Variables: kind, description, default.
    #[serde(default)]
    pub vars: BTreeMap<String, VarOverlay>,
    /// Prerequisites the guide states in prose, with the checks that verify them.
    #[serde(default)]
    pub prerequisites: Vec<PrerequisiteOverlay>,
    /// Per-step settings, by step id.
    #[serde(default)]
    pub steps: BTreeMap<String, StepOverlay>,
    /// Step ids or section anchors whose steps clean up; they run even after a failure.
    #[serde(default)]
    pub cleanup: Vec<String>,
    /// The guides this one needs run first (`../bookinfo/`, `/docs/x/#anchor`, `x.md#step_id`).
    /// When given, it replaces the prerequisites derived from the guide's links; `[]` says the
    /// guide needs none.
    #[serde(default)]
    pub requires: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VarOverlay {
    pub kind: Option<VarKindName>,
    pub description: Option<String>,
    pub default: Option<String>,
}

/// The kinds of variable an overlay may declare.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum VarKindName {
    String,
    KubeContext,
    Secret,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrerequisiteOverlay {
    /// The section anchor the prerequisite belongs to.
    pub section: Option<String>,
    /// What the guide requires, in words.
    pub text: String,
    /// Native checks that verify it (see [`CheckSpec`] and the README for their fields).
    /// `$NAME` / `${NAME}` references in their fields stay unresolved until the plan.
    #[serde(default)]
    pub checks: Vec<CheckSpec>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StepOverlay {
    /// How to compare the output: same, contains, not-contains, elided, like, lines,
    /// first-line, regex, failure, ignore.
    #[serde(default, deserialize_with = "mode")]
    pub mode: Option<MatchMode>,
    /// The step's timeout, e.g. `30s`, `5m`.
    #[serde(default, deserialize_with = "crate::duration::deserialize_opt")]
    pub timeout: Option<Duration>,
    /// Retry a verification step until it passes or this much time has gone, e.g. `2m`. Without
    /// it only a step whose commands all only look is retried (within `--retry`); with it any
    /// step is: the way a guide opts in a step docrun takes as changing things
    /// (`kubectl exec POD -- curl ...`).
    #[serde(default, deserialize_with = "crate::duration::deserialize_opt")]
    pub retry: Option<Duration>,
    /// `true`: the step only looks, so a failed comparison is retried within `--retry` like
    /// any looking step's; `false`: it changes things and is never retried without `retry:`.
    /// Without it docrun decides from the commands, and anything it does not know changes
    /// things. Written `read-only:` (or `read_only:`).
    #[serde(alias = "read_only")]
    pub read_only: Option<bool>,
    /// `false`: do not run this step by default; `true`: run it although the guide marks it
    /// `snip_id=none`.
    pub run: Option<bool>,
    /// Native checks that replace this step's commands (unless `--no-native`); when given,
    /// they replace the checks docrun would derive from the step.
    #[serde(default)]
    pub native: Vec<CheckSpec>,
}

/// Where an overlay came from, for error messages.
#[derive(Debug, Clone)]
pub struct LoadedOverlay {
    pub overlay: Overlay,
    pub path: PathBuf,
    /// The line in `path` where the overlay starts (1 for a file, the `runbook:` line in front matter).
    pub line: usize,
    /// Where its settings are written, for errors that point at them.
    pub places: OverlayPlaces,
}

/// Where an overlay's settings are written: its file, and the guide's `runbook:` front matter,
/// whose settings are laid over the file's.
#[derive(Debug, Clone, Default)]
pub struct OverlayPlaces {
    file: Option<Places>,
    /// The guide's front matter, whose overlay is under `runbook:`.
    front_matter: Option<Places>,
}

impl OverlayPlaces {
    /// The places of an overlay file.
    pub fn file(places: Places) -> Self {
        OverlayPlaces {
            file: Some(places),
            front_matter: None,
        }
    }

    /// Adds the guide's front matter, which holds a `runbook:` overlay.
    pub fn with_front_matter(mut self, places: Places) -> Self {
        self.front_matter = Some(places);
        self
    }

    /// An error at the setting `path` (overlay keys, e.g. `steps`, `install`, `timeout`):
    /// in the front matter when it declares the setting, else in the file. `at` chooses the
    /// key or the value.
    pub fn error(&self, path: &[Key], at: At, kind: ErrorKind) -> Error {
        let in_front: Vec<Key> = std::iter::once(Key::Name("runbook"))
            .chain(path.iter().copied())
            .collect();
        let (places, path) = match (&self.front_matter, &self.file) {
            (Some(front), _) if front.has(&in_front) => (front, in_front.as_slice()),
            (_, Some(file)) => (file, path),
            (Some(front), None) => (front, in_front.as_slice()),
            (None, None) => return Error::Usage(kind.to_string()),
        };
        let span = match at {
            At::Key => places.key(path),
            At::Value => places.value(path),
        };
        places.error(span, kind, "here").into()
    }

    /// Whether either place mentions `needle` (a whole word).
    pub fn mentions(&self, needle: &str) -> bool {
        [&self.front_matter, &self.file]
            .into_iter()
            .flatten()
            .any(|p| p.find(&[], needle).is_some())
    }

    /// An error at the first mention of `needle` (a whole word) under `path`, in either
    /// place; at the start of the overlay when neither mentions it.
    pub fn error_at_mention(&self, path: &[Key], needle: &str, kind: ErrorKind) -> Error {
        let in_front: Vec<Key> = std::iter::once(Key::Name("runbook"))
            .chain(path.iter().copied())
            .collect();
        let found = self
            .front_matter
            .as_ref()
            .and_then(|p| Some((p, p.find(&in_front, needle)?)))
            .or_else(|| {
                self.file
                    .as_ref()
                    .and_then(|p| Some((p, p.find(path, needle)?)))
            });
        match found {
            Some((places, span)) => places.error(span, kind, "here").into(),
            None => self.error(path, At::Key, kind),
        }
    }
}

/// Which end of a setting an error points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Key,
    Value,
}

/// Reads a step's `mode:` by its name, in any case, `_` or `-`; a wrong one names the modes.
fn mode<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<MatchMode>, D::Error> {
    let Some(name) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    MatchMode::parse(&name).map(Some).ok_or_else(|| {
        let known: Vec<&str> = MatchMode::ALL.iter().map(|m| m.name()).collect();
        serde::de::Error::custom(format!(
            "`{name}` is not a mode (one of {})",
            known.join(", ")
        ))
    })
}

/// The overlay file for a guide: `name.docrun.yaml` for `name.md`, `name.<lang>.md` and
/// `name.mdx`.
pub fn overlay_path(guide: &Path) -> Option<PathBuf> {
    let file = guide.file_name()?.to_str()?;
    let stem = file
        .strip_suffix(".md")
        .or_else(|| file.strip_suffix(".mdx"))?;
    let base = match stem.rsplit_once('.') {
        Some((base, lang)) if lang.len() == 2 || lang.len() == 5 => base,
        _ => stem,
    };
    let candidate = guide.with_file_name(format!("{base}.docrun.yaml"));
    // Asked beside every guide of a tree: its folder's listing answers for the many guides
    // without one, a stat for those with one.
    (crate::boundary::may_exist(&candidate) && candidate.is_file()).then_some(candidate)
}

/// Reads an overlay file. Unknown keys and wrong types are errors naming the file and line.
pub fn load(path: &Path) -> Result<LoadedOverlay, Error> {
    let source = crate::file::load(path)?;
    let places = Places::of_file(source.clone());
    let overlay = parse_in(&places)?;
    Ok(LoadedOverlay {
        overlay,
        path: path.to_path_buf(),
        line: 1,
        places: OverlayPlaces::file(places),
    })
}

/// Parses overlay YAML given as text, as if read from `path`.
pub fn parse(text: &str, path: &Path) -> Result<Overlay, Error> {
    read(text, path).map(|loaded| loaded.overlay)
}

/// An overlay given as text, as if read from `path`, with the places of its settings.
pub fn read(text: &str, path: &Path) -> Result<LoadedOverlay, Error> {
    let places = Places::of_file(Arc::new(Source::new(path, text)));
    let overlay = parse_in(&places)?;
    Ok(LoadedOverlay {
        overlay,
        path: path.to_path_buf(),
        line: 1,
        places: OverlayPlaces::file(places),
    })
}

/// Parses the overlay file `places` reads.
fn parse_in(places: &Places) -> Result<Overlay, Error> {
    places.within_budget(ErrorKind::InvalidOverlay)?;
    serde_yaml::from_str::<Option<Overlay>>(places.source().text())
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            let message = serde_message(&e);
            let span = places.at_line_col(e.location());
            let help = format!("{}{}", readme_hint(&message), variant_hint(&message));
            places
                .error(span, ErrorKind::InvalidOverlay(message), "here")
                .with_help(help)
                .into()
        })
}

/// An overlay given as a value: the front matter's `runbook:` key, whose places are those
/// of the guide's front matter.
pub fn from_value(value: serde_yaml::Value, front_matter: &Places) -> Result<Overlay, Error> {
    serde_yaml::from_value(value).map_err(|e| {
        let message = serde_message(&e);
        let help = format!("{}{}", readme_hint(&message), variant_hint(&message));
        let span = front_matter.key(&[Key::Name("runbook")]);
        front_matter
            .error(
                span,
                ErrorKind::FrontMatterOverlay(message),
                "in this overlay",
            )
            .with_help(help)
            .into()
    })
}

/// serde_yaml's message without the location it appends.
fn serde_message(e: &serde_yaml::Error) -> String {
    let message = e.to_string();
    message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned()
}

/// "; did you mean `kube.reachable`?" for serde's "unknown variant `kube.reachabel`, expected
/// one of ..." message.
fn variant_hint(message: &str) -> String {
    let Some(rest) = message.split("unknown variant `").nth(1) else {
        return String::new();
    };
    let wanted = rest.split('`').next().unwrap_or_default();
    let known = rest
        .split_once("expected")
        .map_or("", |(_, k)| k)
        .split('`')
        .skip(1)
        .step_by(2);
    super::did_you_mean(wanted, known)
}

/// Where the README explains what went wrong: the check catalogue for checks, else overlays.
fn readme_hint(message: &str) -> &'static str {
    if message.contains(".checks") || message.contains(".native") {
        "see \"Native checks\" in the README for the checks and their fields"
    } else {
        "see \"Overlays\" in the README for the keys it takes"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind and `(line, column)` of an overlay error.
    fn located(err: Error) -> (ErrorKind, (usize, usize), String) {
        match err {
            Error::Source(e) => (e.kind().clone(), e.line_col(), e.help.unwrap_or_default()),
            other => panic!("not located: {other}"),
        }
    }

    #[test]
    fn unknown_keys_are_errors_at_the_key() {
        let err = parse(
            "vars:\n  CTX:\n    kind: kube-context\nsteps:\n  a_1:\n    moed: like\n",
            Path::new("g.docrun.yaml"),
        )
        .unwrap_err();
        assert_eq!(crate::outcome::of_error(&err), 2);
        assert!(err.to_string().starts_with("g.docrun.yaml:6:5: "), "{err}");
        let (kind, at, _) = located(err);
        assert!(
            matches!(&kind, ErrorKind::InvalidOverlay(m) if m.contains("unknown field `moed`")),
            "{kind:?}"
        );
        assert_eq!(at, (6, 5));
    }

    #[test]
    fn step_settings_are_typed_where_they_are_read() {
        let o = parse(
            "steps:\n  a: {mode: Not_Contains, timeout: 1m30s, retry: 2}\n",
            Path::new("o.yaml"),
        )
        .unwrap();
        let a = &o.steps["a"];
        assert_eq!(a.mode, Some(MatchMode::NotContains));
        assert_eq!(a.timeout, Some(Duration::from_secs(90)));
        assert_eq!(a.retry, Some(Duration::from_secs(2)));
        for (yaml, wanted, at) in [
            (
                "steps:\n  a:\n    mode: likes\n",
                "`likes` is not a mode",
                (3, 11),
            ),
            ("steps:\n  a:\n    timeout: soon\n", "`soon`", (3, 14)),
            ("steps:\n  a:\n    retry: -1s\n", "`-1s`", (3, 12)),
        ] {
            let (kind, got, _) = located(parse(yaml, Path::new("o.yaml")).unwrap_err());
            assert!(
                matches!(&kind, ErrorKind::InvalidOverlay(m) if m.contains(wanted)),
                "{yaml}: {kind:?}"
            );
            assert_eq!(got.0, at.0, "{yaml}");
        }
    }

    #[test]
    fn a_full_overlay_reads() {
        let o = parse(
            "vars:\n  CTX_CLUSTER1: {kind: kube-context}\nprerequisites:\n  - section: configure-trust\n    text: common root\n    checks: [{check: trust.common-root, contexts: [$CTX_CLUSTER1, $CTX_CLUSTER2]}]\nsteps:\n  verify_1: {mode: contains, timeout: 30s, run: true}\n",
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(o.vars["CTX_CLUSTER1"].kind, Some(VarKindName::KubeContext));
        assert_eq!(
            o.prerequisites[0].section.as_deref(),
            Some("configure-trust")
        );
        assert_eq!(o.steps["verify_1"].run, Some(true));
    }

    #[test]
    fn checks_are_typed_and_wrong_ones_are_errors_with_the_line() {
        let o = parse(
            "prerequisites:\n  - text: x\n    checks:\n      - {check: kube.reachable, context: $CTX}\nsteps:\n  a_1:\n    native:\n      - {check: kube.rollout, context: c, namespace: n, kind: Deployment, name: d}\n",
            Path::new("o.yaml"),
        )
        .unwrap();
        assert_eq!(
            o.prerequisites[0].checks,
            vec![CheckSpec::Reachable {
                context: "$CTX".into()
            }]
        );
        assert_eq!(o.steps["a_1"].native[0].name(), "kube.rollout");
        for (yaml, line, wanted) in [
            (
                "prerequisites:\n  - text: x\n    checks:\n      - {check: kube.reachabel, context: a}\n",
                4,
                "unknown variant `kube.reachabel`, expected one of",
            ),
            (
                "prerequisites:\n  - text: x\n    checks:\n      - check: kube.reachable\n        contxt: a\n",
                4,
                "unknown field `contxt`, expected `context`",
            ),
            (
                "steps:\n  a_1:\n    native:\n      - {check: kube.rollout, context: a, namespace: b, kind: Deployment}\n",
                4,
                "missing field `name`",
            ),
        ] {
            let err = parse(yaml, Path::new("o.yaml")).unwrap_err();
            assert_eq!(crate::outcome::of_error(&err), 2);
            let (kind, at, help) = located(err);
            assert!(
                matches!(&kind, ErrorKind::InvalidOverlay(m) if m.contains(wanted)),
                "{kind:?}"
            );
            assert_eq!(at.0, line, "{yaml}");
            assert!(help.contains("\"Native checks\" in the README"), "{help}");
        }
        let err = parse(
            "prerequisites:\n  - text: x\n    checks:\n      - {check: kube.reachabel, context: a}\n",
            Path::new("o.yaml"),
        )
        .unwrap_err();
        let (_, _, help) = located(err);
        assert!(help.contains("(did you mean `kube.reachable`?)"), "{help}");
    }

    #[test]
    fn front_matter_checks_point_at_the_runbook_key_in_the_guide() {
        let text = "---\ntitle: T\nrunbook:\n  prerequisites:\n    - text: x\n      checks: [{check: kube.version, context: a}]\n---\n";
        let places = Places::read(Arc::new(Source::new("guide.md", text)), 4, text.len() - 8);
        let value: serde_yaml::Value = serde_yaml::from_str(
            "prerequisites:\n  - text: x\n    checks: [{check: kube.version, context: a}]\n",
        )
        .unwrap();
        let err = from_value(value, &places).unwrap_err();
        assert_eq!(crate::outcome::of_error(&err), 2);
        assert!(err.to_string().starts_with("guide.md:3:1: "), "{err}");
        let (kind, at, _) = located(err);
        assert!(
            matches!(&kind, ErrorKind::FrontMatterOverlay(m) if m.contains("missing field `versions`")),
            "{kind:?}"
        );
        assert_eq!(at, (3, 1));
    }

    #[test]
    fn one_overlay_serves_every_language() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("guide.docrun.yaml"), "").unwrap();
        for name in ["guide.md", "guide.zh.md", "guide.en.md", "guide.pt-br.md"] {
            assert_eq!(
                overlay_path(&dir.path().join(name)),
                Some(dir.path().join("guide.docrun.yaml")),
                "{name}"
            );
        }
        assert_eq!(overlay_path(&dir.path().join("other.md")), None);
    }
}
