//! Reports kept in a real PostgreSQL (started by the test, netcheck_testkit::postgres): the
//! permalink gives the same report back, the history lists a target's reports newest first,
//! and a database that goes away costs no run its report. Needs root and Debian's postgresql;
//! skips without them unless NETCHECK_REQUIRE_POSTGRES=1 (set in .ci/run).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use netcheck_server::app;
use netcheck_server::store::Store;
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

/// A server that keeps its reports in `pg`, on a loopback port, and its router for calls
/// without a socket; the DNS server it asks lives as long as the first element.
async fn serving_with(pg: &Postgres) -> (DnsServer, axum::Router, SocketAddr) {
    let dns = dns().await;
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    config.store = Some(Arc::new(Store::open(&pg.url).await.unwrap()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    let router = app(config);
    tokio::spawn(axum::serve(listener, router.clone()).into_future());
    (dns, router, api)
}

#[tokio::test]
async fn a_stored_report_has_a_permalink_and_a_place_in_its_targets_history() {
    let Some(pg) = postgres_or_skip("a_stored_report…") else {
        return;
    };
    let (_dns, router, api) = serving_with(&pg).await;

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
async fn a_database_that_goes_away_costs_no_run_its_report() {
    let Some(mut pg) = postgres_or_skip("a_database_that_goes_away…") else {
        return;
    };
    let (_dns, router, api) = serving_with(&pg).await;
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
