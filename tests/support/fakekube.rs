//! Two fake Kubernetes clusters for end-to-end tests, served by `tests/fakekube/fakekube.py`
//! (a stdlib-only Python stand-in for an API server: no scheduler, no kubelet; see its header).
//!
//! ```ignore
//! mod support;
//! use support::fakekube::FakeKube;
//!
//! #[tokio::test]
//! async fn my_test() {
//!     let kube = FakeKube::start();              // c1: http + --simulate-workloads, c2: TLS + token
//!     let checker = kube.checker();              // docrun::checker::Checker on contexts c1 and c2
//!     let client = kube.client("c2").await;      // a kube::Client to populate a cluster
//!     let out = kube.kubectl("c1", &["get", "ns"], None); // kubectl with a private HOME
//! }   // servers are killed when `kube` is dropped
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use docrun::checker::Checker;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::pki::{Cert, Pki};

/// The bearer token cluster c2 requires.
pub const C2_TOKEN: &str = "t0k3n-c2";

/// Path of the fake server script inside the project.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakekube/fakekube.py")
}

/// A port nothing listens on (bound once, then released): for "unreachable server" tests.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One running fakekube process.
pub struct Server {
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub url: String,
    child: Child,
}

impl Server {
    /// Starts `fakekube.py --port 0 <args>` and waits (up to 10 s) for its `READY <url>` line.
    /// Its stderr goes to `log`.
    pub fn start(args: &[&str], log: &Path) -> Server {
        Starting::spawn(args, log).ready()
    }
}

/// A fakekube process that has not said `READY` yet: spawn several, then wait for each, so
/// that their start-up (about 0.1 s of Python each) overlaps.
pub struct Starting {
    child: Option<Child>,
    line: mpsc::Receiver<String>,
    log: PathBuf,
}

impl Starting {
    /// Spawns `fakekube.py --port 0 <args>`, its stderr going to `log`.
    pub fn spawn(args: &[&str], log: &Path) -> Starting {
        Self::spawn_script(&script(), args, log)
    }

