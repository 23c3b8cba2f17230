//! The web UI end to end: `netcheck serve` with the built UI, real peers behind it, and headless
//! Chromium (through web/e2e/check.mjs) typing a target as a person would. Needs Chromium, Node.js
//! and a built UI (scripts/setup, scripts/web); skips without them unless
//! NETCHECK_REQUIRE_BROWSER=1 (set in .ci/run), which makes their absence fail.

use std::path::{Path, PathBuf};

use crate::{peers, serve};

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Why the test cannot run here, if it cannot.
fn missing() -> Option<String> {
    let web = web_dir();
    let chromium =
        std::env::var("NETCHECK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    [
        (web.join("dist/index.html"), "the built UI (scripts/web)"),
        (
            web.join("node_modules/playwright-core"),
            "web/node_modules (scripts/web)",
        ),
        (PathBuf::from(&chromium), "Chromium (scripts/setup)"),
    ]
    .into_iter()
    .find(|(path, _)| !path.exists())
    .map(|(path, what)| format!("{what} is missing: {}", path.display()))
}

#[tokio::test]
async fn a_person_checks_a_site_in_the_browser() {
    if let Some(why) = missing() {
        assert!(
            std::env::var("NETCHECK_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "NETCHECK_REQUIRE_BROWSER=1 but {why}"
        );
        eprintln!("SKIPPED a_person_checks_a_site_in_the_browser: {why}");
        return;
    }
    let p = peers("web").await;
    let dist = web_dir().join("dist");
    // The permalink and the history are seen too: kept in the default store (SQLite), or,
    // with root, in a real PostgreSQL behind the server.
    let pg = netcheck_testkit::postgres::available()
        .ok()
        .map(|()| netcheck_testkit::postgres::Postgres::start());
    let mut flags: Vec<&std::ffi::OsStr> = vec![
        "--web-dir".as_ref(),
        dist.as_os_str(),
        "--public-history".as_ref(),
    ];
    if let Some(pg) = &pg {
        flags.push("--database-url".as_ref());
        flags.push(pg.url.as_ref());
    }
    let (_server, addr) = serve(&p, &flags).await;
    let base = format!("http://{addr}/");
    let screenshot = std::env::temp_dir().join(format!("netcheck-web-{}.png", std::process::id()));
    let out = tokio::process::Command::new("node")
        .arg(web_dir().join("e2e/check.mjs"))
        .args([&base, &p.url("/")])
        .arg(&screenshot)
        .env("NETCHECK_E2E_PERMALINK", "1")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["reachability"], "reachable", "{seen:#}");
    assert!(
        seen["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("www.netcheck.test is reachable: HTTP 200 from ")),
        "{seen:#}"
    );
    let cards: Vec<(String, String)> = seen["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let ids: Vec<&str> = cards.iter().map(|(id, _)| id.as_str()).collect();
    let registry: Vec<&str> = netcheck_core::checks::registry()
        .iter()
        .map(|c| c.meta().id)
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    let mut expected = registry.clone();
    expected.sort_unstable();
    assert_eq!(sorted, expected, "one card per check: {cards:?}");
    assert!(cards.iter().all(|(_, s)| s != "running"), "{cards:?}");
    // The world is drawn from data shipped with the page; loopback has no place on it.
    assert!(seen["countries"].as_u64().unwrap() >= 150, "{seen:#}");
    assert_eq!(seen["places"], 0);
    assert!(
        seen["mapNote"]
            .as_str()
            .unwrap()
            .contains("no public location"),
        "{seen:#}"
    );
    assert!(
        seen["url"].as_str().unwrap().starts_with("?target="),
        "a shareable address: {seen:#}"
    );
    // Checked again within the cooldown: the kept report, its age said, every card drawn.
    let again = &seen["again"];
    assert_eq!(again["summary"], seen["summary"], "{seen:#}");
    assert_eq!(
        again["cards"].as_u64(),
        Some(registry.len() as u64),
        "{seen:#}"
    );
    assert!(again["age"].as_u64().is_some_and(|a| a < 60), "{seen:#}");
    assert!(
        again["note"].as_str().unwrap().contains("once every 60 s"),
        "{seen:#}"
    );
    if pg.is_some() {
        let kept = &seen["permalink"];
        assert_eq!(
            kept["summary"], seen["summary"],
            "the permalink shows the same report: {seen:#}"
        );
        assert_eq!(
            kept["cards"].as_u64(),
            Some(registry.len() as u64),
            "{seen:#}"
        );
        assert!(kept["history"].as_u64().is_some_and(|n| n >= 1), "{seen:#}");
        assert_eq!(kept["target"], p.url("/"), "{seen:#}");
    }
    assert_eq!(seen["bad"]["code"], "bad_target", "{seen:#}");
    assert!(
        seen["bad"]["text"]
            .as_str()
            .unwrap()
            .contains("exa mple.com"),
        "{seen:#}"
    );
    // A link from another site fills the form; nothing runs until a person clicks.
    assert_eq!(seen["foreign"]["filled"], p.url("/"), "{seen:#}");
    assert_eq!(seen["foreign"]["cards"], 0, "{seen:#}");
    // No script error, and no Content-Security-Policy violation (Chromium logs those as
    // console errors) under the server's strict policy.
    assert_eq!(seen["errors"], serde_json::json!([]), "no script errors");
    assert_eq!(
        seen["offsite"],
        serde_json::json!([]),
        "the page asks nothing of other hosts"
    );
    assert!(std::fs::metadata(&screenshot).is_ok_and(|m| m.len() > 10_000));
    if std::env::var_os("NETCHECK_KEEP_SCREENSHOT").is_none() {
        let _ = std::fs::remove_file(&screenshot);
    }
}
