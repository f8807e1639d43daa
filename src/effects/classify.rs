//! What one simple command does to the world: reads a cluster, changes a cluster, changes local
//! files, talks to the network, only looks at local things, or something docrun does not know.
//!
//! The tables of read-only programs and kubectl/istioctl subcommands are the ones the retry
//! logic uses ([`crate::runbook::effects`]), so a command that it takes as only looking is never
//! classified here as changing anything. Unknown stays unknown: a program docrun does not know is
//! [`Class::Unknown`], with the program's name as the reason.

use serde::Serialize;

use super::kubectl::Kubectl;
use crate::doc::words::{SimpleCommand, Word};
use crate::runbook::effects::{ISTIOCTL_READ, KUBECTL_AUTH_READ, KUBECTL_READ, READ_ONLY_PROGRAMS};

/// The kind of effect a command has. The order is from the most to the least consequential: a
/// step's headline class is the first of its commands' classes in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Creates, changes or deletes objects in a cluster.
    ChangesCluster,
    /// docrun does not know what the command does.
    Unknown,
    /// Writes or removes local files (a redirection, `rm`, `cp`, the kubeconfig, ...).
    ChangesLocal,
    /// Talks to a host on the network other than a cluster's API server (`curl`, `helm repo`).
    Network,
    /// Only reads from a cluster (`kubectl get`, `istioctl proxy-status`).
    ReadsCluster,
    /// Only looks at local things or the session (`echo`, `grep`, `export`, `cd`).
    Local,
}

impl Class {
    pub const ALL: [Class; 6] = [
        Class::ChangesCluster,
        Class::Unknown,
        Class::ChangesLocal,
        Class::Network,
        Class::ReadsCluster,
        Class::Local,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::ChangesCluster => "changes-cluster",
            Class::Unknown => "unknown",
            Class::ChangesLocal => "changes-local",
            Class::Network => "network",
            Class::ReadsCluster => "reads-cluster",
            Class::Local => "local",
        }
    }
}

/// One effect of one simple command, and why docrun thinks so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effect {
    pub class: Class,
    /// Why: the verb and resource for kubectl, the tool, the redirection.
    pub reason: String,
    /// For cluster effects: the context the command names (`--context`), as resolved as the plan
    /// can; `None` for the kubeconfig's current context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// For cluster changes: what the per-context summary says ("creates namespace sample").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

impl Effect {
    pub fn new(class: Class, reason: impl Into<String>) -> Effect {
        Effect {
            class,
            reason: reason.into(),
            context: None,
            action: None,
        }
    }
}

/// The effects of one simple command (at least one).
pub fn classify(cmd: &SimpleCommand) -> Vec<Effect> {
    let mut effects = Vec::new();
    for r in cmd.redirects.iter().filter(|r| r.writes_file()) {
        effects.push(Effect::new(
            Class::ChangesLocal,
            format!("writes {} (redirection {})", r.target.text, r.op),
        ));
    }
    let Some(program) = cmd.program() else {
        if !cmd.assignments.is_empty() {
            let names: Vec<&str> = cmd.assignments.iter().map(|(n, _)| n.as_str()).collect();
            effects.push(Effect::new(
                Class::Local,
                format!("sets {} in the session", names.join(", ")),
            ));
        }
        if effects.is_empty() {
            effects.push(Effect::new(Class::Local, "no command"));
        }
        return effects;
    };
    effects.extend(program_effects(program, cmd.args(), cmd));
    effects
}

