//! A misbehaving API server for tests: `tests/faultproxy/faultproxy.py` in front of a fakekube
//! server, answering 500 or 429 for the first requests, with endless bodies, or not at all
//! (see tests/faultproxy/README.md for its modes).

use std::path::{Path, PathBuf};

use super::fakekube::{Server, Starting};

/// Path of the proxy script inside the project.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/faultproxy/faultproxy.py")
}

/// A running proxy; killed when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: point a kubeconfig context at it.
    pub url: String,
    /// One line per request it received (`#N METHOD PATH`), and what it did.
    pub log: PathBuf,
    _server: Server,
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` with `mode` (`e500:2`, `allflood`, ...), its
    /// files in `dir`.
    pub fn start(upstream: &str, mode: &str, dir: &Path) -> FaultProxy {
        let name = mode.replace([':', ','], "-");
        let log = dir.join(format!("faultproxy-{name}.log"));
        let server = Starting::spawn_script(
            &script(),
            &[
                "--upstream",
                upstream,
                "--mode",
                mode,
                "--log",
                log.to_str().unwrap(),
            ],
            &dir.join(format!("faultproxy-{name}.stderr")),
        )
        .ready();
        FaultProxy {
            url: server.url.clone(),
            log,
            _server: server,
        }
    }

    /// The proxy's process id (a test may stop it to make its cluster vanish).
    pub fn pid(&self) -> u32 {
        self._server.pid()
    }

    /// The requests the proxy received, in order (`GET /version`).
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let rest = l.split_once(" #")?.1;
                let (_, call) = rest.split_once(' ')?;
                call.split(' ')
                    .nth(1)
                    .is_some_and(|p| p.starts_with('/'))
                    .then(|| call.to_string())
            })
            .collect()
    }
}
