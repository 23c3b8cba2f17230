//! Reports kept in each back-end of the store, one contract suite run against both: an
//! embedded SQLite file (the default) and a real PostgreSQL (started by the test,
//! netcheck_testkit::postgres). The permalink gives the same report back, the history lists a
//! target's reports newest first and only when made public, nothing secret is kept, old reports
//! are forgotten, a `kill -9` loses no report answered as stored, and a database that goes away
//! costs no run its report. PostgreSQL needs root and Debian's postgresql; its half skips
//! without them unless NETCHECK_REQUIRE_POSTGRES=1 (set in .ci/run).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use netcheck_server::app;
use netcheck_server::store::{Retention, Store};
use netcheck_testkit::dns::DnsServer;
use netcheck_testkit::postgres::{self, Postgres};
use tokio::net::TcpListener;

use crate::{dns, get, json_of, read_stream, server_config};

fn postgres_or_skip(test: &str) -> Option<Postgres> {
    if let Err(why) = postgres::available() {
        assert!(
            std::env::var("NETCHECK_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "NETCHECK_REQUIRE_POSTGRES=1 but {why}"
        );
        eprintln!("SKIPPED {test}: {why}");
        return None;
    }
    Some(Postgres::start())
}

/// A directory of its own for one test's SQLite file, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "netcheck-store-{tag}-{}-{}",
            std::process::id(),
            uuid_like()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn file(&self) -> String {
        format!("sqlite:{}", self.0.join("reports.sqlite3").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// A server that keeps its reports in `store`, on a loopback port, and its router for calls
/// without a socket; the DNS server it asks lives as long as the first element.
async fn serving_with(store: Store, public_history: bool) -> (DnsServer, axum::Router, SocketAddr) {
    let dns = dns().await;
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    config.store = Some(Arc::new(store));
    config.public_history = public_history;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    let router = app(config);
    tokio::spawn(axum::serve(listener, router.clone()).into_future());
    (dns, router, api)
}

/// Through the API: two runs through the stream, one through /report, one of another target;
/// each has a permalink, and the history lists a target's own, newest first.
async fn permalinks_and_history(store: Store) {
    let (_dns, router, api) = serving_with(store, true).await;
    // Two runs through the stream, one through /report, one of another target.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (_, _, events) = read_stream(format!(
            "http://{api}/api/v1/run?target=www.netcheck.test&only=dns"
        ))
        .await;
        let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names[names.len() - 2..], ["report", "stored"], "{names:?}");
        let stored = &events.last().unwrap().data;
        let id = stored["id"].as_str().unwrap().to_owned();
        assert_eq!(stored["permalink"], format!("/?report={id}"));
        // The permalink answers the very report the stream sent.
        let (status, kept) = json_of(get(&router, &format!("/api/v1/reports/{id}")).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kept, events[events.len() - 2].data);
        ids.push(id);
    }
    let response = get(&router, "/api/v1/report?target=www.netcheck.test&only=dns").await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    ids.push(location.trim_start_matches("/api/v1/reports/").to_owned());
    let _ = get(&router, "/api/v1/report?target=198.18.0.1&only=location").await;

    let (status, history) = json_of(
        get(
            &router,
            "/api/v1/reports?target=https://www.netcheck.test/path&limit=10",
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let listed: Vec<&str> = history["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let newest_first: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    assert_eq!(
        listed, newest_first,
        "the target's reports, newest first: {history:#}"
    );
    assert_eq!(
        history["reports"][0]["summary"],
        "www.netcheck.test resolves to 127.0.0.1, ::1; no connection was tried"
    );
    let (_, all) = json_of(get(&router, "/api/v1/reports").await).await;
    assert_eq!(all["reports"].as_array().unwrap().len(), 4);

    // Ids that are not ours, and ids nobody stored.
    let (status, body) = json_of(get(&router, "/api/v1/reports/..%2F..%2Fetc").await).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_id"))
    );
    let absent = "0".repeat(32);
    let (status, body) = json_of(get(&router, &format!("/api/v1/reports/{absent}")).await).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn sqlite_a_stored_report_has_a_permalink_and_a_place_in_its_targets_history() {
    let dir = TempDir::new("permalinks");
    permalinks_and_history(
        Store::open(&dir.file(), Retention::default())
            .await
            .unwrap(),
    )
    .await;
}

#[tokio::test]
async fn postgres_a_stored_report_has_a_permalink_and_a_place_in_its_targets_history() {
    let Some(pg) = postgres_or_skip("postgres_a_stored_report…") else {
        return;
    };
    permalinks_and_history(Store::open(&pg.url, Retention::default()).await.unwrap()).await;
}

/// A report as the engine makes it, of a target typed with a password and a query.
async fn secret_report(dns: &DnsServer) -> netcheck_core::Report {
    let options = netcheck_core::RunOptions {
        checks: vec!["dns".into()],
        ..Default::default()
    };
    let settings = netcheck_core::Settings {
        resolvers: vec![dns.addr],
        ..Default::default()
    };
    let target =
        netcheck_core::Target::parse("https://alice:s3cret@www.netcheck.test/login?token=abc123")
            .unwrap();
    netcheck_core::run(
        netcheck_core::RunRequest::new(target, options),
        std::sync::Arc::new(settings),
        &netcheck_core::Registry::default(),
        None,
    )
    .await
    .expect("an open policy refuses nothing")
}

/// The store itself: what is kept, what is not, and for how long.
async fn contract(store: Store, keep_query_store: Store) {
    let dns = dns().await;
    let report = secret_report(&dns).await;
    let id = store.save(&report).await.unwrap();
    let kept = store
        .load(&id)
        .await
        .unwrap()
        .expect("the report just saved");
    let text = kept.to_string();
    assert!(
        !text.contains("s3cret") && !text.contains("alice") && !text.contains("abc123"),
        "no userinfo or query value is kept: {text}"
    );
    assert_eq!(
        kept["target"]["url"],
        "https://www.netcheck.test/login?token=redacted"
    );
    assert_eq!(kept["target"]["input"], kept["target"]["url"]);
    // Everything else is the report as it was.
    let mut expected = serde_json::to_value(&report).unwrap();
    expected["target"]["url"] = kept["target"]["url"].clone();
    expected["target"]["input"] = kept["target"]["input"].clone();
    assert_eq!(kept, expected);
    assert_eq!(store.load(&"0".repeat(32)).await.unwrap(), None);

    // The operator may keep query values; never a password.
    let id = keep_query_store.save(&report).await.unwrap();
    let kept = keep_query_store.load(&id).await.unwrap().unwrap();
    assert_eq!(
        kept["target"]["url"],
        "https://www.netcheck.test/login?token=abc123"
    );
    assert!(!kept.to_string().contains("s3cret"));

    // History: newest first, by host, bounded.
    let second = store.save(&report).await.unwrap();
    let history = store.history(Some("www.netcheck.test"), 10).await.unwrap();
    assert!(history.len() >= 2, "{history:?}");
    assert_eq!(history[0].id, second);
    assert_eq!(
        store
            .history(Some("www.netcheck.test"), 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .history(Some("elsewhere.test"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A run in several regions is kept under its run's id, redacted the same way, with its kind;
    // the cooldown's "latest report" of a host is never one of them.
    let regions = netcheck_agent::RegionsReport::new(
        report.target.clone(),
        vec![netcheck_agent::RegionReport {
            region: "seoul".into(),
            outcome: netcheck_agent::Outcome::Completed,
            agent: None,
            report: Some(report.clone()),
            reason: report.diagnosis.summary.clone(),
        }],
    );
    let run = format!("{:032x}", uuid_like());
    assert_eq!(store.save_regions(&run, &regions).await.unwrap(), run);
    assert!(store.save_regions("../x", &regions).await.is_err());
    let kept = store
        .load(&run)
        .await
        .unwrap()
        .expect("the regions just saved");
    assert_eq!(kept["regions"][0]["region"], "seoul");
    assert_eq!(
        kept["verdict"],
        serde_json::to_value(&regions.verdict).unwrap()
    );
    assert!(!kept.to_string().contains("s3cret") && !kept.to_string().contains("abc123"));
    let history = store.history(Some("www.netcheck.test"), 10).await.unwrap();
    assert_eq!(history[0].id, run);
    assert_eq!(history[0].kind, netcheck_server::store::Kind::Regions);
    assert_eq!(history[1].kind, netcheck_server::store::Kind::Report);
    let (latest, _) = store.latest("www.netcheck.test").await.unwrap().unwrap();
    assert_eq!(
        latest.id, second,
        "the newest single report, not the regions"
    );

    // Retention: what is older than the age given is forgotten, nothing newer.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let fresh = store.save(&report).await.unwrap();
    let forgotten = store.prune(Duration::from_millis(300)).await.unwrap();
    assert!(forgotten >= 3, "{forgotten}");
    assert!(store.load(&run).await.unwrap().is_none());
    assert!(store.load(&second).await.unwrap().is_none());
    assert!(store.load(&fresh).await.unwrap().is_some());
    assert_eq!(store.prune(Duration::MAX).await.unwrap(), 0);
}

fn keeping_query() -> Retention {
    Retention {
        keep_query: true,
        ..Retention::default()
    }
}

#[tokio::test]
async fn sqlite_keeps_no_secret_and_forgets_old_reports() {
    let (a, b) = (TempDir::new("contract-a"), TempDir::new("contract-b"));
    contract(
        Store::open(&a.file(), Retention::default()).await.unwrap(),
        Store::open(&b.file(), keeping_query()).await.unwrap(),
    )
    .await;
}

#[tokio::test]
async fn postgres_keeps_no_secret_and_forgets_old_reports() {
    let Some(pg) = postgres_or_skip("postgres_keeps_no_secret…") else {
        return;
    };
    let Some(other) = postgres_or_skip("postgres_keeps_no_secret…") else {
        return;
    };
    contract(
        Store::open(&pg.url, Retention::default()).await.unwrap(),
        Store::open(&other.url, keeping_query()).await.unwrap(),
    )
    .await;
}

#[tokio::test]
async fn the_history_is_listed_only_when_the_operator_makes_it_public() {
    let dir = TempDir::new("private");
    let store = Store::open(&dir.file(), Retention::default())
        .await
        .unwrap();
    let (_dns, router, _) = serving_with(store, false).await;
    let response = get(&router, "/api/v1/report?target=www.netcheck.test&only=dns").await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (status, body) = json_of(get(&router, "/api/v1/reports").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "history_not_public");
    // The permalink still answers.
    let (status, _) = json_of(get(&router, &location).await).await;
    assert_eq!(status, StatusCode::OK);
}

/// The child of the crash test: saves reports into the SQLite file named by
/// NETCHECK_CRASH_STORE and prints each id once `save` returned, until it is killed. Run as a
/// test only by the parent (it does nothing without the variable).
#[tokio::test]
async fn crash_child() {
    let Ok(file) = std::env::var("NETCHECK_CRASH_STORE") else {
        return;
    };
    let store = Store::open(&file, Retention::default()).await.unwrap();
    let dns = dns().await;
    let report = secret_report(&dns).await;
    loop {
        let id = store.save(&report).await.unwrap();
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "stored {id}");
        let _ = out.flush();
    }
}

#[tokio::test]
async fn a_kill_9_during_writes_loses_no_report_answered_as_stored() {
    use std::io::BufRead;
    let dir = TempDir::new("crash");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NETCHECK_CRASH_STORE", dir.file())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut ids = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("stored ") {
            ids.push(id.to_owned());
            // Killed in the middle of its writes: it is saving the next one now.
            if ids.len() == 200 {
                child.kill().unwrap();
                break;
            }
        }
    }
    let _ = child.wait();
    assert_eq!(ids.len(), 200, "the child stopped storing early");
    let store = Store::open(&dir.file(), Retention::default())
        .await
        .unwrap();
    for id in &ids {
        assert!(
            store.load(id).await.unwrap().is_some(),
            "report {id} was answered as stored and is gone"
        );
    }
}

#[tokio::test]
async fn a_database_that_goes_away_costs_no_run_its_report() {
    let Some(mut pg) = postgres_or_skip("a_database_that_goes_away…") else {
        return;
    };
    let store = Store::open(&pg.url, Retention::default()).await.unwrap();
    let (_dns, router, api) = serving_with(store, true).await;
    pg.stop();
    let (_, _, events) = read_stream(format!(
        "http://{api}/api/v1/run?target=www.netcheck.test&only=dns"
    ))
    .await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names[names.len() - 2..],
        ["report", "not_stored"],
        "{names:?}"
    );
    assert!(
        events.last().unwrap().data["message"]
            .as_str()
            .unwrap()
            .contains("the report store cannot be used"),
        "{:?}",
        events.last()
    );
    let response = get(&router, "/api/v1/report?target=www.netcheck.test&only=dns").await;
    assert_eq!(response.status(), StatusCode::OK, "the report still comes");
    assert!(response.headers().get("location").is_none());
    let (status, body) = json_of(get(&router, "/api/v1/reports").await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "storage_unavailable");
}

#[tokio::test]
async fn a_server_without_a_database_says_it_keeps_nothing() {
    let dns = dns().await;
    let router = app(server_config(dns.addr, Duration::from_secs(2), 4));
    for uri in [
        "/api/v1/reports",
        &format!("/api/v1/reports/{}", "a".repeat(32)),
    ] {
        let (status, body) = json_of(get(&router, uri).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "no_storage");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("--database-url")
        );
    }
}

