//! Reading the kubeconfig without trusting it: every file is checked (text encoding, YAML) by
//! docrun before the kube crate parses it, so that a damaged file is reported with its path and
//! what is wrong instead of crashing docrun.
//!
//! Every file is read only if it is a regular file of at most [`MAX_FILE`] bytes, its type
//! checked before it is opened (a FIFO named as the kubeconfig or as a certificate authority
//! would block a read for ever); the kubeconfig's files within the call timeout, and the files
//! a context names ([`inline_files`]) when its client is built, within the call timeout too.
//! A `KUBECONFIG` list is read as kubectl reads it: files that do not exist are skipped.
//!
//! The kube crate's reader panics on some inputs: a file that starts with a UTF-16 byte-order
//! mark and has an odd number of bytes after it (`read_path` in kube-client's
//! `config/file_config.rs` decodes pairs of bytes with `chunk[1]` on a last chunk of one byte).
//! [`check_bytes`] refuses such files first, and the parse runs under `catch_unwind` as a last
//! resort.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine;
use kube::config::Kubeconfig;

/// The largest kubeconfig, certificate, key or token file docrun reads (as for a file a guide
/// names: far above any real one, far below what would hurt).
pub const MAX_FILE: u64 = crate::file::MAX_FILE;

/// The files the kubeconfig is read from: the entries of `KUBECONFIG` (empty ones ignored),
/// else `~/.kube/config`.
pub fn paths() -> Vec<PathBuf> {
    if let Some(value) = std::env::var_os("KUBECONFIG") {
        let list: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !list.is_empty() {
            return list;
        }
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    vec![home.join(".kube").join("config")]
}

/// Reads and merges the kubeconfig files as kubectl does: files of the `KUBECONFIG` list that
/// do not exist are skipped, the others merged, the first file to set a value wins. It is an
/// error when none exists, or when one that exists cannot be used: not a regular file, over
/// [`MAX_FILE`], damaged. Reading all of them takes at most `within` (a file on a stalled
/// mount does not hold docrun). `Err` is a complete message naming the file and what is wrong
/// with it.
pub fn load(within: Duration) -> Result<Kubeconfig, String> {
    let paths = paths();
    let (tx, rx) = mpsc::channel();
    let list = paths.clone();
    std::thread::spawn(move || {
        let _ = tx.send(merge(&list));
    });
    rx.recv_timeout(within).unwrap_or_else(|_| {
        Err(format!(
            "reading {} took more than {}; is a file on a mount that does not answer?",
            join(&paths),
            super::explain::fmt_duration(within)
        ))
    })
}

fn join(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn merge(paths: &[PathBuf]) -> Result<Kubeconfig, String> {
    let mut merged = Kubeconfig::default();
    let mut found = false;
    for path in paths {
        let config = match read_file(path) {
            Ok(config) => config,
            Err(Unread::Missing) if paths.len() > 1 => continue,
            Err(Unread::Missing) => {
                return Err(format!(
                    "{}: cannot be read: there is no such file",
                    path.display()
                ))
            }
            Err(Unread::Refused(why)) => return Err(why),
        };
        found = true;
        merged = merged.merge(config).map_err(|e| {
            format!(
                "{}: cannot be merged with the files before it: {e}",
                path.display()
            )
        })?;
    }
    if !found {
        return Err(format!(
            "none of the files of the list exists: {}",
            join(paths)
        ));
    }
    Ok(merged)
}

/// Why a file was not read.
enum Unread {
    /// It does not exist (a `KUBECONFIG` entry kubectl would skip).
    Missing,
    /// A complete message naming the file.
    Refused(String),
}

/// Reads one kubeconfig file, checked first.
pub fn load_file(path: &Path) -> Result<Kubeconfig, String> {
    read_file(path).map_err(|e| match e {
        Unread::Missing => format!("{}: cannot be read: there is no such file", path.display()),
        Unread::Refused(why) => why,
    })
}

fn read_file(path: &Path) -> Result<Kubeconfig, Unread> {
    let bytes = read_bounded(path).map_err(|e| match e {
        e if e.kind() == std::io::ErrorKind::NotFound => Unread::Missing,
        e => Unread::Refused(format!("{}: {e}", path.display())),
    })?;
    let fail = |e: String| Unread::Refused(format!("{}: {e}", path.display()));
    let text = check_bytes(&bytes).map_err(fail)?;
    check_yaml(&text).map_err(fail)?;
    match std::panic::catch_unwind(|| Kubeconfig::from_yaml(&text)) {
        Ok(Ok(mut config)) => {
            if let Some(dir) = path.parent() {
                absolute_paths(&mut config, dir);
            }
            Ok(config)
        }
        Ok(Err(e)) => Err(fail(super::explain::error_chain(&e))),
        Err(_) => Err(fail(
            "the kubeconfig reader failed on this file; check that it is a kubeconfig in YAML"
                .into(),
        )),
    }
}

/// Makes the file paths of a kubeconfig read from `dir` absolute, as kubectl (and kube's
/// `Kubeconfig::read_from`) read them: certificate authorities, client certificates and keys,
/// token files, and exec plugin commands that hold a path separator.
fn absolute_paths(config: &mut Kubeconfig, dir: &Path) {
    let fix = |p: &mut Option<String>| {
        if let Some(path) = p.as_deref() {
            if Path::new(path).is_relative() {
                if let Some(abs) = dir.join(path).to_str() {
                    *p = Some(abs.to_string());
                }
            }
        }
    };
    for cluster in config
        .clusters
        .iter_mut()
        .filter_map(|c| c.cluster.as_mut())
    {
        fix(&mut cluster.certificate_authority);
    }
    for user in config
        .auth_infos
        .iter_mut()
        .filter_map(|a| a.auth_info.as_mut())
    {
        fix(&mut user.client_certificate);
        fix(&mut user.client_key);
        fix(&mut user.token_file);
        if let Some(exec) = user.exec.as_mut() {
            if exec
                .command
                .as_deref()
                .is_some_and(|c| c.contains(std::path::MAIN_SEPARATOR))
            {
                fix(&mut exec.command);
            }
        }
    }
}

/// The bytes of a file the kubeconfig is or names, only if it is a regular file of at most
/// [`MAX_FILE`] bytes. The type is checked before the file is opened, and it is opened without
/// blocking, so a FIFO, device or socket never holds docrun. `NotFound` when it does not exist;
/// other errors say what is wrong in words that follow the path.
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let refuse = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, why);
    let not_regular =
        || refuse("is not a regular file (a FIFO, device, socket or folder is never read)".into());
    let too_large = |size: u64| {
        refuse(format!(
            "is {size} bytes, over the {} MiB limit of a kubeconfig or a file it names",
            MAX_FILE / (1024 * 1024)
        ))
    };
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    if meta.len() > MAX_FILE {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)?;
    // The name may have been pointed elsewhere since the first look.
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads the files that `context`'s cluster and user name (certificate authority, client
/// certificate and key) into the kubeconfig as data, each through [`read_bounded`], and checks
/// its token file the same way (kube reads that one again when it rotates). Other contexts'
/// files are not touched. `Err` is a complete message naming the context, the setting and the
/// file.
pub fn inline_files(config: &mut Kubeconfig, context: &str) -> Result<(), String> {
    let Some(ctx) = config
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.clone())
    else {
        return Ok(());
    };
    let read = |setting: &str, path: &str| {
        read_bounded(Path::new(path)).map_err(|e| {
            format!(
                "context {context}: the {setting} file {path} cannot be used: {e}; point \
                 {setting} in the kubeconfig at a regular file, or give its content as \
                 {setting}-data"
            )
        })
    };
    let encode = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    if let Some(cluster) = config
        .clusters
        .iter_mut()
        .find(|c| c.name == ctx.cluster)
        .and_then(|c| c.cluster.as_mut())
    {
        if cluster.certificate_authority_data.is_none() {
            if let Some(path) = cluster.certificate_authority.take() {
                cluster.certificate_authority_data =
                    Some(encode(read("certificate-authority", &path)?));
            }
        }
    }
    let Some(user_name) = ctx.user.as_deref() else {
        return Ok(());
    };
    if let Some(user) = config
        .auth_infos
        .iter_mut()
        .find(|a| a.name == user_name)
        .and_then(|a| a.auth_info.as_mut())
    {
        if user.client_certificate_data.is_none() {
            if let Some(path) = user.client_certificate.take() {
                user.client_certificate_data = Some(encode(read("client-certificate", &path)?));
            }
        }
        if user.client_key_data.is_none() {
            if let Some(path) = user.client_key.take() {
                user.client_key_data = Some(encode(read("client-key", &path)?).into());
            }
        }
        if user.token.is_none() {
            if let Some(path) = &user.token_file {
                read("token-file", path)?;
            }
        }
    }
    Ok(())
}

