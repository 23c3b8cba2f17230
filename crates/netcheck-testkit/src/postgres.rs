//! A real PostgreSQL server for tests: a fresh cluster (initdb) in a temporary directory, run as
//! the `postgres` system user (the server refuses root) on a free loopback port, trust
//! authentication, one database. Stopped and removed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Postgres {
    /// `postgres://postgres@127.0.0.1:PORT/netcheck`
    pub url: String,
    pub port: u16,
    dir: PathBuf,
    server: Child,
}

/// The directory of Debian's PostgreSQL server binaries (the newest version installed).
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").is_file() && b.join("postgres").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

/// Why a server cannot be started here, if it cannot: the binaries, root (to become the
/// `postgres` user) and that user are needed.
pub fn available() -> Result<(), String> {
    bin_dir().ok_or("PostgreSQL's server is not installed (scripts/setup installs postgresql)")?;
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        return Err(
            "starting a PostgreSQL server for tests needs root (to run it as postgres)".into(),
        );
    }
    let user = Command::new("id")
        .arg("postgres")
        .output()
        .map_err(|e| e.to_string())?;
    if !user.status.success() {
        return Err("there is no postgres system user".into());
    }
    Ok(())
}

/// `program` run as the postgres user; setpriv execs it, so the child is the server itself.
fn as_postgres(program: &Path) -> Command {
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=postgres",
        "--regid=postgres",
        "--init-groups",
        "--",
    ])
    .arg(program);
    c
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = bin_dir().unwrap_or_else(|| panic!("PostgreSQL is not installed"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let dir = std::env::temp_dir().join(format!("netcheck-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let chown = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status();
        assert!(
            chown.is_ok_and(|s| s.success()),
            "cannot give {} to postgres",
            dir.display()
        );
        let data = dir.join("data");
        let init = as_postgres(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .stdout(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("initdb: {e}"));
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let server = as_postgres(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ])
            .arg("-k")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("postgres: {e}"));
        let mut pg = Postgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/netcheck"),
            port,
            dir,
            server,
        };
        let started = Instant::now();
        loop {
            // Asked on our own socket directory, so another server on the port cannot answer.
            let ready = Command::new(bin.join("pg_isready"))
                .arg("-h")
                .arg(&pg.dir)
                .args(["-p", &port.to_string()])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "postgres did not start"
            );
            if let Ok(Some(status)) = pg.server.try_wait() {
                panic!("postgres exited: {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let created = Command::new(bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "netcheck",
            ])
            .output()
            .unwrap_or_else(|e| panic!("createdb: {e}"));
        assert!(
            created.status.success(),
            "createdb: {}",
            String::from_utf8_lossy(&created.stderr)
        );
        pg
    }

    /// Stops the server now (to test what happens when the database goes away).
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.server.try_wait() {
            return;
        }
        // SIGINT: PostgreSQL's fast shutdown (clients cut, shared memory released).
        let _ = Command::new("kill")
            .args(["-INT", &self.server.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.server.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
