//! Whether a command only looks at things or may change them.
//!
//! A verification step (one with expected output) whose commands all only look may be retried
//! until the cluster catches up; a step that changes things never is. The test is deliberately
//! conservative: a command docrun does not know is taken to change things.

/// Programs that only read, whatever their arguments (within reason).
pub(crate) const READ_ONLY_PROGRAMS: &[&str] = &[
    "cat", "echo", "printf", "grep", "egrep", "fgrep", "head", "tail", "wc", "jq", "yq", "sort",
    "uniq", "cut", "tr", "awk", "ls", "test", "[", "true", "false", "diff", "sleep", "date",
    "base64", "column", "nslookup", "dig", "host", "ping", "stat", "file", "which", "env", "pwd",
    "id", "whoami", "hostname", "uname", "nc", "openssl", "xargs", "timeout",
];

/// kubectl subcommands that only read, whatever their arguments. Not here, because what they do
/// is not only a look: `exec`, `run`, `debug`, `attach` and `cp` run or copy what the command
/// line says in a pod, `port-forward` and `proxy` open a door to the cluster that stays open,
/// and `auth` has `reconcile`, which changes RBAC objects (only `auth can-i` and `auth whoami`
/// look: see [`KUBECTL_AUTH_READ`]). A step running any of them is not retried unless its
/// overlay gives it a `retry:` budget.
pub(crate) const KUBECTL_READ: &[&str] = &[
    "get",
    "describe",
    "logs",
    "wait",
    "top",
    "version",
    "api-resources",
    "api-versions",
    "cluster-info",
    "explain",
    "events",
];

/// `kubectl auth` subcommands that only read.
pub(crate) const KUBECTL_AUTH_READ: &[&str] = &["can-i", "whoami"];

/// istioctl subcommands that only read.
pub(crate) const ISTIOCTL_READ: &[&str] = &[
    "proxy-status",
    "ps",
    "proxy-config",
    "pc",
    "analyze",
    "version",
    "remote-clusters",
    "precheck",
    "x",
    "experimental",
    "describe",
    "ztunnel-config",
    "waypoint",
    "verify-install",
];

/// Words that make an istioctl command change things, whatever its first subcommand.
const ISTIOCTL_CHANGE: &[&str] = &["apply", "delete", "set", "remove", "install", "uninstall"];

/// Whether every simple command of `command` only reads: the contract the retry logic relies
/// on. A command docrun does not know, and one that runs something else whose effect it cannot
/// see (`kubectl exec POD -- ...`), is taken to change things: false.
pub fn is_read_only(command: &str) -> bool {
    let command = &blank_quotes(command);
    if command.contains("<<") || has_write_redirect(command) {
        return false;
    }
    command
        .split(['|', ';', '\n'])
        .flat_map(|part| part.split("&&"))
        .flat_map(|part| part.split("||"))
        .all(simple_command_reads)
}

/// The command with the inside of quoted strings blanked, so `>` or `|` in them mean nothing.
fn blank_quotes(command: &str) -> String {
    let mut out = String::with_capacity(command.len());
    let mut quote = None;
    let mut escaped = false;
    for c in command.chars() {
        match quote {
            Some(q) if c == q && !escaped => {
                quote = None;
                out.push(c);
            }
            Some(_) => {
                escaped = c == '\\' && !escaped;
                out.push(if c == '\n' { '\n' } else { ' ' });
            }
            None => {
                if (c == '\'' || c == '"') && !escaped {
                    quote = Some(c);
                }
                escaped = c == '\\' && !escaped;
                out.push(c);
            }
        }
    }
    out
}

fn has_write_redirect(command: &str) -> bool {
    let bytes = command.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'>'
            && bytes.get(i + 1) != Some(&b'&')
            && !command[i + 1..].trim_start().starts_with("/dev/null")
            && (i == 0 || !matches!(bytes[i - 1], b'2' | b'-' | b'='))
    })
}

