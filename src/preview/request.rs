//! From a plan's steps to the changes a preview asks the API servers about, without any call:
//! which kubectl commands change a cluster, with which objects, and which changes cannot be
//! previewed and why.
//!
//! Objects are known at plan time when they are written in the guide (a heredoc on `-f -`,
//! directly or through `cat <<EOF |`), in a file under the working directory (where a run would
//! read it), or in the command's own arguments (`create namespace`, `--from-literal`). Nothing
//! is fetched: a manifest at a URL is listed as not previewed.
//!
//! Option values are never object names. `kubectl delete TYPE` with `-l`, `--field-selector`,
//! `--all` and `-A` is a selection ([`Target::Selected`]) that the preview lists on the server
//! as kubectl would; a flag whose shape docrun does not know, a combination kubectl refuses, or
//! a selection on a verb whose selection is not previewed is listed as not previewed, with why.

use std::path::Path;

use serde::Serialize;

use super::manifests::{self, Manifest, Origin};
use crate::doc::words::{self, SimpleCommand, Word};
use crate::effects::classify::{self, Class};
use crate::effects::kubectl::Kubectl;
use crate::plan::Plan;
use crate::runbook::StepKind;

/// What a kubectl command asks of the objects it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verb")]
pub enum Op {
    /// `kubectl apply`: create the object, or change it to match.
    Apply,
    /// `kubectl create`: create the object; an existing one is an error.
    Create,
    /// `kubectl delete`.
    Delete { ignore_not_found: bool },
    /// `kubectl patch`: a patch of `patch_type` (`merge`, `json` or `strategic`).
    Patch {
        patch_type: String,
        body: serde_json::Value,
    },
    /// `kubectl scale --replicas=N`.
    Scale { replicas: i64 },
    /// `kubectl set image`: container name (`*` for all) and image.
    SetImage { images: Vec<(String, String)> },
    /// `kubectl label` / `kubectl annotate`: `field` is `labels` or `annotations`.
    Meta {
        field: &'static str,
        set: Vec<(String, String)>,
        remove: Vec<String>,
        overwrite: bool,
    },
}

/// An object a command names.
#[derive(Debug, Clone)]
pub enum Target {
    /// A whole object from a manifest or built from the command's arguments.
    Object(Manifest),
    /// A resource type as typed on the command line (`deployment`, `ns`, `svc`) and a name.
    Named { resource: String, name: String },
    /// The objects of a type kubectl would select: those matching a label selector (`-l`)
    /// and a field selector (`--field-selector`), or all of them (`--all`); in the command's
    /// namespace, or in every namespace (`-A`).
    Selected {
        resource: String,
        labels: Option<String>,
        fields: Option<String>,
        all_namespaces: bool,
    },
}

impl Target {
    /// What a selection selects, as kubectl's flags say it (`-l app=web`, `--all`), and
    /// where: `in every namespace` (`-A`), `in namespace NS` (`namespace`, the one the objects
    /// are listed in), nothing more for a type that is not `namespaced`. `None` for other
    /// targets.
    pub fn scope(&self, namespace: Option<&str>, namespaced: bool) -> Option<String> {
        let Target::Selected {
            labels,
            fields,
            all_namespaces,
            ..
        } = self
        else {
            return None;
        };
        let mut what = Vec::new();
        if let Some(l) = labels {
            what.push(format!("-l {l}"));
        }
        if let Some(f) = fields {
            what.push(format!("--field-selector {f}"));
        }
        if what.is_empty() {
            what.push("--all".to_owned());
        }
        let place = match (namespaced, all_namespaces, namespace) {
            (false, _, _) | (true, false, None) => String::new(),
            (true, true, _) => " in every namespace".to_owned(),
            (true, false, Some(ns)) => format!(" in namespace {ns}"),
        };
        Some(format!("{}{place}", what.join(" ")))
    }
}

