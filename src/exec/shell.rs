//! One persistent bash session in which a guide's steps run one after another.
//!
//! A guide is meant to be typed into one terminal, so every step runs in the
//! same long-lived `bash` process: variables (exported or not), functions,
//! the working directory, `set`/`shopt` options and traps carry over from one
//! step to the next.
//!
//! # How a step runs
//!
//! * The shell is started in a new session (`setsid`), with no controlling
//!   terminal. It reads control commands from a pipe on its stdin; stdout and
//!   stderr of everything it runs go to one pipe, so the two streams arrive
//!   interleaved in the order they were written. A second pipe (the shell's fd
//!   61) carries only answers from the shell itself; steps run with it closed.
//! * The step's text is written to a file in a private session directory and
//!   `source`d by the main shell with stdin from `/dev/null`. Because it is
//!   sourced (not run in a subshell), state persists; because it is a file,
//!   even a syntax error in the step cannot swallow docrun's own commands.
//! * When the step ends, the shell writes an end marker containing a random
//!   per-step nonce to the output pipe, then the exit status (and `$PWD`) on the
//!   answer pipe. Output before the marker belongs to the step, so output
//!   without a final newline is kept, and guide output cannot fake the end of
//!   a step (it neither knows the nonce nor can write to the answer pipe).
//! * `$?` at the start of a step is the status of the previous step, and
//!   `set -x` traces only the guide's own commands (with one more `+` than in a
//!   terminal: bash counts the sourced step as one level of nesting).
//!
//! # `exit` and `set -e`
//!
//! A step that runs `exit` (or fails while the guide has `set -e`) ends the
//! shell, exactly as it would close a terminal. [`ShellSession::run`] then
//! returns [`ShellError::SessionEnded`] with the status and the step's output;
//! the caller decides whether to [`ShellSession::restart`] the session.
//!
//! # Timeouts and interruption
//!
//! When a step times out (or [`ShellSession::interrupt`] is called), docrun
//!
//! 1. asks the shell to abandon the step (`SIGUSR1`; its handler makes the
//!    sourced step return at the next command, as Ctrl-C does in a terminal),
//! 2. sends `SIGTERM` to every process the step started — found on Linux
//!    through `/proc` as members of the shell's session started after the step
//!    began, plus their descendants (see [`crate::guard::procs::SessionTree`]) — and
//!    repeats that every 50 ms,
//! 3. after [`KILL_GRACE`] switches to `SIGKILL`,
//! 4. if the shell itself still has not finished the step one second later
//!    (e.g. the guide ignored `SIGUSR1`), kills the whole session and starts a
//!    fresh shell, restored from the last known state (see
//!    [`ShellSession::restart`]); the result then has `restarted: true`.
//!
//! Background processes started by *earlier* steps (e.g. a server the guide
//! started with `&`) are left running, as in a terminal. They are killed when
//! the session is closed or dropped.
//!
//! # Limitations
//!
//! * Finding a step's processes needs Linux `/proc`. Elsewhere every timeout
//!   falls back to killing the shell's process group and replacing the shell.
//! * A process that leaves the shell's session (`setsid`) *and* is no longer a
//!   descendant of the step (a double-forked daemon) escapes the kill of a
//!   timed-out step. Under `docrun run` and `docrun test` it is killed when the
//!   last session ends (docrun is then a subreaper: see [`crate::guard`]).
//! * A background process that an earlier step started less than ~20 ms before
//!   the aborted step began is counted as that step's, and killed.
//! * A guide that traps `SIGUSR1` itself disables the graceful abort (the
//!   shell is then replaced). A guide's own `DEBUG` trap is removed when a
//!   step is aborted.
//! * `set -v` echoes docrun's control line. In a step, `$0` is `bash` and
//!   `BASH_SOURCE` names docrun's step file.
//! * Output that background processes write between steps is buffered in
//!   memory until the next step (at most [`OUTPUT_KEEP`] bytes of it; the
//!   rest is counted, not kept). A process that writes more than
//!   [`CHANNEL_CHUNKS`] chunks between two steps waits until the next step.
//!
//! # Memory
//!
//! The session never holds more than [`OUTPUT_KEEP`] bytes of a step's output:
//! every byte reaches the `on_output` callback as it comes, and
//! [`CommandResult::output`] keeps only the first [`OUTPUT_KEEP`] bytes, with
//! [`CommandResult::output_bytes`] counting them all. Output is handled in
//! time linear in its size, with or without line breaks.

use std::collections::hash_map::RandomState;
use std::ffi::OsString;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc::{channel, Receiver};

use crate::guard::procs::{signal_all, SessionTree};

/// How long the processes of a timed-out or interrupted step get between
/// `SIGTERM` and `SIGKILL`.
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// How much of a step's output [`CommandResult::output`] keeps (the beginning).
pub const OUTPUT_KEEP: usize = 16 << 20;

/// How many chunks (of at most 32 KiB) of output wait between the pipe and
/// docrun: a step that writes faster than docrun reads is slowed down
/// instead of filling docrun's memory.
pub const CHANNEL_CHUNKS: usize = 256;

/// Exit status reported for a step that timed out (the convention of
/// `timeout(1)`).
pub const TIMEOUT_STATUS: i32 = 124;

/// After `SIGKILL`, how long the shell gets to finish the aborted step before
/// it is replaced by a fresh one.
const KILL_WAIT: Duration = Duration::from_secs(1);
/// How often the processes of an aborted step are looked for and signalled.
const POLL: Duration = Duration::from_millis(50);
/// How long the shell gets to answer a plumbing request (start, state, restore).
const ANSWER_LIMIT: Duration = Duration::from_secs(30);

