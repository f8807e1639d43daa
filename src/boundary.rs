//! The documentation tree is the boundary: every file a guide or its settings name is read
//! from inside the tree the guide belongs to, and only if it is a regular file of bounded size.
//!
//! A guide in a pull request is a stranger's text next to CI's secrets. A `file=` block, an
//! include, a snippet, a boilerplate or a preview's `-f` that named `/proc/self/environ`,
//! `../../.ssh/id_rsa`, a symlink out of the tree, `/dev/zero` or a FIFO would put docrun's
//! environment in a report, read without end or block. Here a name resolves (symlinks
//! followed) to a path inside the [`root`], to a regular file, read up to [`MAX_FILE`] bytes,
//! or not at all, with the reason.
//!
//! Settings found by walking up from a guide (`docrun.yaml`, site data, boilerplates, site
//! markers) are looked for up to the root, not above, and only in files that are
//! [`trusted`]: owned by the user (or root) and writable by no one else.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use crate::file::MAX_FILE;

/// An answer per path, kept for the life of the process (see [`once_per_process`]).
type PathCache<V> = LazyLock<Mutex<HashMap<PathBuf, V>>>;

/// Files that mark a documentation site's top folder when the tree is not a git work tree.
const MARKERS: &[&str] = &[
    "docrun.yaml",
    "mkdocs.yml",
    "hugo.toml",
    "hugo.yaml",
    "config.toml",
    "docusaurus.config.js",
    "docusaurus.config.ts",
    "docusaurus.config.mjs",
    "docusaurus.config.cjs",
    "antora.yml",
    "data/args.yml",
    "data/versions.yaml",
    "variables.json",
];

/// Why a named file is not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("`{name}` resolves to {}, outside the documentation tree {}", .path.display(), .root.display())]
    Outside {
        name: String,
        path: PathBuf,
        root: PathBuf,
    },
    #[error("`{name}` is not a regular file (a folder, device, FIFO or socket is never read)")]
    NotRegular { name: String },
    #[error("`{name}` is {size} bytes, over the {MAX_FILE}-byte limit of a file a guide names")]
    TooLarge { name: String, size: u64 },
    #[error("`{name}` cannot be read: {reason}")]
    Unreadable { name: String, reason: String },
}

/// The documentation root of `path` (a guide or a folder): the top level of the git work tree
/// it is in, else the nearest folder above it with a trusted site marker (`docrun.yaml`,
/// `mkdocs.yml`, Hugo's config, site data), else the current folder when the guide is under
/// it (`docrun plan docs/x.md` in a folder of guides), else the guide's own folder. Canonical.
pub fn root(path: &Path) -> PathBuf {
    // Asked for every guide built and every link followed: once per folder.
    static ROOTS: PathCache<PathBuf> = LazyLock::new(Default::default);
    let start = start_dir(path);
    once_per_process(&ROOTS, &start, || root_of(&start))
}

fn root_of(start: &Path) -> PathBuf {
    if let Some(top) = git_top(start) {
        return top;
    }
    if let Some(marked) = start
        .ancestors()
        .find(|d| MARKERS.iter().any(|m| trusted(&d.join(m))))
    {
        return marked.to_path_buf();
    }
    match std::env::current_dir().and_then(|d| d.canonicalize()) {
        Ok(cwd) if start.starts_with(&cwd) && cwd.parent().is_some() => cwd,
        _ => start.to_path_buf(),
    }
}

/// The answer of `compute` for `key`, computed once per process. The tree a command reads does
/// not move under it (settings and site files are read before any step runs), and a tree of
/// thousands of guides asks the same folders the same questions for every guide: each answer
/// is a stat or a `realpath` of every folder above.
fn once_per_process<V: Clone>(cache: &PathCache<V>, key: &Path, compute: impl FnOnce() -> V) -> V {
    if let Some(v) = cache.lock().ok().and_then(|c| c.get(key).cloned()) {
        return v;
    }
    let v = compute();
    if let Ok(mut c) = cache.lock() {
        c.insert(key.to_path_buf(), v.clone());
    }
    v
}

/// The top of the git work tree canonical folder `dir` is in: one look for `.git` per folder of
/// the tree, however many guides share it.
fn git_top(dir: &Path) -> Option<PathBuf> {
    static TOPS: PathCache<Option<PathBuf>> = LazyLock::new(Default::default);
    once_per_process(&TOPS, dir, || {
        if exists(&dir.join(".git")) {
            Some(dir.to_path_buf())
        } else {
            dir.parent().and_then(git_top)
        }
    })
}

