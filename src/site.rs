//! Site data: the values a site's build puts into its pages, so that docrun renders them the
//! same way.
//!
//! - istio.io: `data/args.yml` and `data/compatibility/supportStatus.yml`, rendered by value
//!   shortcodes (`{{< istio_version >}}`, `{{< supported_kubernetes_versions >}}`, ...).
//! - Linkerd (Hugo): `data/versions.yaml`, rendered by `{{< latest-edge-version >}}`,
//!   `{{< edge-version "2.18" >}}` (the newest without an argument) and `{{< chart-version >}}`
//!   (`edge-25.1.0` gives `2025.1.0`).
//! - cert-manager: `variables.json`, rendered by `[[VAR::name]]`.
//! - MkDocs: `mkdocs.yml`'s `extra:` values, rendered by macros `{{ name }}`; whether the
//!   macros plugin is on (then `{% raw %}` marks literal text), and `pymdownx.snippets`'
//!   `base_path` (where `--8<--` snippets are looked for first).
//!
//! A value the data does not give stays as written; the runbook warns about a shortcode left
//! in a command.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use minijinja::Environment;
use regex::Regex;
use serde::Deserialize;

use crate::error::Error;

/// Value shortcodes and the minijinja template each renders, over `args.yml` plus `k8s_versions`.
const VALUE_SHORTCODES: &[(&str, &str)] = &[
    ("istio_version", "{{ version }}"),
    ("istio_full_version", "{{ full_version }}"),
    ("istio_previous_version", "{{ previous_version }}"),
    (
        "istio_full_version_revision",
        "{{ full_version | replace('.', '-') }}",
    ),
    (
        "istio_previous_version_revision",
        "{{ previous_version | replace('.', '-') }}",
    ),
    ("k8s_gateway_api_version", "{{ k8s_gateway_api_version }}"),
    (
        "github_file",
        "https://raw.githubusercontent.com/istio/istio/{{ source_branch_name }}",
    ),
    (
        "supported_kubernetes_versions",
        "{{ k8s_versions | join(', ') }}",
    ),
];

/// The site data of a documentation tree.
#[derive(Debug)]
pub struct SiteData {
    /// The `data` folder (istio.io, Linkerd), or the folder of `variables.json` or `mkdocs.yml`.
    pub dir: PathBuf,
    /// `args.yml` as a mapping, plus `k8s_versions` from the support status.
    context: serde_yaml::Value,
    k8s_versions: Vec<String>,
    rendered: Vec<(&'static str, String)>,
    /// Value shortcodes with an argument: (name, first argument, value); `None` for the form
    /// without argument.
    shortcodes: Vec<(String, Option<String>, String)>,
    /// `[[VAR::name]]` values (cert-manager).
    variables: Vec<(String, String)>,
    /// `{{ name }}` macro values (MkDocs `extra:`).
    macros: Vec<(String, String)>,
    /// Whether `mkdocs.yml` turns the macros plugin on (`plugins:` names `macros`).
    macros_plugin: bool,
    /// `pymdownx.snippets`' `base_path` entries, joined to the folder of `mkdocs.yml`, in
    /// their order; empty when the site does not set it.
    snippet_bases: Vec<PathBuf>,
    /// Where the macros plugin finds `{% include "file" %}`: its `include_dir`, else the docs
    /// folder (`docs_dir`, `docs` unless set), joined to the folder of `mkdocs.yml`.
    macros_include_dir: Option<PathBuf>,
}

/// The files that hold a site's data, looked for in each folder above a guide, nearest first.
const DATA_FILES: &[&str] = &[
    "data/args.yml",
    "data/versions.yaml",
    "variables.json",
    "mkdocs.yml",
];

#[derive(Deserialize)]
struct Release {
    version: serde_yaml::Value,
    #[serde(default, rename = "k8sVersions")]
    k8s_versions: Vec<serde_yaml::Value>,
}

impl SiteData {
    /// Loads the site data of a folder: a `data` folder (or one that holds `data/`) with
    /// istio.io's `args.yml` or Linkerd's `versions.yaml`, or a folder with `variables.json` or
    /// `mkdocs.yml`.
    pub fn load(dir: &Path) -> Result<SiteData, Error> {
        let data = if dir.ends_with("data") {
            dir.to_path_buf()
        } else {
            dir.join("data")
        };
        if data.join("args.yml").is_file() {
            return SiteData::load_istio(&data);
        }
        if dir.join("args.yml").is_file() {
            return SiteData::load_istio(dir);
        }
        if data.join("versions.yaml").is_file() {
            return SiteData::load_linkerd(&data);
        }
        if dir.join("versions.yaml").is_file() {
            return SiteData::load_linkerd(dir);
        }
        if dir.join("variables.json").is_file() {
            return SiteData::load_variables(dir);
        }
        if dir.join("mkdocs.yml").is_file() {
            return SiteData::load_mkdocs(dir);
        }
        Err(Error::Usage(format!(
            "{}: no args.yml here, nor data/args.yml, data/versions.yaml, variables.json or mkdocs.yml\nhint: --site-data names the folder that holds the site's data",
            dir.display()
        )))
    }

