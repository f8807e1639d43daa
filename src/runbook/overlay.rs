//! Overlays: settings and checks declared for a guide, in a `<name>.docrun.yaml` file beside it
//! or under a `runbook:` key in its front matter.
//!
//! An overlay is keyed by section anchors and step ids, which are the same in every language,
//! so one overlay file serves `guide.en.md` and `guide.zh.md` alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::check::CheckSpec;
use crate::error::Error;

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
    pub mode: Option<String>,
    /// The step's timeout, e.g. `30s`, `5m`.
    pub timeout: Option<String>,
    /// Retry a verification step until it passes or this much time has gone, e.g. `2m`.
    pub retry: Option<String>,
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
}

/// The overlay file for a guide: `name.docrun.yaml` for `name.md` and `name.<lang>.md`.
pub fn overlay_path(guide: &Path) -> Option<PathBuf> {
    let file = guide.file_name()?.to_str()?;
    let stem = file.strip_suffix(".md")?;
    let base = match stem.rsplit_once('.') {
        Some((base, lang)) if lang.len() == 2 || lang.len() == 5 => base,
        _ => stem,
    };
    let candidate = guide.with_file_name(format!("{base}.docrun.yaml"));
    candidate.is_file().then_some(candidate)
}

/// Reads an overlay file. Unknown keys and wrong types are errors naming the file and line.
pub fn load(path: &Path) -> Result<LoadedOverlay, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let overlay = parse(&text, path, 1)?;
    Ok(LoadedOverlay {
        overlay,
        path: path.to_path_buf(),
        line: 1,
    })
}

/// Parses overlay YAML; `first_line` is the line of `text`'s first line in `path`.
pub fn parse(text: &str, path: &Path, first_line: usize) -> Result<Overlay, Error> {
    serde_yaml::from_str::<Option<Overlay>>(text)
        .map(Option::unwrap_or_default)
        .map_err(|e| yaml_error(&e, path, first_line))
}

/// An overlay given as a value (the front matter's `runbook:` key).
pub fn from_value(value: serde_yaml::Value, path: &Path, line: usize) -> Result<Overlay, Error> {
    serde_yaml::from_value(value).map_err(|e| {
        let message = e.to_string();
        Error::Usage(format!(
            "{}:{line}: the `runbook:` front matter is not a valid overlay: {message}{}\nhint: {}",
            path.display(),
            variant_hint(&message),
            readme_hint(&message)
        ))
    })
}

fn yaml_error(e: &serde_yaml::Error, path: &Path, first_line: usize) -> Error {
    let message = e.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    let location = match e.location() {
        Some(l) => format!(
            "{}:{}:{}",
            path.display(),
            l.line() + first_line - 1,
            l.column()
        ),
        None => path.display().to_string(),
    };
    Error::Usage(format!(
        "{location}: invalid overlay: {message}{}\nhint: {}",
        variant_hint(&message),
        readme_hint(&message)
    ))
}

/// " (did you mean `kube.reachable`?)" for serde's "unknown variant `kube.reachabel`, expected
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

    #[test]
    fn unknown_keys_are_errors_with_the_line() {
        let err = parse(
            "vars:\n  CTX:\n    kind: kube-context\nsteps:\n  a_1:\n    moed: like\n",
            Path::new("g.docrun.yaml"),
            1,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("g.docrun.yaml:6:"), "{text}");
        assert!(text.contains("unknown field `moed`"), "{text}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn a_full_overlay_reads() {
        let o = parse(
            "vars:\n  CTX_CLUSTER1: {kind: kube-context}\nprerequisites:\n  - section: configure-trust\n    text: common root\n    checks: [{check: trust.common-root, contexts: [$CTX_CLUSTER1, $CTX_CLUSTER2]}]\nsteps:\n  verify_1: {mode: contains, timeout: 30s, run: true}\n",
            Path::new("x"),
            1,
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
            1,
        )
        .unwrap();
        assert_eq!(
            o.prerequisites[0].checks,
            vec![CheckSpec::Reachable {
                context: "$CTX".into()
            }]
        );
        assert_eq!(o.steps["a_1"].native[0].name(), "kube.rollout");
        for (yaml, location, wanted) in [
            (
                "prerequisites:\n  - text: x\n    checks:\n      - {check: kube.reachabel, context: a}\n",
                "o.yaml:4:",
                "unknown variant `kube.reachabel`, expected one of",
            ),
            (
                "prerequisites:\n  - text: x\n    checks:\n      - check: kube.reachable\n        contxt: a\n",
                "o.yaml:4:",
                "unknown field `contxt`, expected `context`",
            ),
            (
                "steps:\n  a_1:\n    native:\n      - {check: kube.rollout, context: a, namespace: b, kind: Deployment}\n",
                "o.yaml:4:",
                "missing field `name`",
            ),
        ] {
            let err = parse(yaml, Path::new("o.yaml"), 1).unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with(location), "{text}");
            assert!(text.contains(wanted), "{text}");
            assert!(text.contains("\"Native checks\" in the README"), "{text}");
            assert_eq!(err.exit_code(), 2);
        }
        let err = parse(
            "prerequisites:\n  - text: x\n    checks:\n      - {check: kube.reachabel, context: a}\n",
            Path::new("o.yaml"),
            1,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("(did you mean `kube.reachable`?)"),
            "{err}"
        );
    }

    #[test]
    fn front_matter_checks_report_the_guide_and_the_runbook_line() {
        let value: serde_yaml::Value = serde_yaml::from_str(
            "prerequisites:\n  - text: x\n    checks: [{check: kube.version, context: a}]\n",
        )
        .unwrap();
        let err = from_value(value, Path::new("guide.md"), 7).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("guide.md:7: the `runbook:` front matter"),
            "{text}"
        );
        assert!(text.contains("missing field `versions`"), "{text}");
        assert_eq!(err.exit_code(), 2);
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
