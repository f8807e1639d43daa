//! The objects a kubectl command sends, read at plan time: YAML documents with the line each
//! starts on, `-l` selectors applied to them, and the objects `kubectl create namespace|secret|
//! configmap|serviceaccount` builds from its arguments.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{json, Map, Value};

/// Where an object comes from: a file and the line its document starts on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One object of a manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub object: Value,
    pub origin: Origin,
}

impl Manifest {
    pub fn api_version(&self) -> &str {
        self.object["apiVersion"].as_str().unwrap_or("")
    }
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or("")
    }
    pub fn namespace(&self) -> Option<&str> {
        self.object["metadata"]["namespace"].as_str()
    }
}

/// Reads the YAML documents of `text` (`first_line` is the 1-based line of its first line in
/// `file`). Empty documents are skipped and a `List` gives its items. `Err` says which document
/// is not valid YAML or not an object with `apiVersion`, `kind` and `metadata.name`.
pub fn read_documents(text: &str, file: &Path, first_line: usize) -> Result<Vec<Manifest>, String> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let lines: Vec<&str> = text.lines().collect();
    let mut chunks: Vec<(usize, String)> = Vec::new();
    let mut current = String::new();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("---") && line[3..].trim().is_empty() || *line == "---" {
            chunks.push((start, std::mem::take(&mut current)));
            start = i + 1;
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    chunks.push((start, current));
    for (offset, chunk) in chunks {
        if chunk
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        // The document's first line that is not blank or a comment is where it starts.
        let skip = chunk
            .lines()
            .position(|l| !(l.trim().is_empty() || l.trim_start().starts_with('#')))
            .unwrap_or(0);
        let origin = Origin {
            file: file.to_path_buf(),
            line: first_line + offset + skip,
        };
        let value: serde_yaml::Value = serde_yaml::from_str(&chunk).map_err(|e| {
            let at = e
                .location()
                .map_or(origin.line, |l| first_line + offset + l.line() - 1);
            format!("{}:{at}: not valid YAML: {e}", file.display())
        })?;
        let value = serde_json::to_value(value)
            .map_err(|e| format!("{origin}: cannot read the document: {e}"))?;
        if value["kind"].as_str().is_some_and(|k| k.ends_with("List")) && value["items"].is_array()
        {
            for item in value["items"].as_array().into_iter().flatten() {
                out.push(checked(item.clone(), &origin)?);
            }
            continue;
        }
        out.push(checked(value, &origin)?);
    }
    Ok(out)
}

fn checked(object: Value, origin: &Origin) -> Result<Manifest, String> {
    if !object.is_object() {
        return Err(format!("{origin}: the document is not an object"));
    }
    for (what, ok) in [
        ("apiVersion", object["apiVersion"].is_string()),
        ("kind", object["kind"].is_string()),
        ("metadata.name", object["metadata"]["name"].is_string()),
    ] {
        if !ok {
            return Err(format!("{origin}: the object has no {what}"));
        }
    }
    Ok(Manifest {
        object,
        origin: origin.clone(),
    })
}

/// Reads a manifest file or the YAML and JSON files of a folder (`recursive` into its
/// sub-folders, as `kubectl -R`), in name order. Only regular files inside the documentation
/// tree `root` are read (see [`crate::boundary`]): a path out of it, a link out of it, a device
/// or a FIFO is an error naming it.
pub fn read_path(
    root: &Path,
    path: &Path,
    shown: &Path,
    recursive: bool,
) -> Result<Vec<Manifest>, String> {
    let name = shown.display().to_string();
    let outside = |p: &Path| {
        p.canonicalize().map_or(true, |c| {
            !c.starts_with(root.canonicalize().unwrap_or_default())
        })
    };
    if path.is_dir() {
        if outside(path) {
            return Err(crate::boundary::Refused::Outside {
                name,
                path: path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
                root: root.to_path_buf(),
            }
            .to_string());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", shown.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        let mut out = Vec::new();
        for entry in entries {
            let name = entry.file_name().map(PathBuf::from).unwrap_or_default();
            if entry.is_dir() {
                if recursive {
                    out.extend(read_path(root, &entry, &shown.join(&name), true)?);
                }
            } else if entry
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                out.extend(read_path(root, &entry, &shown.join(&name), false)?);
            }
        }
        return Ok(out);
    }
    let text = crate::boundary::read_text(root, path, &name).map_err(|e| e.to_string())?;
    read_documents(&text, shown, 1)
}

