//! A real NATS broker for tests: Debian's `nats-server` on a free loopback port (`-p -1`, the
//! port read back from the file `--ports_file_dir` makes). Stopped when dropped; `restart`
//! brings it back on the same port, as a broker restart does.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's broker (the `nats-server` package).
pub const BIN: &str = "/usr/sbin/nats-server";

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

/// Whether a test may use the broker: true when it is installed; false, said as skipped, when
/// not; a panic when NETCHECK_REQUIRE_NATS=1 (CI) asks for it.
pub fn usable() -> bool {
    match available() {
        Ok(()) => true,
        Err(why) if std::env::var("NETCHECK_REQUIRE_NATS").is_ok_and(|v| v == "1") => {
            panic!("NETCHECK_REQUIRE_NATS=1 but {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            false
        }
    }
}

/// A broker for a test, when [`usable`].
pub fn for_test() -> Option<NatsServer> {
    usable().then(NatsServer::start)
}

pub struct NatsServer {
    pub url: String,
    pub port: u16,
    child: Child,
    dir: PathBuf,
    config: Option<PathBuf>,
}

impl NatsServer {
    pub fn start() -> NatsServer {
        Self::start_with(None)
    }

    /// The broker with `config` (nats-server's configuration language: users, permissions);
    /// the address and port still come from the command line.
    pub fn with_config(config: &str) -> NatsServer {
        Self::start_with(Some(config))
    }

    fn start_with(config: Option<&str>) -> NatsServer {
        let dir = std::env::temp_dir().join(format!(
            "netcheck-nats-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let config = config.map(|text| {
            let path = dir.join("nats.conf");
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            path
        });
        let child = spawn(&dir, None, config.as_deref());
        let port = read_port(&dir, child.id());
        NatsServer {
            url: format!("nats://127.0.0.1:{port}"),
            port,
            child,
            dir,
            config,
        }
    }

    /// Kills the broker and starts it again on the same port.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&self.dir, Some(self.port), self.config.as_deref());
        let _ = read_port(&self.dir, self.child.id());
    }
}

fn spawn(dir: &std::path::Path, port: Option<u16>, config: Option<&std::path::Path>) -> Child {
    let port = port.map_or("-1".to_owned(), |p| p.to_string());
    let mut command = Command::new(BIN);
    if let Some(config) = config {
        command.arg("-c").arg(config);
    }
    command
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
