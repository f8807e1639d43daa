//! `trust.common-root`: do the plug-in CA secrets (`cacerts`) of several clusters share one root,
//! and does each cluster's intermediate chain to it?
//!
//! Pure functions over the secrets' data, so that they can be tested without a server. Messages
//! name certificates by subject and SHA-256 fingerprint and secret keys by name: secret values
//! never appear in them.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::pem::Pem;

use super::CheckStatus;

/// The keys Istio's plug-in CA secret must hold.
pub const CACERTS_KEYS: [&str; 4] = [
    "ca-cert.pem",
    "ca-key.pem",
    "root-cert.pem",
    "cert-chain.pem",
];

/// What a context's `cacerts` secret told us: a verdict and a message, plus the root
/// certificates (DER) when they could be read, for the cross-cluster comparison.
pub(crate) struct ContextVerdict {
    pub context: String,
    pub status: CheckStatus,
    pub message: String,
    pub roots: Vec<Vec<u8>>,
}

/// The verdict for the comparison across clusters (context `None` in the results).
pub(crate) struct CommonVerdict {
    pub status: CheckStatus,
    pub message: String,
}

/// SHA-256 fingerprint of a DER certificate as `openssl x509 -fingerprint -sha256` prints it,
/// shortened to its first 8 bytes (`AB:CD:...:EF…`).
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let short: Vec<String> = digest.iter().take(8).map(|b| format!("{b:02X}")).collect();
    format!("{}…", short.join(":"))
}

fn describe(cert: &X509Certificate<'_>, der: &[u8]) -> String {
    format!("{} (SHA256 {})", cert.subject(), fingerprint(der))
}

/// The DER blocks of the `CERTIFICATE` PEM blocks in `data`, or why there are none.
fn pem_certs(key: &str, data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for pem in Pem::iter_from_buffer(data) {
        let pem: Pem = pem.map_err(|e| format!("{key} is not valid PEM ({e})"))?;
        if pem.label == "CERTIFICATE" {
            pem.parse_x509()
                .map_err(|e| format!("{key} holds a certificate that does not parse ({e})"))?;
            out.push(pem.contents);
        }
    }
    if out.is_empty() {
        return Err(format!("{key} holds no PEM certificate"));
    }
    Ok(out)
}

fn parse(der: &[u8]) -> X509Certificate<'_> {
    // Only called on DER that `pem_certs` has already parsed successfully.
    x509_parser::parse_x509_certificate(der)
        .expect("checked by pem_certs")
        .1
}

fn signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    cert.verify_signature(Some(issuer.public_key())).is_ok()
}