    fn empty(dir: &Path) -> SiteData {
        SiteData {
            dir: dir.to_path_buf(),
            context: serde_yaml::Value::Mapping(Default::default()),
            k8s_versions: Vec::new(),
            rendered: Vec::new(),
            shortcodes: Vec::new(),
            variables: Vec::new(),
            macros: Vec::new(),
            macros_plugin: false,
            macros_include_dir: None,
            snippet_bases: Vec::new(),
        }
    }

    /// Linkerd's `versions.yaml`: a list of `{version, edge}` releases.
    fn load_linkerd(dir: &Path) -> Result<SiteData, Error> {
        #[derive(Deserialize)]
        struct Release {
            version: serde_yaml::Value,
            edge: Option<String>,
        }
        let path = dir.join("versions.yaml");
        let releases: Vec<Release> = serde_yaml::from_value(read_yaml(&path)?)
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        let mut site = SiteData::empty(dir);
        let mut newest: Option<(Vec<u64>, String)> = None;
        for release in &releases {
            let (Some(version), Some(edge)) = (yaml_scalar(&release.version), &release.edge) else {
                continue;
            };
            let key: Vec<u64> = version.split('.').filter_map(|p| p.parse().ok()).collect();
            if newest.as_ref().is_none_or(|(k, _)| key > *k) {
                newest = Some((key, edge.clone()));
            }
            site.shortcodes
                .push(("edge-version".into(), Some(version.clone()), edge.clone()));
            site.shortcodes.push((
                "chart-version".into(),
                Some(version.clone()),
                chart_version(edge),
            ));
        }
        if let Some((_, edge)) = newest {
            site.shortcodes
                .push(("latest-edge-version".into(), None, edge.clone()));
            site.shortcodes
                .push(("edge-version".into(), None, edge.clone()));
            site.shortcodes
                .push(("chart-version".into(), None, chart_version(&edge)));
        }
        Ok(site)
    }