/// Whether `labels` match a kubectl label selector (`a=b,c!=d,e,!f`, `in`/`notin` sets).
/// `Err` for a selector this reader does not understand.
pub fn selector_matches(selector: &str, labels: &Map<String, Value>) -> Result<bool, String> {
    let label = |k: &str| labels.get(k.trim()).and_then(Value::as_str);
    for term in split_terms(selector) {
        let term = term.trim();
        if term.is_empty() {
            continue;
        }
        let ok = if let Some((k, v)) = term.split_once("!=") {
            label(k) != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            label(k) == Some(v.trim())
        } else if let Some((k, set)) = term.split_once(" notin ") {
            !set_of(set)?.contains(&label(k).unwrap_or("\u{0}"))
        } else if let Some((k, set)) = term.split_once(" in ") {
            label(k).is_some_and(|v| set_of(set).is_ok_and(|s| s.contains(&v)))
        } else if let Some(k) = term.strip_prefix('!') {
            label(k).is_none()
        } else if term
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./".contains(c))
        {
            label(term).is_some()
        } else {
            return Err(format!("cannot read the label selector `{selector}`"));
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn split_terms(selector: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&selector[start..]);
    out
}

fn set_of(set: &str) -> Result<Vec<&str>, String> {
    let inner = set
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("cannot read the set `{set}`"))?;
    Ok(inner.split(',').map(str::trim).collect())
}

/// A `kubectl create namespace NAME`.
pub fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// A `kubectl create serviceaccount NAME`.
pub fn service_account(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})
}

/// The data a `kubectl create secret generic|configmap` gets from `--from-literal=KEY=VALUE`
/// and `--from-file=[KEY=]PATH` (paths relative to `workdir`, read only inside the
/// documentation tree `root`, as regular files). `Err` names what cannot be read.
pub fn data(
    literals: &[&str],
    files: &[&str],
    workdir: &Path,
    root: &Path,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    for literal in literals {
        let (k, v) = literal
            .split_once('=')
            .ok_or_else(|| format!("--from-literal={literal}: expected KEY=VALUE"))?;
        out.push((k.to_owned(), v.as_bytes().to_vec()));
    }
    for file in files {
        let (key, path) = match file.split_once('=') {
            Some((k, p)) => (Some(k.to_owned()), p),
            None => (None, *file),
        };
        let full = workdir.join(path);
        if full.is_dir() {
            return Err(format!("--from-file={path}: a folder is not previewed"));
        }
        let bytes = crate::boundary::read(root, &full, path)
            .map_err(|e| format!("--from-file={path}: {e}"))?;
        let key = key.unwrap_or_else(|| {
            Path::new(path)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        out.push((key, bytes));
    }
    Ok(out)
}

/// A Secret of `type_` with `data` (base64-encoded as the API wants).
pub fn secret(name: &str, type_: &str, data: &[(String, Vec<u8>)]) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    let map: Map<String, Value> = data
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(b64.encode(v))))
        .collect();
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": type_, "data": map})
}

/// A ConfigMap with `data` (values that are not UTF-8 go to `binaryData`).
pub fn config_map(name: &str, data: &[(String, Vec<u8>)]) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut text = Map::new();
    let mut binary = Map::new();
    for (k, v) in data {
        match std::str::from_utf8(v) {
            Ok(s) => text.insert(k.clone(), Value::String(s.to_owned())),
            Err(_) => binary.insert(k.clone(), Value::String(b64.encode(v))),
        };
    }
    let mut object =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": text});
    if !binary.is_empty() {
        object["binaryData"] = Value::Object(binary);
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_lines() {
        let text = "# a comment\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\n\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n";
        let docs = read_documents(text, Path::new("x.yaml"), 10).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!((docs[0].kind(), docs[0].origin.line), ("Service", 11));
        assert_eq!((docs[1].name(), docs[1].origin.line), ("b", 18));
    }

    #[test]
    fn bad_documents_are_named_by_line() {
        let err =
            read_documents("kind: X\nmetadata: {name: a}\n", Path::new("g.md"), 5).unwrap_err();
        assert_eq!(err, "g.md:5: the object has no apiVersion");
        let err = read_documents("a: [\n", Path::new("g.md"), 5).unwrap_err();
        assert!(err.starts_with("g.md:"), "{err}");
    }

    #[test]
    fn selectors() {
        let labels: Map<String, Value> =
            serde_json::from_str(r#"{"app":"helloworld","version":"v1"}"#).unwrap();
        for (sel, want) in [
            ("app=helloworld", true),
            ("version=v2", false),
            ("app=helloworld,version!=v2", true),
            ("service", false),
            ("!service", true),
            ("version in (v1,v2)", true),
            ("version notin (v1)", false),
        ] {
            assert_eq!(selector_matches(sel, &labels).unwrap(), want, "{sel}");
        }
    }
}