    /// Spawns another Python server of the tests that prints `READY <url>` (the fault proxy).
    pub fn spawn_script(script: &Path, args: &[&str], log: &Path) -> Starting {
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("start python3 fakekube.py");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {} // drain until the process exits
        });
        Starting {
            child: Some(child),
            line: rx,
            log: log.to_path_buf(),
        }
    }

    /// Waits (up to 10 s) for the `READY <url>` line; panics with the server's log otherwise.
    pub fn ready(mut self) -> Server {
        let child = self.child.take().unwrap();
        match self.line.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.starts_with("READY ") => Server {
                url: line["READY ".len()..].trim().to_string(),
                child,
            },
            other => {
                drop(Server {
                    url: String::new(),
                    child,
                });
                panic!(
                    "fakekube did not start ({other:?}): {}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
        }
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Server {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Versions the two clusters report.
pub struct Options {
    pub c1_version: String,
    pub c2_version: String,
    /// c2 makes workloads ready too (`--simulate-workloads`), as c1 always does.
    pub c2_simulate: bool,
    /// Seconds a deleted namespace stays `Terminating` on both clusters
    /// (`--namespace-deletion-delay`); 0 deletes at once.
    pub namespace_deletion_delay: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            c1_version: "v1.30.2".into(),
            c2_version: "v1.31.0".into(),
            c2_simulate: false,
            namespace_deletion_delay: 0.0,
        }
    }
}

/// A context to write into a kubeconfig.
pub struct ContextEntry {
    pub name: String,
    pub server: String,
    pub ca: Option<PathBuf>,
    /// `insecure-skip-tls-verify: true` (no server certificate check).
    pub insecure: bool,
    pub token: String,
}

/// Two fake clusters and a kubeconfig with contexts `c1` and `c2`:
/// - `c1`: plain HTTP, `--simulate-workloads` (Deployments, StatefulSets and DaemonSets become
///   ready at once, with Running pods), any token;
/// - `c2`: TLS with a server certificate from a test CA (`certificate-authority` in the
///   kubeconfig), bearer token [`C2_TOKEN`] required, nothing becomes ready on its own.
pub struct FakeKube {
    pub dir: tempfile::TempDir,
    pub c1: Server,
    pub c2: Server,
    /// The kubeconfig file with contexts c1 and c2.
    pub kubeconfig_path: PathBuf,
    /// The CA of c2's server certificate.
    pub tls_ca: Cert,
    /// Makes more certificates in `dir`.
    pub pki: Pki,
}

impl FakeKube {
    /// Starts c1 (v1.30.2) and c2 (v1.31.0).
    pub fn start() -> FakeKube {
        Self::start_with(Options::default())
    }

    /// Starts c1 and c2 reporting the given versions (keep them between v1.27 and v1.33 if
    /// the test runs kubectl: /usr/bin/kubectl picks a client matching the server).
    pub fn start_with(opts: Options) -> FakeKube {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::new(dir.path());
        let tls_ca = pki.root("tls-ca", "fakekube test CA");
        let srv = pki.server("tls-server", &tls_ca);
        let delay = opts.namespace_deletion_delay.to_string();
        let delay_args = ["--namespace-deletion-delay", delay.as_str()];
        let c1 = Starting::spawn(
            &[
                &["--simulate-workloads", "--k8s-version", &opts.c1_version][..],
                &delay_args,
            ]
            .concat(),
            &dir.path().join("c1.log"),
        );
        let simulate: &[&str] = if opts.c2_simulate {
            &["--simulate-workloads"]
        } else {
            &[]
        };
        let c2 = Starting::spawn(
            &[
                simulate,
                &[
                    "--tls-cert",
                    srv.cert.to_str().unwrap(),
                    "--tls-key",
                    srv.key.to_str().unwrap(),
                    "--token",
                    C2_TOKEN,
                    "--k8s-version",
                    &opts.c2_version,
                ],
                &delay_args,
            ]
            .concat(),
            &dir.path().join("c2.log"),
        );
        let (c1, c2) = (c1.ready(), c2.ready());
        let kubeconfig_path = dir.path().join("kubeconfig");
        let kube = FakeKube {
            kubeconfig_path,
            dir,
            c1,
            c2,
            tls_ca,
            pki,
        };
        kube.write_kubeconfig(&kube.kubeconfig_path, &kube.base_entries());
        kube
    }

    fn base_entries(&self) -> Vec<ContextEntry> {
        self.entries_named("c1", "c2")
    }

    /// The contexts of c1 and c2 under other names (as a reader renames contexts to follow a
    /// guide that names them literally).
    pub fn entries_named(&self, c1: &str, c2: &str) -> Vec<ContextEntry> {
        vec![
            ContextEntry {
                name: c1.into(),
                server: self.c1.url.clone(),
                ca: None,
                token: "anything".into(),
                insecure: false,
            },
            ContextEntry {
                name: c2.into(),
                server: self.c2.url.clone(),
                ca: Some(self.tls_ca.cert.clone()),
                token: C2_TOKEN.into(),
                insecure: false,
            },
        ]
    }

    /// Writes a kubeconfig holding `entries` (current context: the first).
    pub fn write_kubeconfig(&self, path: &Path, entries: &[ContextEntry]) {
        let mut y = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        for e in entries {
            y.push_str(&format!(
                "- name: k-{}\n  cluster:\n    server: \"{}\"\n",
                e.name, e.server
            ));
            if let Some(ca) = &e.ca {
                y.push_str(&format!(
                    "    certificate-authority: \"{}\"\n",
                    ca.display()
                ));
            }
            if e.insecure {
                y.push_str("    insecure-skip-tls-verify: true\n");
            }
        }
        y.push_str("users:\n");
        for e in entries {
            y.push_str(&format!(
                "- name: u-{}\n  user:\n    token: \"{}\"\n",
                e.name, e.token
            ));
        }
        y.push_str("contexts:\n");
        for e in entries {
            y.push_str(&format!(
                "- name: {0}\n  context:\n    cluster: k-{0}\n    user: u-{0}\n",
                e.name
            ));
        }
        if let Some(first) = entries.first() {
            y.push_str(&format!("current-context: {}\n", first.name));
        }
        std::fs::File::create(path)
            .unwrap()
            .write_all(y.as_bytes())
            .unwrap();
    }

    /// The kubeconfig with contexts c1 and c2.
    pub fn kubeconfig(&self) -> Kubeconfig {
        Kubeconfig::read_from(&self.kubeconfig_path).unwrap()
    }

    /// The kubeconfig with c1, c2 and more contexts `(name, server URL)` (plain HTTP or the
    /// test CA, token of c2): for contexts aimed at the wrong place.
    pub fn kubeconfig_with(&self, extra: &[(&str, &str)]) -> Kubeconfig {
        let entries: Vec<ContextEntry> = extra
            .iter()
            .map(|(name, server)| ContextEntry {
                name: name.to_string(),
                server: server.to_string(),
                ca: server
                    .starts_with("https")
                    .then(|| self.tls_ca.cert.clone()),
                token: C2_TOKEN.into(),
                insecure: false,
            })
            .collect();
        self.kubeconfig_with_entries(entries)
    }

    /// The kubeconfig with c1, c2 and the given contexts (for wrong credentials or CAs).
    pub fn kubeconfig_with_entries(&self, extra: Vec<ContextEntry>) -> Kubeconfig {
        let mut entries = self.base_entries();
        entries.extend(extra);
        let path = tempfile::Builder::new()
            .prefix("kubeconfig-")
            .tempfile_in(self.dir.path())
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        self.write_kubeconfig(&path, &entries);
        Kubeconfig::read_from(&path).unwrap()
    }

    /// A checker on contexts c1 and c2.
    pub fn checker(&self) -> Checker {
        Checker::from_kubeconfig(self.kubeconfig())
    }

    /// A kube client for a context (to populate a cluster).
    pub async fn client(&self, context: &str) -> kube::Client {
        let options = KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(self.kubeconfig(), &options)
            .await
            .unwrap();
        kube::Client::try_from(config).unwrap()
    }

    /// Runs `/usr/bin/kubectl --context <context> <args>` with the kubeconfig and a private HOME
    /// (kubectl caches discovery there), feeding `stdin` if given.
    pub fn kubectl(&self, context: &str, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new("kubectl");
        cmd.arg("--context")
            .arg(context)
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig_path)
            .env("HOME", self.dir.path())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run kubectl");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    }
}