/// Shell code loaded once per session (after `__dr_d=<session dir>`).
///
/// * The `SIGUSR1` trap makes a running step return: at once if it fires in
///   the step's top level (a `return` in the trap text; bash runs pending traps
///   before acting on `set -e`, so a killed command does not end the shell),
///   and otherwise at the next command: `__dr_int` sets a `DEBUG` trap which,
///   with `extdebug`, makes every function or sourced file return. `set -e` is
///   suspended meanwhile; `__dr_e` restores it, `extdebug`, `set -E`/`-T`.
/// * `__dr_e NONCE STATUS` ends a step: restores what `__dr_int` changed,
///   remembers `$?` and `set -x` for the next step, writes the end marker to
///   the output pipe (fd 62) and `NONCE\0STATUS\0PWD\0end:NONCE\0` to the
///   answer pipe (fd 61).
/// * `__dr_st NONCE` answers `NONCE\0PWD\0(NAME\0VALUE\0)*end:NONCE\0` for every
///   exported variable that has a value.
/// * `__dr_rs NONCE` reads `CWD\0(NAME\0VALUE\0)*` from the file `restore` as
///   data (`read -r -d ''`), changes directory, then exports each pair (in that
///   order, so that a saved `OLDPWD`/`PWD` wins over what `cd` sets).
///
/// Everything uses builtins only: no process is spawned per step.
const INIT: &str = r#"exec 61>&2 62>&1 2>&1
__dr_rc=0 __dr_x= __dr_in= __dr_ab= __dr_ew= __dr_ext=
__dr_ret() { return "$1"; }
__dr_int() {
  [[ -n ${__dr_in-} && -z ${__dr_ab-} ]] || return 0
  __dr_ab=1 __dr_ew= __dr_ext= __dr_fl=$-
  case $- in *e*) __dr_ew=1; builtin set +e;; esac
  builtin shopt -q extdebug && __dr_ext=1
  builtin shopt -s extdebug
  builtin trap 'if [[ ${FUNCNAME[0]-} != __dr_* && -n ${BASH_SOURCE[0]-} ]]; then return 2; fi' DEBUG
  return 0
}
builtin trap '__dr_int; if [[ -n ${__dr_ab-} && ${FUNCNAME[0]-} != __dr_* && -n ${BASH_SOURCE[0]-} ]]; then return 2; fi' USR1
__dr_e() {
  __dr_rc=$2 __dr_in=
  case $- in *x*) __dr_x=x; builtin set +x;; *) __dr_x=;; esac
  if [[ -n ${__dr_ab-} ]]; then
    builtin trap - DEBUG
    if [[ -z ${__dr_ext-} ]]; then
      builtin shopt -u extdebug
      case $__dr_fl in *E*) builtin set -E;; esac
      case $__dr_fl in *T*) builtin set -T;; esac
    fi
    [[ -z ${__dr_ew-} ]] || builtin set -e
    __dr_ab=
  fi
  builtin printf '\0docrun-end:%s\0' "$1" >&62
  builtin printf '%s\0%s\0%s\0end:%s\0' "$1" "$2" "$PWD" "$1" >&61
  return 0
}
__dr_st() {
  local __dr_k
  local -a __dr_a=("$1" "$PWD") __dr_n
  builtin compgen -e >|"$__dr_d/names" || :
  builtin mapfile -t __dr_n <"$__dr_d/names"
  for __dr_k in "${__dr_n[@]}"; do
    [[ -z ${!__dr_k+x} ]] || __dr_a+=("$__dr_k" "${!__dr_k}")
  done
  builtin printf '%s\0' "${__dr_a[@]}" "end:$1" >&61
  return 0
}
__dr_rs() {
  local __dr_c= __dr_k __dr_v __dr_s=0
  {
    IFS= builtin read -r -d '' __dr_c || :
    builtin cd -- "$__dr_c" || __dr_s=1
    while IFS= builtin read -r -d '' __dr_k && IFS= builtin read -r -d '' __dr_v; do
      builtin export "$__dr_k=$__dr_v" || :
    done
  } <"$__dr_d/restore"
  builtin printf '%s\0%s\0end:%s\0' "$1" "$__dr_s" "$1" >&61
  return 0
}
"#;

/// Prepended to every step's first line (same line, so line numbers in error
/// messages stay right): re-enables `set -x` if the previous step left it on,
/// and sets `$?` to the previous step's status without tripping `set -e` or an
/// `ERR` trap (a failure on the left of `&&` is exempt from both).
const STEP_PREFIX: &str =
    r#"[[ -z ${__dr_x-} ]] || builtin set -x; { __dr_ret "${__dr_rc-0}" && :; } 2>/dev/null; "#;

/// Errors of a shell session.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// The shell could not be started (missing binary, missing working directory…).
    #[error("cannot start the shell {shell} in {workdir}: {source}")]
    Spawn {
        /// The shell that was asked for.
        shell: PathBuf,
        /// The directory it was to start in.
        workdir: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// Talking to the shell failed.
    #[error("shell session I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The shell exited: a step ran `exit`, or failed while `set -e` was on,
    /// or `exec`'d another program. Its background processes have been
    /// killed. The session must be [`ShellSession::restart`]ed to go on.
    #[error("the shell session ended with status {status} (a step ran `exit`, or a command failed under `set -e`); restart the session to continue")]
    SessionEnded {
        /// Exit status of the shell (128+N if it was killed by signal N).
        status: i32,
        /// Output of the step that ended the session (lossy UTF-8).
        output: String,
    },
    /// The session has ended (see [`ShellError::SessionEnded`]) and was not
    /// restarted.
    #[error("the shell session has ended; restart it first")]
    NotRunning,
    /// The shell did not answer a plumbing request in time.
    #[error("the shell did not answer within {0:?}")]
    Unresponsive(Duration),
    /// The shell answered something docrun cannot understand.
    #[error("unexpected answer from the shell: {0}")]
    Protocol(String),
    /// [`ShellSession::restore`] could not change to the saved directory.
    #[error("cannot restore the working directory {}", .0.display())]
    Restore(PathBuf),
}

/// Variables that change how bash starts or reads every command, whatever the guide's steps
/// say: a file it sources before anything else (`BASH_ENV`, `ENV`), options (`SHELLOPTS`,
/// `BASHOPTS`), code run before each prompt or trace line (`PROMPT_COMMAND`, `PS4`), and how
/// words, paths and globs are read (`IFS`, `CDPATH`, `GLOBIGNORE`). Exported functions
/// (`BASH_FUNC_NAME%%`) are the other kind: see [`is_shell_control`].
pub const SHELL_CONTROL: &[&str] = &[
    "SHELLOPTS",
    "BASHOPTS",
    "BASH_ENV",
    "ENV",
    "PS4",
    "PROMPT_COMMAND",
    "CDPATH",
    "GLOBIGNORE",
    "IFS",
];

/// Whether `name` is a variable that controls the shell itself ([`SHELL_CONTROL`], or an
/// exported function `BASH_FUNC_*`). A session never starts with one in its environment, from
/// docrun's own environment or from [`SessionConfig::env`].
pub fn is_shell_control(name: &str) -> bool {
    SHELL_CONTROL.contains(&name) || name.starts_with("BASH_FUNC_")
}

/// Where and how a session's shell starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Working directory the shell starts in.
    pub workdir: PathBuf,
    /// Extra environment variables for the session, on top of docrun's own
    /// environment (which the shell inherits, as a terminal would). Shell-control
    /// variables ([`is_shell_control`]) are removed from both: the caller refuses them
    /// with a message (see `runner`), the session never passes them on.
    pub env: Vec<(String, String)>,
    /// The bash binary: a name looked up in `PATH` or a path. Must be bash
    /// (4.0 or later); other shells are not supported.
    pub shell: PathBuf,
}

impl SessionConfig {
    /// A configuration starting `bash` in `workdir` with no extra environment.
    pub fn new(workdir: impl Into<PathBuf>) -> Self {
        SessionConfig {
            workdir: workdir.into(),
            env: Vec::new(),
            shell: PathBuf::from("bash"),
        }
    }
}

/// What running one step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResult {
    /// Exit status of the step: that of its last command, as bash reports it
    /// (128+N for a command killed by signal N), or [`TIMEOUT_STATUS`] if the
    /// step timed out.
    pub exit_status: i32,
    /// What the step wrote to stdout and stderr, interleaved in arrival
    /// order, decoded as lossy UTF-8: the first [`OUTPUT_KEEP`] bytes of it.
    /// Output that background processes wrote between two steps is reported
    /// with the later step.
    pub output: String,
    /// How many bytes the step wrote in all (more than `output` holds when
    /// the step wrote more than [`OUTPUT_KEEP`]).
    pub output_bytes: u64,
    /// The step hit its timeout and its processes were killed.
    pub timed_out: bool,
    /// The shell did not come back after the step was aborted and was replaced
    /// by a fresh one (see [`ShellSession::restart`] for what survives).
    pub restarted: bool,
    /// Wall-clock time from sending the step to its end (including killing it).
    pub duration: Duration,
}

/// The part of a session that can be saved and re-applied to a new session
/// (for `--resume`): working directory and exported variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    /// The shell's working directory (`$PWD`).
    pub cwd: PathBuf,
    /// Exported variables that have a value, as `(name, value)`, sorted by
    /// name. Values that are not valid UTF-8 are decoded lossily.
    pub exported: Vec<(String, String)>,
}

