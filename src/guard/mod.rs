//! Keeping what a run starts from outliving docrun.
//!
//! Three layers, each for a way a process could escape (Linux; elsewhere only the first holds):
//!
//! 1. Each shell session is its own session and process group. Its shell is registered with
//!    the watchdog (layer 3); where no watchdog runs, the shell instead gets `SIGKILL` when
//!    docrun dies (`PR_SET_PDEATHSIG`, set in the child before `exec`). With a watchdog the
//!    shell is left alive for it, so that the whole tree under the shell, processes detached
//!    with `setsid` included, is still there to be found and killed.
//! 2. docrun is a *subreaper* (`PR_SET_CHILD_SUBREAPER`) during `run` and `test`: a process whose
//!    parent exits (`setsid sleep 301 &` after its shell ended, a double-forked daemon) is
//!    re-parented to docrun instead of pid 1. [`reap_orphans`] kills and reaps such processes
//!    when no session is running any more.
//! 3. A *watchdog*, a second docrun process in its own session (`docrun __watchdog`, hidden),
//!    follows docrun's descendants every [`WATCH_EVERY`] through `/proc`. When docrun's end of a
//!    pipe closes, which happens however docrun ends, `SIGKILL` included, it kills the shells
//!    docrun registered with everything under them and in their sessions, and every process it
//!    last saw descending from docrun (checked by start time, so a reused pid is left alone),
//!    then removes the temporary directories docrun
//!    registered with [`register_dir`] and did not remove itself.
//!
//! What still escapes: a process that was both detached (`setsid`) and orphaned (its parent
//! ended) within one [`WATCH_EVERY`] before docrun is killed with `SIGKILL`, and anything that moves itself out
//! of reach on purpose (a new pid namespace, a process another service starts on the guide's
//! behalf such as `systemd-run` or a container runtime).

pub mod procs;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;

/// How often the watchdog looks at docrun's descendants.
pub const WATCH_EVERY: Duration = Duration::from_millis(200);

/// The hidden subcommand that runs the watchdog.
pub const WATCHDOG_ARG: &str = "__watchdog";

/// Processes docrun started on purpose and waits for itself (shells, credential plugins, the
/// watchdog): never taken for orphans.
static OWN: Mutex<Option<HashSet<i32>>> = Mutex::new(None);
/// Shell sessions running now.
static SESSIONS: AtomicUsize = AtomicUsize::new(0);
/// [`protect`] made docrun a subreaper: only then are orphans docrun's to sweep.
static PROTECTED: AtomicBool = AtomicBool::new(false);
/// docrun's end of the watchdog's pipe.
static WATCHDOG: Mutex<Option<ChildStdin>> = Mutex::new(None);

/// Sets up layers 2 and 3 for this process. Call once, before the first session starts, from a
/// command that runs guides. Returns what could not be set up (the run goes on without it).
pub fn protect() -> Vec<String> {
    let mut missing = Vec::new();
    #[cfg(target_os = "linux")]
    match nix::sys::prctl::set_child_subreaper(true) {
        Ok(()) => PROTECTED.store(true, Ordering::SeqCst),
        Err(e) => missing.push(format!(
            "cannot become a subreaper ({e}): a process a step detaches with setsid may outlive docrun"
        )),
    }
    if let Err(e) = start_watchdog() {
        missing.push(format!(
            "cannot start the watchdog ({e}): if docrun is killed with SIGKILL, the steps' processes may outlive it"
        ));
    }
    missing
}

fn start_watchdog() -> std::io::Result<()> {
    if !Path::new("/proc/self/stat").exists() {
        return Err(std::io::Error::other("no /proc"));
    }
    let exe = std::env::current_exe()?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg(WATCHDOG_ARG)
        .arg(std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid(2) is async-signal-safe and allocates nothing.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            nix::unistd::setsid()
                .map(drop)
                .map_err(std::io::Error::from)
        });
    }
    let mut child = cmd.spawn()?;
    own(child.id() as i32);
    *WATCHDOG.lock().unwrap_or_else(|e| e.into_inner()) = child.stdin.take();
    Ok(())
}

fn tell_watchdog(line: &str) {
    let mut guard = WATCHDOG.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(pipe) = guard.as_mut() {
        if pipe.write_all(line.as_bytes()).is_err() {
            *guard = None;
        }
    }
}

/// Asks the watchdog to remove `dir` if docrun dies before [`unregister_dir`].
pub fn register_dir(dir: &Path) {
    if let Some(path) = dir.to_str().filter(|p| !p.contains('\n')) {
        tell_watchdog(&format!("dir {path}\n"));
    }
}

/// Whether a watchdog runs for this process.
pub fn watchdog_running() -> bool {
    WATCHDOG.lock().unwrap_or_else(|e| e.into_inner()).is_some()
}

/// Registers a shell (the leader of its own session) with the watchdog: if docrun dies, the
/// shell, its session and its descendants are killed.
pub fn watch_session(pid: i32) {
    if let Some(stat) = procs::read_stat(pid) {
        tell_watchdog(&format!("session {pid} {}\n", stat.start));
    }
}

/// docrun removed `dir` itself.
pub fn unregister_dir(dir: &Path) {
    if let Some(path) = dir.to_str().filter(|p| !p.contains('\n')) {
        tell_watchdog(&format!("undir {path}\n"));
    }
}

/// Marks a child docrun started and will wait for itself.
pub fn own(pid: i32) {
    OWN.lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(pid);
}