fn program_effects(program: &str, args: &[Word], cmd: &SimpleCommand) -> Vec<Effect> {
    fn text(ws: &[Word]) -> Vec<&str> {
        ws.iter().map(|w| w.text.as_str()).collect()
    }
    let has = |flag: &str| {
        args.iter()
            .any(|w| w.text == flag || w.text.starts_with(&format!("{flag}=")))
    };
    let one = |class: Class, reason: String| vec![Effect::new(class, reason)];
    if let Some(control) = cmd.control {
        return one(Class::Local, format!("`{control}` of a compound command"));
    }
    match program {
        "kubectl" | "oc" => kubectl(program, args),
        "istioctl" => istioctl(args),
        "helm" => helm(args),
        "curl" | "wget" => {
            let url = args
                .iter()
                .find(|w| w.text.contains("://"))
                .or_else(|| args.iter().rev().find(|w| !w.text.starts_with('-')))
                .map_or("(a URL)".to_owned(), Word::shown);
            let mut out = one(Class::Network, format!("{program} {url}"));
            let after = |flags: &[&str]| {
                args.iter()
                    .position(|w| flags.contains(&w.text.as_str()))
                    .map(|i| args.get(i + 1).map_or(String::new(), |w| w.text.clone()))
            };
            let named = "a file named after the URL".to_owned();
            let saved = if program == "curl" {
                after(&["-o", "--output"]).or_else(|| has("-O").then(|| named.clone()))
            } else if has("-O-") || has("-qO-") || has("--spider") {
                None
            } else {
                after(&["-O", "-qO", "--output-document"]).or(Some(named))
            };
            if let Some(file) = saved.filter(|f| f != "-" && f != "/dev/null") {
                out.push(Effect::new(
                    Class::ChangesLocal,
                    format!("{program} saves {file}"),
                ));
            }
            out
        }
        "git" => match args.first().map(|w| w.text.as_str()) {
            Some("clone" | "fetch" | "pull") => vec![
                Effect::new(Class::Network, format!("git {}", args[0].text)),
                Effect::new(
                    Class::ChangesLocal,
                    format!("git {} writes the work tree", args[0].text),
                ),
            ],
            Some("checkout" | "switch" | "reset" | "apply" | "am" | "commit" | "init") => {
                one(Class::ChangesLocal, format!("git {}", args[0].text))
            }
            Some("status" | "log" | "diff" | "show" | "rev-parse" | "describe") => {
                one(Class::Local, format!("git {}", args[0].text))
            }
            _ => one(Class::Unknown, format!("git {}", text(args).join(" "))),
        },
        "nslookup" | "dig" | "host" | "ping" | "nc" | "telnet" | "ssh" | "scp" => {
            one(Class::Network, format!("{program} talks to a host"))
        }
        "openssl" => {
            let sub = args.first().map_or("", |w| w.text.as_str());
            if sub == "s_client" {
                one(
                    Class::Network,
                    "openssl s_client connects to a server".into(),
                )
            } else if let Some(i) = args
                .iter()
                .position(|w| matches!(w.text.as_str(), "-out" | "-keyout"))
            {
                let file = args.get(i + 1).map_or("a file", |w| w.text.as_str());
                one(Class::ChangesLocal, format!("openssl {sub} writes {file}"))
            } else {
                one(Class::Local, format!("openssl {sub} only reads"))
            }
        }
        "sed" if args.iter().any(|w| w.text.starts_with("-i")) => {
            one(Class::ChangesLocal, "sed -i edits files in place".into())
        }
        "sed" => one(Class::Local, "sed prints what it edits".into()),
        "kill" | "killall" | "pkill" => {
            one(Class::Local, format!("{program} stops a local process"))
        }
        "tee" => {
            let files: Vec<&str> = args
                .iter()
                .filter(|w| !w.text.starts_with('-'))
                .map(|w| w.text.as_str())
                .collect();
            if files.is_empty() || files == ["/dev/null"] {
                one(Class::Local, "tee to standard output".into())
            } else {
                one(
                    Class::ChangesLocal,
                    format!("tee writes {}", files.join(" ")),
                )
            }
        }
        "rm" | "rmdir" | "mkdir" | "cp" | "mv" | "touch" | "chmod" | "chown" | "ln" | "install"
        | "unzip" | "tar" | "gunzip" | "gzip" | "zip" | "ssh-keygen" | "truncate" | "split"
        | "patch" | "dd" => {
            let files: Vec<&str> = args
                .iter()
                .filter(|w| !w.text.starts_with('-'))
                .map(|w| w.text.as_str())
                .collect();
            if program == "tar"
                && !args
                    .first()
                    .is_some_and(|w| w.text.contains('x') || w.text.contains('c'))
            {
                return one(Class::Local, "tar lists an archive".into());
            }
            one(
                Class::ChangesLocal,
                format!("{program} {}", files.join(" "))
                    .trim_end()
                    .to_owned(),
            )
        }
        "make" => one(
            Class::ChangesLocal,
            format!(
                "make {} (writes what the Makefile says)",
                text(args).join(" ")
            )
            .replace("  ", " "),
        ),
        "cd" | "pushd" | "popd" => one(
            Class::Local,
            "changes the session's working directory".into(),
        ),
        "export" | "unset" | "set" | "alias" | "shopt" | "declare" | "local" | "readonly"
        | "trap" | "read" => {
            let names: Vec<&str> = args
                .iter()
                .filter(|w| !w.text.starts_with('-'))
                .map(|w| w.text.split('=').next().unwrap_or(""))
                .collect();
            one(
                Class::Local,
                format!("{program} {} in the session", names.join(" ")).replace("  ", " "),
            )
        }
        "source" | "." | "bash" | "sh" | "zsh" | "eval" | "exec" | "python" | "python3" | "go"
        | "node" | "npm" | "docker" | "podman" | "kind" | "minikube" | "k3d" | "gcloud" | "aws"
        | "az" | "terraform" => one(
            Class::Unknown,
            format!("runs `{}`: docrun does not read what it does", {
                let mut t = vec![program];
                t.extend(text(args).into_iter().take(2));
                t.join(" ")
            }),
        ),
        "timeout" | "env" | "sudo" | "nohup" | "xargs" | "watch" | "time" | "command"
        | "stdbuf" => {
            // A wrapper: the effect is the wrapped command's.
            let mut skip = 0;
            let mut duration = program == "timeout";
            while let Some(w) = args.get(skip) {
                let t = w.text.as_str();
                if t.starts_with('-') {
                    let takes_value = matches!(
                        t,
                        "-n" | "-I" | "-L" | "-P" | "-d" | "-s" | "-k" | "-u" | "--signal"
                    );
                    skip += 1 + usize::from(takes_value);
                } else if program == "env" && t.contains('=') {
                    skip += 1;
                } else if duration {
                    // `timeout 5s cmd`: the duration comes first.
                    duration = false;
                    skip += 1;
                } else {
                    break;
                }
            }
            match args.get(skip) {
                Some(inner) => {
                    let inner_program = inner
                        .text
                        .rsplit('/')
                        .next()
                        .unwrap_or(&inner.text)
                        .to_owned();
                    let mut effects = program_effects(&inner_program, &args[skip + 1..], cmd);
                    for e in &mut effects {
                        e.reason = format!("{} (through {program})", e.reason);
                    }
                    effects
                }
                None => one(Class::Local, program.to_owned()),
            }
        }
        p if p.contains('$') || !cmd.words[0].literal => one(
            Class::Unknown,
            format!("the program is `{p}`, known only when the step runs"),
        ),
        p if p.ends_with(".sh") || p.starts_with("./") => one(
            Class::Unknown,
            format!("runs the script {p}: docrun does not read it"),
        ),
        p if READ_ONLY_PROGRAMS.contains(&p)
            || matches!(
                p,
                "sleep"
                    | "true"
                    | "false"
                    | ":"
                    | "return"
                    | "exit"
                    | "break"
                    | "continue"
                    | "wait"
                    | "shift"
                    | "basename"
                    | "dirname"
                    | "realpath"
                    | "readlink"
                    | "seq"
                    | "rev"
                    | "tac"
                    | "nl"
                    | "paste"
                    | "join"
                    | "comm"
                    | "cmp"
                    | "md5sum"
                    | "sha256sum"
                    | "shasum"
                    | "less"
                    | "more"
                    | "find"
                    | "tree"
                    | "envsubst"
                    | "fold"
                    | "fmt"
                    | "od"
                    | "xxd"
                    | "hexdump"
                    | "bc"
                    | "expr"
                    | "let"
                    | "type"
                    | "hash"
                    | "getent"
                    | "ps"
                    | "printenv"
                    | "tput"
                    | "clear"
                    | "history"
                    | "jwt"
                    | "step"
            ) =>
        {
            if p == "find"
                && args
                    .iter()
                    .any(|w| w.text == "-delete" || w.text == "-exec")
            {
                return one(Class::ChangesLocal, "find -delete/-exec".into());
            }
            one(Class::Local, format!("{p} only reads"))
        }
        p => one(
            Class::Unknown,
            format!("docrun does not know what `{p}` does"),
        ),
    }
}