/// One change a step's command asks of a cluster.
#[derive(Debug, Clone)]
pub struct Request {
    pub step: String,
    /// The command's place in the guide.
    pub at: Origin,
    /// `--context`, or `None` for the kubeconfig's current context.
    pub context: Option<String>,
    /// `-n`: the namespace of objects that name none.
    pub namespace: Option<String>,
    pub op: Op,
    pub targets: Vec<Target>,
    /// The command, short, as the report names it (`kubectl apply -f samples/x.yaml`).
    pub command: String,
}

/// A change that cannot be previewed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotPreviewed {
    pub step: String,
    pub at: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub command: String,
    pub reason: String,
}

/// The requests and the changes that cannot be previewed, in step order.
#[derive(Debug, Default)]
pub struct Requests {
    pub requests: Vec<Request>,
    pub not_previewed: Vec<NotPreviewed>,
}

/// Reads the selected command steps of `plan`; relative manifest paths are read under `workdir`.
pub fn of_plan(plan: &Plan, workdir: &Path) -> Requests {
    let value = |name: &str| plan.bindings.get(name).map(|b| b.value.clone());
    let mut out = Requests::default();
    for step in plan
        .steps
        .iter()
        .filter(|s| s.selected && s.kind == StepKind::Command)
    {
        for (i, script) in step.scripts.iter().enumerate() {
            let line = step.command_lines.get(i).copied().unwrap_or(step.line);
            let cmds = words::read(script, &value);
            for (j, cmd) in cmds.iter().enumerate() {
                let effects = classify::classify(cmd);
                let changes = effects.iter().any(|e| e.class == Class::ChangesCluster);
                let unknown = effects.iter().find(|e| e.class == Class::Unknown);
                let at = Origin {
                    file: step.file.to_path_buf(),
                    line: line + cmd.line,
                };
                let context = effects.iter().find_map(|e| e.context.clone());
                let short = short_command(cmd);
                let skip = |reason: String, out: &mut Requests| {
                    out.not_previewed.push(NotPreviewed {
                        step: step.id.clone(),
                        at: at.clone(),
                        context: context.clone(),
                        command: short.clone(),
                        reason,
                    })
                };
                if let Some(unknown) = unknown.filter(|_| !changes) {
                    skip(
                        format!("{}; it may change a cluster", unknown.reason),
                        &mut out,
                    );
                    continue;
                }
                if !changes {
                    continue;
                }
                if let Some(wrapper @ ("xargs" | "timeout" | "env" | "sudo" | "watch" | "nohup")) =
                    cmd.program()
                {
                    skip(
                        format!("runs its command through {wrapper}: docrun previews kubectl run directly"),
                        &mut out,
                    );
                    continue;
                }
                if !matches!(cmd.program(), Some("kubectl")) {
                    let tool = cmd.program().unwrap_or("?");
                    skip(
                        format!("{tool} changes the cluster its own way: docrun previews kubectl's changes only"),
                        &mut out,
                    );
                    continue;
                }
                let stdin = stdin_of(&cmds, j);
                match request(cmd, stdin, &at, workdir, &step.id, line) {
                    Ok(r) => out.requests.push(Request {
                        context,
                        command: short.clone(),
                        ..r
                    }),
                    Err(reason) => skip(reason, &mut out),
                }
            }
        }
    }
    out
}

/// What the command reads on its standard input, when the guide writes it: its own heredoc, or
/// the heredoc of a `cat` piped into it. `Err` names the command that pipes into it.
fn stdin_of(cmds: &[SimpleCommand], at: usize) -> Result<Option<&words::Heredoc>, String> {
    let cmd = &cmds[at];
    if let Some(h) = &cmd.heredoc {
        return Ok(Some(h));
    }
    if !cmd.piped {
        return Ok(None);
    }
    let source = cmds[..at].iter().rev().find(|c| c.nested == cmd.nested);
    match source {
        Some(c) if c.program() == Some("cat") && c.heredoc.is_some() && c.args().is_empty() => {
            Ok(c.heredoc.as_ref())
        }
        Some(c) => Err(short_command(c)),
        None => Ok(None),
    }
}

