//! OpenSSL's `s_server` on loopback, configured the ways rustls refuses (a static-RSA CBC suite,
//! a 1024-bit key with an MD5-signed certificate) and the ways a scanner meets (TLS 1.3, TLS
//! 1.0, no shared suite). Certificates are made in the test with the openssl CLI; each test
//! skips, saying so, only when openssl is not installed.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use netcheck_probe::tls::{
    ClientHello, FlightEnd, HelloError, KeyExchange, ProtocolVersion, ServerFlight, Until, exchange,
};
use tokio::net::TcpStream;
use tokio::time::Instant;

fn have_openssl() -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "skipped: the openssl command is not installed (Debian: apt-get install openssl)"
        );
    }
    found
}

/// A directory of its own for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("netcheck-tls-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Runs `openssl args...` in the directory; panics with its stderr when it fails.
    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&self.0)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// A certificate's DER, as the server will send it.
    fn der(&self, pem: &str) -> Vec<u8> {
        let der = format!("{pem}.der");
        self.openssl(&["x509", "-in", pem, "-outform", "DER", "-out", &der]);
        self.read(&der)
    }

    /// A self-signed certificate and its key, `cert.pem` and `key.pem`: `key` is `rsa:BITS`
    /// or `P-256`, `digest` the signature's hash (`-md5`, `-sha256`).
    fn self_signed(&self, key: &str, digest: &str, cn: &str) {
        let key_args: &[&str] = match key {
            "P-256" => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            rsa => &["-newkey", rsa],
        };
        let subject = format!("/CN={cn}");
        let san = format!("subjectAltName=DNS:{cn}");
        let mut args = vec!["req", "-x509"];
        args.extend(key_args);
        args.extend([
            digest, "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2",
        ]);
        // A server certificate, not the CA certificate `req -x509` makes by default.
        args.extend(["-subj", &subject, "-addext", &san]);
        args.extend(["-addext", "basicConstraints=critical,CA:FALSE"]);
        self.openssl(&args);
    }

    /// A CA (`ca.pem`) and a leaf it signed (`leaf.pem`, `leaf.key`), RSA 2048.
    fn ca_and_leaf(&self, name: &str) {
        self.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-sha256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=netcheck test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ]);
        self.openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            &format!("/CN={name}"),
        ]);
        std::fs::write(
            self.path("leaf.ext"),
            format!("subjectAltName=DNS:{name}\n"),
        )
        .unwrap();
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "2",
            "-sha256",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.pem",
        ]);
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `openssl s_server` on 127.0.0.1, port chosen by the kernel; killed when dropped.
struct SServer {
    child: Child,
    addr: SocketAddr,
}

impl SServer {
    fn start(dir: &Scratch, args: &[&str]) -> SServer {
        let stderr = std::fs::File::create(dir.path("s_server.stderr")).unwrap();
        let mut child = Command::new("openssl")
            .args(["s_server", "-accept", "127.0.0.1:0"])
            .args(args)
            .current_dir(&dir.0)
            // Kept open and never written: s_server ends a connection when its stdin ends.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // s_server prints "ACCEPT 127.0.0.1:PORT" once it listens; the thread then drains
        // stdout until the process ends so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("ACCEPT ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let mut server = SServer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(addr) => server.addr = addr.parse().unwrap(),
            Err(_) => {
                let _ = server.child.kill();
                let _ = server.child.wait();
                panic!(
                    "s_server {args:?} did not listen within 10 s: {}",
                    String::from_utf8_lossy(&dir.read("s_server.stderr"))
                );
            }
        }
        server
    }

    /// Connects, retrying for at most five seconds.
    async fn connect(&self) -> TcpStream {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            match TcpStream::connect(self.addr).await {
                Ok(tcp) => return tcp,
                Err(e) if Instant::now() > until => panic!("{}: {e}", self.addr),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    async fn hello(&self, hello: &ClientHello) -> Result<ServerFlight, HelloError> {
        let mut tcp = self.connect().await;
        let deadline = Instant::now() + Duration::from_secs(10);
        exchange(&mut tcp, hello, Until::ServerHelloDone, deadline).await
    }

    /// What rustls (the workspace's configuration: ring, TLS 1.2 and 1.3) makes of the server
    /// when it trusts `anchor`.
    async fn rustls_handshake(&self, anchor: Vec<u8>, name: &str) -> Result<(), String> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls_pki_types::CertificateDer::from(anchor))
            .map_err(|e| e.to_string())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = rustls_pki_types::ServerName::try_from(name.to_string()).unwrap();
        let tcp = self.connect().await;
        match tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".into()),
        }
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_static_rsa_cbc_server_that_rustls_cannot_reach_still_shows_its_chain() {
    if !have_openssl() {
        return;
    }
    let dir = Scratch::new();
    dir.ca_and_leaf("legacy.test");
    let (leaf, ca) = (dir.der("leaf.pem"), dir.der("ca.pem"));
    let server = SServer::start(
        &dir,
        &[
            "-cert",
            "leaf.pem",
            "-key",
            "leaf.key",
            "-cert_chain",
            "ca.pem",
            "-tls1_2",
            "-cipher",
            "AES128-SHA:@SECLEVEL=0",
            "-alpn",
            "http/1.1",
        ],
    );
    let refused = server.rustls_handshake(ca.clone(), "legacy.test").await;
    assert!(
        refused.unwrap_err().contains("HandshakeFailure"),
        "rustls should find no suite in common"
    );

    let mut hello = ClientHello::certificate_grab(Some("legacy.test"));
    hello.alpn = vec!["h2".into(), "http/1.1".into()];
    let f = server.hello(&hello).await.unwrap();
    assert_eq!(f.certificates, [leaf, ca], "end entity first, then the CA");
    assert_eq!(f.suite, 0x002f);
    assert_eq!(f.suite_name, Some("TLS_RSA_WITH_AES_128_CBC_SHA"));
    assert_eq!(f.version, ProtocolVersion::TLS_1_2);
    assert_eq!(
        f.key_exchange, None,
        "static RSA sends no ServerKeyExchange"
    );
    assert_eq!(f.extensions.alpn.as_deref(), Some("http/1.1"));
    assert!(f.extensions.renegotiation_info);
    assert!(f.extensions.extended_master_secret);
    assert_eq!(f.end, FlightEnd::ServerHelloDone);
}

