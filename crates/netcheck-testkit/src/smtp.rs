//! A real SMTP server for tests: aiosmtpd (Debian's python3-aiosmtpd) on a free loopback port,
//! storing what it receives in a fresh maildir, read back with Python's own e-mail parser. The
//! server is killed and the maildir removed when dropped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const PYTHON: &str = "/usr/bin/python3";

/// Why the server cannot be started here, if it cannot.
pub fn available() -> Result<(), String> {
    let ok = std::process::Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(())
    } else {
        Err("Debian's python3-aiosmtpd is not installed (scripts/setup)".to_owned())
    }
}

/// Whether a test that needs the server skips (returns true) or must fail because
/// NETCHECK_REQUIRE_SMTP=1 says the server must be there.
pub fn skip(test: &str) -> bool {
    let Err(why) = available() else {
        return false;
    };
    assert!(
        std::env::var("NETCHECK_REQUIRE_SMTP").as_deref() != Ok("1"),
        "NETCHECK_REQUIRE_SMTP=1 but {why}"
    );
    eprintln!("SKIPPED {test}: {why}");
    true
}

pub struct Smtp {
    pub port: u16,
    pub maildir: PathBuf,
    _child: tokio::process::Child,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

impl Smtp {
    /// The server, once it accepts connections.
    pub async fn start() -> Smtp {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let maildir =
            std::env::temp_dir().join(format!("netcheck-maildir-{}-{n}", std::process::id()));
        let child = tokio::process::Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd: {e}"));
        for _ in 0..400 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Smtp {
            port,
            maildir,
            _child: child,
        }
    }

    /// `127.0.0.1:PORT`, for `--smtp-server`.
    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The mails received so far, as Python's e-mail parser reads them: each with its
    /// `subject`, `to`, `from`, plain `text` and `attachments` (`name`, `type`, `content`).
    pub fn received(&self) -> serde_json::Value {
        received(&self.maildir)
    }
}

fn received(maildir: &Path) -> serde_json::Value {
    let script = r#"
import email, json, mailbox, os, sys
from email import policy
out = []
if os.path.isdir(sys.argv[1]):
    for m in mailbox.Maildir(sys.argv[1], factory=None):
        m = email.message_from_bytes(m.as_bytes(), policy=policy.default)
        text = m.get_body(preferencelist=("plain",)).get_content()
        parts = [p for p in m.iter_attachments()]
        out.append({"subject": str(m["subject"]), "to": str(m["to"]), "from": str(m["from"]),
                    "text": text,
                    "attachments": [{"name": p.get_filename(), "type": p.get_content_type(),
                                     "content": p.get_content().decode() if isinstance(p.get_content(), bytes) else p.get_content()} for p in parts]})
print(json.dumps(out))
"#;
    let out = std::process::Command::new(PYTHON)
        .args(["-c", script])
        .arg(maildir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {PYTHON}: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"))
}