fn short_command(cmd: &SimpleCommand) -> String {
    let words: Vec<&str> = cmd
        .words
        .iter()
        .map(|w| w.text.as_str())
        .filter(|w| !w.starts_with("--context"))
        .collect();
    let mut text = words[..words.len().min(8)].join(" ");
    if words.len() > 8 {
        text.push_str(" ...");
    }
    text
}

fn request(
    cmd: &SimpleCommand,
    stdin: Result<Option<&words::Heredoc>, String>,
    at: &Origin,
    workdir: &Path,
    step: &str,
    command_line: usize,
) -> Result<Request, String> {
    let k = Kubectl::parse(cmd.args());
    let verb = k.verb().unwrap_or("");
    let namespace = k.flag("namespace").map(|w| literal(w, "-n")).transpose()?;
    let base = |op: Op, targets: Vec<Target>| Request {
        step: step.to_owned(),
        at: at.clone(),
        context: None,
        namespace: namespace.clone(),
        op,
        targets,
        command: String::new(),
    };
    let objects: Vec<&Word> = k.objects().iter().collect();
    match verb {
        "apply" => {
            if k.flag("kustomize").is_some() {
                return Err("kustomize output is not built in a plan".into());
            }
            let manifests = from_files(&k, stdin, workdir, &at.file, command_line)?;
            Ok(base(
                Op::Apply,
                manifests.into_iter().map(Target::Object).collect(),
            ))
        }
        "create" => {
            let sub = objects.first().map(|w| w.text.as_str());
            let name = |i: usize| -> Result<String, String> {
                if let Some(flag) = k.unknown_flag() {
                    return Err(unknown_shape(&flag));
                }
                let w = objects.get(i).ok_or("no name given")?;
                literal(w, "the name")
            };
            let made = |object: serde_json::Value| {
                Target::Object(Manifest {
                    object,
                    origin: at.clone(),
                })
            };
            let literals: Vec<&str> = k
                .flag_all("from-literal")
                .iter()
                .map(|w| w.text.as_str())
                .collect();
            let files: Vec<&str> = k
                .flag_all("from-file")
                .iter()
                .map(|w| w.text.as_str())
                .collect();
            let all_literal = k
                .flag_all("from-literal")
                .iter()
                .chain(k.flag_all("from-file").iter())
                .all(|w| w.literal);
            match sub {
                Some("namespace" | "ns") => Ok(base(Op::Create, vec![made(manifests::namespace(&name(1)?))])),
                Some("serviceaccount" | "sa") => Ok(base(Op::Create, vec![made(manifests::service_account(&name(1)?))])),
                Some("secret") if objects.get(1).is_some_and(|w| w.text == "generic") => {
                    if !all_literal {
                        return Err("the secret's data uses values known only when the step runs".into());
                    }
                    let data = manifests::data(&literals, &files, workdir, &readable_tree(workdir, &at.file))?;
                    let type_ = k.flag("type").map_or("Opaque".to_owned(), |w| w.text.clone());
                    Ok(base(Op::Create, vec![made(manifests::secret(&name(2)?, &type_, &data))]))
                }
                Some("secret") if objects.get(1).is_some_and(|w| w.text == "tls") => {
                    let cert = k.flag("cert").ok_or("no --cert")?;
                    let key = k.flag("key").ok_or("no --key")?;
                    let cert = format!("tls.crt={}", literal(cert, "--cert")?);
                    let key = format!("tls.key={}", literal(key, "--key")?);
                    let data = manifests::data(&[], &[&cert, &key], workdir, &readable_tree(workdir, &at.file))?;
                    Ok(base(Op::Create, vec![made(manifests::secret(&name(2)?, "kubernetes.io/tls", &data))]))
                }
                Some("configmap" | "cm") => {
                    if !all_literal {
                        return Err("the config map's data uses values known only when the step runs".into());
                    }
                    let data = manifests::data(&literals, &files, workdir, &readable_tree(workdir, &at.file))?;
                    Ok(base(Op::Create, vec![made(manifests::config_map(&name(1)?, &data))]))
                }
                _ if k.flag("filename").is_some() => {
                    let manifests = from_files(&k, stdin, workdir, &at.file, command_line)?;
                    Ok(base(Op::Create, manifests.into_iter().map(Target::Object).collect()))
                }
                Some(other) => Err(format!(
                    "docrun previews `kubectl create` of namespaces, secrets, config maps, service accounts and manifests, not `create {other}`"
                )),
                None => Err("kubectl create names nothing to create".into()),
            }
        }
        "delete" => {
            let op = Op::Delete {
                ignore_not_found: k.has("ignore-not-found"),
            };
            if k.flag("filename").is_some() {
                let manifests = from_files(&k, stdin, workdir, &at.file, command_line)?;
                return Ok(base(
                    op,
                    manifests.into_iter().map(Target::Object).collect(),
                ));
            }
            let targets = named_targets(&objects, &k, true)?;
            Ok(base(op, targets))
        }
        "label" | "annotate" => {
            let (names, pairs): (Vec<&Word>, Vec<&Word>) = objects
                .iter()
                .partition(|w| !w.text.contains('=') && !w.text.ends_with('-'));
            let mut set = Vec::new();
            let mut remove = Vec::new();
            for pair in pairs {
                let text = literal(pair, "the value")?;
                match text.split_once('=') {
                    Some((k, v)) => set.push((k.to_owned(), v.to_owned())),
                    None => remove.push(text.trim_end_matches('-').to_owned()),
                }
            }
            if k.flag("selector").is_some() || k.has("all") {
                return Err(format!("kubectl {verb} by selector is not previewed"));
            }
            let targets = named_targets(&names, &k, false)?;
            Ok(base(
                Op::Meta {
                    field: if verb == "label" {
                        "labels"
                    } else {
                        "annotations"
                    },
                    set,
                    remove,
                    overwrite: k.has("overwrite"),
                },
                targets,
            ))
        }
        "patch" => {
            let body = k
                .flag("patch")
                .ok_or("no -p patch given (a --patch-file is not previewed)")?;
            let text = literal(body, "the patch")?;
            let body: serde_json::Value = serde_yaml::from_str(&text)
                .map_err(|e| format!("the patch is not valid JSON or YAML: {e}"))?;
            let patch_type = k
                .flag("type")
                .map_or("strategic".to_owned(), |w| w.text.clone());
            if !matches!(patch_type.as_str(), "merge" | "json" | "strategic") {
                return Err(format!(
                    "--type {patch_type}: not a patch type (merge, json, strategic)"
                ));
            }
            let targets = named_targets(&objects, &k, false)?;
            Ok(base(Op::Patch { patch_type, body }, targets))
        }
        "scale" => {
            let replicas = k.flag("replicas").ok_or("no --replicas given")?;
            let replicas: i64 = literal(replicas, "--replicas")?
                .parse()
                .map_err(|_| format!("--replicas {}: not a number", replicas.text))?;
            if k.flag("filename").is_some() || k.flag("selector").is_some() {
                return Err("kubectl scale by file or selector is not previewed".into());
            }
            let targets = named_targets(&objects, &k, false)?;
            Ok(base(Op::Scale { replicas }, targets))
        }
        "set" if objects.first().is_some_and(|w| w.text == "image") => {
            let (pairs, names): (Vec<&Word>, Vec<&Word>) =
                objects[1..].iter().partition(|w| w.text.contains('='));
            let mut images = Vec::new();
            for pair in pairs {
                let text = literal(pair, "the image")?;
                let (c, i) = text.split_once('=').unwrap_or((&text, ""));
                images.push((c.to_owned(), i.to_owned()));
            }
            if images.is_empty() {
                return Err("kubectl set image names no container=image".into());
            }
            let targets = named_targets(&names, &k, false)?;
            Ok(base(Op::SetImage { images }, targets))
        }
        other => Err(format!("docrun does not preview `kubectl {other}` yet")),
    }
}

