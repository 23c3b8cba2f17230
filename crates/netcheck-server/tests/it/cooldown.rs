//! One host reported at most once per cooldown, over a socket with the SQLite store: a second
//! request within it is answered from the store with the report's age (JSON and stream), one
//! the stored report cannot answer (other checks) is refused with 429 and words, and a server
//! without a store refuses too.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use netcheck_server::store::{Retention, Store};

use crate::{dns, http_get, read_stream, server_config, serving};

/// A SQLite file of its own, removed on drop.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        for suffix in ["-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

#[tokio::test]
async fn a_host_reported_within_the_cooldown_is_answered_from_the_store_with_its_age() {
    let dns = dns().await;
    let file = TempFile(
        std::env::temp_dir().join(format!("netcheck-cooldown-{}.sqlite3", std::process::id())),
    );
    let store = Store::open(
        &format!("sqlite:{}", file.0.display()),
        Retention::default(),
    )
    .await
    .unwrap();
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    config.store = Some(Arc::new(store));
    config.cooldown = Duration::from_secs(60);
    let api = serving(config).await;

    let (status, headers, first) =
        http_get(api, "/api/v1/report?target=www.netcheck.test&only=dns", &[]).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(headers.get("age").is_none() && first.get("from_store").is_none());
    let id = headers["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/api/v1/reports/")
        .to_owned();

    // The same host, written otherwise: the stored report, with its age.
    let (status, headers, again) =
        http_get(api, "/api/v1/report?target=WWW.Netcheck.test&only=dns", &[]).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let age: u64 = headers["age"].to_str().unwrap().parse().unwrap();
    assert!(age < 60, "{age}");
    assert_eq!(again["from_store"]["id"], id.as_str());
    assert_eq!(again["from_store"]["age_s"], age);
    assert_eq!(again["started_at"], first["started_at"], "not run again");

    // The stream says so too, and ends as a run's does.
    let (status, _, events) = read_stream(format!(
        "http://{api}/api/v1/run?target=www.netcheck.test&only=dns"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["from_store", "finished", "report", "stored"]);
    assert_eq!(events[0].data["id"], id.as_str());
    assert_eq!(events[0].data["cooldown_s"], 60);
    assert_eq!(events[1].data["check"]["id"], "dns");
    assert_eq!(events[2].data["started_at"], first["started_at"]);
    assert_eq!(events[3].data["permalink"], format!("/?report={id}"));

    // Checks the stored report does not hold: not run again within the cooldown either.
    let (status, headers, body) = http_get(
        api,
        "/api/v1/report?target=www.netcheck.test&only=dns,site",
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "cooling_down");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("www.netcheck.test") && message.contains("once every 60 s"),
        "{message}"
    );
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

#[tokio::test]
async fn without_a_store_a_host_within_its_cooldown_is_refused_and_zero_turns_it_off() {
    let dns = dns().await;
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    config.cooldown = Duration::from_secs(60);
    let api = serving(config).await;
    let uri = "/api/v1/report?target=www.netcheck.test&only=dns";
    assert_eq!(http_get(api, uri, &[]).await.0, StatusCode::OK);
    let (status, _, body) = http_get(api, uri, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "cooling_down");

    let api = serving(server_config(dns.addr, Duration::from_secs(2), 4)).await;
    for _ in 0..2 {
        assert_eq!(http_get(api, uri, &[]).await.0, StatusCode::OK);
    }
}
