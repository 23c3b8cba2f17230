//! A real NATS broker for tests: Debian's `nats-server` on a free loopback port (`-p -1`, the
//! port read back from the file `--ports_file_dir` makes). Stopped when dropped; `restart`
//! brings it back on the same port, as a broker restart does.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = "/usr/sbin/nats-server";

/// Whether the broker is installed; why not when it is not.
pub fn available() -> Result<(), String> {
    if std::path::Path::new(BIN).is_file() {
        Ok(())
    } else {
        Err(format!(
            "{BIN} is not installed (scripts/setup installs nats-server)"
        ))
    }
}

pub struct NatsServer {
    pub url: String,
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl NatsServer {
    pub fn start() -> NatsServer {
        let dir = std::env::temp_dir().join(format!(
            "netcheck-nats-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let child = spawn(&dir, None);
        let port = read_port(&dir, child.id());
        NatsServer {
            url: format!("nats://127.0.0.1:{port}"),
            port,
            child,
            dir,
        }
    }

    /// Kills the broker and starts it again on the same port.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&self.dir, Some(self.port));
        let _ = read_port(&self.dir, self.child.id());
    }
}

fn spawn(dir: &std::path::Path, port: Option<u16>) -> Child {
    let port = port.map_or("-1".to_owned(), |p| p.to_string());
    Command::new(BIN)
        .args(["-a", "127.0.0.1", "-p", &port, "--ports_file_dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"))
}

/// The client port from `nats-server_<pid>.ports` ({"nats": ["nats://127.0.0.1:PORT"], …}).
fn read_port(dir: &std::path::Path, pid: u32) -> u16 {
    let file = dir.join(format!("nats-server_{pid}.ports"));
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(text) = std::fs::read_to_string(&file)
            && let Some(port) = text
                .split("\"nats://")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .and_then(|u| u.rsplit(':').next())
                .and_then(|p| p.parse().ok())
        {
            return port;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nats-server wrote no ports file in {}", dir.display())
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