fn literal(w: &Word, what: &str) -> Result<String, String> {
    if w.literal {
        Ok(w.text.clone())
    } else {
        Err(format!(
            "{what} `{}` is known only when the step runs",
            w.text
        ))
    }
}

/// `TYPE NAME...`, `TYPE/NAME...`, and, where `selecting` (`kubectl delete`), `TYPE` with
/// `-l SELECTOR`, `--field-selector SELECTOR` or `--all`, in the namespace or in every one
/// (`-A`). Option values are never names: a flag whose shape docrun does not know, a
/// combination kubectl refuses, or a selection where the verb's is not previewed is `Err`,
/// with the reason, so that no preview says "nothing to delete" of a scope it misread.
fn named_targets(objects: &[&Word], k: &Kubectl, selecting: bool) -> Result<Vec<Target>, String> {
    if let Some(flag) = k.unknown_flag() {
        return Err(unknown_shape(&flag));
    }
    let labels = k
        .flag("selector")
        .map(|w| literal(w, "the selector"))
        .transpose()?;
    let fields = k
        .flag("field-selector")
        .map(|w| literal(w, "the field selector"))
        .transpose()?;
    let all = k.has("all");
    let all_namespaces = k.has("all-namespaces");
    let verb = k.verb().unwrap_or("");
    if (labels.is_some() || fields.is_some() || all) && !selecting {
        return Err(format!("kubectl {verb} by selector is not previewed"));
    }
    if all && (labels.is_some() || fields.is_some()) {
        return Err(
            "kubectl would fail: --all with a selector (\"setting 'all' parameter but found a non empty selector\")"
                .into(),
        );
    }
    let mut targets = Vec::new();
    let mut resource: Option<String> = None;
    for w in objects {
        let text = literal(w, "the object")?;
        if let Some((r, name)) = text.split_once('/') {
            targets.push(Target::Named {
                resource: r.to_owned(),
                name: name.to_owned(),
            });
        } else if let Some(r) = &resource {
            for name in text.split(',') {
                targets.push(Target::Named {
                    resource: r.clone(),
                    name: name.to_owned(),
                });
            }
        } else {
            resource = Some(text);
        }
    }
    if !targets.is_empty() {
        if labels.is_some() || fields.is_some() {
            return Err(
                "kubectl would fail: name cannot be provided when a selector is specified".into(),
            );
        }
        if all {
            return Err("names together with --all: docrun does not preview that".into());
        }
        if all_namespaces {
            return Err(
                "kubectl would fail: a resource cannot be retrieved by name across all namespaces"
                    .into(),
            );
        }
        return Ok(targets);
    }
    let Some(r) = resource else {
        return Err("names no object".into());
    };
    if labels.is_none() && fields.is_none() && !all {
        return Err(format!("no name after {r}"));
    }
    Ok(r.split(',')
        .map(|r| Target::Selected {
            resource: r.to_owned(),
            labels: labels.clone(),
            fields: fields.clone(),
            all_namespaces,
        })
        .collect())
}

