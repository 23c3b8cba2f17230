//! A real nginx on loopback for tests: one HTTPS site per port, each with the chain, key,
//! protocols and ciphers given. OpenSSL runs at security level 0 (through its own config
//! file, so that nginx loads 512-bit keys and MD5 signatures at all: it reads certificates
//! before `ssl_ciphers` applies). Stopped and its directory removed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTPS site.
#[derive(Debug, Clone)]
pub struct Site {
    /// PEM, end entity first.
    pub chain_pem: String,
    pub key_pem: String,
    /// nginx's `ssl_protocols`, e.g. `TLSv1.2 TLSv1.3`.
    pub protocols: String,
    /// nginx's `ssl_ciphers` (TLS 1.2 and below).
    pub ciphers: String,
}

impl Site {
    pub fn new(chain_pem: String, key_pem: String) -> Site {
        Site {
            chain_pem,
            key_pem,
            protocols: "TLSv1.2 TLSv1.3".into(),
            ciphers: "ALL:@SECLEVEL=0".into(),
        }
    }
}

pub struct Nginx {
    /// Each site's port, in the order given.
    pub ports: Vec<u16>,
    dir: PathBuf,
    child: Child,
}

/// Why nginx cannot run here, if it cannot. With NETCHECK_REQUIRE_NGINX=1 a missing nginx is
/// a failure, not a reason to skip.
pub fn available() -> Result<(), String> {
    let found = Command::new("nginx")
        .arg("-v")
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if found {
        return Ok(());
    }
    assert!(
        std::env::var("NETCHECK_REQUIRE_NGINX").as_deref() != Ok("1"),
        "NETCHECK_REQUIRE_NGINX=1 but nginx is not installed (scripts/setup installs nginx-light)"
    );
    Err("nginx is not installed (scripts/setup installs nginx-light)".into())
}

/// A port free now, held by the listener returned until nginx is about to bind it: the
/// listeners are kept open while the other sites' ports are chosen, or the kernel could hand
/// the same port out twice (two sites on one port share it, the first one's certificate wins).
fn free_port() -> (u16, std::net::TcpListener) {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("no free port: {e}"));
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"));
    (port, listener)
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

impl Nginx {
    /// Starts nginx with `sites`; panics (with nginx's log) if it does not come up in 10 s.
    pub fn start(sites: &[Site]) -> Nginx {
        let tag = format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let dir = std::env::temp_dir().join(format!("netcheck-nginx-{tag}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let d = dir.display();
        let mut servers = String::new();
        let mut ports = Vec::new();
        let mut held = Vec::new();
        for (i, site) in sites.iter().enumerate() {
            // A free port as the kernel sees it now; nginx binds it a moment later.
            let (port, listener) = free_port();
            ports.push(port);
            held.push(listener);
            write(&dir.join(format!("site{i}.pem")), &site.chain_pem);
            write(&dir.join(format!("site{i}.key")), &site.key_pem);
            servers.push_str(&format!(
                "server {{ listen 127.0.0.1:{port} ssl; server_name _;\n\
                 ssl_certificate {d}/site{i}.pem; ssl_certificate_key {d}/site{i}.key;\n\
                 ssl_protocols {}; ssl_ciphers {};\n\
                 location / {{ return 200 \"site {i}\\n\"; }} }}\n",
                site.protocols, site.ciphers
            ));
        }
        let conf = format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
             events {{ worker_connections 64; }}\n\
             http {{ access_log off; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
             {servers} }}\n"
        );
        write(&dir.join("nginx.conf"), &conf);
        write(
            &dir.join("openssl.cnf"),
            "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = legacy\n\
             [legacy]\nCipherString = ALL:@SECLEVEL=0\nMinProtocol = SSLv3\n",
        );
        drop(held);
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .env("OPENSSL_CONF", dir.join("openssl.cnf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("nginx: {e}"));
        let mut nginx = Nginx { ports, dir, child };
        nginx.wait_until_up();
        nginx
    }

    fn wait_until_up(&mut self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nginx exited ({status}): {}", self.log());
            }
            let up = self.ports.iter().all(|p| {
                std::net::TcpStream::connect_timeout(
                    &std::net::SocketAddr::from(([127, 0, 0, 1], *p)),
                    Duration::from_millis(200),
                )
                .is_ok()
            });
            if up {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nginx did not come up in 10 s: {}", self.log());
    }

    /// nginx's error log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