#[tokio::test]
async fn a_store_made_before_kinds_opens_with_its_reports_as_single_reports() {
    let dir = TempDir::new("old-store");
    let path = dir.file();
    {
        // The table as it was before reports had kinds, with one report in it.
        let c = rusqlite::Connection::open(path.trim_start_matches("sqlite:")).unwrap();
        c.execute_batch(
            "CREATE TABLE netcheck_reports (id TEXT PRIMARY KEY, target TEXT NOT NULL, \
             created_at TEXT NOT NULL, reachability TEXT NOT NULL, summary TEXT NOT NULL, \
             report TEXT NOT NULL);
             INSERT INTO netcheck_reports VALUES ('00000000000000000000000000000001', \
             'old.test', '2026-11-30T00:00:00.000Z', 'reachable', 'fine', '{\"old\":true}');",
        )
        .unwrap();
    }
    let store = Store::open(&path, Retention::default()).await.unwrap();
    let (entry, report) = store.latest("old.test").await.unwrap().unwrap();
    assert_eq!(entry.kind, netcheck_server::store::Kind::Report);
    assert_eq!(report["old"], true);
    drop(store);
    // And again: the column is added once.
    let store = Store::open(&path, Retention::default()).await.unwrap();
    assert_eq!(store.history(None, 10).await.unwrap().len(), 1);
}
