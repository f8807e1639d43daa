//! A `kubectl` command line read into its verb, its positional arguments and its flags.
//!
//! Only what classifying and previewing need: which flags take a value (so that `-n sample get`
//! is read as namespace `sample` and verb `get`), short flags spelled long, and the words after
//! `--` (the command `kubectl exec` runs in a pod).

use crate::doc::words::Word;

/// kubectl flags that take a value, by long name; other flags are switches.
const VALUE_FLAGS: &[&str] = &[
    "context",
    "namespace",
    "kubeconfig",
    "selector",
    "filename",
    "output",
    "container",
    "type",
    "patch",
    "field-manager",
    "from-literal",
    "from-file",
    "from-env-file",
    "timeout",
    "for",
    "image",
    "replicas",
    "port",
    "target-port",
    "cluster",
    "user",
    "server",
    "token",
    "as",
    "as-group",
    "template",
    "sort-by",
    "field-selector",
    "tail",
    "since",
    "kustomize",
    "cert",
    "key",
    "docker-server",
    "docker-username",
    "docker-password",
    "docker-email",
    "current-replicas",
    "resource-version",
    "grace-period",
    "cascade",
    "subresource",
    "name",
    "protocol",
    "role",
    "clusterrole",
    "serviceaccount",
    "group",
    "verb",
    "resource",
    "hard",
    "schedule",
    "restart",
    "env",
    "labels",
    "overrides",
    "pod-running-timeout",
    "request-timeout",
    "validate",
    "certificate-authority",
    "client-certificate",
    "client-key",
    "password",
    "username",
    "prune-allowlist",
    "min",
    "max",
    "cpu-percent",
    "limits",
    "requests",
    "local-ssd-count",
    "since-time",
    "limit-bytes",
    "max-log-requests",
    "raw",
    "chunk-size",
    "show-kind-columns",
    "label-columns",
    "v",
    "vmodule",
    "log-file",
    "log-file-max-size",
    "cache-dir",
    "tls-server-name",
    "as-uid",
    "kuberc",
    "profile",
    "profile-output",
    "patch-file",
];

/// kubectl switches: flags that take no value unless it is attached with `=`. With
/// [`VALUE_FLAGS`], the flags whose shape docrun knows ([`Kubectl::unknown_flag`]).
const SWITCHES: &[&str] = &[
    "all",
    "all-namespaces",
    "ignore-not-found",
    "force",
    "now",
    "wait",
    "recursive",
    "overwrite",
    "local",
    "list",
    "record",
    "dry-run",
    "server-side",
    "force-conflicts",
    "prune",
    "save-config",
    "show-labels",
    "watch",
    "stdin",
    "tty",
    "quiet",
    "interactive",
    "insecure-skip-tls-verify",
    "match-server-version",
    "disable-compression",
    "allow-missing-template-keys",
    "show-managed-fields",
    "warnings-as-errors",
    "no-headers",
    "show-kind",
];

/// The long name of a short flag.
fn long(short: char) -> Option<&'static str> {
    Some(match short {
        'n' => "namespace",
        'l' => "selector",
        'f' => "filename",
        'o' => "output",
        'c' => "container",
        'p' => "patch",
        'k' => "kustomize",
        'A' => "all-namespaces",
        'R' => "recursive",
        'w' => "watch",
        'i' => "stdin",
        't' => "tty",
        'q' => "quiet",
        'v' => "v",
        'L' => "label-columns",
        _ => return None,
    })
}

/// A kubectl command line.
#[derive(Debug, Clone, Default)]
pub struct Kubectl {
    /// The positional arguments in order: the verb first (`apply`, `create`, `rollout`...).
    pub positionals: Vec<Word>,
    /// Flags by long name, with their value when they take one, in order.
    pub flags: Vec<(String, Option<Word>)>,
    /// The words after `--`.
    pub rest: Vec<Word>,
}

impl Kubectl {
    /// Reads the words after `kubectl`.
    pub fn parse(args: &[Word]) -> Kubectl {
        let mut k = Kubectl::default();
        let mut i = 0;
        while i < args.len() {
            let w = &args[i];
            let t = w.text.as_str();
            if t == "--" {
                k.rest = args[i + 1..].to_vec();
                break;
            }
            if let Some(name) = t.strip_prefix("--") {
                let (name, value) = match name.split_once('=') {
                    Some((n, v)) => (
                        n.to_owned(),
                        Some(Word {
                            text: v.to_owned(),
                            literal: w.literal,
                        }),
                    ),
                    None if VALUE_FLAGS.contains(&name) => {
                        i += 1;
                        (name.to_owned(), args.get(i).cloned())
                    }
                    None => (name.to_owned(), None),
                };
                k.flags.push((name, value));
            } else if t.len() > 1 && t.starts_with('-') && !t[1..].starts_with(char::is_numeric) {
                let mut chars = t[1..].chars();
                let first = chars.next().unwrap_or('-');
                let name = long(first)
                    .map(str::to_owned)
                    .unwrap_or_else(|| first.to_string());
                let attached: String = chars.collect();
                let attached = attached.strip_prefix('=').unwrap_or(&attached).to_owned();
                if VALUE_FLAGS.contains(&name.as_str()) {
                    let value = if attached.is_empty() {
                        i += 1;
                        args.get(i).cloned()
                    } else {
                        Some(Word {
                            text: attached,
                            literal: w.literal,
                        })
                    };
                    k.flags.push((name, value));
                } else {
                    k.flags.push((name, None));
                    for c in attached.chars() {
                        let name = long(c).map_or_else(|| c.to_string(), str::to_owned);
                        k.flags.push((name, None));
                    }
                }
            } else {
                k.positionals.push(w.clone());
            }
            i += 1;
        }
        k
    }