fn kubectl(program: &str, args: &[Word]) -> Vec<Effect> {
    let k = Kubectl::parse(args);
    let context = k.context().map(|w| w.text.clone());
    let with_context = |class: Class, reason: String, action: Option<String>| Effect {
        class,
        reason,
        context: context.clone(),
        action,
    };
    let Some(verb) = k.verb() else {
        return vec![Effect::new(
            Class::Local,
            format!("{program} with no subcommand"),
        )];
    };
    let shown: Vec<String> = k.objects().iter().map(Word::shown).collect();
    let objects: Vec<&str> = shown.iter().map(String::as_str).collect();
    let ns = k
        .flag("namespace")
        .map(|w| format!(" in namespace {}", w.text))
        .unwrap_or_default();
    let target = |n: usize| {
        objects
            .iter()
            .take(n)
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let files: Vec<String> = k
        .flag_all("filename")
        .iter()
        .map(|w| w.text.clone())
        .collect();
    let from_url = files.iter().any(|f| f.contains("://"));
    let what = || {
        if !files.is_empty() {
            let shown: Vec<&str> = files
                .iter()
                .map(|f| {
                    if f == "-" {
                        "standard input"
                    } else {
                        f.as_str()
                    }
                })
                .collect();
            let sel = k
                .flag("selector")
                .map(|w| format!(" (-l {})", w.text))
                .unwrap_or_default();
            format!("{}{sel}", shown.join(", "))
        } else if let Some(dir) = k.flag("kustomize") {
            format!("kustomization {}", dir.text)
        } else {
            target(3)
        }
    };
    if k.dry_run() {
        return vec![with_context(
            if k.flag("dry-run").is_some_and(|w| w.text == "server") {
                Class::ReadsCluster
            } else {
                Class::Local
            },
            format!("{program} {verb} --dry-run: prints what it would do, changes nothing"),
            None,
        )];
    }
    let change = |action: String| {
        let mut out = vec![with_context(
            Class::ChangesCluster,
            format!("{program} {verb} {}{ns}", what()).replace("  ", " "),
            Some(format!("{action}{ns}")),
        )];
        if from_url {
            out.push(Effect::new(
                Class::Network,
                format!("{program} {verb} reads its manifest from a URL"),
            ));
        }
        out
    };
    match verb {
        "rollout" => match objects.first().copied() {
            Some("status" | "history") => vec![with_context(
                Class::ReadsCluster,
                format!(
                    "{program} rollout {} {}",
                    objects[0],
                    target(3).split_once(' ').map_or("", |(_, r)| r)
                )
                .trim_end()
                .to_owned(),
                None,
            )],
            Some(sub) => change(format!("rollout {sub} {}", objects[1..].join(" "))),
            None => vec![Effect::new(
                Class::Unknown,
                format!("{program} rollout with no subcommand"),
            )],
        },
        "config" => match objects.first().copied() {
            Some("view" | "get-contexts" | "current-context" | "get-clusters" | "get-users") => {
                vec![Effect::new(
                    Class::Local,
                    format!("{program} config {} reads the kubeconfig", objects[0]),
                )]
            }
            Some(sub) => vec![Effect::new(
                Class::ChangesLocal,
                format!("{program} config {sub} changes the kubeconfig"),
            )],
            None => vec![Effect::new(Class::Local, format!("{program} config"))],
        },
        "exec" => {
            let inner: Vec<&str> = k.rest.iter().map(|w| w.text.as_str()).collect();
            vec![with_context(
                Class::ReadsCluster,
                format!(
                    "{program} exec runs `{}` in pod {} (not retried: docrun cannot see what it changes)",
                    inner.join(" "),
                    target(2)
                ),
                None,
            )]
        }
        "port-forward" | "proxy" => vec![with_context(
            Class::ReadsCluster,
            format!("{program} {verb} {}", target(2)),
            None,
        )],
        // A kustomization may be a remote repository (`github.com/...?ref=v1.2.0`).
        "kustomize"
            if objects
                .iter()
                .any(|o| o.contains("://") || o.starts_with("github.com/")) =>
        {
            vec![Effect::new(
                Class::Network,
                format!(
                    "{program} kustomize {} fetches a remote kustomization",
                    target(1)
                ),
            )]
        }
        "kustomize" | "completion" | "plugin" => {
            vec![Effect::new(Class::Local, format!("{program} {verb}"))]
        }
        "cp" => vec![with_context(
            Class::ChangesLocal,
            format!(
                "{program} cp {} (copies between a pod and local files)",
                target(2)
            ),
            None,
        )],
        "create" => match objects.first().copied() {
            Some(kind @ ("namespace" | "ns")) if objects.len() > 1 => {
                let _ = kind;
                change(format!("creates namespace {}", objects[1]))
            }
            Some(
                kind @ ("secret"
                | "configmap"
                | "cm"
                | "serviceaccount"
                | "sa"
                | "deployment"
                | "service"
                | "svc"
                | "job"
                | "cronjob"
                | "role"
                | "rolebinding"
                | "clusterrole"
                | "clusterrolebinding"
                | "quota"
                | "priorityclass"
                | "ingress"
                | "poddisruptionbudget"
                | "pdb"
                | "token"),
            ) => {
                let name = if kind == "secret" || kind == "service" || kind == "svc" {
                    objects.get(2)
                } else {
                    objects.get(1)
                };
                if kind == "token" {
                    return vec![with_context(
                        Class::ReadsCluster,
                        format!(
                            "{program} create token {} (issues a token, stores nothing)",
                            target(2)
                        ),
                        None,
                    )];
                }
                change(format!("creates {kind} {}", name.copied().unwrap_or("?")))
            }
            _ if !files.is_empty() || k.flag("kustomize").is_some() => {
                change(format!("creates the objects of {}", what()))
            }
            _ => change(format!("creates {}", target(3))),
        },
        "apply" | "replace" => change(format!(
            "{} {}",
            if verb == "apply" {
                "applies"
            } else {
                "replaces"
            },
            what()
        )),
        "delete" => {
            let mut e = change(format!("deletes {}", what()));
            if k.has("ignore-not-found") {
                e[0].reason.push_str(" (--ignore-not-found)");
            }
            e
        }
        "label" | "annotate" => change(
            format!(
                "{} {} {}",
                if verb == "label" {
                    "labels"
                } else {
                    "annotates"
                },
                target(2),
                objects.get(2..).map(|r| r.join(" ")).unwrap_or_default()
            )
            .trim_end()
            .to_owned(),
        ),
        "patch" => change(format!("patches {}", target(2))),
        "scale" => change(format!(
            "scales {} to {}",
            target(2),
            k.flag("replicas").map_or("?", |w| w.text.as_str())
        )),
        "set" => change(format!(
            "sets {} on {}",
            objects.first().copied().unwrap_or("?"),
            objects.get(1..).map(|r| r.join(" ")).unwrap_or_default()
        )),
        "autoscale" | "expose" | "run" | "edit" | "drain" | "cordon" | "uncordon" | "taint"
        | "certificate" => change(format!("{verb} {}", target(3))),
        "auth" => match objects.first().copied() {
            Some(sub) if KUBECTL_AUTH_READ.contains(&sub) => vec![with_context(
                Class::ReadsCluster,
                format!("{program} auth {}", target(4)),
                None,
            )],
            Some("reconcile") => change("reconciles RBAC objects".to_owned()),
            _ => vec![Effect::new(
                Class::Unknown,
                format!(
                    "docrun does not know what `{program} auth {}` does",
                    target(1)
                )
                .replace("  ", " "),
            )],
        },
        v if KUBECTL_READ.contains(&v) => vec![with_context(
            Class::ReadsCluster,
            format!("{program} {verb} {}{ns}", target(2)).replace("  ", " "),
            None,
        )],
        v => vec![Effect::new(
            Class::Unknown,
            format!("docrun does not know what `{program} {v}` does"),
        )],
    }
}

/// istioctl flags that take a value (so their value is not read as a subcommand).
const ISTIOCTL_VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "-i",
    "--istioNamespace",
    "--context",
    "-c",
    "--kubeconfig",
    "-f",
    "--filename",
    "-r",
    "--revision",
    "-o",
    "--output",
    "--set",
    "-s",
    "--name",
    "--network",
    "--cluster",
    "--for",
    "--labels",
    "--type",
    "--proxy-admin-port",
];