/// A running step, kept in the session so that a `run` future that is
/// dropped half-way leaves consistent state behind.
struct Pending {
    nonce: String,
    /// End-of-step marker the shell writes to the output pipe.
    marker: Vec<u8>,
    started: Instant,
    /// The first [`OUTPUT_KEEP`] bytes of the output delivered so far.
    output: Vec<u8>,
    /// Bytes delivered so far.
    delivered: u64,
    /// Bytes held back because they might be the start of the marker.
    hold: Vec<u8>,
    out_done: bool,
    status: Option<i32>,
}

type Sink<'a> = &'a mut (dyn FnMut(&[u8]) + Send);

impl Pending {
    fn new(nonce: String, started: Instant) -> Self {
        let marker = format!("\0docrun-end:{nonce}\0").into_bytes();
        Pending {
            nonce,
            marker,
            started,
            output: Vec::new(),
            delivered: 0,
            hold: Vec::new(),
            out_done: false,
            status: None,
        }
    }

    fn done(&self) -> bool {
        self.out_done && self.status.is_some()
    }

    fn emit(&mut self, bytes: &[u8], sink: Sink<'_>) {
        if !bytes.is_empty() {
            sink(bytes);
            self.delivered += bytes.len() as u64;
            let room = OUTPUT_KEEP.saturating_sub(self.output.len());
            self.output
                .extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }

    /// Takes a chunk of output; returns the bytes after the end marker once
    /// it has been seen (they belong to whatever comes next).
    fn feed(&mut self, chunk: &[u8], sink: Sink<'_>) -> Option<Vec<u8>> {
        self.hold.extend_from_slice(chunk);
        if let Some(i) = find(&self.hold, &self.marker) {
            let rest = self.hold.split_off(i + self.marker.len());
            self.hold.truncate(i);
            let before = std::mem::take(&mut self.hold);
            self.emit(&before, sink);
            self.out_done = true;
            return Some(rest);
        }
        let keep = partial_suffix(&self.hold, &self.marker);
        let tail = self.hold.split_off(self.hold.len() - keep);
        let head = std::mem::replace(&mut self.hold, tail);
        self.emit(&head, sink);
        None
    }

    /// Delivers held-back bytes (when no marker will come).
    fn flush(&mut self, sink: Sink<'_>) {
        let hold = std::mem::take(&mut self.hold);
        self.emit(&hold, sink);
    }
}

/// The shell process and its pipes.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    pid: i32,
    out_rx: Receiver<Vec<u8>>,
    ctl_rx: Receiver<Vec<u8>>,
    out_eof: bool,
    ctl_eof: bool,
    ctl_buf: Vec<u8>,
    /// The shell's session: what its steps start, for signalling.
    tree: SessionTree,
}

enum Event {
    Out(Option<Vec<u8>>),
    Ctl(Option<Vec<u8>>),
    Tick,
}

enum Drive {
    Done,
    Tick,
    Ended,
}

#[derive(PartialEq, Eq)]
enum Aborted {
    Stopped,
    Restarted,
}

/// A persistent bash session running a guide's steps.
///
/// All methods take `&mut self`: one step at a time. If a [`run`] future is
/// dropped before it completes (e.g. in a `tokio::select!` with Ctrl-C), the
/// step keeps running until [`interrupt`] is called; any other method called
/// first kills it the same way.
///
/// Dropping the session kills the shell and every process of its session
/// (including background processes of earlier steps) with `SIGKILL`;
/// [`close`] does it gracefully.
///
/// [`run`]: ShellSession::run
/// [`interrupt`]: ShellSession::interrupt
/// [`close`]: ShellSession::close
pub struct ShellSession {
    config: SessionConfig,
    /// Private directory (mode 0700) holding the step and restore files.
    dir: PathBuf,
    proc: Proc,
    pending: Option<Pending>,
    /// Output that arrived outside a step; reported with the next step.
    carry: Vec<u8>,
    last_state: Option<SessionState>,
    /// `$PWD` at the end of the last completed step.
    last_cwd: Option<PathBuf>,
    /// Exit status of the shell once it has ended (and been reaped).
    ended: Option<i32>,
    /// `close` has cleaned up already.
    finished: bool,
    /// The file steps are written to, kept open.
    step_file: Option<std::fs::File>,
}

