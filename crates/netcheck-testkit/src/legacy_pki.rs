//! Certificates that rcgen (and ring) will not make, made with the `openssl` CLI the way
//! people make them: 512- and 1024-bit RSA keys, MD5 and SHA-1 signatures, small or unusual
//! curves, and `openssl req -x509` self-signed certificates (CA:TRUE). A root and an
//! intermediate (RSA 2048, SHA-256) issue the leaves; each call works in its own temporary
//! directory, removed when the `LegacyCa` is dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

use rustls_pki_types::CertificateDer;

pub struct LegacyCa {
    dir: PathBuf,
    pub root_pem: String,
    pub intermediate_pem: String,
    serial: std::cell::Cell<u32>,
}

/// A leaf and its chain as a server would present them.
#[derive(Debug, Clone)]
pub struct LegacyIdentity {
    /// PEM, end entity first.
    pub chain_pem: String,
    pub key_pem: String,
}

/// The key of a certificate: `rsa:1024`, `ec:prime192v1`, `ec:brainpoolP256r1`, ...
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Rsa(u32),
    Ec(&'a str),
}

/// Why the legacy PKI cannot be made here, if it cannot.
pub fn available() -> Result<(), String> {
    Command::new("openssl")
        .arg("version")
        .output()
        .map(|_| ())
        .map_err(|e| format!("the openssl CLI is not installed: {e}"))
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(path: PathBuf, text: &str) {
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Makes a key file in `dir`.
fn new_key(dir: &Path, name: &str, key: Key<'_>) {
    let file = format!("{name}.key");
    match key {
        Key::Rsa(bits) => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
                "-out",
                &file,
            ],
        ),
        Key::Ec(curve) => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
                "-out",
                &file,
            ],
        ),
    }
}

const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

impl LegacyCa {
    /// A root, and an intermediate signed by it with `intermediate_digest` (`sha256`, `sha1`).
    pub fn new(name: &str, intermediate_digest: &str) -> LegacyCa {
        let dir = std::env::temp_dir().join(format!(
            "netcheck-legacy-pki-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        write(dir.join("ca.ext"), CA_EXT);
        new_key(&dir, "root", Key::Rsa(2048));
        openssl(
            &dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "root.key",
                "-sha256",
                "-days",
                "3650",
                "-subj",
                &format!("/CN={name} Root/O=netcheck tests"),
                "-out",
                "root.pem",
            ],
        );
        new_key(&dir, "intermediate", Key::Rsa(2048));
        openssl(
            &dir,
            &[
                "req",
                "-new",
                "-key",
                "intermediate.key",
                "-subj",
                &format!("/CN={name} Intermediate/O=netcheck tests"),
                "-out",
                "intermediate.csr",
            ],
        );
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "intermediate.csr",
                "-CA",
                "root.pem",
                "-CAkey",
                "root.key",
                "-set_serial",
                "1000",
                "-days",
                "3650",
                &format!("-{intermediate_digest}"),
                "-extfile",
                "ca.ext",
                "-out",
                "intermediate.pem",
            ],
        );
        LegacyCa {
            root_pem: read(dir.join("root.pem")),
            intermediate_pem: read(dir.join("intermediate.pem")),
            dir,
            serial: std::cell::Cell::new(2000),
        }
    }

    /// The root as DER, for a trust store.
    pub fn root_der(&self) -> CertificateDer<'static> {
        use rustls_pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(self.root_pem.as_bytes())
            .unwrap_or_else(|e| panic!("root PEM: {e}"))
    }

    /// A leaf for `name` with `key`, signed by the intermediate with `digest` (`sha256`,
    /// `sha1`, `md5`); the intermediate is sent with it.
    pub fn issue(&self, name: &str, key: Key<'_>, digest: &str) -> LegacyIdentity {
        let serial = self.serial.get() + 1;
        self.serial.set(serial);
        let tag = format!("leaf{serial}");
        new_key(&self.dir, &tag, key);
        write(
            self.dir.join(format!("{tag}.ext")),
            &format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:{name}\nauthorityKeyIdentifier=keyid\n"
            ),
        );
        openssl(
            &self.dir,
            &[
                "req",
                "-new",
                "-key",
                &format!("{tag}.key"),
                "-subj",
                &format!("/CN={name}"),
                "-out",
                &format!("{tag}.csr"),
            ],
        );
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{tag}.csr"),
                "-CA",
                "intermediate.pem",
                "-CAkey",
                "intermediate.key",
                "-set_serial",
                &serial.to_string(),
                "-days",
                "60",
                &format!("-{digest}"),
                "-extfile",
                &format!("{tag}.ext"),
                "-out",
                &format!("{tag}.pem"),
            ],
        );
        LegacyIdentity {
            chain_pem: read(self.dir.join(format!("{tag}.pem"))) + &self.intermediate_pem,
            key_pem: read(self.dir.join(format!("{tag}.key"))),
        }
    }

    /// A certificate made the usual way, `openssl req -x509 -newkey rsa:2048 …`: self-signed,
    /// and marked CA:TRUE by OpenSSL 3's default extensions.
    pub fn self_signed_the_usual_way(&self, name: &str) -> LegacyIdentity {
        let tag = format!("self-{name}");
        openssl(
            &self.dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{tag}.key"),
                "-out",
                &format!("{tag}.pem"),
                "-days",
                "30",
                "-subj",
                &format!("/CN={name}"),
                "-addext",
                &format!("subjectAltName=DNS:{name}"),
            ],
        );
        LegacyIdentity {
            chain_pem: read(self.dir.join(format!("{tag}.pem"))),
            key_pem: read(self.dir.join(format!("{tag}.key"))),
        }
    }
}

impl Drop for LegacyCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