fn istioctl(args: &[Word]) -> Vec<Effect> {
    let mut positionals: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if ISTIOCTL_VALUE_FLAGS.contains(&t) {
            i += 2;
            continue;
        }
        if !t.starts_with('-') {
            positionals.push(t);
        }
        i += 1;
    }
    let context = args.iter().enumerate().find_map(|(i, w)| {
        w.text
            .strip_prefix("--context=")
            .map(str::to_owned)
            .or_else(|| {
                (w.text == "--context")
                    .then(|| args.get(i + 1).map(|v| v.text.clone()))
                    .flatten()
            })
    });
    let effect = |class: Class, reason: String, action: Option<String>| Effect {
        class,
        reason,
        context: context.clone(),
        action,
    };
    let sub = positionals.first().copied().unwrap_or("");
    match sub {
        "install" | "upgrade" | "uninstall" => vec![effect(
            Class::ChangesCluster,
            format!("istioctl {sub}"),
            Some(format!("istioctl {sub}")),
        )],
        "manifest" if positionals.get(1) == Some(&"generate") => {
            vec![Effect::new(
                Class::Local,
                "istioctl manifest generate prints manifests",
            )]
        }
        "manifest" => vec![effect(
            Class::ChangesCluster,
            format!("istioctl manifest {}", positionals.get(1).unwrap_or(&"")),
            Some("istioctl manifest".into()),
        )],
        "kube-inject" => vec![Effect::new(
            Class::Local,
            "istioctl kube-inject rewrites a manifest it prints",
        )],
        "create-remote-secret" => vec![effect(
            Class::ReadsCluster,
            "istioctl create-remote-secret reads the cluster and prints a secret".into(),
            None,
        )],
        "tag" | "waypoint"
            if matches!(
                positionals.get(1),
                Some(&("set" | "apply" | "remove" | "delete" | "generate"))
            ) =>
        {
            if positionals.get(1) == Some(&"generate") {
                return vec![Effect::new(
                    Class::Local,
                    format!("istioctl {sub} generate prints a manifest"),
                )];
            }
            vec![effect(
                Class::ChangesCluster,
                format!("istioctl {sub} {}", positionals[1]),
                Some(format!("istioctl {sub} {}", positionals[1])),
            )]
        }
        "tag" | "waypoint" | "x" | "experimental"
            if matches!(positionals.get(1), Some(&("list" | "status"))) =>
        {
            vec![effect(
                Class::ReadsCluster,
                format!("istioctl {sub} {}", positionals[1]),
                None,
            )]
        }
        s if ISTIOCTL_READ.contains(&s) => {
            vec![effect(Class::ReadsCluster, format!("istioctl {s}"), None)]
        }
        "dashboard" => vec![effect(
            Class::ReadsCluster,
            "istioctl dashboard opens a port-forward".into(),
            None,
        )],
        s => vec![Effect::new(
            Class::Unknown,
            format!("docrun does not know what `istioctl {s}` does"),
        )],
    }
}