    /// cert-manager's `variables.json`: a mapping of names to values.
    fn load_variables(dir: &Path) -> Result<SiteData, Error> {
        let path = dir.join("variables.json");
        let text = read_text(&path)?;
        let values: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            .map_err(|e| {
                Error::Usage(format!(
                    "{}:{}:{}: not a JSON object of values: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                ))
            })?;
        let mut site = SiteData::empty(dir);
        site.variables = values
            .into_iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k, s)),
                serde_json::Value::Number(n) => Some((k, n.to_string())),
                serde_json::Value::Bool(b) => Some((k, b.to_string())),
                _ => None,
            })
            .collect();
        Ok(site)
    }

    /// MkDocs' `extra:` values, which the macros plugin renders as `{{ name }}`.
    fn load_mkdocs(dir: &Path) -> Result<SiteData, Error> {
        let path = dir.join("mkdocs.yml");
        let text = read_text(&path)?;
        within_budget(&path, &text)?;
        // mkdocs.yml may hold Python tags (`!!python/name:...`): read only what parses.
        let value: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_default();
        let mut site = SiteData::empty(dir);
        if let Some(extra) = value.get("extra").and_then(|e| e.as_mapping()) {
            site.macros = extra
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), yaml_scalar(v)?)))
                .collect();
        }
        site.macros_plugin = mkdocs_plugin(&value, "macros");
        site.macros_include_dir = site
            .macros_plugin
            .then(|| dir.join(macros_include_dir(&value)));
        site.snippet_bases = snippet_base_paths(&value)
            .into_iter()
            .map(|base| dir.join(base))
            .collect();
        Ok(site)
    }

    /// Whether the site's MkDocs build runs the macros plugin, which renders `{{ ... }}` and
    /// `{% ... %}` before Markdown is read (`{% raw %}` ... `{% endraw %}` left literal).
    pub fn mkdocs_macros(&self) -> bool {
        self.macros_plugin
    }

    /// The folder the macros plugin reads `{% include "file" %}` from, when the site runs the
    /// plugin. Not checked against the documentation tree: the reader of the file does that.
    pub fn macros_include_dir(&self) -> Option<&Path> {
        self.macros_include_dir.as_deref()
    }

    /// The folders (or files) `pymdownx.snippets` resolves a `--8<--` name against, in order,
    /// as `mkdocs.yml`'s `base_path` gives them relative to its folder. Not checked against
    /// the documentation tree: the reader of a snippet does that.
    pub fn snippet_bases(&self) -> &[PathBuf] {
        &self.snippet_bases
    }

    /// istio.io's `args.yml` and support status.
    fn load_istio(dir: &Path) -> Result<SiteData, Error> {
        let dir = dir.to_path_buf();
        let args_path = dir.join("args.yml");
        let mut context = read_yaml(&args_path)?;
        if !context.is_mapping() {
            return Err(Error::Usage(format!(
                "{}: expected a mapping of site values",
                args_path.display()
            )));
        }
        let status_path = dir.join("compatibility/supportStatus.yml");
        let k8s_versions = if status_path.is_file() {
            let releases: Vec<Release> = serde_yaml::from_value(read_yaml(&status_path)?)
                .map_err(|e| Error::Usage(format!("{}: {e}", status_path.display())))?;
            let branch = context
                .get("source_branch_name")
                .and_then(yaml_scalar)
                .unwrap_or_default();
            let release = releases
                .iter()
                .find(|r| yaml_scalar(&r.version).as_deref() == Some(branch.as_str()))
                .or(releases.first());
            release
                .map(|r| r.k8s_versions.iter().filter_map(yaml_scalar).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        if let Some(map) = context.as_mapping_mut() {
            map.insert(
                "k8s_versions".into(),
                serde_yaml::Value::Sequence(
                    k8s_versions.iter().map(|v| v.as_str().into()).collect(),
                ),
            );
        }
        let mut data = SiteData {
            context,
            k8s_versions,
            ..SiteData::empty(&dir)
        };
        data.rendered = data.render_all()?;
        Ok(data)
    }

    /// Walks up from a guide to the first folder with site data (see [`DATA_FILES`]): the
    /// folder to give [`SiteData::load`].
    pub fn find_for(guide: &Path) -> Option<PathBuf> {
        // Up to the documentation root, and only files no other user could have written.
        crate::boundary::folders_up_to_root(guide)
            .into_iter()
            .find_map(|d| {
                DATA_FILES
                    .iter()
                    .find(|f| crate::boundary::trusted(&d.join(f)))
                    .map(|f| {
                        if f.starts_with("data/") {
                            d.join("data")
                        } else {
                            d.to_path_buf()
                        }
                    })
            })
    }

    /// A site value from `args.yml` (`version`, `full_version`, `source_branch_name`, ...).
    pub fn value(&self, key: &str) -> Option<String> {
        self.context.get(key).and_then(yaml_scalar)
    }

    /// The Kubernetes versions the documented release supports.
    pub fn supported_kubernetes_versions(&self) -> &[String] {
        &self.k8s_versions
    }

    /// The text a value shortcode with an optional first argument renders to.
    pub fn render_tag(&self, name: &str, arg: Option<&str>) -> Option<&str> {
        if arg.is_none() {
            if let Some(value) = self.render(name) {
                return Some(value);
            }
        }
        self.shortcodes
            .iter()
            .find(|(n, a, _)| n == name && a.as_deref() == arg)
            .map(|(_, _, v)| v.as_str())
    }

    /// The text a value shortcode renders to, or `None` for a shortcode that is not a value.
    pub fn render(&self, name: &str) -> Option<&str> {
        self.rendered
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn render_all(&self) -> Result<Vec<(&'static str, String)>, Error> {
        let env = Environment::new();
        VALUE_SHORTCODES
            .iter()
            .filter(|(name, _)| match *name {
                "supported_kubernetes_versions" => !self.k8s_versions.is_empty(),
                _ => true,
            })
            .filter_map(|(name, template)| {
                let rendered = env.render_str(template, &self.context);
                match rendered {
                    // A key missing from args.yml renders empty: leave that shortcode unrendered.
                    Ok(text) if text.is_empty() => None,
                    Ok(text) => Some(Ok((*name, text))),
                    Err(e) => Some(Err(Error::Usage(format!(
                        "{}: cannot render {{{{< {name} >}}}}: {e}",
                        self.dir.join("args.yml").display()
                    )))),
                }
            })
            .collect()
    }
}

fn read_yaml(path: &Path) -> Result<serde_yaml::Value, Error> {
    let text = read_text(path)?;
    within_budget(path, &text)?;
    serde_yaml::from_str(&text).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

/// A site data file's text, read as every text file docrun reads (a regular file of bounded
/// size, UTF-8 without NUL bytes: [`crate::file::load`]).
fn read_text(path: &Path) -> Result<String, Error> {
    Ok(crate::file::load(path)?.text().to_owned())
}

/// Refuses YAML whose aliases would expand past the budget (see [`crate::yaml::within_budget`]).
fn within_budget(path: &Path, text: &str) -> Result<(), Error> {
    crate::yaml::within_budget(text)
        .map_err(|over| Error::Usage(format!("{}: {over}", path.display())))
}

fn yaml_scalar(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `edge-25.1.0` -> `2025.1.0`: the Helm chart version of a Linkerd edge release.
fn chart_version(edge: &str) -> String {
    let version = edge.strip_prefix("edge-").unwrap_or(edge);
    match version.split_once('.') {
        Some((year, rest)) if year.len() == 2 => format!("20{year}.{rest}"),
        _ => version.to_owned(),
    }
}

static VALUE_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\{\{[<%]\s*([A-Za-z0-9_.-]+)(?:\s+(?:"([^"]*)"|([^\s">%]+)))?\s*[>%]\}\}"#)
        .unwrap()
});
static VAR_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[\[VAR::([A-Za-z0-9_]+)\]\]").unwrap());
static MACRO_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}").unwrap());

