//! The TLS-scan sites: HTTPS servers whose protocol versions, suites, order, DH parameters and
//! OCSP stapling are chosen, for the `tls_scan` check's agreement with sslscan and testssl.sh.
//! Each site has its own address on the server (198.18.4.6 and up, `2001:db8:4::6` and up) and
//! a name in `netcheck.test`; their certificates come from the testbed's CA (`services::pki`).
//!
//! They run in an nginx process of their own, with an OpenSSL configuration of its own at
//! security level 0 (Debian's OpenSSL 3 refuses TLS 1.0 and 1.1 and 1024-bit DH otherwise),
//! so that the certificate sites of `services::nginx` keep Debian's defaults. What is made at
//! start: an RSA 2048 key for the sites whose suites need one (`openssl genpkey`), 1024-bit DH
//! parameters (`openssl dhparam -dsaparam`) and a DER OCSP response for the stapled leaf,
//! signed by the issuing intermediate (`openssl ocsp` with an index file, RFC 6960 §4.2.2.2).

use std::path::Path;
use std::process::Command;

use netcheck_testkit::pki::{Leaf, TestCa};
use serde::Serialize;

use crate::TestbedError;
use crate::services::{Service, io, run_nginx, write};

/// One TLS-scan site: where it listens and what its TLS is like.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ScanSite {
    /// The host label: the site is `LABEL.netcheck.test`.
    pub label: &'static str,
    pub v4: &'static str,
    pub v6: &'static str,
    /// An RSA 2048 key rather than the testbed's ECDSA P-256 (static RSA and DHE_RSA suites
    /// need one).
    #[serde(skip)]
    rsa: bool,
    /// The site's nginx TLS directives; `{dh}` and `{ocsp}` stand for the files made at start.
    #[serde(skip)]
    tls: &'static str,
}

impl ScanSite {
    pub fn host(&self) -> String {
        format!("{}.netcheck.test", self.label)
    }
}

/// The server-ordered site's TLS 1.2 suites, in its order (OpenSSL's name, IANA code point):
/// static RSA and CBC before ECDHE and AEAD, the reverse of OpenSSL's default sort, so that a
/// scanner that reports OpenSSL's order rather than the server's is caught.
pub const SERVER_ORDER: [(&str, &str); 5] = [
    ("AES128-SHA", "0x002F"),
    ("ECDHE-RSA-AES256-GCM-SHA384", "0xC030"),
    ("AES256-GCM-SHA384", "0x009D"),
    ("ECDHE-RSA-CHACHA20-POLY1305", "0xCCA8"),
    ("ECDHE-RSA-AES128-SHA", "0xC013"),
];

/// The `ssl_ciphers` of the server- and client-ordered sites.
const ORDERED_CIPHERS: &str = "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA";

pub const SCAN_SITES: [ScanSite; 6] = [
    ScanSite {
        label: "legacy",
        v4: "198.18.4.6",
        v6: "2001:db8:4::6",
        rsa: true,
        tls: "ssl_protocols TLSv1 TLSv1.1;\n    ssl_ciphers ALL:@SECLEVEL=0;",
    },
    ScanSite {
        label: "tls13",
        v4: "198.18.4.7",
        v6: "2001:db8:4::7",
        rsa: false,
        tls: "ssl_protocols TLSv1.3;",
    },
    ScanSite {
        label: "dhe",
        v4: "198.18.4.8",
        v6: "2001:db8:4::8",
        rsa: true,
        tls: "ssl_protocols TLSv1.2;\n    ssl_ciphers kDHE+aRSA:@SECLEVEL=0;\n    ssl_dhparam {dh};",
    },
    ScanSite {
        label: "serverorder",
        v4: "198.18.4.9",
        v6: "2001:db8:4::9",
        rsa: true,
        tls: "ssl_protocols TLSv1.2;\n    ssl_ciphers {ordered};\n    ssl_prefer_server_ciphers on;",
    },
    ScanSite {
        label: "clientorder",
        v4: "198.18.4.10",
        v6: "2001:db8:4::a",
        rsa: true,
        tls: "ssl_protocols TLSv1.2;\n    ssl_ciphers {ordered};\n    ssl_prefer_server_ciphers off;",
    },
    ScanSite {
        label: "stapled",
        v4: "198.18.4.11",
        v6: "2001:db8:4::b",
        rsa: false,
        tls: "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_stapling on;\n    ssl_stapling_file {ocsp};",
    },
];

/// Runs a tool to completion in the host's namespace (no packets: key and file making only).
fn openssl(args: &[&str]) -> Result<(), TestbedError> {
    crate::topology::run("openssl", args)
}