fn simple_command_reads(part: &str) -> bool {
    let words: Vec<&str> = part
        .split_whitespace()
        .skip_while(|w| {
            w.contains('=') && !w.starts_with('-') || *w == "!" || *w == "{" || *w == "("
        })
        .collect();
    let Some(program) = words.first() else {
        return true;
    };
    let program = program
        .trim_start_matches(['(', '{', '"', '\''])
        .rsplit('/')
        .next()
        .unwrap_or("");
    match program {
        "kubectl" => {
            let sub = words[1..]
                .iter()
                .find(|w| !w.starts_with('-') && !w.contains('='));
            match sub {
                Some(&"rollout") => words.contains(&"status") || words.contains(&"history"),
                Some(&"config") => {
                    words.contains(&"view")
                        || words.contains(&"get-contexts")
                        || words.contains(&"current-context")
                }
                Some(&"auth") => words[1..]
                    .iter()
                    .filter(|w| !w.starts_with('-') && !w.contains('='))
                    .nth(1)
                    .is_some_and(|s| KUBECTL_AUTH_READ.contains(s)),
                Some(s) => KUBECTL_READ.contains(s),
                None => false,
            }
        }
        // `waypoint` and `x` hold subcommands that change things (`istioctl waypoint apply`).
        "istioctl" => {
            words[1..]
                .iter()
                .find(|w| !w.starts_with('-'))
                .is_some_and(|s| ISTIOCTL_READ.contains(s))
                && !words[1..].iter().any(|w| ISTIOCTL_CHANGE.contains(w))
        }
        // wget saves what it fetches unless told to print it (`-O -`, `-qO-`) or only to look.
        "wget"
            if !words
                .windows(2)
                .any(|p| matches!(p[0], "-O" | "-qO") && p[1] == "-")
                && !words
                    .iter()
                    .any(|w| matches!(*w, "-O-" | "-qO-" | "--spider" | "--output-document=-")) =>
        {
            false
        }
        "curl" | "wget" => !words.iter().any(|w| {
            matches!(
                *w,
                "-X" | "--request"
                    | "-d"
                    | "--data"
                    | "-T"
                    | "--upload-file"
                    | "-o"
                    | "-O"
                    | "--output"
            )
        }),
        "sed" => !words.iter().any(|w| w.starts_with("-i")),
        "openssl" => !words.iter().any(|w| matches!(*w, "-out" | "-keyout")),
        // A wrapper looks only if what it runs does (`xargs kubectl delete` changes things).
        "xargs" | "timeout" => {
            let mut rest = words[1..].iter().peekable();
            let mut inner = Vec::new();
            let mut duration_skipped = program != "timeout";
            while let Some(w) = rest.next() {
                if !inner.is_empty() {
                    inner.push(*w);
                } else if w.starts_with('-') {
                    if matches!(
                        *w,
                        "-n" | "-I" | "-L" | "-P" | "-d" | "-s" | "-k" | "--signal"
                    ) {
                        rest.next();
                    }
                } else if !duration_skipped {
                    duration_skipped = true;
                } else {
                    inner.push(*w);
                }
            }
            inner.is_empty() || simple_command_reads(&inner.join(" "))
        }
        "}" | ")" | "fi" | "done" => true,
        p => READ_ONLY_PROGRAMS.contains(&p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_that_only_look() {
        for c in [
            "kubectl get pod --context=\"${CTX_CLUSTER1}\" -n sample -l app=helloworld",
            "kubectl rollout status deployment/x -n y",
            "kubectl auth can-i get pods --context=c1",
            "kubectl auth whoami",
            "openssl verify -CAfile root-cert.pem a.pem",
            "istioctl proxy-status",
            "curl -s http://x | grep -o \"<title>.*</title>\"",
            "kubectl get pods 2>/dev/null || true",
            "ls cluster1",
            "kubectl get pods -o name | xargs -n 1 kubectl describe",
            "timeout 5 kubectl get ns",
            "wget -qO- http://x",
        ] {
            assert!(is_read_only(c), "{c}");
        }
    }

    #[test]
    fn commands_that_change_things() {
        for c in [
            "kubectl apply -f x.yaml",
            "kubectl create namespace sample",
            "kubectl rollout restart deployment/x",
            "istioctl install --set profile=demo -y",
            "istioctl waypoint apply --enroll-namespace --wait",
            "kubectl get crd -oname | grep istio.io | xargs kubectl delete",
            "timeout 10s kubectl delete ns x",
            "wget --no-verbose https://x/gen-jwt.py",
            "openssl req -x509 -nodes -newkey rsa:2048 -keyout a.key -out a.crt",
            "curl -X POST http://x",
            "echo hi > file",
            "cat <<EOF | kubectl apply -f -\nkind: X\nEOF",
            "rm -rf /tmp/x",
            "sed -i s/a/b/ f",
            "export A=1",
            "unknown-tool --flag",
            // What these run or open is not a look docrun can see.
            "kubectl exec \"$POD\" -c curl -- curl -sS helloworld.sample:5000/hello",
            "kubectl exec deploy/x -- rm -rf /data",
            "kubectl run tmp --image=busybox --rm -it -- sh",
            "kubectl debug node/n1 -it --image=busybox",
            "kubectl attach pod/x -i",
            "kubectl cp ./x pod:/tmp/x",
            "kubectl auth reconcile -f rbac.yaml",
            "kubectl auth",
            "kubectl port-forward svc/x 8080:80",
            "kubectl proxy --port=8001",
            "kubectl frobnicate pods",
            "kubectl get pods | some-unknown-tool",
        ] {
            assert!(!is_read_only(c), "{c}");
        }
    }
}
