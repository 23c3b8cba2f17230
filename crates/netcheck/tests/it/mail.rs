//! Mailing the report to a real SMTP server: aiosmtpd (Debian's python3-aiosmtpd) storing what
//! it receives in a maildir, read back with Python's own e-mail parser. Skips when aiosmtpd is
//! missing unless NETCHECK_REQUIRE_SMTP=1 (set in .ci/run).

use std::path::PathBuf;
use std::time::Duration;

use crate::{netcheck, peers};

const PYTHON: &str = "/usr/bin/python3";

fn aiosmtpd_missing() -> Option<String> {
    let ok = std::process::Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    (!ok).then(|| "Debian's python3-aiosmtpd is not installed (scripts/setup)".to_owned())
}

/// An SMTP server on a free loopback port, delivering into a fresh maildir; killed when dropped.
struct Smtp {
    port: u16,
    maildir: PathBuf,
    _child: tokio::process::Child,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

async fn smtp() -> Smtp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = std::env::temp_dir().join(format!("netcheck-maildir-{}", std::process::id()));
    let child = tokio::process::Command::new(PYTHON)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..200 {
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

/// The mails in the maildir, as Python's e-mail parser reads them.
fn received(maildir: &std::path::Path) -> serde_json::Value {
    let script = r#"
import email, json, mailbox, sys
from email import policy
out = []
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
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn the_report_is_mailed_with_the_diagnosis_as_subject_and_the_json_attached() {
    if let Some(why) = aiosmtpd_missing() {
        assert!(
            std::env::var("NETCHECK_REQUIRE_SMTP").as_deref() != Ok("1"),
            "NETCHECK_REQUIRE_SMTP=1 but {why}"
        );
        eprintln!("SKIPPED the_report_is_mailed…: {why}");
        return;
    }
    let p = peers("mail").await;
    let server = smtp().await;
    let smtp_server = format!("127.0.0.1:{}", server.port);
    let out = netcheck(&p.check_args(&[
        "--only",
        "dns,site,tls",
        "--mail-to",
        "Ops <ops@example.test>",
        "--mail-to",
        "dev@example.test",
        "--mail-from",
        "netcheck@example.test",
        "--smtp-server",
        &smtp_server,
        "--smtp-security",
        "none",
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("the report was mailed to Ops <ops@example.test>, dev@example.test"),
        "{stderr}"
    );
    let mails = received(&server.maildir);
    let [mail] = mails.as_array().unwrap().as_slice() else {
        panic!("one mail expected: {mails:#}");
    };
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("netcheck: www.netcheck.test is reachable: HTTP 200 from 127.0.0.1:"),
        "{mail:#}"
    );
    assert_eq!(mail["to"], "Ops <ops@example.test>, dev@example.test");
    assert_eq!(mail["from"], "netcheck@example.test");
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("verdict: valid") && text.contains("✓ www.netcheck.test is reachable"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no terminal colours in a mail");
    let attachment = &mail["attachments"][0];
    assert_eq!(attachment["name"], "netcheck-report.json");
    assert_eq!(attachment["type"], "application/json");
    let report: serde_json::Value =
        serde_json::from_str(attachment["content"].as_str().unwrap()).unwrap();
    assert_eq!(report["diagnosis"]["reachability"], "reachable");
    assert_eq!(report["checks"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bad_addresses_stop_before_anything_runs_and_a_refusing_server_fails_the_run() {
    let out = netcheck(&["check", "a.test", "--mail-to", "not an address"]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--mail-to 'not an address' is not an e-mail address"),
        "{stderr}"
    );

    // A password is never sent in clear.
    let out = tokio::process::Command::new(crate::BIN)
        .args([
            "check",
            "a.test",
            "--mail-to",
            "ops@example.test",
            "--smtp-user",
            "ops",
        ])
        .args(["--smtp-security", "none"])
        .env("NETCHECK_SMTP_PASSWORD", "secret")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("would send a password in clear") && !stderr.contains("secret"),
        "{stderr}"
    );

    let p = peers("nomail").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let closed = closed.to_string();
    let out = netcheck(&p.check_args(&[
        "--only",
        "dns",
        "--mail-to",
        "ops@example.test",
        "--smtp-server",
        &closed,
        "--smtp-security",
        "none",
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the report could not be mailed") && stderr.contains(&closed),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).is_empty(),
        "the report is still printed"
    );
}
