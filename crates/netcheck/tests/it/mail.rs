//! Mailing the report to a real SMTP server: aiosmtpd (netcheck-testkit's `smtp`) storing what
//! it receives in a maildir. Skips when aiosmtpd is missing unless NETCHECK_REQUIRE_SMTP=1 (set
//! in .ci/run).

use netcheck_testkit::smtp::{self, Smtp};

use crate::{netcheck, peers};

#[tokio::test]
async fn the_report_is_mailed_with_the_diagnosis_as_subject_and_the_json_attached() {
    if smtp::skip("the_report_is_mailed_with_the_diagnosis_as_subject_and_the_json_attached") {
        return;
    }
    let p = peers("mail").await;
    let server = Smtp::start().await;
    let smtp_server = server.server();
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
    let mails = server.received();
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