/// Whether `path` may exist: `false` when its folder's listing (read once per folder and
/// process) has no such name, or there is no such folder; `true` otherwise (then a stat tells).
/// Settings and site files are looked for in every folder above every guide: one listing per
/// folder answers them all.
pub fn may_exist(path: &Path) -> bool {
    !matches!(listed(path), Listed::Absent)
}

/// What the listing of `path`'s folder says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// The folder has no such name, or there is no such folder.
    Absent,
    /// The folder has it, of this kind (a symbolic link is not followed).
    Present(Kind),
    /// The listing does not say (the folder cannot be listed or is too large to keep): ask
    /// the system.
    Unknown,
}

/// An entry's type as its folder gives it (a symbolic link not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    /// A FIFO, socket or device, or a type the file system does not give in its listing: ask
    /// the system.
    Other,
}

impl Kind {
    pub fn is_file(self) -> bool {
        self == Kind::File
    }
    pub fn is_dir(self) -> bool {
        self == Kind::Dir
    }
    pub fn is_symlink(self) -> bool {
        self == Kind::Symlink
    }
}

/// What the listing of `path`'s folder (read once per folder and process, with the type of each
/// entry as the folder gives it) says of `path`.
pub fn listed(path: &Path) -> Listed {
    static LISTINGS: PathCache<Option<Arc<Listing>>> = LazyLock::new(Default::default);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Listed::Unknown;
    };
    // One listing per folder however it is named: relative names are taken from the folder
    // docrun started in (docrun never changes it).
    let dir = if dir.is_absolute() {
        std::borrow::Cow::Borrowed(dir)
    } else {
        std::borrow::Cow::Owned(match &*START_FOLDER {
            Some(cwd) => cwd.join(dir),
            None => dir.to_path_buf(),
        })
    };
    let listing = once_per_process(&LISTINGS, &dir, || list(&dir).map(Arc::new));
    match listing.as_deref().map(|names| names.get(name)) {
        None => Listed::Unknown,
        Some(None) => Listed::Absent,
        Some(Some(kind)) => Listed::Present(*kind),
    }
}

/// Whether `path` exists (symbolic links followed), as [`Path::exists`] says, but answered by
/// its folder's listing ([`listed`]) unless it is a symbolic link or the listing does not say:
/// a guide's folders are asked for the same names (overlays, boilerplates, includes, site files)
/// for every guide.
pub fn exists(path: &Path) -> bool {
    match listed(path) {
        Listed::Absent => false,
        Listed::Present(Kind::File | Kind::Dir) => true,
        _ => path.exists(),
    }
}

/// The names in a folder, each with its type as the folder gives it.
type Listing = HashMap<OsString, Kind>;

/// The folder docrun was started in; relative paths are relative to it for the whole process.
static START_FOLDER: LazyLock<Option<PathBuf>> = LazyLock::new(|| std::env::current_dir().ok());

/// The names in folder `dir`; empty when there is no such folder, `None` when it cannot be
/// listed or is too large to keep.
fn list(dir: &Path) -> Option<Listing> {
    const MAX_NAMES: usize = 100_000;
    match read_names(dir, MAX_NAMES) {
        Ok(names) => (names.len() < MAX_NAMES).then_some(names),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Default::default()),
        Err(_) => None,
    }
}

/// Up to `max` names of folder `dir` with their kinds, read straight from the folder
/// (`getdents64` on Linux: no `fstat` as `opendir` makes; a tree of guides is one listing per
/// folder, and this is every folder's).
fn read_names(dir: &Path, max: usize) -> std::io::Result<Listing> {
    use rustix::fs::{FileType, Mode, OFlags};
    use std::os::unix::ffi::OsStrExt;
    let fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    let mut names = HashMap::new();
    for entry in rustix::fs::Dir::new(fd)?.take(max + 2) {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let kind = match entry.file_type() {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        };
        names.insert(std::ffi::OsStr::from_bytes(name).to_os_string(), kind);
    }
    Ok(names)
}