/// The text of a kubeconfig file, decoded as the kube crate decodes it (UTF-8, with or without a
/// byte-order mark, or UTF-16 with one), or what is wrong with its bytes.
pub fn check_bytes(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16, name: &str| {
        if !rest.len().is_multiple_of(2) {
            return Err(format!(
                "starts with a {name} byte-order mark but has an odd number of bytes ({}), so it is not {name} text",
                bytes.len()
            ));
        }
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16(&units).map_err(|_| format!("is not valid {name} text"))
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes, "UTF-16LE"),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes, "UTF-16BE"),
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest, 3),
        _ => utf8(bytes, 0),
    }
}

fn utf8(bytes: &[u8], offset: usize) -> Result<String, String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => {
            let at = offset + e.valid_up_to();
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            Err(format!(
                "is not UTF-8 text: byte 0x{:02x} at offset {at} (line {line})",
                bytes[e.valid_up_to()]
            ))
        }
    }
}

/// Whether the text reads as a kubeconfig (YAML mapping documents) whose aliases stay within
/// [`crate::yaml::within_budget`], with the kube crate's own
/// YAML reader, under `catch_unwind`.
pub fn check_yaml(text: &str) -> Result<(), String> {
    crate::yaml::within_budget(text).map_err(|over| {
        let line = text[..over.offset().min(text.len())].matches('\n').count() + 1;
        format!("line {line}: {over}; {}", over.help())
    })?;
    match std::panic::catch_unwind(|| Kubeconfig::from_yaml(text)) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "is not a valid kubeconfig: {}",
            super::explain::error_chain(&e)
        )),
        Err(_) => Err("the kubeconfig reader failed on this file; check that it is YAML".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_encodings_are_named_not_panicked_on() {
        let odd = check_bytes(b"\xff\xfeA").unwrap_err();
        assert!(
            odd.contains("UTF-16LE") && odd.contains("odd number"),
            "{odd}"
        );
        assert!(check_bytes(b"\xfe\xffA").unwrap_err().contains("UTF-16BE"));
        let bad = check_bytes(b"apiVersion: v1\nkind: \xc3(\n").unwrap_err();
        assert!(bad.contains("offset 21") && bad.contains("line 2"), "{bad}");
        assert_eq!(check_bytes(b"\xef\xbb\xbfa: 1").unwrap(), "a: 1");
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a: 1".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(check_bytes(&le).unwrap(), "a: 1");
    }

    #[test]
    fn yaml_that_is_no_kubeconfig_is_refused() {
        assert!(check_yaml("clusters: [").is_err());
        assert!(check_yaml("clusters: 3").is_err());
        assert!(check_yaml("").is_ok());
    }

    /// Not a fuzzer: a deterministic sweep of pseudo-random byte strings (and mutations of a
    /// real kubeconfig) through the checks and the kube crate's reader, over many seeds. No input
    /// may panic. The cargo-fuzz target `kubeconfig` explores further.
    #[test]
    fn random_bytes_never_panic() {
        let base = b"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://1.2.3.4'}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\n";
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        for round in 0..3000 {
            let mut bytes: Vec<u8> = if round % 2 == 0 {
                (0..next() % 64).map(|_| next() as u8).collect()
            } else {
                base.to_vec()
            };
            for _ in 0..(next() % 6) {
                if bytes.is_empty() {
                    break;
                }
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            if round % 7 == 0 {
                bytes.splice(0..0, [0xFF, 0xFE]);
            }
            std::fs::write(&path, &bytes).unwrap();
            let _ = load_file(&path);
        }
    }
}
