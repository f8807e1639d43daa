//! Reading the kubeconfig without trusting it: every file is checked (text encoding, YAML) by
//! docrun before the kube crate parses it, so that a damaged file is reported with its path and
//! what is wrong instead of crashing docrun.
//!
//! The kube crate's reader panics on some inputs: a file that starts with a UTF-16 byte-order
//! mark and has an odd number of bytes after it (`read_path` in kube-client's
//! `config/file_config.rs` decodes pairs of bytes with `chunk[1]` on a last chunk of one byte).
//! [`check_bytes`] refuses such files first, and the parse runs under `catch_unwind` as a last
//! resort.

use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

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

/// Reads and merges the kubeconfig files (the first file to set a value wins, as kubectl does).
/// `Err` is a complete message naming the file and what is wrong with it.
pub fn load() -> Result<Kubeconfig, String> {
    let mut merged = Kubeconfig::default();
    for path in paths() {
        let config = load_file(&path)?;
        merged = merged.merge(config).map_err(|e| {
            format!(
                "{}: cannot be merged with the files before it: {e}",
                path.display()
            )
        })?;
    }
    Ok(merged)
}

/// Reads one kubeconfig file, checked first.
pub fn load_file(path: &Path) -> Result<Kubeconfig, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("{}: cannot be read: {e}", path.display()))?;
    let text = check_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    check_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let read = std::panic::catch_unwind(|| Kubeconfig::read_from(path));
    match read {
        Ok(Ok(config)) => Ok(config),
        Ok(Err(e)) => Err(format!(
            "{}: {}",
            path.display(),
            super::explain::error_chain(&e)
        )),
        Err(_) => Err(format!(
            "{}: the kubeconfig reader failed on this file; check that it is a kubeconfig in YAML",
            path.display()
        )),
    }
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