/// The canonical form of folder `dir`: its parent's, then its own name, unless it is a
/// symbolic link (then the system's `realpath`). What each folder is comes from its parent's
/// listing ([`listed`]), where `realpath` reads every folder above it again for each guide.
fn canonical_folder(dir: &Path) -> std::io::Result<PathBuf> {
    static FOLDERS: PathCache<Option<PathBuf>> = LazyLock::new(Default::default);
    let plain = dir.is_absolute()
        && dir.components().all(|c| {
            matches!(
                c,
                std::path::Component::RootDir | std::path::Component::Normal(_)
            )
        });
    if !plain {
        return dir.canonicalize();
    }
    once_per_process(&FOLDERS, dir, || {
        let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
            return dir.canonicalize().ok();
        };
        // The parent's listing says what `dir` is (one listing per folder, shared with the
        // settings looked for there); a stat only where it does not say.
        // A folder made after its parent was listed (docrun's own, a test's) is asked anew.
        let link = match listed(dir) {
            Listed::Present(kind @ (Kind::File | Kind::Dir | Kind::Symlink)) => kind.is_symlink(),
            Listed::Present(Kind::Other) | Listed::Absent | Listed::Unknown => {
                std::fs::symlink_metadata(dir)
                    .ok()?
                    .file_type()
                    .is_symlink()
            }
        };
        if link {
            return dir.canonicalize().ok();
        }
        Some(canonical_folder(parent).ok()?.join(name))
    })
    .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"))
}

/// The canonical form of `path`: its folder's ([`canonical_folder`]) and its name, unless it
/// is a symbolic link or names `..` (then the system's `realpath`).
fn canonical_file(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let link = match listed(&absolute) {
        Listed::Present(kind @ (Kind::File | Kind::Dir | Kind::Symlink)) => kind.is_symlink(),
        // Absent names are found missing by the stat as before (the error is the system's).
        Listed::Present(Kind::Other) | Listed::Absent | Listed::Unknown => {
            std::fs::symlink_metadata(&absolute)?
                .file_type()
                .is_symlink()
        }
    };
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) if !link => Ok(canonical_folder(parent)?.join(name)),
        _ => absolute.canonicalize(),
    }
}

/// The canonical folder of `path` (itself when it is a folder).
fn start_dir(path: &Path) -> PathBuf {
    static DIRS: PathCache<PathBuf> = LazyLock::new(Default::default);
    once_per_process(&DIRS, path, || canonical_dir(path))
}

