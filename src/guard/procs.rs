//! What Linux's `/proc` tells about processes (parent, session, start time, whether it still
//! runs), and the process trees docrun signals with it: a shell session's members and a step's
//! processes ([`SessionTree`]), a process's descendants ([`descendants`]). Everywhere else the
//! functions find nothing, and callers fall back to coarser means (a process group).

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

/// What `/proc/<pid>/stat` tells about a process.
#[derive(Debug, Clone, Copy)]
pub struct ProcStat {
    pub pid: i32,
    pub ppid: i32,
    pub sid: i32,
    /// Zombie or dead: nothing left to kill.
    pub gone: bool,
    /// Start time in clock ticks since boot.
    pub start: u64,
}

pub fn parse_stat(s: &str) -> Option<ProcStat> {
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let pid = s[..open].trim().parse().ok()?;
    let rest: Vec<&str> = s[close + 1..].split_whitespace().collect();
    Some(ProcStat {
        pid,
        gone: matches!(*rest.first()?, "Z" | "X"),
        ppid: rest.get(1)?.parse().ok()?,
        sid: rest.get(3)?.parse().ok()?,
        start: rest.get(19)?.parse().ok()?,
    })
}

pub fn read_stat(pid: i32) -> Option<ProcStat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Whether the process runs (`None` if `/proc` cannot tell).
pub fn is_running(pid: i32) -> Option<bool> {
    if !Path::new("/proc/self/stat").exists() {
        return None;
    }
    Some(read_stat(pid).is_some_and(|s| !s.gone))
}

/// Every process `/proc` lists now (empty where there is no `/proc`).
pub fn all() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(read_stat)
        .collect()
}

/// The pids among `procs` that descend from `root` (its children, their children, ...), grown
/// from `members`, which count as descendants already (and so do their children).
pub fn descendants(procs: &[ProcStat], root: i32, mut members: HashSet<i32>) -> HashSet<i32> {
    loop {
        let before = members.len();
        for p in procs {
            if p.ppid == root || members.contains(&p.ppid) {
                members.insert(p.pid);
            }
        }
        if members.len() == before {
            return members;
        }
    }
}

/// Sends `signal` to each pid; returns how many were signalled.
pub fn signal_all(pids: &[i32], signal: Signal) -> usize {
    pids.iter()
        .filter(|&&pid| kill(Pid::from_raw(pid), signal).is_ok())
        .count()
}

/// Clock ticks per second of `/proc/<pid>/stat` start times (USER_HZ).
const CLK_TCK: f64 = 100.0;
/// Processes that started this many ticks before a step are still counted as the step's
/// (covers rounding of the start-time arithmetic).
const START_SLACK_TICKS: u64 = 2;

/// The environment variable every process of a session inherits, naming the session
/// ([`SessionTree::marker`]): a process that left the session and its process tree (a
/// double fork with `setsid`) still carries it.
pub const SESSION_MARK: &str = "DOCRUN_SESSION";

/// The processes of a shell that leads its own session (and process group): its members,
/// those that left the session but descend from it, and those that carry the session's mark
/// in their environment wherever they went.
#[derive(Debug, Clone, Copy)]
pub struct SessionTree {
    shell: i32,
    spawned_at: Instant,
    /// The shell's start time in clock ticks since boot (Linux only).
    start_tick: Option<u64>,
    /// The value of [`SESSION_MARK`] in the session's environment.
    mark: u64,
}

/// A mark no other session of this machine's docrun processes has.
pub fn new_mark() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    (u64::from(std::process::id()) << 24) | NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Whether process `pid`'s environment holds `SESSION_MARK=mark` (false where it cannot be
/// read: another user's process, or one that is gone).
fn carries_mark(pid: i32, mark: u64) -> bool {
    let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let wanted = format!("{SESSION_MARK}={mark}");
    environ
        .split(|b| *b == 0)
        .any(|entry| entry == wanted.as_bytes())
}

