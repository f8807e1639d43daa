//! What Linux's `/proc` tells about processes: parent, session, start time, whether it still
//! runs. Everywhere else the functions find nothing, and callers fall back to coarser means.

use std::path::Path;

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