/// Issues each scan site's identity from `ca` into `pki`, and the OCSP response of the
/// stapled site's leaf; `dir` is the run directory (the intermediate's key goes under
/// `dir/ocsp`, not under `pki`, which port 80 serves).
pub fn identities(dir: &Path, pki: &Path, ca: &TestCa) -> Result<(), TestbedError> {
    let keys = dir.join("ocsp");
    std::fs::create_dir_all(&keys).map_err(io("ocsp dir"))?;
    for site in SCAN_SITES {
        let leaf = Leaf::for_names(&[&site.host()]);
        let identity = if site.rsa {
            let key_file = keys.join(format!("{}-rsa.key", site.label));
            let key_path = key_file.to_string_lossy();
            openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &key_path,
            ])?;
            let pem = std::fs::read_to_string(&key_file).map_err(io("RSA key"))?;
            let key = rcgen::KeyPair::from_pem(&pem)
                .map_err(|e| TestbedError::Command(format!("RSA key of {}: {e}", site.label)))?;
            ca.issue_for_key(&leaf, key)
        } else {
            ca.issue(&leaf)
        };
        write(
            &pki.join(format!("{}.pem", site.label)),
            &identity.chain_pem(),
        )?;
        write(
            &pki.join(format!("{}.key", site.label)),
            &identity.key_pem(),
        )?;
    }
    write(&keys.join("intermediate.pem"), &ca.intermediate_pem())?;
    write(&keys.join("intermediate.key"), &ca.intermediate_key_pem())?;
    ocsp_response(&keys, &pki.join("stapled.pem"))
}

/// A `good` OCSP response for the first certificate of `chain`, signed by the intermediate,
/// valid a week: `dir/stapled.der`.
fn ocsp_response(dir: &Path, chain: &Path) -> Result<(), TestbedError> {
    let text = std::fs::read_to_string(chain).map_err(io("stapled chain"))?;
    let leaf_end = text
        .find("-----END CERTIFICATE-----")
        .map(|i| i + "-----END CERTIFICATE-----\n".len())
        .ok_or_else(|| TestbedError::Command("the stapled chain has no certificate".into()))?;
    let leaf = dir.join("stapled-leaf.pem");
    write(&leaf, &text[..leaf_end.min(text.len())])?;
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(&leaf)
        .output()
        .map_err(io("openssl x509"))?;
    let serial = String::from_utf8_lossy(&out.stdout)
        .trim()
        .strip_prefix("serial=")
        .map(str::to_owned)
        .ok_or_else(|| TestbedError::Command("no serial in the stapled leaf".into()))?;
    // openssl ca's database: status, expiry (YYMMDDHHMMSSZ), revocation, serial, file, subject.
    write(
        &dir.join("index.txt"),
        &format!("V\t491231235959Z\t\t{serial}\tunknown\t/CN=stapled.netcheck.test\n"),
    )?;
    let (d, l) = (dir.display().to_string(), leaf.display().to_string());
    let issuer = format!("{d}/intermediate.pem");
    openssl(&[
        "ocsp",
        "-index",
        &format!("{d}/index.txt"),
        "-rsigner",
        &issuer,
        "-rkey",
        &format!("{d}/intermediate.key"),
        "-CA",
        &issuer,
        "-issuer",
        &issuer,
        "-cert",
        &l,
        "-no_nonce",
        "-ndays",
        "7",
        "-respout",
        &format!("{d}/stapled.der"),
    ])
}

/// The nginx of the scan sites, with its own OpenSSL configuration; waits until the first
/// site listens.
pub fn nginx(ns: &str, dir: &Path, pki: &Path) -> Result<Service, TestbedError> {
    let nd = dir.join("nginx-scan");
    std::fs::create_dir_all(&nd).map_err(io("nginx-scan dir"))?;
    let dh = nd.join("dh1024.pem");
    openssl(&[
        "dhparam",
        "-dsaparam",
        "-out",
        &dh.to_string_lossy(),
        "1024",
    ])?;
    let ocsp = dir.join("ocsp/stapled.der");
    let p = pki.display();
    let mut sites = String::new();
    for site in SCAN_SITES {
        let tls = site
            .tls
            .replace("{dh}", &dh.to_string_lossy())
            .replace("{ocsp}", &ocsp.to_string_lossy())
            .replace("{ordered}", ORDERED_CIPHERS);
        let (label, v4, v6) = (site.label, site.v4, site.v6);
        sites.push_str(&format!(
            "  server {{\n    listen {v4}:443 ssl;\n    listen [{v6}]:443 ssl;\n    server_name {label}.netcheck.test;\n    \
             ssl_certificate {p}/{label}.pem;\n    ssl_certificate_key {p}/{label}.key;\n    {tls}\n    \
             location / {{ return 200 \"{label}\\n\"; }}\n  }}\n"
        ));
    }
    // Security level 0 and no floor on the version: each site's directives say what it offers.
    let openssl_conf = nd.join("openssl.cnf");
    write(
        &openssl_conf,
        "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = legacy\n\
         [legacy]\nCipherString = ALL:@SECLEVEL=0\nMinProtocol = TLSv1\n",
    )?;
    let http = format!("  default_type text/plain;\n{sites}");
    run_nginx(
        "nginx-scan",
        ns,
        &nd,
        &http,
        &[("OPENSSL_CONF", &openssl_conf)],
        SCAN_SITES[0].v4,
    )
}