/// Whether `mkdocs.yml`'s `plugins:` (a list of names or one-key mappings, or a mapping)
/// names `plugin`.
fn mkdocs_plugin(config: &serde_yaml::Value, plugin: &str) -> bool {
    match config.get("plugins") {
        Some(serde_yaml::Value::Sequence(list)) => list.iter().any(|p| match p {
            serde_yaml::Value::String(name) => name == plugin,
            serde_yaml::Value::Mapping(m) => m.get(plugin).is_some(),
            _ => false,
        }),
        Some(serde_yaml::Value::Mapping(m)) => m.get(plugin).is_some(),
        _ => false,
    }
}

/// The macros plugin's `include_dir` (in `plugins:`, as a list of one-key mappings or a
/// mapping), else MkDocs' `docs_dir`, else `docs`, as `mkdocs.yml` writes it.
fn macros_include_dir(config: &serde_yaml::Value) -> String {
    let options = match config.get("plugins") {
        Some(serde_yaml::Value::Sequence(list)) => list.iter().find_map(|p| p.get("macros")),
        Some(serde_yaml::Value::Mapping(m)) => m.get("macros"),
        _ => None,
    };
    let setting = |value: Option<&serde_yaml::Value>| {
        value
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    setting(options.and_then(|o| o.get("include_dir")))
        .or_else(|| setting(config.get("docs_dir")))
        .unwrap_or_else(|| "docs".to_owned())
}

/// `pymdownx.snippets`' `base_path` in `markdown_extensions` (a list of names or one-key
/// mappings, or a mapping): a string or a list of strings; empty when not set.
fn snippet_base_paths(config: &serde_yaml::Value) -> Vec<String> {
    const KEY: &str = "pymdownx.snippets";
    let options = match config.get("markdown_extensions") {
        Some(serde_yaml::Value::Sequence(list)) => list.iter().find_map(|e| e.get(KEY)),
        Some(serde_yaml::Value::Mapping(m)) => m.get(KEY),
        _ => None,
    };
    match options.and_then(|o| o.get("base_path")) {
        Some(serde_yaml::Value::String(one)) => vec![one.clone()],
        Some(serde_yaml::Value::Sequence(many)) => many
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Replaces every site value in `text` that the site data can render: value shortcodes,
/// `[[VAR::name]]` and `{{ name }}` macros. Others stay as written.
pub fn render_values(text: &str, site: Option<&SiteData>) -> String {
    let Some(site) = site else {
        return text.to_owned();
    };
    let mut out = std::borrow::Cow::Borrowed(text);
    if out.contains("{{<") || out.contains("{{%") {
        let replaced = VALUE_TAG.replace_all(&out, |caps: &regex::Captures| {
            let name = &caps[1];
            let arg = caps.get(2).or(caps.get(3)).map(|m| m.as_str());
            site.render_tag(name, arg)
                .map_or_else(|| caps[0].to_owned(), str::to_owned)
        });
        out = std::borrow::Cow::Owned(replaced.into_owned());
    }
    if !site.variables.is_empty() && out.contains("[[VAR::") {
        let replaced = VAR_TAG.replace_all(&out, |caps: &regex::Captures| {
            lookup(&site.variables, &caps[1]).map_or_else(|| caps[0].to_owned(), str::to_owned)
        });
        out = std::borrow::Cow::Owned(replaced.into_owned());
    }
    if !site.macros.is_empty() && out.contains("{{") {
        let replaced = MACRO_TAG.replace_all(&out, |caps: &regex::Captures| {
            lookup(&site.macros, &caps[1]).map_or_else(|| caps[0].to_owned(), str::to_owned)
        });
        out = std::borrow::Cow::Owned(replaced.into_owned());
    }
    out.into_owned()
}

fn lookup<'a>(values: &'a [(String, String)], name: &str) -> Option<&'a str> {
    values
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mkdocs_plugins_and_snippet_base_paths_in_each_form() {
        let yaml = |t: &str| serde_yaml::from_str::<serde_yaml::Value>(t).unwrap();
        let listed = yaml(
            "plugins:\n  - search\n  - macros\nmarkdown_extensions:\n  - admonition\n  - pymdownx.snippets:\n      base_path: docs/snippets\n  - emoji: !!python/name:x.y\n",
        );
        assert!(mkdocs_plugin(&listed, "macros"));
        assert_eq!(snippet_base_paths(&listed), vec!["docs/snippets"]);
        let mapped = yaml(
            "plugins:\n  search: {}\n  macros:\n    module_name: hack/macros\nmarkdown_extensions:\n  pymdownx.snippets:\n    base_path: [., includes]\n",
        );
        assert!(mkdocs_plugin(&mapped, "macros"));
        assert_eq!(snippet_base_paths(&mapped), vec![".", "includes"]);
        assert_eq!(macros_include_dir(&listed), "docs");
        let included =
            yaml("docs_dir: site-src\nplugins:\n  - macros:\n      include_dir: docs/snippets\n");
        assert_eq!(macros_include_dir(&included), "docs/snippets");
        assert_eq!(
            macros_include_dir(&yaml("docs_dir: site-src\nplugins: [macros]\n")),
            "site-src"
        );
        let neither = yaml("plugins:\n  - search\nmarkdown_extensions:\n  - pymdownx.snippets\n");
        assert!(!mkdocs_plugin(&neither, "macros"));
        assert!(snippet_base_paths(&neither).is_empty());
    }

    fn corpus_site() -> SiteData {
        SiteData::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/runbooks/istio/data"
        )))
        .unwrap()
    }

    #[test]
    fn value_shortcodes_render_from_args_and_support_status() {
        let site = corpus_site();
        let cases = [
            ("istio_version", "1.27"),
            ("istio_full_version", "1.27.0"),
            ("istio_full_version_revision", "1-27-0"),
            ("istio_previous_version_revision", "1-26"),
            ("k8s_gateway_api_version", "v1.3.0"),
            (
                "github_file",
                "https://raw.githubusercontent.com/istio/istio/master",
            ),
            ("supported_kubernetes_versions", "1.29, 1.30, 1.31, 1.32"),
        ];
        for (name, expected) in cases {
            assert_eq!(site.render(name), Some(expected), "{name}");
        }
        assert_eq!(site.render("gloss"), None);
    }

    #[test]
    fn rendering_in_text_leaves_other_shortcodes() {
        let site = corpus_site();
        assert_eq!(
            render_values(
                "istioctl-{{< istio_full_version >}} {{< gloss >}}",
                Some(&site)
            ),
            "istioctl-1.27.0 {{< gloss >}}"
        );
    }

    #[test]
    fn a_folder_without_args_is_a_clear_error() {
        let err = SiteData::load(Path::new("/nonexistent")).unwrap_err();
        assert!(err.to_string().contains("no args.yml"));
        assert_eq!(crate::outcome::of_error(&err), 2);
    }
}
