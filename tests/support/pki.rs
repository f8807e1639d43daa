//! Certificates made with the `openssl` command line for tests: roots, intermediates (CAs) and
//! a TLS server certificate for 127.0.0.1/localhost. EC P-256 keys: fast to make.

use std::path::{Path, PathBuf};
use std::process::Command;

const OPENSSL_CNF: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[v3_srv]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
";

/// A certificate and its key, as files and as PEM text.
#[derive(Debug, Clone)]
pub struct Cert {
    pub name: String,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub cert_pem: String,
    pub key_pem: String,
}

/// Makes certificates in a directory.
#[derive(Debug, Clone)]
pub struct Pki {
    dir: PathBuf,
    cnf: PathBuf,
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

impl Pki {
    /// A PKI writing its files to `dir` (which must exist).
    pub fn new(dir: &Path) -> Self {
        let cnf = dir.join("openssl.cnf");
        std::fs::write(&cnf, OPENSSL_CNF).unwrap();
        Pki {
            dir: dir.to_path_buf(),
            cnf,
        }
    }

    fn load(&self, name: &str) -> Cert {
        let cert = self.dir.join(format!("{name}.crt"));
        let key = self.dir.join(format!("{name}.key"));
        Cert {
            name: name.to_string(),
            cert_pem: std::fs::read_to_string(&cert).unwrap(),
            key_pem: std::fs::read_to_string(&key).unwrap(),
            cert,
            key,
        }
    }

    /// A self-signed root CA with subject `CN=<cn>` (files `<name>.crt`, `<name>.key`).
    pub fn root(&self, name: &str, cn: &str) -> Cert {
        let (crt, key) = (
            self.dir.join(format!("{name}.crt")),
            self.dir.join(format!("{name}.key")),
        );
        openssl(&[
            "req",
            "-x509",
            "-config",
            s(&self.cnf),
            "-extensions",
            "v3_ca",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            s(&key),
            "-out",
            s(&crt),
            "-days",
            "30",
            "-subj",
            &format!("/O=docrun tests/CN={cn}"),
        ]);
        self.load(name)
    }

    fn signed(&self, name: &str, cn: &str, issuer: &Cert, extensions: &str) -> Cert {
        let (crt, key, csr) = (
            self.dir.join(format!("{name}.crt")),
            self.dir.join(format!("{name}.key")),
            self.dir.join(format!("{name}.csr")),
        );
        openssl(&[
            "req",
            "-new",
            "-config",
            s(&self.cnf),
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            s(&key),
            "-out",
            s(&csr),
            "-subj",
            &format!("/O=docrun tests/CN={cn}"),
        ]);
        let serial = format!("{}", std::process::id() as u64 * 1000 + rand_small());
        openssl(&[
            "x509",
            "-req",
            "-in",
            s(&csr),
            "-CA",
            s(&issuer.cert),
            "-CAkey",
            s(&issuer.key),
            "-set_serial",
            &serial,
            "-out",
            s(&crt),
            "-days",
            "30",
            "-extfile",
            s(&self.cnf),
            "-extensions",
            extensions,
        ]);
        self.load(name)
    }

    /// An intermediate CA with subject `CN=<cn>`, signed by `issuer`.
    pub fn intermediate(&self, name: &str, cn: &str, issuer: &Cert) -> Cert {
        self.signed(name, cn, issuer, "v3_ca")
    }

    /// A TLS server certificate for 127.0.0.1 and localhost, signed by `issuer`.
    pub fn server(&self, name: &str, issuer: &Cert) -> Cert {
        self.signed(name, "127.0.0.1", issuer, "v3_srv")
    }
}

fn rand_small() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        % 1000
}
