//! Hugo site data (`data/args.yml`, `data/compatibility/supportStatus.yml`) and the value
//! shortcodes rendered from it (`{{< istio_version >}}`, `{{< supported_kubernetes_versions >}}`, ...).

use std::path::{Path, PathBuf};

use minijinja::Environment;
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

/// The site data of a Hugo documentation tree.
#[derive(Debug)]
pub struct SiteData {
    /// The `data` folder.
    pub dir: PathBuf,
    /// `args.yml` as a mapping, plus `k8s_versions` from the support status.
    context: serde_yaml::Value,
    k8s_versions: Vec<String>,
    rendered: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
struct Release {
    version: serde_yaml::Value,
    #[serde(default, rename = "k8sVersions")]
    k8s_versions: Vec<serde_yaml::Value>,
}

impl SiteData {
    /// Loads the site data from a `data` folder, or from a folder that holds `data/`.
    pub fn load(dir: &Path) -> Result<SiteData, Error> {
        let dir = if dir.join("args.yml").is_file() {
            dir.to_path_buf()
        } else if dir.join("data/args.yml").is_file() {
            dir.join("data")
        } else {
            return Err(Error::Usage(format!(
                "{}: no args.yml here nor in {}/data\nhint: --site-data names the Hugo `data` folder that holds args.yml",
                dir.display(),
                dir.display()
            )));
        };
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
            dir,
            context,
            k8s_versions,
            rendered: Vec::new(),
        };
        data.rendered = data.render_all()?;
        Ok(data)
    }

    /// Walks up from a guide to the first folder with `data/args.yml`.
    pub fn find_for(guide: &Path) -> Option<PathBuf> {
        let start = guide.canonicalize().ok()?;
        start
            .ancestors()
            .skip(1)
            .map(|d| d.join("data"))
            .find(|d| d.join("args.yml").is_file())
    }

    /// A site value from `args.yml` (`version`, `full_version`, `source_branch_name`, ...).
    pub fn value(&self, key: &str) -> Option<String> {
        self.context.get(key).and_then(yaml_scalar)
    }

    /// The Kubernetes versions the documented release supports.
    pub fn supported_kubernetes_versions(&self) -> &[String] {
        &self.k8s_versions
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
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_yaml::from_str(&text).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

fn yaml_scalar(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Replaces every value shortcode in `text` that the site data can render.
pub fn render_values(text: &str, site: Option<&SiteData>) -> String {
    let Some(site) = site else {
        return text.to_owned();
    };
    if !text.contains("{{<") {
        return text.to_owned();
    }
    let mut out = text.to_owned();
    for (name, value) in &site.rendered {
        let tag = format!("{{{{< {name} >}}}}");
        if out.contains(&tag) {
            out = out.replace(&tag, value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(err.exit_code(), 2);
    }
}