/// Check one context's `cacerts` data (key → raw bytes, as decoded from the secret).
///
/// Fails when a key is missing, a PEM does not parse, a root in `root-cert.pem` is not a
/// self-signed CA, `ca-cert.pem` is not a CA, or `ca-cert.pem` does not chain to a root in
/// `root-cert.pem` through the certificates of `cert-chain.pem` (signatures are verified with the
/// issuer's public key). Warns when `cert-chain.pem` does not end with the root.
pub(crate) fn check_context(
    context: &str,
    secret: &str,
    data: &BTreeMap<String, Vec<u8>>,
) -> ContextVerdict {
    let verdict = |status, message: String, roots| ContextVerdict {
        context: context.to_string(),
        status,
        message,
        roots,
    };
    let missing: Vec<&str> = CACERTS_KEYS
        .iter()
        .copied()
        .filter(|k| !data.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        let present: Vec<&str> = data.keys().map(String::as_str).collect();
        return verdict(
            CheckStatus::Failed,
            format!(
                "secret {secret} in context {context} lacks key(s) {}; it has {}. Recreate it with all of {}",
                missing.join(", "),
                if present.is_empty() { "no keys".to_string() } else { present.join(", ") },
                CACERTS_KEYS.join(", ")
            ),
            vec![],
        );
    }
    let fail = |m: String| {
        verdict(
            CheckStatus::Failed,
            format!("secret {secret} in context {context}: {m}"),
            vec![],
        )
    };
    let roots_der = match pem_certs("root-cert.pem", &data["root-cert.pem"]) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let ca_der = match pem_certs("ca-cert.pem", &data["ca-cert.pem"]) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let chain_der = match pem_certs("cert-chain.pem", &data["cert-chain.pem"]) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let key_ok = Pem::iter_from_buffer(&data["ca-key.pem"])
        .filter_map(Result::ok)
        .any(|p| p.label.ends_with("PRIVATE KEY"));
    if !key_ok {
        return fail("ca-key.pem holds no PEM private key".to_string());
    }

    let roots: Vec<X509Certificate<'_>> = roots_der.iter().map(|d| parse(d)).collect();
    for (root, der) in roots.iter().zip(&roots_der) {
        let self_signed =
            root.subject().as_raw() == root.issuer().as_raw() && signed_by(root, root);
        if !root.is_ca() || !self_signed {
            return fail(format!(
                "root-cert.pem holds {} which is not a self-signed CA certificate{}",
                describe(root, der),
                if root.is_ca() {
                    ""
                } else {
                    " (no CA basic constraint)"
                }
            ));
        }
    }
    let ca = parse(&ca_der[0]);
    let ca_desc = describe(&ca, &ca_der[0]);
    if !ca.is_ca() {
        return fail(format!(
            "ca-cert.pem holds {ca_desc}, which is not a CA certificate (no CA basic constraint): istiod cannot sign workload certificates with it"
        ));
    }
    let chain: Vec<X509Certificate<'_>> = chain_der.iter().map(|d| parse(d)).collect();

    // Walk from the intermediate up to a root, through cert-chain.pem.
    let mut cur: (&X509Certificate<'_>, &[u8]) = (&ca, &ca_der[0]);
    let mut path = vec![ca.subject().to_string()];
    let mut reached = None;
    for _ in 0..8 {
        if let Some(i) = roots.iter().position(|r| signed_by(cur.0, r)) {
            reached = Some(i);
            break;
        }
        let next = chain
            .iter()
            .zip(&chain_der)
            .find(|(c, d)| d.as_slice() != cur.1 && signed_by(cur.0, c));
        match next {
            Some((c, d)) => {
                path.push(c.subject().to_string());
                cur = (c, d);
            }
            None => break,
        }
    }
    let Some(root_idx) = reached else {
        let roots_desc: Vec<String> = roots
            .iter()
            .zip(&roots_der)
            .map(|(r, d)| describe(r, d))
            .collect();
        return fail(format!(
            "the intermediate in ca-cert.pem, {ca_desc} issued by {}, is not signed by the root in root-cert.pem, {} \
             (nor through the certificates of cert-chain.pem): sign this cluster's intermediate with the shared root",
            ca.issuer(),
            roots_desc.join(", ")
        ));
    };
    let root_desc = describe(&roots[root_idx], &roots_der[root_idx]);
    let last = chain_der.last().expect("pem_certs returns at least one");
    let mut status = CheckStatus::Passed;
    let mut message = format!(
        "secret {secret} in context {context}: intermediate {ca_desc} is a CA that chains to root {root_desc}"
    );
    if path.len() > 1 {
        message.push_str(&format!(" (via {})", path[1..].join(" → ")));
    }
    if !roots_der.iter().any(|r| r == last) {
        status = CheckStatus::Warning;
        message.push_str(&format!(
            "; but cert-chain.pem ends with {}, not with the root: append root-cert.pem to cert-chain.pem",
            describe(&parse(last), last)
        ));
    }
    verdict(status, message, roots_der)
}

/// Compare the roots of the contexts whose secrets could be read: they pass when one root
/// certificate (same DER) is in every context's `root-cert.pem`.
pub(crate) fn check_common(verdicts: &[ContextVerdict]) -> CommonVerdict {
    let with_roots: Vec<&ContextVerdict> =
        verdicts.iter().filter(|v| !v.roots.is_empty()).collect();
    let without: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.roots.is_empty())
        .map(|v| v.context.as_str())
        .collect();
    let all: Vec<&str> = verdicts.iter().map(|v| v.context.as_str()).collect();
    if !without.is_empty() {
        return CommonVerdict {
            status: CheckStatus::Failed,
            message: format!(
                "cannot compare the roots of {}: no usable cacerts in {} (see the result for each context)",
                all.join(", "),
                without.join(", ")
            ),
        };
    }
    let Some(first) = with_roots.first() else {
        return CommonVerdict {
            status: CheckStatus::Failed,
            message: "no context given".to_string(),
        };
    };
    let common = first
        .roots
        .iter()
        .find(|r| with_roots.iter().all(|v| v.roots.contains(r)));
    if let Some(root) = common {
        return CommonVerdict {
            status: CheckStatus::Passed,
            message: format!(
                "{} share the root {}",
                all.join(", "),
                describe(&parse(root), root)
            ),
        };
    }
    let per: Vec<String> = with_roots
        .iter()
        .map(|v| {
            let rs: Vec<String> = v.roots.iter().map(|r| describe(&parse(r), r)).collect();
            format!("{} has {}", v.context, rs.join(" + "))
        })
        .collect();
    let same_key = {
        let keys: Vec<Vec<Vec<u8>>> = with_roots
            .iter()
            .map(|v| {
                v.roots
                    .iter()
                    .map(|r| parse(r).public_key().raw.to_vec())
                    .collect()
            })
            .collect();
        keys[0].iter().any(|k| keys.iter().all(|ks| ks.contains(k)))
    };
    let hint = if same_key {
        "the roots share a public key but are different certificates: put the same root-cert.pem in every cluster"
    } else {
        "workloads in different clusters will not trust each other: plug in intermediates signed by one shared root in every cluster"
    };
    CommonVerdict {
        status: CheckStatus::Failed,
        message: format!(
            "the clusters do not share a root: {}; {hint}",
            per.join("; ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_are_named_and_values_never_shown() {
        let data: BTreeMap<String, Vec<u8>> = [
            ("ca-cert.pem".to_string(), b"SECRET-VALUE".to_vec()),
            ("root-cert.pem".to_string(), b"SECRET-VALUE".to_vec()),
        ]
        .into_iter()
        .collect();
        let v = check_context("c1", "istio-system/cacerts", &data);
        assert_eq!(v.status, CheckStatus::Failed);
        assert!(
            v.message
                .contains("lacks key(s) ca-key.pem, cert-chain.pem"),
            "{}",
            v.message
        );
        assert!(
            v.message.contains("it has ca-cert.pem, root-cert.pem"),
            "{}",
            v.message
        );
        assert!(!v.message.contains("SECRET-VALUE"));
    }

    #[test]
    fn garbage_pem_is_reported_by_key() {
        let data: BTreeMap<String, Vec<u8>> = CACERTS_KEYS
            .iter()
            .map(|k| (k.to_string(), b"not a certificate".to_vec()))
            .collect();
        let v = check_context("c1", "istio-system/cacerts", &data);
        assert_eq!(v.status, CheckStatus::Failed);
        assert!(
            v.message.contains("root-cert.pem holds no PEM certificate"),
            "{}",
            v.message
        );
    }

    #[test]
    fn common_root_needs_every_context_readable() {
        let v = ContextVerdict {
            context: "c1".into(),
            status: CheckStatus::Failed,
            message: String::new(),
            roots: vec![],
        };
        let c = check_common(&[v]);
        assert_eq!(c.status, CheckStatus::Failed);
        assert!(c.message.contains("no usable cacerts in c1"));
    }
}