impl ShellSession {
    /// Starts bash in `config.workdir` with docrun's environment plus
    /// `config.env`, in a new session without a controlling terminal, and
    /// waits until it is ready.
    pub async fn start(config: SessionConfig) -> Result<Self, ShellError> {
        let dir = make_session_dir()?;
        let proc = match launch(&config, &dir) {
            Ok(proc) => proc,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                crate::guard::unregister_dir(&dir);
                return Err(e);
            }
        };
        let mut session = ShellSession {
            config,
            dir,
            proc,
            pending: None,
            carry: Vec::new(),
            last_state: None,
            last_cwd: None,
            ended: None,
            finished: false,
            step_file: None,
        };
        crate::guard::session_started();
        session.handshake().await?;
        Ok(session)
    }

    /// Process id of the shell (it is also its process group and session id).
    pub fn shell_pid(&self) -> u32 {
        self.proc.pid as u32
    }

    /// The file each step's script is written to and sourced from: the name bash gives in its
    /// own messages (`PATH: line N: ...`). Line N of it is line N of the script passed to
    /// [`ShellSession::run`] (the session's own prefix shares the first line).
    pub fn script_path(&self) -> PathBuf {
        self.dir.join("step")
    }

    /// Runs `script` (one or more lines of bash, possibly with heredocs and
    /// `\` continuations) in the session, as if typed into the terminal:
    /// a failing command does not stop the script unless the guide set
    /// `set -e`. The step's stdin is `/dev/null`.
    ///
    /// `on_output` receives the step's stdout and stderr, interleaved, as each
    /// chunk arrives (raw bytes, possibly invalid UTF-8).
    ///
    /// After `timeout` the step is aborted and its processes killed (see the
    /// module documentation); the result then has `timed_out: true` and the
    /// session stays usable.
    ///
    /// Returns [`ShellError::SessionEnded`] if the step ended the shell
    /// (`exit`, `set -e`), [`ShellError::NotRunning`] if it had already ended.
    pub async fn run(
        &mut self,
        script: &str,
        timeout: Duration,
        on_output: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<CommandResult, ShellError> {
        self.check_alive()?;
        self.settle().await?;
        let started = Instant::now();
        let mut body = String::with_capacity(STEP_PREFIX.len() + script.len() + 1);
        body.push_str(STEP_PREFIX);
        body.push_str(script);
        if !script.ends_with('\n') {
            body.push('\n');
        }
        self.write_step(body.as_bytes())?;
        let mut pending = Pending::new(random_hex(), started);
        let carry = std::mem::take(&mut self.carry);
        pending.emit(&carry, on_output);
        let line = format!(
            "__dr_in=1; builtin source \"$__dr_d/step\" </dev/null 61>&- 62>&-; {{ __dr_e {} \"$?\"; }} 2>/dev/null\n",
            pending.nonce
        );
        self.pending = Some(pending);
        self.send(line.as_bytes()).await?;
        let (timed_out, restarted) = match self.drive(started.checked_add(timeout), on_output).await
        {
            Drive::Done => (false, false),
            Drive::Tick => (true, self.abort(on_output).await? == Aborted::Restarted),
            Drive::Ended => return Err(self.ended(on_output).await),
        };
        let mut pending = self.pending.take().expect("a step is pending");
        pending.flush(on_output);
        Ok(CommandResult {
            exit_status: if timed_out {
                TIMEOUT_STATUS
            } else {
                pending.status.unwrap_or(-1)
            },
            output: String::from_utf8_lossy(&pending.output).into_owned(),
            output_bytes: pending.delivered,
            timed_out,
            restarted,
            duration: started.elapsed(),
        })
    }

    /// Captures the working directory and the exported variables of the
    /// session, read from the shell itself (values may contain any byte but
    /// NUL: newlines, quotes, spaces…). The result also becomes the state a
    /// [`restart`](ShellSession::restart) restores.
    pub async fn state(&mut self) -> Result<SessionState, ShellError> {
        self.check_alive()?;
        self.settle().await?;
        let nonce = random_hex();
        let line = format!("{{ __dr_st {nonce}; }} 2>/dev/null\n");
        let fields = self.request(line.as_bytes(), &nonce).await?;
        let mut fields = fields.into_iter();
        let cwd = fields
            .next()
            .map(bytes_to_path)
            .ok_or_else(|| ShellError::Protocol("state without a directory".into()))?;
        let mut exported = Vec::new();
        while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
            // The session's mark belongs to this session only (see `procs::SESSION_MARK`).
            if name == crate::guard::procs::SESSION_MARK.as_bytes() {
                continue;
            }
            exported.push((
                String::from_utf8_lossy(&name).into_owned(),
                String::from_utf8_lossy(&value).into_owned(),
            ));
        }
        let state = SessionState { cwd, exported };
        self.last_cwd = Some(state.cwd.clone());
        self.last_state = Some(state.clone());
        Ok(state)
    }

    /// Re-applies a saved state: exports every variable and changes to
    /// `state.cwd`. Names and values are handed to the shell as data (read
    /// from a file with `read -r -d ''`), never parsed as shell code.
    /// Variables whose name is not a valid shell identifier, or that are
    /// read-only in the shell, are skipped. Variables not in `state` are left
    /// alone. The state becomes the one a [`restart`](ShellSession::restart)
    /// restores.
    pub async fn restore(&mut self, state: &SessionState) -> Result<(), ShellError> {
        self.check_alive()?;
        self.settle().await?;
        self.restore_now(state).await
    }

    /// Ctrl-C: aborts the running step and kills its processes exactly as a
    /// timeout does (`SIGTERM`, then `SIGKILL` after [`KILL_GRACE`], fresh shell
    /// if the old one does not come back). Meant for a step whose `run`
    /// future was dropped; does nothing if no step is running. Its output is
    /// discarded (it was streamed already).
    pub async fn interrupt(&mut self) {
        if self.pending.is_none() || self.ended.is_some() {
            return;
        }
        let _ = self.abort(&mut |_| {}).await;
        self.pending = None;
    }

    /// Replaces the shell by a fresh one (after [`ShellError::SessionEnded`],
    /// or whenever the caller wants a clean shell). Every process of the old
    /// session is killed. The new shell gets `config.env`, the exported
    /// variables last captured by [`state`](ShellSession::state) or applied by
    /// [`restore`](ShellSession::restore), and the working directory of the
    /// last completed step (or of that state). Non-exported variables,
    /// functions, options and traps are lost. If that directory no longer
    /// exists the shell stays in `config.workdir`.
    pub async fn restart(&mut self) -> Result<(), ShellError> {
        self.pending = None;
        self.restart_now().await
    }

    /// Ends the session gracefully: kills a running step, closes the shell's
    /// input (so it exits as at the end of input, running any `EXIT` trap the
    /// guide set, for at most [`KILL_GRACE`]), then sends `SIGTERM` and, a
    /// second later, `SIGKILL` to every process left in the session, and
    /// removes the session's temporary files.
    pub async fn close(mut self) -> Result<(), ShellError> {
        let settled = if self.ended.is_none() {
            self.settle().await
        } else {
            Ok(())
        };
        if self.ended.is_none() {
            let pid = self.proc.pid;
            drop(self.proc.stdin.take());
            self.proc.tree.end(KILL_GRACE, POLL).await;
            let _ = self.proc.child.wait().await;
            crate::guard::disown(pid);
            self.ended = Some(0);
        }
        self.finished = true;
        let _ = std::fs::remove_dir_all(&self.dir);
        settled
    }

    // ---- internals ----

    fn check_alive(&self) -> Result<(), ShellError> {
        match self.ended {
            Some(_) => Err(ShellError::NotRunning),
            None => Ok(()),
        }
    }

    /// Kills a step whose `run` future was dropped.
    async fn settle(&mut self) -> Result<(), ShellError> {
        if self.pending.is_some() {
            self.abort(&mut |_| {}).await?;
            self.pending = None;
        }
        Ok(())
    }

    /// Overwrites the step file in place (never truncating it to zero: on
    /// ext4, rewriting a truncated file forces a flush, ~0.15 ms per step).
    fn write_step(&mut self, body: &[u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let file = match &mut self.step_file {
            Some(file) => file,
            None => self.step_file.insert(
                std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(self.dir.join("step"))?,
            ),
        };
        file.write_all_at(body, 0)?;
        file.set_len(body.len() as u64)
    }

    async fn send(&mut self, line: &[u8]) -> Result<(), ShellError> {
        let stdin = self.proc.stdin.as_mut().ok_or(ShellError::NotRunning)?;
        stdin.write_all(line).await?;
        stdin.flush().await?;
        Ok(())
    }

    async fn handshake(&mut self) -> Result<(), ShellError> {
        let nonce = random_hex();
        let mut line = b"builtin source ".to_vec();
        line.extend(shell_quote(self.dir.join("init").as_os_str().as_bytes()));
        line.extend(format!("; builtin printf '%s\\0end:%s\\0' {nonce} {nonce} >&61\n").bytes());
        self.request(&line, &nonce).await.map(drop)
    }

    /// Sends a plumbing command and waits for its answer (the fields between
    /// `NONCE` and `end:NONCE` on the answer pipe).
    async fn request(&mut self, line: &[u8], nonce: &str) -> Result<Vec<Vec<u8>>, ShellError> {
        self.send(line).await?;
        let deadline = Instant::now() + ANSWER_LIMIT;
        loop {
            if let Some(fields) = take_response(&mut self.proc.ctl_buf, nonce) {
                return Ok(fields);
            }
            if self.proc.ctl_eof {
                return Err(self.ended(&mut |_| {}).await);
            }
            match next_event(&mut self.proc, Some(deadline)).await {
                Event::Out(Some(chunk)) => add_capped(&mut self.carry, &chunk),
                Event::Out(None) => self.proc.out_eof = true,
                Event::Ctl(Some(chunk)) => self.proc.ctl_buf.extend_from_slice(&chunk),
                Event::Ctl(None) => self.proc.ctl_eof = true,
                Event::Tick => return Err(ShellError::Unresponsive(ANSWER_LIMIT)),
            }
        }
    }

    async fn restore_now(&mut self, state: &SessionState) -> Result<(), ShellError> {
        let cwd = state.cwd.as_os_str().as_bytes();
        if cwd.contains(&0) {
            return Err(ShellError::Restore(state.cwd.clone()));
        }
        let mut data = Vec::with_capacity(cwd.len() + 1);
        data.extend_from_slice(cwd);
        data.push(0);
        for (name, value) in &state.exported {
            // The session's mark is its own, never another session's.
            if is_shell_name(name)
                && !value.contains('\0')
                && name != crate::guard::procs::SESSION_MARK
            {
                data.extend_from_slice(name.as_bytes());
                data.push(0);
                data.extend_from_slice(value.as_bytes());
                data.push(0);
            }
        }
        std::fs::write(self.dir.join("restore"), data)?;
        let nonce = random_hex();
        let line = format!("{{ __dr_rs {nonce}; }} 2>/dev/null\n");
        let fields = self.request(line.as_bytes(), &nonce).await?;
        if fields.first().map(Vec::as_slice) != Some(b"0") {
            return Err(ShellError::Restore(state.cwd.clone()));
        }
        self.last_cwd = Some(state.cwd.clone());
        self.last_state = Some(state.clone());
        Ok(())
    }

    async fn restart_now(&mut self) -> Result<(), ShellError> {
        if self.ended.is_none() {
            self.proc.tree.kill_now();
        }
        let _ = self.proc.child.kill().await;
        crate::guard::disown(self.proc.pid);
        self.ended = Some(-1);
        self.proc = launch(&self.config, &self.dir)?;
        self.ended = None;
        self.handshake().await?;
        let mut state = self.last_state.clone();
        if let Some(cwd) = self.last_cwd.clone() {
            match state.as_mut() {
                Some(state) => state.cwd = cwd,
                None => {
                    state = Some(SessionState {
                        cwd,
                        exported: Vec::new(),
                    })
                }
            }
        }
        if let Some(state) = state {
            match self.restore_now(&state).await {
                Err(ShellError::Restore(_)) | Ok(()) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Feeds the pending step until it is done, `deadline` passes or the
    /// shell ends.
    async fn drive(&mut self, deadline: Option<Instant>, sink: Sink<'_>) -> Drive {
        loop {
            if self.pending.as_ref().is_some_and(Pending::done) {
                return Drive::Done;
            }
            if self.proc.ctl_eof {
                return Drive::Ended;
            }
            match next_event(&mut self.proc, deadline).await {
                Event::Tick => return Drive::Tick,
                Event::Out(Some(chunk)) => match self.pending.as_mut() {
                    Some(p) if !p.out_done => {
                        if let Some(rest) = p.feed(&chunk, &mut *sink) {
                            add_capped(&mut self.carry, &rest);
                        }
                    }
                    _ => add_capped(&mut self.carry, &chunk),
                },
                Event::Out(None) => self.proc.out_eof = true,
                Event::Ctl(Some(chunk)) => {
                    self.proc.ctl_buf.extend_from_slice(&chunk);
                    if let Some(p) = self.pending.as_mut().filter(|p| p.status.is_none()) {
                        if let Some(fields) = take_response(&mut self.proc.ctl_buf, &p.nonce) {
                            let status = fields.first().and_then(|f| std::str::from_utf8(f).ok());
                            p.status = Some(status.and_then(|s| s.parse().ok()).unwrap_or(-1));
                            self.last_cwd = fields.into_iter().nth(1).map(bytes_to_path);
                        }
                    }
                }
                Event::Ctl(None) => self.proc.ctl_eof = true,
            }
        }
    }

    /// Aborts the pending step: see the module documentation.
    async fn abort(&mut self, sink: Sink<'_>) -> Result<Aborted, ShellError> {
        let started = self
            .pending
            .as_ref()
            .map_or_else(Instant::now, |p| p.started);
        let pid = self.proc.pid;
        let t0 = Instant::now();
        loop {
            let done = self.pending.as_ref().is_none_or(Pending::done);
            if !done {
                let _ = kill(Pid::from_raw(pid), Signal::SIGUSR1);
            }
            let signal = if t0.elapsed() < KILL_GRACE {
                Signal::SIGTERM
            } else {
                Signal::SIGKILL
            };
            let hit = signal_all(&self.proc.tree.started_since(started), signal);
            if done && hit == 0 {
                return Ok(Aborted::Stopped);
            }
            if t0.elapsed() >= KILL_GRACE + KILL_WAIT {
                break;
            }
            if done {
                tokio::time::sleep(POLL).await;
                continue;
            }
            match self.drive(Some(Instant::now() + POLL), &mut *sink).await {
                Drive::Done | Drive::Tick => {}
                Drive::Ended => break,
            }
        }
        if let Some(p) = self.pending.as_mut() {
            p.flush(sink);
        }
        self.restart_now().await?;
        Ok(Aborted::Restarted)
    }

    /// The shell closed its answer pipe: it exited. Kills what is left of its
    /// session, collects its status and the rest of the step's output.
    async fn ended(&mut self, sink: Sink<'_>) -> ShellError {
        // Before reaping the shell, so that its pid cannot have been reused.
        self.proc.tree.kill_now();
        let status =
            match tokio::time::timeout(Duration::from_secs(5), self.proc.child.wait()).await {
                Ok(Ok(status)) => {
                    crate::guard::disown(self.proc.pid);
                    exit_code(status)
                }
                _ => -1,
            };
        self.ended = Some(status);
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.proc.out_eof {
            match next_event(&mut self.proc, Some(deadline)).await {
                Event::Out(Some(chunk)) => match self.pending.as_mut() {
                    Some(p) => {
                        p.feed(&chunk, &mut *sink);
                    }
                    None => add_capped(&mut self.carry, &chunk),
                },
                Event::Out(None) => self.proc.out_eof = true,
                Event::Ctl(_) => self.proc.ctl_eof = true,
                Event::Tick => break,
            }
        }
        let output = match self.pending.take() {
            Some(mut p) => {
                p.flush(sink);
                p.output
            }
            None => std::mem::take(&mut self.carry),
        };
        ShellError::SessionEnded {
            status,
            output: String::from_utf8_lossy(&output).into_owned(),
        }
    }
}

impl Drop for ShellSession {
    fn drop(&mut self) {
        if !self.finished && self.ended.is_none() {
            self.proc.tree.kill_now();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        crate::guard::unregister_dir(&self.dir);
        crate::guard::session_ended();
    }
}

/// Spawns the shell (not yet initialised: see `handshake`).
fn launch(config: &SessionConfig, dir: &Path) -> Result<Proc, ShellError> {
    let mut init = b"__dr_d=".to_vec();
    init.extend(shell_quote(dir.as_os_str().as_bytes()));
    init.push(b'\n');
    init.extend_from_slice(INIT.as_bytes());
    std::fs::write(dir.join("init"), init)?;

    let mut cmd = Command::new(&config.shell);
    cmd.current_dir(&config.workdir).envs(
        config
            .env
            .iter()
            .filter(|(k, _)| !is_shell_control(k))
            .map(|(k, v)| (k, v)),
    );
    // A clean session: nothing in docrun's environment decides what bash sources, traces or
    // runs before the guide's first command.
    for name in SHELL_CONTROL {
        cmd.env_remove(name);
    }
    for (name, _) in std::env::vars_os() {
        if name.as_bytes().starts_with(b"BASH_FUNC_") {
            cmd.env_remove(name);
        }
    }
    // Every process of the session inherits the mark, however it detaches.
    let mark = crate::guard::procs::new_mark();
    cmd.env(crate::guard::procs::SESSION_MARK, mark.to_string());
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let parent = nix::unistd::getpid();
    let die_with_parent = !crate::guard::watchdog_running();
    // SAFETY: the closure runs in the forked child before exec and only
    // calls setsid(2), prctl(2) and getppid(2), which are async-signal-safe
    // and allocate nothing.
    unsafe {
        cmd.pre_exec(move || {
            nix::unistd::setsid().map_err(io::Error::from)?;
            // The shell must not outlive docrun, even one killed with SIGKILL: where no
            // watchdog will kill it (see `guard`), the kernel does.
            #[cfg(target_os = "linux")]
            if die_with_parent {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from)?;
                if nix::unistd::getppid() != parent {
                    return Err(io::Error::other("docrun ended while the shell started"));
                }
            }
            Ok(())
        });
    }
    let spawned_at = Instant::now();
    let spawn_error = |source| ShellError::Spawn {
        shell: config.shell.clone(),
        workdir: config.workdir.clone(),
        source,
    };
    let mut child = cmd.spawn().map_err(spawn_error)?;
    let pid = child
        .id()
        .ok_or_else(|| spawn_error(io::Error::other("the shell exited at once")))?
        as i32;
    crate::guard::own(pid);
    crate::guard::watch_session(pid);
    let stdin = child.stdin.take();
    let out_rx = spawn_reader(child.stdout.take().expect("stdout is piped"));
    let ctl_rx = spawn_reader(child.stderr.take().expect("stderr is piped"));
    Ok(Proc {
        child,
        stdin,
        pid,
        out_rx,
        ctl_rx,
        out_eof: false,
        ctl_eof: false,
        ctl_buf: Vec::new(),
        tree: SessionTree::of(pid, spawned_at, mark),
    })
}

/// Reads a pipe in a task, so that it is drained even between steps (a
/// chatty background process must never block on a full pipe).
fn spawn_reader<R: AsyncRead + Unpin + Send + 'static>(mut pipe: R) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel(CHANNEL_CHUNKS);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match pipe.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

async fn next_event(proc: &mut Proc, deadline: Option<Instant>) -> Event {
    let sleep = async move {
        match deadline {
            Some(d) => tokio::time::sleep_until(d.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        chunk = proc.out_rx.recv(), if !proc.out_eof => Event::Out(chunk),
        chunk = proc.ctl_rx.recv(), if !proc.ctl_eof => Event::Ctl(chunk),
        () = sleep => Event::Tick,
    }
}

/// Extracts the fields between `NONCE` and `end:NONCE` from the NUL-separated
/// answer stream, dropping everything up to the end of that answer.
fn take_response(buf: &mut Vec<u8>, nonce: &str) -> Option<Vec<Vec<u8>>> {
    let end = format!("end:{nonce}");
    let mut started = false;
    let mut fields = Vec::new();
    let mut pos = 0;
    while let Some(len) = buf[pos..].iter().position(|&b| b == 0) {
        let field = &buf[pos..pos + len];
        let next = pos + len + 1;
        if !started {
            started = field == nonce.as_bytes();
        } else if field == end.as_bytes() {
            buf.drain(..next);
            return Some(fields);
        } else {
            fields.push(field.to_vec());
        }
        pos = next;
    }
    None
}

/// Appends to output held between steps, keeping at most [`OUTPUT_KEEP`] bytes.
fn add_capped(held: &mut Vec<u8>, bytes: &[u8]) {
    let room = OUTPUT_KEEP.saturating_sub(held.len());
    held.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// Length of the longest end of `data` that is a proper prefix of `marker`.
fn partial_suffix(data: &[u8], marker: &[u8]) -> usize {
    (1..marker.len().min(data.len() + 1))
        .rev()
        .find(|&k| data.ends_with(&marker[..k]))
        .unwrap_or(0)
}

fn bytes_to_path(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(OsString::from_vec(bytes))
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !name.starts_with("__dr_")
}

/// Single-quotes bytes for bash.
fn shell_quote(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![b'\''];
    for &b in bytes {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// 128 unpredictable bits as hex (SipHash with the process's random keys).
pub(crate) fn random_hex() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut out = String::with_capacity(32);
    for _ in 0..2 {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(nanos);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

fn make_session_dir() -> Result<PathBuf, ShellError> {
    let dir = std::env::temp_dir().join(format!("docrun-{}", &random_hex()[..16]));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    crate::guard::register_dir(&dir);
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(30);

    async fn session_in(dir: &Path) -> ShellSession {
        ShellSession::start(SessionConfig::new(dir))
            .await
            .expect("shell starts")
    }

    async fn ok(s: &mut ShellSession, script: &str) -> CommandResult {
        let r = s.run(script, LONG, &mut |_| {}).await.expect("step runs");
        assert!(!r.timed_out, "{script:?} timed out");
        r
    }

    async fn out(s: &mut ShellSession, script: &str) -> String {
        ok(s, script).await.output
    }

    fn alive(pid: i32) -> bool {
        crate::guard::procs::read_stat(pid).is_some_and(|s| !s.gone)
    }

    /// Waits up to 5 s for the process to be gone (or a zombie).
    async fn gone(pid: i32) -> bool {
        for _ in 0..100 {
            if !alive(pid) {
                return true;
            }
            tokio::time::sleep(POLL).await;
        }
        false
    }

    fn pids_in(path: &Path) -> Vec<i32> {
        std::fs::read_to_string(path)
            .unwrap()
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn variables_functions_directory_and_options_persist_between_steps() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("sub dir")).unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(&mut s, "export A=1").await;
        assert_eq!(
            out(&mut s, "echo $A; sh -c 'echo child sees $A'").await,
            "1\nchild sees 1\n"
        );
        ok(&mut s, "B=2").await;
        assert_eq!(out(&mut s, "echo $B").await, "2\n");
        ok(&mut s, "cd 'sub dir'").await;
        assert_eq!(
            out(&mut s, "pwd").await,
            format!("{}/sub dir\n", tmp.path().display())
        );
        ok(&mut s, "greet() { echo \"hi $1\"; }").await;
        assert_eq!(out(&mut s, "greet bob").await, "hi bob\n");
        assert_eq!(ok(&mut s, "false | true").await.exit_status, 0);
        ok(&mut s, "set -o pipefail").await;
        assert_eq!(ok(&mut s, "false | true").await.exit_status, 1);
    }

    #[tokio::test]
    async fn status_is_the_last_commands_and_failures_do_not_stop_the_script() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        assert_eq!(ok(&mut s, "true").await.exit_status, 0);
        assert_eq!(ok(&mut s, "false").await.exit_status, 1);
        let r = ok(&mut s, "false\necho after").await;
        assert_eq!((r.exit_status, r.output.as_str()), (0, "after\n"));
        assert_eq!(ok(&mut s, "echo x\nsh -c 'exit 7'").await.exit_status, 7);
        assert_eq!(ok(&mut s, "(exit 5)").await.exit_status, 5);
        // `$?` carries over from the previous step, as in a terminal.
        assert_eq!(out(&mut s, "echo $?").await, "5\n");
        let r = ok(&mut s, "if then fi").await;
        assert_eq!(r.exit_status, 2, "syntax error: {}", r.output);
        assert!(r.output.contains("syntax error"), "{}", r.output);
        assert_eq!(out(&mut s, "echo still here").await, "still here\n");
    }

    #[tokio::test]
    async fn exit_ends_the_session_with_an_error_and_restart_recovers_exports_and_cwd() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(&mut s, "export KEEP=yes; LOST=1").await;
        s.state().await.unwrap();
        ok(&mut s, "cd /").await;
        let first_shell = s.shell_pid() as i32;
        match s.run("echo bye; exit 3", LONG, &mut |_| {}).await {
            Err(ShellError::SessionEnded { status, output }) => {
                assert_eq!(status, 3);
                assert_eq!(output, "bye\n");
            }
            other => panic!("expected SessionEnded, got {other:?}"),
        }
        assert!(matches!(
            s.run("true", LONG, &mut |_| {}).await,
            Err(ShellError::NotRunning)
        ));
        assert!(matches!(s.state().await, Err(ShellError::NotRunning)));
        s.restart().await.unwrap();
        assert_ne!(s.shell_pid() as i32, first_shell);
        assert_eq!(
            out(&mut s, "echo ${KEEP-}:${LOST-}; pwd").await,
            "yes:\n/\n"
        );
    }

    #[tokio::test]
    async fn exit_kills_the_background_processes_of_the_ended_session() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let err = s
            .run("sleep 300 & echo $! > bg; exit 0", LONG, &mut |_| {})
            .await;
        assert!(
            matches!(err, Err(ShellError::SessionEnded { status: 0, .. })),
            "{err:?}"
        );
        assert!(gone(pids_in(&tmp.path().join("bg"))[0]).await);
    }

    #[tokio::test]
    async fn a_failure_under_set_e_ends_the_session_before_the_next_command() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(&mut s, "set -e").await;
        assert_eq!(out(&mut s, "true; echo fine").await, "fine\n");
        match s
            .run("echo one; false; echo not reached", LONG, &mut |_| {})
            .await
        {
            Err(ShellError::SessionEnded { status, output }) => {
                assert_eq!((status, output.as_str()), (1, "one\n"));
            }
            other => panic!("expected SessionEnded, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn strict_mode_and_wrapped_builtins_do_not_break_the_session() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("d")).unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(
            &mut s,
            "set -euEo pipefail; set -o noclobber; IFS=0\n\
             cd() { echo wrapped; builtin cd \"$@\"; }\n\
             printf() { echo hijacked; }",
        )
        .await;
        assert_eq!(
            out(&mut s, "cd d; echo \"in ${PWD##*/}\"").await,
            "wrapped\nin d\n"
        );
        assert_eq!(ok(&mut s, "(exit 10) || echo \"$?\"").await.output, "10\n");
        let state = s.state().await.unwrap();
        assert_eq!(state.cwd, tmp.path().join("d"));
        s.state().await.unwrap();
        s.restore(&SessionState {
            cwd: tmp.path().to_path_buf(),
            exported: vec![("R".into(), "1".into())],
        })
        .await
        .unwrap();
        assert_eq!(
            out(&mut s, "echo \"$R ${PWD##*/}\"").await,
            format!("1 {}\n", tmp.path().file_name().unwrap().to_str().unwrap())
        );
        for step in ["sleep 300", "f() { sleep 300; }; f; echo not reached"] {
            let r = s
                .run(step, Duration::from_millis(200), &mut |_| {})
                .await
                .unwrap();
            assert!(r.timed_out && !r.restarted, "{step}: {r:?}");
            assert!(!r.output.contains("not reached"), "{r:?}");
        }
        let flags = out(&mut s, "echo $-").await;
        assert!(
            flags.contains('e') && flags.contains('E'),
            "options lost: {flags}"
        );
        assert!(!flags.contains('T'), "functrace leaked: {flags}");
    }

    #[tokio::test]
    async fn output_is_interleaved_streamed_live_and_returned_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let mut streamed = Vec::new();
        let mut chunks = 0;
        let script =
            "echo out1; echo err1 >&2; echo out2; sleep 0.2; echo err2 >&2; printf 'no newline'";
        let r = s
            .run(script, LONG, &mut |b| {
                streamed.extend_from_slice(b);
                chunks += 1;
            })
            .await
            .unwrap();
        assert_eq!(r.output, "out1\nerr1\nout2\nerr2\nno newline");
        assert_eq!(streamed, r.output.as_bytes());
        assert!(chunks >= 2, "output arrived in {chunks} chunk(s), not live");
    }

    #[tokio::test]
    async fn invalid_utf8_and_large_output_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let mut raw = Vec::new();
        let r = s
            .run(r"printf 'a\xff\xfeb\0c'", LONG, &mut |b| {
                raw.extend_from_slice(b)
            })
            .await
            .unwrap();
        assert_eq!(raw, b"a\xff\xfeb\0c");
        assert_eq!(r.output, "a\u{FFFD}\u{FFFD}b\0c");
        let r = ok(&mut s, "head -c 3000000 /dev/zero | tr '\\0' x").await;
        assert_eq!(r.output.len(), 3_000_000);
    }

    #[tokio::test]
    async fn guide_output_cannot_fake_the_end_of_a_step() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let r = ok(
            &mut s,
            r"printf '\0docrun-end:0123\0'; printf 'x\0end:\0'; echo >&61 fake; echo >&62 fake; sleep 0.2; echo real end",
        )
        .await;
        assert!(r.output.ends_with("real end\n"), "{:?}", r.output);
        assert!(r.output.contains("docrun-end:0123"), "{:?}", r.output);
        assert!(r.output.contains("Bad file descriptor"), "{:?}", r.output);
        assert_eq!(out(&mut s, "echo next").await, "next\n");
    }

    #[tokio::test]
    async fn heredocs_and_line_continuations_work() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let script = "cat <<'EOF'\nliteral $HOME\nEOF\nX=v cat <<EOF\nexpanded $((1 + 2))\nEOF\necho a \\\n  b";
        assert_eq!(
            out(&mut s, script).await,
            "literal $HOME\nexpanded 3\na b\n"
        );
    }

    #[tokio::test]
    async fn steps_read_dev_null_not_the_control_channel() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let r = s
            .run(
                "read -r line; echo \"read=$? [$line]\"; cat; echo done",
                Duration::from_secs(5),
                &mut |_| {},
            )
            .await
            .unwrap();
        assert!(!r.timed_out);
        assert_eq!(r.output, "read=1 []\ndone\n");
        assert_eq!(out(&mut s, "echo alive").await, "alive\n");
    }

    #[tokio::test]
    async fn xtrace_shows_the_guides_commands_only() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(&mut s, "set -x").await;
        // One `+` more than in a terminal: bash counts the sourced step as a level.
        assert_eq!(out(&mut s, "echo hi").await, "++ echo hi\nhi\n");
        assert_eq!(out(&mut s, "set +x").await, "++ set +x\n");
        assert_eq!(out(&mut s, "echo quiet").await, "quiet\n");
    }

    #[tokio::test]
    async fn timeout_kills_every_process_of_the_step_and_keeps_the_session() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(&mut s, "MARK=kept").await;
        let script = "echo before
            sleep 300 & echo $! >> pids
            sleep 300 & echo $! >> pids
            bash -c 'sleep 300 & echo $! >> pids; wait' & echo $! >> pids
            setsid sleep 300 & echo $! >> pids
            wait
            echo not reached";
        let r = s
            .run(script, Duration::from_millis(800), &mut |_| {})
            .await
            .unwrap();
        assert!(r.timed_out && !r.restarted, "{r:?}");
        assert_eq!(r.exit_status, TIMEOUT_STATUS);
        assert_eq!(r.output, "before\n");
        let pids = pids_in(&tmp.path().join("pids"));
        assert_eq!(pids.len(), 5);
        for pid in pids {
            assert!(gone(pid).await, "process {pid} survived the timeout");
        }
        assert_eq!(out(&mut s, "echo $MARK").await, "kept\n");
    }

    #[tokio::test]
    async fn timeout_stops_a_loop_in_the_shell_itself_without_losing_state() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(&mut s, "V=1; set -e").await;
        let r = s
            .run(
                "f() { while :; do :; done; }\nf\necho not reached",
                Duration::from_millis(300),
                &mut |_| {},
            )
            .await
            .unwrap();
        assert!(r.timed_out && !r.restarted, "{r:?}");
        assert_eq!(r.output, "");
        assert_eq!(
            out(&mut s, "echo $V; echo $-").await.lines().next(),
            Some("1")
        );
        assert!(
            out(&mut s, "echo $-").await.contains('e'),
            "set -e was not restored"
        );
    }

    #[tokio::test]
    async fn processes_ignoring_sigterm_are_killed_after_the_grace_period() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let r = s
            .run(
                "(trap '' TERM; exec sleep 300) & echo $! > pid; wait",
                Duration::from_millis(300),
                &mut |_| {},
            )
            .await
            .unwrap();
        assert!(r.timed_out && !r.restarted, "{r:?}");
        assert!(r.duration >= KILL_GRACE, "{r:?}");
        assert!(gone(pids_in(&tmp.path().join("pid"))[0]).await);
    }

    #[tokio::test]
    async fn an_unresponsive_shell_is_replaced_with_the_last_known_state() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(&mut s, "export KEEP=1; LOST=1").await;
        s.state().await.unwrap();
        ok(&mut s, "cd sub").await;
        let old = s.shell_pid() as i32;
        let r = s
            .run(
                "echo started; trap '' USR1; while :; do :; done",
                Duration::from_millis(300),
                &mut |_| {},
            )
            .await
            .unwrap();
        assert!(r.timed_out && r.restarted, "{r:?}");
        assert_eq!(r.output, "started\n");
        assert!(gone(old).await);
        let expected = format!("1:\n{}/sub\n", tmp.path().display());
        assert_eq!(out(&mut s, "echo ${KEEP-}:${LOST-}; pwd").await, expected);
    }

    #[tokio::test]
    async fn background_processes_of_earlier_steps_survive_a_timeout_until_close() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(&mut s, "sleep 300 & echo $! > bg").await;
        let bg = pids_in(&tmp.path().join("bg"))[0];
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = s
            .run("sleep 300", Duration::from_millis(200), &mut |_| {})
            .await
            .unwrap();
        assert!(r.timed_out);
        assert!(alive(bg), "a process of an earlier step was killed");
        let shell = s.shell_pid() as i32;
        s.close().await.unwrap();
        assert!(gone(bg).await && gone(shell).await);
    }

    #[tokio::test]
    async fn interrupt_kills_a_step_whose_run_was_cancelled() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(&mut s, "V=still").await;
        let mut sink = |_: &[u8]| {};
        tokio::select! {
            r = s.run("sleep 300 & echo $! > pids; sleep 300", LONG, &mut sink) => panic!("step ended: {r:?}"),
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        s.interrupt().await;
        assert!(gone(pids_in(&tmp.path().join("pids"))[0]).await);
        assert_eq!(out(&mut s, "echo $V").await, "still\n");
        s.interrupt().await; // nothing running: no effect
        assert_eq!(out(&mut s, "echo $V").await, "still\n");
    }

    #[tokio::test]
    async fn dropping_the_session_kills_the_shell_and_its_children() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let child: i32 = out(&mut s, "sleep 300 & echo $!")
            .await
            .trim()
            .parse()
            .unwrap();
        let shell = s.shell_pid() as i32;
        assert!(alive(child) && alive(shell));
        drop(s);
        assert!(gone(shell).await, "the shell survived");
        assert!(gone(child).await, "a child survived");
    }

    #[tokio::test]
    async fn state_round_trips_tricky_values_and_restore_never_runs_them() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("a 'dir'")).unwrap();
        let mut s = session_in(tmp.path()).await;
        ok(
            &mut s,
            r#"export NL=$'line1\nline2\n' SP='  two  spaces ' Q='it'"'"'s "q" \ $x `y`'; cd "a 'dir'""#,
        )
        .await;
        let state = s.state().await.unwrap();
        assert_eq!(state.cwd, tmp.path().join("a 'dir'"));
        let get = |st: &SessionState, k: &str| {
            st.exported
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get(&state, "NL").as_deref(), Some("line1\nline2\n"));
        assert_eq!(get(&state, "SP").as_deref(), Some("  two  spaces "));
        assert_eq!(get(&state, "Q").as_deref(), Some(r#"it's "q" \ $x `y`"#));

        let mut saved = state.clone();
        saved
            .exported
            .push(("INJ1".into(), "x\"; touch PWNED; echo \"".into()));
        saved
            .exported
            .push(("INJ2".into(), "$(touch PWNED)`touch PWNED`".into()));
        saved
            .exported
            .push(("bad name; touch PWNED".into(), "v".into()));
        let json = serde_json::to_string(&saved).unwrap();
        let loaded: SessionState = serde_json::from_str(&json).unwrap();
        assert_eq!(loaded, saved);

        let fresh = tempfile::tempdir().unwrap();
        let mut t = session_in(fresh.path()).await;
        t.restore(&loaded).await.unwrap();
        let again = t.state().await.unwrap();
        assert_eq!(again.cwd, saved.cwd);
        for (k, v) in &saved.exported[..saved.exported.len() - 1] {
            assert_eq!(get(&again, k).as_ref(), Some(v), "{k}");
        }
        assert_eq!(
            out(&mut t, "printf %s \"$INJ2\"").await,
            "$(touch PWNED)`touch PWNED`"
        );
        for dir in [tmp.path(), fresh.path(), &saved.cwd] {
            assert!(
                !dir.join("PWNED").exists(),
                "restore ran a value as code in {dir:?}"
            );
        }
    }

    #[tokio::test]
    async fn restore_reports_a_missing_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let state = SessionState {
            cwd: tmp.path().join("missing"),
            exported: vec![("SET_ANYWAY".into(), "1".into())],
        };
        assert!(matches!(
            s.restore(&state).await,
            Err(ShellError::Restore(_))
        ));
        assert_eq!(
            out(&mut s, "echo $SET_ANYWAY; pwd").await,
            format!("1\n{}\n", tmp.path().display())
        );
    }

    #[tokio::test]
    async fn config_env_and_workdir_apply_and_a_missing_shell_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let mut config = SessionConfig::new(tmp.path());
        config.env.push(("GREETING".into(), "hello there".into()));
        let mut s = ShellSession::start(config.clone()).await.unwrap();
        assert_eq!(
            out(&mut s, "echo \"$GREETING\"; pwd").await,
            format!("hello there\n{}\n", tmp.path().display())
        );
        config.shell = PathBuf::from("/nonexistent/bash");
        assert!(matches!(
            ShellSession::start(config).await,
            Err(ShellError::Spawn { .. })
        ));
    }

    #[test]
    fn marker_split_across_chunks_is_found_and_not_streamed() {
        let mut p = Pending::new("abc".into(), Instant::now());
        let mut streamed = Vec::new();
        let mut sink = |b: &[u8]| streamed.extend_from_slice(b);
        assert_eq!(p.feed(b"hello\0docr", &mut sink), None);
        assert_eq!(p.feed(b"un-end:ab", &mut sink), None);
        assert_eq!(p.feed(b"c\0after", &mut sink), Some(b"after".to_vec()));
        assert_eq!(streamed, b"hello");
        assert_eq!(p.output, b"hello");
        assert!(p.out_done);
    }

    #[tokio::test]
    #[ignore = "benchmark: cargo test --lib exec::shell -- --ignored --nocapture"]
    async fn bench_thousand_trivial_steps() {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = session_in(tmp.path()).await;
        let t = Instant::now();
        let mut d = Vec::new();
        for _ in 0..1000 {
            let t = Instant::now();
            ok(&mut s, "true").await;
            d.push(t.elapsed());
        }
        println!("1000 `true` steps: {:?}", t.elapsed());
        d.sort();
        println!(
            "min {:?} median {:?} p90 {:?} max {:?}",
            d[0], d[500], d[900], d[999]
        );
    }
}
