//! A real NATS broker for tests: Debian's `nats-server` on a free loopback port (`-p -1`, the
//! port read back from the file `--ports_file_dir` makes). Stopped when dropped; `restart`
//! brings it back on the same port, as a broker restart does. [`cluster`] starts several, each
//! routed to the first (`cluster { routes [...] }`, the others found by gossip), and returns
//! once every node has a route to every other.

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
    /// The port other nodes route to, when its configuration has a `cluster` block.
    pub cluster_port: Option<u16>,
    /// The HTTP monitoring port, when its configuration asks for one (`http`).
    pub monitoring_port: Option<u16>,
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
        let ports = read_ports(&dir, child.id());
        NatsServer {
            url: format!("nats://127.0.0.1:{}", ports.client),
            port: ports.client,
            cluster_port: ports.cluster,
            monitoring_port: ports.monitoring,
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
        let ports = read_ports(&self.dir, self.child.id());
        (self.cluster_port, self.monitoring_port) = (ports.cluster, ports.monitoring);
    }

    /// How many routes to other nodes it has now (its monitoring's `/routez`).
    fn routes(&self) -> Option<u64> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.monitoring_port?)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        stream.write_all(b"GET /routez HTTP/1.0\r\n\r\n").ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        let body = answer.split_once("\r\n\r\n")?.1;
        serde_json::from_str::<serde_json::Value>(body).ok()?["num_routes"].as_u64()
    }
}

/// `size` brokers in one cluster named `netcheck`, on loopback: the first a seed, the others
/// routed to it; returned once every node has a route to every other.
pub fn cluster(size: usize) -> Vec<NatsServer> {
    let node = |routes: &str| {
        NatsServer::with_config(&format!(
            "http: \"127.0.0.1:-1\"\ncluster {{\n  name: netcheck\n  listen: \"127.0.0.1:-1\"\n  routes: [{routes}]\n}}\n"
        ))
    };
    let seed = node("");
    let route = format!(
        "\"nats-route://127.0.0.1:{}\"",
        seed.cluster_port
            .unwrap_or_else(|| panic!("the seed node wrote no cluster port"))
    );
    let mut nodes = vec![seed];
    nodes.extend((1..size).map(|_| node(&route)));
    let others = (size - 1) as u64;
    let started = Instant::now();
    while !nodes.iter().all(|n| n.routes() == Some(others)) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the cluster's routes did not form: {:?}",
            nodes.iter().map(NatsServer::routes).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    nodes
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

/// The ports a running broker listens on.
struct Ports {
    client: u16,
    cluster: Option<u16>,
    monitoring: Option<u16>,
}

/// The ports from `nats-server_<pid>.ports` ({"nats": ["nats://127.0.0.1:PORT"], "cluster":
/// […], "monitoring": […]}, the last two when configured).
fn read_ports(dir: &std::path::Path, pid: u32) -> Ports {
    let file = dir.join(format!("nats-server_{pid}.ports"));
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let listed = std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
        let port = |key: &str| {
            listed.as_ref()?[key][0]
                .as_str()?
                .rsplit(':')
                .next()?
                .parse()
                .ok()
        };
        if let Some(client) = port("nats") {
            return Ports {
                client,
                cluster: port("cluster"),
                monitoring: port("monitoring"),
            };
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