/// Why a command with a flag of unknown shape ([`Kubectl::unknown_flag`]) is not previewed.
fn unknown_shape(flag: &str) -> String {
    format!(
        "{flag}: docrun does not know whether kubectl reads the next word as its value, \
         so it cannot tell the object names from option values"
    )
}

/// The objects of a command's `-f` sources, `-l` applied.
/// The folder whose files a preview may read for `guide`: the working directory the run
/// would have (the operator chose it) when it is not `/`, else the guide's documentation tree
/// (see [`crate::boundary`]). A path that leaves it, `/proc`, a device or a FIFO is refused.
fn readable_tree(workdir: &Path, guide: &Path) -> std::path::PathBuf {
    match workdir.canonicalize() {
        Ok(dir) if dir.parent().is_some() => dir,
        _ => crate::boundary::root(guide),
    }
}

fn from_files(
    k: &Kubectl,
    stdin: Result<Option<&words::Heredoc>, String>,
    workdir: &Path,
    guide: &Path,
    command_line: usize,
) -> Result<Vec<Manifest>, String> {
    let mut out = Vec::new();
    let files = k.flag_all("filename");
    if files.is_empty() {
        return Err("no -f given".into());
    }
    for file in files {
        if file.text == "-" {
            let heredoc = match &stdin {
                Ok(Some(h)) => *h,
                Ok(None) => return Err("-f - with no manifest written in the guide".into()),
                Err(source) => {
                    return Err(format!(
                        "the objects come from `{source}` through a pipe: known only when the step runs"
                    ))
                }
            };
            if !heredoc.literal {
                return Err("the manifest uses values known only when the step runs".into());
            }
            // The guide's own lines: the heredoc body starts `heredoc.line` lines below the
            // command's first line.
            out.extend(manifests::read_documents(
                &heredoc.body,
                guide,
                command_line + heredoc.line,
            )?);
            continue;
        }
        let path = literal(file, "the file")?;
        if path.contains("://") {
            return Err(format!(
                "{path} is on the network: docrun fetches nothing in a plan"
            ));
        }
        let full = workdir.join(&path);
        if !full.exists() {
            return Err(format!(
                "no file {path} under {} (a run reads it from its working directory)",
                workdir.display()
            ));
        }
        out.extend(manifests::read_path(
            &readable_tree(workdir, guide),
            &full,
            Path::new(&path),
            k.has("recursive"),
        )?);
    }
    if let Some(selector) = k.flag("selector") {
        let selector = literal(selector, "the selector")?;
        let mut kept = Vec::new();
        for m in out {
            let empty = serde_json::Map::new();
            let labels = m.object["metadata"]["labels"].as_object().unwrap_or(&empty);
            if manifests::selector_matches(&selector, labels)? {
                kept.push(m);
            }
        }
        out = kept;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request of the first kubectl command of `text`, or why there is none.
    fn read(text: &str, workdir: &Path) -> Result<Request, String> {
        let cmds = words::read(text, &|n| (n == "NS").then(|| "sample".to_owned()));
        let at = cmds
            .iter()
            .position(|c| c.program() == Some("kubectl"))
            .unwrap();
        let origin = Origin {
            file: "guide.md".into(),
            line: 10,
        };
        request(&cmds[at], stdin_of(&cmds, at), &origin, workdir, "s", 10)
    }

    fn names(r: &Request) -> Vec<String> {
        r.targets
            .iter()
            .map(|t| match t {
                Target::Object(m) => format!("{}/{}@{}", m.kind(), m.name(), m.origin),
                Target::Named { resource, name } => format!("{resource}/{name}"),
                Target::Selected { resource, .. } => {
                    format!(
                        "{resource} {}",
                        t.scope(Some("ns"), true).unwrap_or_default()
                    )
                }
            })
            .collect()
    }

    #[test]
    fn heredocs_directly_or_through_cat_keep_the_guides_lines() {
        let dir = tempfile::tempdir().unwrap();
        let r = read("cat <<EOF | kubectl apply -n $NS -f -\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\nEOF", dir.path()).unwrap();
        assert_eq!(
            names(&r),
            ["ConfigMap/a@guide.md:11", "Secret/b@guide.md:16"]
        );
        assert_eq!(r.namespace.as_deref(), Some("sample"));
        assert_eq!(r.op, Op::Apply);
        let r = read("kubectl create -f - <<'EOF'\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\nEOF", dir.path()).unwrap();
        assert_eq!(
            (names(&r), r.op),
            (vec!["Namespace/x@guide.md:11".to_owned()], Op::Create)
        );
    }

    #[test]
    fn what_cannot_be_known_at_plan_time_says_why() {
        let dir = tempfile::tempdir().unwrap();
        for (text, why) in [
            (
                "istioctl manifest generate | kubectl apply -f -",
                "the objects come from `istioctl manifest generate` through a pipe",
            ),
            (
                "kubectl apply -f https://x/y.yaml",
                "https://x/y.yaml is on the network: docrun fetches nothing in a plan",
            ),
            (
                "kubectl apply -f $DIR/x.yaml",
                "the file `$DIR/x.yaml` is known only when the step runs",
            ),
            (
                "kubectl apply -f missing.yaml",
                "no file missing.yaml under",
            ),
            (
                "kubectl apply -f - <<EOF\nkind: X\nmetadata: {name: $POD}\nEOF",
                "the manifest uses values known only when the step runs",
            ),
            (
                "kubectl apply -k overlays/prod",
                "kustomize output is not built in a plan",
            ),
            (
                "kubectl create deployment web --image=x",
                "not `create deployment`",
            ),
            (
                "kubectl rollout restart deploy/x",
                "docrun does not preview `kubectl rollout` yet",
            ),
            ("kubectl delete pods", "no name after pods"),
            (
                "kubectl create namespace --frobnicate x y",
                "--frobnicate: docrun does not know whether kubectl reads the next word",
            ),
        ] {
            let err = read(text, dir.path()).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn objects_named_on_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), "PEM").unwrap();
        let r = read("kubectl create secret generic cacerts -n istio-system --from-file=ca.pem --from-literal=k=v", dir.path()).unwrap();
        let Target::Object(m) = &r.targets[0] else {
            panic!()
        };
        assert_eq!(
            m.object["data"],
            serde_json::json!({"k": "dg==", "ca.pem": "UEVN"})
        );
        let r = read("kubectl delete -n x deployment/a service/b", dir.path()).unwrap();
        assert_eq!(names(&r), ["deployment/a", "service/b"]);
        let r = read("kubectl delete ns one two --ignore-not-found", dir.path()).unwrap();
        assert_eq!(names(&r), ["ns/one", "ns/two"]);
        assert_eq!(
            r.op,
            Op::Delete {
                ignore_not_found: true
            }
        );
        let r = read("kubectl delete pods -l app=x", dir.path()).unwrap();
        assert_eq!(names(&r), ["pods -l app=x in namespace ns"]);
        let r = read(
            "kubectl delete pods,svc --field-selector=metadata.name=a -A -o name",
            dir.path(),
        )
        .unwrap();
        assert_eq!(
            names(&r),
            [
                "pods --field-selector metadata.name=a in every namespace",
                "svc --field-selector metadata.name=a in every namespace"
            ]
        );
        let r = read("kubectl delete cm --all --context c -n x", dir.path()).unwrap();
        assert_eq!(names(&r), ["cm --all in namespace ns"]);
        // A cluster-scoped type is selected cluster-wide, -A or not.
        let r = read("kubectl delete ns -l team=x -A", dir.path()).unwrap();
        assert_eq!(
            r.targets[0].scope(None, false).as_deref(),
            Some("-l team=x")
        );
        let r = read(
            "kubectl label ns sample istio-injection=enabled old- --overwrite",
            dir.path(),
        )
        .unwrap();
        assert_eq!(
            r.op,
            Op::Meta {
                field: "labels",
                set: vec![("istio-injection".into(), "enabled".into())],
                remove: vec!["old".into()],
                overwrite: true
            }
        );
        let r = read(
            "kubectl set image deployment/web web=nginx:2 side=envoy:1",
            dir.path(),
        )
        .unwrap();
        assert_eq!(
            r.op,
            Op::SetImage {
                images: vec![
                    ("web".into(), "nginx:2".into()),
                    ("side".into(), "envoy:1".into())
                ]
            }
        );
        let r = read(
            "kubectl patch deploy web --type json -p '[{\"op\":\"remove\",\"path\":\"/spec/x\"}]'",
            dir.path(),
        )
        .unwrap();
        assert!(matches!(&r.op, Op::Patch { patch_type, .. } if patch_type == "json"));
    }
}