fn canonical_dir(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    // Absolute first, so that the listings asked are those the settings lookups share.
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    // The listing answers for what it has; a name it lacks (made since) is asked anew.
    let folder = match listed(&absolute) {
        Listed::Present(kind @ (Kind::File | Kind::Dir)) => kind.is_dir(),
        _ => absolute.is_dir(),
    };
    let dir = if folder {
        absolute.as_path()
    } else {
        absolute.parent().unwrap_or(Path::new("/"))
    };
    canonical_folder(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// The folders from `path`'s own up to its root, nearest first: where settings are looked for.
pub fn folders_up_to_root(path: &Path) -> Vec<PathBuf> {
    let root = root(path);
    start_dir(path)
        .ancestors()
        .take_while(|d| d.starts_with(&root))
        .map(Path::to_path_buf)
        .collect()
}

/// Whether a settings file may be believed: a regular file owned by the user running docrun
/// (or by root) that no other user can write. Group write is no other user's when the group is
/// the user's own private group (the default where the umask is 002, as on Ubuntu). Asked once
/// per file and process; a file that is there but not believed is remembered with the reason
/// ([`distrusted`]).
pub fn trusted(file: &Path) -> bool {
    static SEEN: PathCache<bool> = LazyLock::new(Default::default);
    once_per_process(&SEEN, file, || match distrust(file) {
        Ok(()) => true,
        Err(Some(reason)) => {
            if let Ok(mut d) = DISTRUSTED.lock() {
                d.push((file.to_path_buf(), reason));
            }
            false
        }
        Err(None) => false,
    })
}

/// Settings files found but not believed, with why, since the last call: each once per process.
pub fn distrusted() -> Vec<(PathBuf, String)> {
    DISTRUSTED
        .lock()
        .map(|mut d| std::mem::take(&mut *d))
        .unwrap_or_default()
}

static DISTRUSTED: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());

/// `Ok` when `file` may be believed; else why not (`None` when there is no such regular file,
/// which is nothing to say).
fn distrust(file: &Path) -> Result<(), Option<String>> {
    if !may_exist(file) {
        return Err(None);
    }
    let meta = std::fs::metadata(file).map_err(|_| None)?;
    if !meta.is_file() {
        return Err(None);
    }
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(Some(format!(
            "it belongs to another user (uid {})",
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o002 != 0 {
        return Err(Some(format!("anyone may write it (mode {mode:04o})")));
    }
    if mode & 0o020 != 0 && !private_group(meta.gid()) {
        return Err(Some(format!(
            "its group (gid {}) may write it (mode {mode:04o})",
            meta.gid()
        )));
    }
    Ok(())
}

/// Whether `gid` is the running user's own group: their primary group, with no other member.
fn private_group(gid: u32) -> bool {
    use nix::unistd::{getegid, geteuid, Gid, Group, User};
    if gid != getegid().as_raw() {
        return false;
    }
    let Ok(Some(user)) = User::from_uid(geteuid()) else {
        return false;
    };
    match Group::from_gid(Gid::from_raw(gid)) {
        Ok(Some(group)) => group.mem.iter().all(|m| *m == user.name),
        _ => false,
    }
}

/// Resolves `name` (as the guide wrote it) at `path` to a regular file inside `root`.
pub fn resolve(root: &Path, path: &Path, name: &str) -> Result<PathBuf, Refused> {
    let canonical = canonical_file(path).map_err(|e| Refused::Unreadable {
        name: name.to_owned(),
        reason: e.to_string(),
    })?;
    let root = std::path::absolute(root)
        .and_then(|r| canonical_folder(&r))
        .unwrap_or_else(|_| root.to_path_buf());
    if !canonical.starts_with(&root) {
        return Err(Refused::Outside {
            name: name.to_owned(),
            path: canonical,
            root,
        });
    }
    let meta = std::fs::metadata(&canonical).map_err(|e| Refused::Unreadable {
        name: name.to_owned(),
        reason: e.to_string(),
    })?;
    if !meta.is_file() {
        return Err(Refused::NotRegular {
            name: name.to_owned(),
        });
    }
    if meta.len() > MAX_FILE {
        return Err(Refused::TooLarge {
            name: name.to_owned(),
            size: meta.len(),
        });
    }
    Ok(canonical)
}

/// Reads the file `name` names at `path`, if it is a regular file inside `root`, as bytes,
/// never more than [`MAX_FILE`] of them (as every file docrun reads:
/// [`crate::file::read_bounded`]).
pub fn read(root: &Path, path: &Path, name: &str) -> Result<Vec<u8>, Refused> {
    let file = resolve(root, path, name)?;
    crate::file::read_bounded(&file).map_err(|e| unreadable(name, &e))
}

/// [`read`] as text, read as every text file is ([`crate::file::load`]): UTF-8,
/// without a NUL byte (UTF-16 and NUL bytes are refused, naming where).
pub fn read_text(root: &Path, path: &Path, name: &str) -> Result<String, Refused> {
    let file = resolve(root, path, name)?;
    crate::file::load(&file)
        .map(|source| source.text().to_owned())
        .map_err(|e| unreadable(name, &e))
}

fn unreadable(name: &str, e: &crate::error::Error) -> Refused {
    Refused::Unreadable {
        name: name.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_inside_the_tree_or_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("docs");
        std::fs::create_dir_all(tree.join("guide")).unwrap();
        std::fs::write(tree.join("docrun.yaml"), "").unwrap();
        std::fs::write(tree.join("guide/x.yaml"), "a: 1").unwrap();
        std::fs::write(dir.path().join("secret"), "s3cret").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), tree.join("guide/link")).unwrap();
        let root = root(&tree.join("guide/index.md"));
        assert_eq!(root, tree.canonicalize().unwrap());
        let at = |n: &str| tree.join("guide").join(n);
        assert_eq!(read_text(&root, &at("x.yaml"), "x.yaml").unwrap(), "a: 1");
        for name in ["../../secret", "link", "/etc/passwd", "/proc/self/environ"] {
            let err = read(&root, &at(name), name).unwrap_err();
            assert!(matches!(err, Refused::Outside { .. }), "{name}: {err}");
        }
        assert!(matches!(
            read(&root, &at("."), "."),
            Err(Refused::NotRegular { .. })
        ));
    }
}