impl SessionTree {
    /// The tree of `shell`, spawned at `spawned_at` with `SESSION_MARK=mark` in its
    /// environment (read at once, before its pid can be reused).
    pub fn of(shell: i32, spawned_at: Instant, mark: u64) -> Self {
        SessionTree {
            shell,
            spawned_at,
            start_tick: read_stat(shell).map(|s| s.start),
            mark,
        }
    }

    /// Live processes (other than the shell) of the session that started at or after `since`
    /// (with a little slack), plus their descendants that left the session: what a step that
    /// began at `since` started. Empty where there is no `/proc`.
    pub fn started_since(&self, since: Instant) -> Vec<i32> {
        self.members_from(self.tick_at(since))
    }

    /// Every live process of the session, and their descendants that left it.
    pub fn members(&self) -> Vec<i32> {
        self.members_from(0)
    }

    fn members_from(&self, min_start: u64) -> Vec<i32> {
        let shell = self.shell;
        let procs: Vec<ProcStat> = all()
            .into_iter()
            .filter(|p| p.pid != shell && !p.gone && p.start >= min_start)
            .collect();
        // Members of the session, and whatever carries its mark: a daemon that left both
        // the session and the tree (re-parented to docrun or init) is still the step's.
        let in_session = procs
            .iter()
            .filter(|p| p.sid == shell || carries_mark(p.pid, self.mark))
            .map(|p| p.pid)
            .collect();
        descendants(&procs, shell, in_session).into_iter().collect()
    }

    /// The earliest start time (clock ticks since boot) of a process started at `at`.
    fn tick_at(&self, at: Instant) -> u64 {
        let Some(base) = self.start_tick else {
            return 0;
        };
        let offset = at.saturating_duration_since(self.spawned_at).as_secs_f64() * CLK_TCK;
        ((base as f64 + offset).floor() as u64).saturating_sub(START_SLACK_TICKS)
    }

    /// `SIGKILL` to the shell's process group and every process of its session, now.
    pub fn kill_now(&self) {
        let _ = killpg(Pid::from_raw(self.shell), Signal::SIGKILL);
        signal_all(&self.members(), Signal::SIGKILL);
    }

    /// Ends the session of a shell whose input was closed: waits up to `grace` for the shell to
    /// exit (without reaping it, so that its pid, the session and group id, cannot be reused
    /// meanwhile), sends `SIGTERM` to its group and session, gives them a second, then kills
    /// what is left.
    pub async fn end(&self, grace: Duration, poll: Duration) {
        let shell = self.shell;
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && is_running(shell) == Some(true) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = killpg(Pid::from_raw(shell), Signal::SIGTERM);
        signal_all(&self.members(), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline && !self.members().is_empty() {
            tokio::time::sleep(poll).await;
        }
        self.kill_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(pid: i32, ppid: i32) -> ProcStat {
        ProcStat {
            pid,
            ppid,
            sid: 1,
            gone: false,
            start: 0,
        }
    }

    #[test]
    fn descendants_follow_parents_from_the_root_and_from_members() {
        let procs = [
            stat(12, 11),
            stat(11, 10),
            stat(14, 13),
            stat(13, 99),
            stat(15, 1),
        ];
        let mut from_root: Vec<i32> = descendants(&procs, 10, HashSet::new())
            .into_iter()
            .collect();
        from_root.sort();
        assert_eq!(from_root, [11, 12]);
        let mut with_member: Vec<i32> = descendants(&procs, 10, HashSet::from([13]))
            .into_iter()
            .collect();
        with_member.sort();
        assert_eq!(with_member, [11, 12, 13, 14]);
    }

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        let line = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 98765 0 0";
        let s = parse_stat(line).unwrap();
        assert_eq!(
            (s.pid, s.ppid, s.sid, s.start, s.gone),
            (4242, 1, 4242, 98765, false)
        );
        assert!(parse_stat("garbage").is_none());
    }
}
