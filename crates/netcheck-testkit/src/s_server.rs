//! OpenSSL's `s_server` on loopback, configured with its own flags (`-tls1_2`, `-no_tls1_3`,
//! `-cipher`, `-ciphersuites`, `-serverpref`, `-dhparam`…): a TLS peer whose versions, suites
//! and order a test chooses exactly, as a TLS scanner meets them. It runs with an OpenSSL
//! configuration of its own at security level 0 (as `nginx.rs` does), so that TLS 1.0 and
//! weak suites are really offered when asked for. The port is the kernel's; the process is
//! killed and its directory removed when dropped. `s_server` serves one connection at a time,
//! the others wait in the listen queue.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::legacy_pki::LegacyIdentity;

pub struct SServer {
    pub addr: SocketAddr,
    child: Child,
    dir: PathBuf,
}

impl SServer {
    /// `s_server` with `identity`'s chain and key and `args`; panics with its stderr when it
    /// does not listen within ten seconds.
    pub fn start(identity: &LegacyIdentity, args: &[&str]) -> SServer {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("netcheck-s-server-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        // The leaf is the first certificate of the chain; the others go to -cert_chain.
        let split = identity.chain_pem[1..]
            .find("-----BEGIN CERTIFICATE-----")
            .map_or(identity.chain_pem.len(), |i| i + 1);
        let (leaf, rest) = identity.chain_pem.split_at(split);
        write(&dir, "leaf.pem", leaf);
        write(&dir, "chain.pem", rest);
        write(&dir, "key.pem", &identity.key_pem);
        write(
            &dir,
            "openssl.cnf",
            "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = legacy\n\
             [legacy]\nCipherString = ALL:@SECLEVEL=0\nMinProtocol = SSLv3\n",
        );
        let stderr = std::fs::File::create(dir.join("stderr"))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut command = Command::new("openssl");
        command
            .args(["s_server", "-accept", "127.0.0.1:0", "-cert", "leaf.pem"])
            .args(["-key", "key.pem"]);
        if !rest.is_empty() {
            command.args(["-cert_chain", "chain.pem"]);
        }
        let mut child = command
            .args(args)
            .current_dir(&dir)
            .env("OPENSSL_CONF", dir.join("openssl.cnf"))
            // Kept open and never written: s_server ends a connection when its stdin ends.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("openssl s_server: {e}"));
        let Some(stdout) = child.stdout.take() else {
            panic!("s_server's stdout");
        };
        let (tx, rx) = std::sync::mpsc::channel();
        // "ACCEPT 127.0.0.1:PORT" once it listens; then stdout is drained until the end so
        // that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("ACCEPT ") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let listening = rx.recv_timeout(Duration::from_secs(10));
        let mut server = SServer {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            child,
            dir,
        };
        match listening.ok().and_then(|a| a.parse().ok()) {
            Some(addr) => server.addr = addr,
            None => panic!(
                "s_server {args:?} did not listen within 10 s: {}",
                std::fs::read_to_string(server.dir.join("stderr")).unwrap_or_default()
            ),
        }
        server
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

fn write(dir: &std::path::Path, name: &str, contents: &str) {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