#[tokio::test]
async fn a_1024_bit_md5_signed_certificate_is_read_back_with_its_dh_group_size() {
    if !have_openssl() {
        return;
    }
    let dir = Scratch::new();
    dir.self_signed("rsa:1024", "-md5", "md5.test");
    let cert = dir.der("cert.pem");
    let server = SServer::start(
        &dir,
        &[
            "-cert",
            "cert.pem",
            "-key",
            "key.pem",
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-SHA:@SECLEVEL=0",
        ],
    );
    // rustls and the server share ECDHE-RSA-AES128-GCM-SHA256: rustls fails on the MD5
    // signature of the certificate.
    let refused = server.rustls_handshake(cert.clone(), "md5.test").await;
    let refusal = refused.unwrap_err();
    assert!(
        refusal.contains("UnsupportedSignatureAlgorithm"),
        "{refusal}"
    );

    let f = server
        .hello(&ClientHello::certificate_grab(Some("md5.test")))
        .await
        .unwrap();
    assert_eq!(f.certificates, std::slice::from_ref(&cert));
    assert_eq!(f.suite_name, Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));

    let mut dhe = ClientHello::offering(ProtocolVersion::TLS_1_2, vec![0x0033]);
    dhe.server_name = Some("md5.test".into());
    let f = server.hello(&dhe).await.unwrap();
    assert_eq!(f.certificates, [cert]);
    assert_eq!(f.suite_name, Some("TLS_DHE_RSA_WITH_AES_128_CBC_SHA"));
    // OpenSSL sizes its automatic DH group by the key's strength: 1024 bits for RSA-1024.
    assert_eq!(f.key_exchange, Some(KeyExchange::Dh { prime_bits: 1024 }));
    assert_eq!(f.end, FlightEnd::ServerHelloDone);
}

#[tokio::test]
async fn a_tls13_answer_is_reported_encrypted_and_a_tls12_hello_still_gets_the_chain() {
    if !have_openssl() {
        return;
    }
    let dir = Scratch::new();
    dir.self_signed("P-256", "-sha256", "modern.test");
    let cert = dir.der("cert.pem");
    let server = SServer::start(&dir, &["-cert", "cert.pem", "-key", "key.pem"]);

    let f = server
        .hello(&ClientHello::tls13(Some("modern.test")))
        .await
        .unwrap();
    assert_eq!(f.version, ProtocolVersion::TLS_1_3);
    assert_eq!(f.end, FlightEnd::Encrypted);
    assert!(f.certificates.is_empty());
    assert!(
        f.suite_name.is_some_and(|n| n.starts_with("TLS_AES_")),
        "{:?}",
        f.suite_name
    );
    assert_eq!(f.extensions.key_share_group, Some(29));

    let f = server
        .hello(&ClientHello::certificate_grab(Some("modern.test")))
        .await
        .unwrap();
    assert_eq!(f.version, ProtocolVersion::TLS_1_2);
    assert_eq!(f.certificates, [cert]);
    assert!(matches!(
        f.key_exchange,
        Some(KeyExchange::Ecdh { group: 29, .. })
    ));
}

#[tokio::test]
async fn a_server_with_no_suite_in_common_refuses_with_handshake_failure() {
    if !have_openssl() {
        return;
    }
    let dir = Scratch::new();
    dir.self_signed("rsa:2048", "-sha256", "picky.test");
    let server = SServer::start(
        &dir,
        &[
            "-cert",
            "cert.pem",
            "-key",
            "key.pem",
            "-tls1_2",
            "-cipher",
            "AES128-SHA",
        ],
    );
    let only_ecdhe = ClientHello::offering(ProtocolVersion::TLS_1_2, vec![0xc02f]);
    let e = server.hello(&only_ecdhe).await.unwrap_err();
    let HelloError::Alert(alert) = e else {
        panic!("{e:?}")
    };
    assert_eq!(alert.description_name(), Some("handshake_failure"));
    assert_eq!(alert.level_name(), Some("fatal"));
}

#[tokio::test]
async fn a_tls10_only_server_answers_a_tls12_hello_with_tls10() {
    if !have_openssl() {
        return;
    }
    let dir = Scratch::new();
    dir.self_signed("rsa:2048", "-sha256", "old.test");
    let cert = dir.der("cert.pem");
    let server = SServer::start(
        &dir,
        &[
            "-cert",
            "cert.pem",
            "-key",
            "key.pem",
            "-tls1",
            "-cipher",
            "ALL:@SECLEVEL=0",
        ],
    );
    let f = server
        .hello(&ClientHello::certificate_grab(Some("old.test")))
        .await
        .unwrap();
    assert_eq!(f.version, ProtocolVersion::TLS_1_0);
    assert_eq!(f.certificates, [cert]);
    assert_eq!(f.end, FlightEnd::ServerHelloDone);
}