/// The child was waited for.
pub fn disown(pid: i32) {
    if let Some(set) = OWN.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        set.remove(&pid);
    }
}

/// A shell session started.
pub fn session_started() {
    SESSIONS.fetch_add(1, Ordering::SeqCst);
}

/// A shell session ended: when it was the last one, sweeps orphans (see [`reap_orphans`]).
pub fn session_ended() {
    if SESSIONS.fetch_sub(1, Ordering::SeqCst) <= 1 {
        reap_orphans();
    }
}

/// Kills (`SIGKILL`) and reaps every child of docrun that docrun did not start itself: processes
/// re-parented to docrun as the subreaper. Returns how many there were. Only meaningful when no
/// session is running (a running step's orphans are still its own).
pub fn reap_orphans() -> usize {
    if !PROTECTED.load(Ordering::SeqCst) {
        return 0;
    }
    let me = std::process::id() as i32;
    let own: HashSet<i32> = OWN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default();
    let mut count = 0;
    // Killing an orphan can orphan its children in turn: repeat, within a bound.
    for _ in 0..20 {
        let orphans: Vec<procs::ProcStat> = procs::all()
            .into_iter()
            .filter(|p| p.ppid == me && !own.contains(&p.pid))
            .collect();
        if orphans.is_empty() {
            break;
        }
        for p in &orphans {
            if !p.gone {
                let _ = kill(Pid::from_raw(p.pid), Signal::SIGKILL);
                count += 1;
            }
        }
        let deadline = Instant::now() + Duration::from_millis(500);
        for p in &orphans {
            // A child killed with SIGKILL ends promptly; the deadline bounds a hung kernel.
            while Instant::now() < deadline {
                match waitpid(Pid::from_raw(p.pid), Some(WaitPidFlag::WNOHANG)) {
                    Ok(nix::sys::wait::WaitStatus::StillAlive) => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    _ => break,
                }
            }
        }
    }
    count
}

/// The watchdog (`docrun __watchdog PID`): see the module documentation. Reads `dir PATH` and
/// `undir PATH` lines on stdin; acts when stdin ends.
pub fn watchdog_main(args: &[String]) -> ExitCode {
    let Some(parent) = args.first().and_then(|a| a.parse::<i32>().ok()) else {
        return ExitCode::from(2);
    };
    for sig in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGPIPE,
    ] {
        // SAFETY: SIG_IGN installs no handler code.
        unsafe {
            let _ = nix::sys::signal::signal(sig, nix::sys::signal::SigHandler::SigIgn);
        }
    }
    let (tx, rx) = std::sync::mpsc::channel::<Option<String>>();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            match line {
                Ok(l) => {
                    if tx.send(Some(l)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send(None);
    });
    let me = std::process::id() as i32;
    let mut seen: HashMap<i32, u64> = HashMap::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut shells: HashMap<i32, u64> = HashMap::new();
    loop {
        seen = descendants(parent, me).into_iter().chain(seen).collect();
        seen.retain(|pid, start| procs::read_stat(*pid).is_some_and(|s| s.start == *start));
        match rx.recv_timeout(WATCH_EVERY) {
            Ok(Some(line)) => {
                if let Some(rest) = line.strip_prefix("session ") {
                    let mut words = rest.split(' ').filter_map(|w| w.parse::<u64>().ok());
                    if let (Some(pid), Some(start)) = (words.next(), words.next()) {
                        shells.insert(pid as i32, start);
                    }
                } else if let Some(d) = line.strip_prefix("dir ") {
                    dirs.push(PathBuf::from(d));
                } else if let Some(d) = line.strip_prefix("undir ") {
                    dirs.retain(|x| x != Path::new(d));
                }
            }
            Ok(None) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    // The registered shells still stand (they do not die with docrun when a watchdog runs), so
    // the tree under them, detached processes included, is complete now.
    for (shell, start) in &shells {
        if procs::read_stat(*shell).is_some_and(|s| s.start == *start) {
            seen.insert(*shell, *start);
            seen.extend(descendants(*shell, me));
        }
    }
    kill_all(&seen, me);
    for d in dirs {
        let _ = std::fs::remove_dir_all(d);
    }
    ExitCode::SUCCESS
}

/// The live processes descending from `root` (other than `skip`), with their start times.
fn descendants(root: i32, skip: i32) -> HashMap<i32, u64> {
    let live: Vec<procs::ProcStat> = procs::all()
        .into_iter()
        .filter(|p| p.pid != skip && !p.gone)
        .collect();
    let found = procs::descendants(&live, root, HashSet::new());
    live.iter()
        .filter(|p| found.contains(&p.pid))
        .map(|p| (p.pid, p.start))
        .collect()
}

/// `SIGKILL` to every process in `seen` that is still the same process, and to every process
/// in a session led by one of them; repeated for a moment to catch late forks.
fn kill_all(seen: &HashMap<i32, u64>, me: i32) {
    let sessions: HashSet<i32> = seen.keys().copied().collect();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let targets: Vec<i32> = procs::all()
            .into_iter()
            .filter(|p| p.pid != me && !p.gone)
            .filter(|p| seen.get(&p.pid) == Some(&p.start) || sessions.contains(&p.sid))
            .map(|p| p.pid)
            .collect();
        if targets.is_empty() || Instant::now() >= deadline {
            return;
        }
        for pid in targets {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