/// helm flags that take a value as the next word (so that the value is not read as the
/// subcommand, the release or the chart: `helm --kube-context c2 upgrade web ./chart`).
const HELM_VALUE_FLAGS: &[&str] = &[
    "--kube-context",
    "--kubeconfig",
    "--kube-apiserver",
    "--kube-token",
    "--kube-as-user",
    "--kube-as-group",
    "--kube-ca-file",
    "--kube-tls-server-name",
    "-n",
    "--namespace",
    "-f",
    "--values",
    "--set",
    "--set-string",
    "--set-file",
    "--set-json",
    "--set-literal",
    "--version",
    "--repo",
    "--timeout",
    "-o",
    "--output",
    "--description",
    "--post-renderer",
    "--post-renderer-args",
    "--username",
    "--password",
    "--ca-file",
    "--cert-file",
    "--key-file",
    "--keyring",
    "--registry-config",
    "--repository-cache",
    "--repository-config",
    "--history-max",
    "--max-history",
    "--name-template",
    "--burst-limit",
    "--qps",
    "--labels",
    "-l",
    "--selector",
    "--revision",
    "--cascade",
];

fn helm(args: &[Word]) -> Vec<Effect> {
    let mut positionals: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if HELM_VALUE_FLAGS.contains(&t) {
            i += 2;
            continue;
        }
        if !t.starts_with('-') {
            positionals.push(t);
        }
        i += 1;
    }
    let context = args.iter().enumerate().find_map(|(i, w)| {
        w.text
            .strip_prefix("--kube-context=")
            .map(str::to_owned)
            .or_else(|| {
                (w.text == "--kube-context")
                    .then(|| args.get(i + 1).map(|v| v.text.clone()))
                    .flatten()
            })
    });
    let sub = positionals.first().copied().unwrap_or("");
    let release = positionals.get(1).copied().unwrap_or("?");
    let change = |action: String| Effect {
        class: Class::ChangesCluster,
        reason: format!(
            "helm {sub} {}",
            positionals
                .get(1..3)
                .map(|p| p.join(" "))
                .unwrap_or_default()
        )
        .trim_end()
        .to_owned(),
        context: context.clone(),
        action: Some(action),
    };
    match sub {
        "install" | "upgrade" => {
            let mut out = vec![change(format!("helm {sub} {release}"))];
            if positionals.get(2).is_some_and(|c| {
                c.contains("://") || (c.contains('/') && !c.starts_with('.') && !c.starts_with('/'))
            }) {
                out.push(Effect::new(
                    Class::Network,
                    format!("helm {sub} fetches chart {}", positionals[2]),
                ));
            }
            out
        }
        "uninstall" | "delete" | "rollback" | "test" => {
            vec![change(format!("helm {sub} {release}"))]
        }
        "repo" => match positionals.get(1).copied() {
            Some("list") => vec![Effect::new(Class::Local, "helm repo list")],
            Some(s) => vec![
                Effect::new(Class::Network, format!("helm repo {s}")),
                Effect::new(
                    Class::ChangesLocal,
                    format!("helm repo {s} writes helm's repository cache"),
                ),
            ],
            None => vec![Effect::new(Class::Local, "helm repo")],
        },
        "pull" | "fetch" => vec![
            Effect::new(Class::Network, format!("helm {sub} {release}")),
            Effect::new(Class::ChangesLocal, format!("helm {sub} saves the chart")),
        ],
        "template" | "show" | "search" | "version" | "lint" | "env" => {
            vec![Effect::new(Class::Local, format!("helm {sub}"))]
        }
        "list" | "ls" | "status" | "get" | "history" => vec![Effect {
            class: Class::ReadsCluster,
            reason: format!("helm {sub}"),
            context,
            action: None,
        }],
        s => vec![Effect::new(
            Class::Unknown,
            format!("docrun does not know what `helm {s}` does"),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::words::read;

    fn classes(text: &str) -> Vec<(Class, String)> {
        read(text, &|n| (n == "CTX").then(|| "c1".to_owned()))
            .iter()
            .flat_map(classify)
            .map(|e| (e.class, e.reason))
            .collect()
    }

    fn class_set(text: &str) -> Vec<Class> {
        let mut c: Vec<Class> = classes(text).into_iter().map(|(c, _)| c).collect();
        c.sort();
        c.dedup();
        c
    }

    #[test]
    fn helm_reads_its_kube_context_and_skips_flag_values() {
        for text in [
            "helm --kube-context c2 upgrade --install web ./chart -n shop",
            "helm upgrade --install -n shop web ./chart --kube-context=c2",
        ] {
            let effects: Vec<Effect> = read(text, &|_| None).iter().flat_map(classify).collect();
            assert_eq!(effects.len(), 1, "{text}: {effects:?}");
            assert_eq!(effects[0].class, Class::ChangesCluster, "{text}");
            assert_eq!(effects[0].reason, "helm upgrade web ./chart", "{text}");
            assert_eq!(effects[0].context.as_deref(), Some("c2"), "{text}");
        }
    }

    #[test]
    fn kubectl_verbs() {
        assert_eq!(
            classes("kubectl create --context=\"${CTX}\" namespace sample"),
            [(
                Class::ChangesCluster,
                "kubectl create namespace sample".to_owned()
            )]
        );
        assert_eq!(
            class_set("kubectl get pod -n sample -l app=x"),
            [Class::ReadsCluster]
        );
        assert_eq!(
            class_set("kubectl rollout status deploy/x"),
            [Class::ReadsCluster]
        );
        assert_eq!(
            class_set("kubectl rollout restart deploy/x"),
            [Class::ChangesCluster]
        );
        assert_eq!(
            class_set("kubectl config use-context x"),
            [Class::ChangesLocal]
        );
        assert_eq!(
            class_set("kubectl apply -f https://example.com/x.yaml"),
            [Class::ChangesCluster, Class::Network]
        );
        assert_eq!(
            class_set("kubectl create secret generic s --dry-run=client -o yaml"),
            [Class::Local]
        );
        assert_eq!(class_set("kubectl frobnicate x"), [Class::Unknown]);
        assert_eq!(
            class_set("kubectl kustomize \"github.com/kubernetes-sigs/gateway-api/config/crd?ref=v1.2.0\""),
            [Class::Network]
        );
        assert_eq!(class_set("kubectl kustomize overlays/prod"), [Class::Local]);
        let e = &read(
            "kubectl label --context=c2 namespace sample istio-injection=enabled",
            &|_| None,
        )
        .iter()
        .flat_map(classify)
        .collect::<Vec<_>>()[0];
        assert_eq!(e.context.as_deref(), Some("c2"));
        assert_eq!(
            e.action.as_deref(),
            Some("labels namespace sample istio-injection=enabled")
        );
    }

    #[test]
    fn pipes_heredocs_and_redirections() {
        assert_eq!(
            class_set("cat <<EOF | kubectl apply -f -\nkind: X\nEOF"),
            [Class::ChangesCluster, Class::Local]
        );
        assert_eq!(
            class_set("echo hi > file"),
            [Class::ChangesLocal, Class::Local]
        );
        assert_eq!(
            class_set("kubectl get pods 2>/dev/null || true"),
            [Class::ReadsCluster, Class::Local]
        );
        assert_eq!(
            class_set("curl -sL https://istio.io/downloadIstio | sh -"),
            [Class::Unknown, Class::Network]
        );
        assert_eq!(
            class_set("curl -o out.tgz https://x/y.tgz"),
            [Class::ChangesLocal, Class::Network]
        );
    }

    #[test]
    fn tools_and_wrappers() {
        assert_eq!(
            class_set("istioctl install --set profile=demo -y"),
            [Class::ChangesCluster]
        );
        assert_eq!(class_set("istioctl proxy-status"), [Class::ReadsCluster]);
        assert_eq!(
            class_set("helm repo add istio https://x"),
            [Class::ChangesLocal, Class::Network]
        );
        assert_eq!(
            class_set("helm install istio-base istio/base -n istio-system"),
            [Class::ChangesCluster, Class::Network]
        );
        assert_eq!(
            class_set("timeout 10s kubectl delete ns x"),
            [Class::ChangesCluster]
        );
        assert_eq!(class_set("rm -rf /tmp/x"), [Class::ChangesLocal]);
        assert_eq!(class_set("export A=1"), [Class::Local]);
        assert_eq!(class_set("cd istio-1.26"), [Class::Local]);
        assert_eq!(class_set("frob --x"), [Class::Unknown]);
        assert_eq!(class_set("./install.sh"), [Class::Unknown]);
        assert_eq!(
            class_set("openssl req -new -out a.csr"),
            [Class::ChangesLocal]
        );
    }

    /// Whatever the retry logic takes as only looking, this never classifies as a change.
    #[test]
    fn agrees_with_the_retry_logic() {
        for c in [
            "kubectl get pod --context=\"${CTX_CLUSTER1}\" -n sample -l app=helloworld",
            "kubectl auth can-i get pods",
            "openssl verify -CAfile root-cert.pem a.pem",
            "istioctl proxy-status",
            "curl -s http://x | grep -o \"<title>.*</title>\"",
            "ls cluster1",
        ] {
            assert!(crate::runbook::effects::is_read_only(c), "{c}");
            let set = class_set(c);
            assert!(
                !set.iter()
                    .any(|c| matches!(c, Class::ChangesCluster | Class::ChangesLocal)),
                "{c}: {set:?}"
            );
        }
    }
}