    /// The verb (`apply`, `get`, ...), if any.
    pub fn verb(&self) -> Option<&str> {
        self.positionals.first().map(|w| w.text.as_str())
    }

    /// The positional arguments after the verb.
    pub fn objects(&self) -> &[Word] {
        self.positionals.get(1..).unwrap_or(&[])
    }

    /// The last value of a flag.
    pub fn flag(&self, name: &str) -> Option<&Word> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_ref())
    }

    /// Every value of a repeatable flag, in order.
    pub fn flag_all(&self, name: &str) -> Vec<&Word> {
        self.flags
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| v.as_ref())
            .collect()
    }

    /// Whether a switch is given (and not `=false`).
    pub fn has(&self, name: &str) -> bool {
        self.flags
            .iter()
            .any(|(n, v)| n == name && v.as_ref().is_none_or(|v| v.text != "false"))
    }

    /// The first flag given without an attached value (`--name=value`) whose shape docrun does
    /// not know, as typed (`--frobnicate`, `-x`): kubectl may read the next word as its value,
    /// so docrun cannot tell the command's object names from option values.
    pub fn unknown_flag(&self) -> Option<String> {
        self.flags
            .iter()
            .find(|(name, value)| {
                value.is_none()
                    && !VALUE_FLAGS.contains(&name.as_str())
                    && !SWITCHES.contains(&name.as_str())
            })
            .map(|(name, _)| {
                if name.chars().count() == 1 {
                    format!("-{name}")
                } else {
                    format!("--{name}")
                }
            })
    }

    /// The context the command talks to: its `--context`, else `None` (the kubeconfig's current
    /// context).
    pub fn context(&self) -> Option<&Word> {
        self.flag("context")
    }

    /// `--dry-run=client|server` (kubectl changes nothing then).
    pub fn dry_run(&self) -> bool {
        self.flag("dry-run").is_some_and(|v| v.text != "none")
            || self
                .flags
                .iter()
                .any(|(n, v)| n == "dry-run" && v.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Kubectl {
        let cmds = crate::doc::words::read(text, &|_| None);
        Kubectl::parse(cmds[0].args())
    }

    #[test]
    fn flags_before_and_after_the_verb() {
        let k = parse("kubectl -n sample --context=c1 apply -f a.yaml -l app=x --prune");
        assert_eq!(k.verb(), Some("apply"));
        assert_eq!(k.flag("namespace").unwrap().text, "sample");
        assert_eq!(k.context().unwrap().text, "c1");
        assert_eq!(k.flag("filename").unwrap().text, "a.yaml");
        assert_eq!(k.flag("selector").unwrap().text, "app=x");
        assert!(k.has("prune"));
    }

    #[test]
    fn create_secret_with_literals_and_exec_rest() {
        let k =
            parse("kubectl create secret generic s -n ns --from-literal=a=1 --from-literal b=2");
        assert_eq!(
            k.positionals
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>(),
            ["create", "secret", "generic", "s"]
        );
        assert_eq!(k.flag_all("from-literal").len(), 2);
        let k = parse("kubectl exec -it pod -c curl -- curl -sS x");
        assert_eq!(k.objects()[0].text, "pod");
        assert_eq!(k.rest[0].text, "curl");
        assert!(k.has("stdin") && k.has("tty"));
    }

    #[test]
    fn flags_of_unknown_shape_are_found() {
        let k = parse("kubectl delete cm -l app=x -A -o name --context c -v 6 --wait=false a");
        assert_eq!(k.unknown_flag(), None);
        assert_eq!(k.objects()[1].text, "a");
        assert_eq!(
            parse("kubectl delete cm --frobnicate a").unknown_flag(),
            Some("--frobnicate".into())
        );
        assert_eq!(
            parse("kubectl delete cm --frobnicate=yes a").unknown_flag(),
            None
        );
        assert_eq!(
            parse("kubectl delete cm -Ax a").unknown_flag(),
            Some("-x".into())
        );
    }
}
