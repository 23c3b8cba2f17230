//! The API against real peers: the router called without a socket for its errors, and a real
//! server on a loopback port whose event stream is read as it arrives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::{A, AAAA};
use http_body_util::{BodyExt, Empty};
use netcheck_core::{Report, RunOptions, Settings};
use netcheck_server::{ServerConfig, app};
use netcheck_testkit::dns::{DnsServer, Zone};
use serde_json::Value;
use tokio::net::TcpListener;
use tower::ServiceExt;

mod cooldown;
mod guard;
mod keys;
mod only;
mod share;
mod store;

async fn dns() -> DnsServer {
    let zone = Zone::new()
        .add("www.netcheck.test", 60, RData::A(A::new(127, 0, 0, 1)))
        .add(
            "www.netcheck.test",
            60,
            RData::AAAA(AAAA::new(0, 0, 0, 0, 0, 0, 0, 1)),
        );
    DnsServer::start(zone).await
}

fn server_config(
    resolver: SocketAddr,
    site_timeout: Duration,
    max_concurrent: usize,
) -> ServerConfig {
    let mut options = RunOptions {
        dns_query_timeout: Duration::from_millis(500),
        ..RunOptions::default()
    };
    options.check_timeouts.insert("site".into(), site_timeout);
    ServerConfig {
        options,
        settings: Settings {
            resolvers: vec![resolver],
            ..Settings::default()
        },
        max_concurrent,
        web_dir: None,
        store: None,
        public_history: false,
        allowed: Default::default(),
        limits: Default::default(),
        rate: Default::default(),
        share: None,
        // Tests run one host many times; the cooldown has its own tests.
        cooldown: Duration::ZERO,
        hub: None,
        here: None,
    }
}

/// A TCP peer that accepts and never says a word: a TLS handshake with it waits out its bound.
async fn silent_peer() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

async fn json_of(response: axum::response::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

async fn get(router: &axum::Router, uri: &str) -> axum::response::Response {
    router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap()
}

/// A server on a loopback port with `config`, as `netcheck serve` runs it.
async fn serving(config: ServerConfig) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    tokio::spawn(netcheck_server::serve(listener, config));
    api
}

/// GET `path` from the server at `api` over a socket, with `headers`: the status, the response
/// headers and the JSON body.
async fn http_get(
    api: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let mut request = Request::get(format!("http://{api}{path}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = client
        .request(request.body(Empty::new()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&bytes)));
    (parts.status, parts.headers, json)
}

#[tokio::test]
async fn bad_requests_get_one_json_error_shape() {
    let dns = dns().await;
    let router = app(server_config(dns.addr, Duration::from_secs(2), 4));
    for (uri, code, words) in [
        ("/api/v1/run", "missing_target", "needs a target"),
        ("/api/v1/report?target=http://%5B", "bad_target", "IPv6"),
        ("/api/v1/run?target=exa%20mple.com", "bad_target", ""),
        (
            "/api/v1/run?target=a.test&only=dns,nope",
            "unknown_check",
            "'nope'",
        ),
    ] {
        let (status, body) = json_of(get(&router, uri).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"]["code"], code, "{uri}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(words) && !message.is_empty(),
            "{uri}: {message}"
        );
    }
}

#[tokio::test]
async fn checks_and_the_schema_are_listed() {
    let dns = dns().await;
    let router = app(server_config(dns.addr, Duration::from_secs(2), 4));
    let (status, body) = json_of(get(&router, "/api/v1/checks").await).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let registry: Vec<&str> = netcheck_core::checks::registry()
        .iter()
        .map(|c| c.meta().id)
        .collect();
    assert_eq!(ids, registry);
    assert_eq!(body["checks"][1]["title"], "Site");
    let (_, schema) = json_of(get(&router, "/api/v1/schema").await).await;
    assert_eq!(schema["report"]["title"], "Report");
}

#[tokio::test]
async fn the_report_endpoint_answers_with_the_whole_report() {
    let dns = dns().await;
    let router = app(server_config(dns.addr, Duration::from_secs(2), 4));
    let response = get(&router, "/api/v1/report?target=www.netcheck.test&only=dns").await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report: Report = serde_json::from_value(body).unwrap();
    assert_eq!(report.checks.len(), 1);
    assert_eq!(report.checks[0].id, "dns");
    assert_eq!(
        report.diagnosis.summary,
        "www.netcheck.test resolves to 127.0.0.1, ::1; no connection was tried"
    );
}

/// One server-sent event: its name, its data, and when it arrived.
#[derive(Debug)]
struct Arrived {
    name: String,
    data: Value,
    at: Instant,
}

/// Reads the whole event stream of `uri`, timing each event as it arrives.
async fn read_stream(uri: String) -> (StatusCode, String, Vec<Arrived>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let response = client.get(uri.parse().unwrap()).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let mut body = response.into_body();
    let mut buffer = String::new();
    let mut events = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.unwrap().into_data() else {
            continue;
        };
        buffer.push_str(std::str::from_utf8(&data).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if !name.is_empty() {
                events.push(Arrived {
                    name,
                    data: serde_json::from_str(&data).unwrap(),
                    at: Instant::now(),
                });
            }
        }
    }
    (status, content_type, events)
}

#[tokio::test]
async fn each_check_is_streamed_as_it_finishes_and_the_report_comes_last() {
    let dns = dns().await;
    let port = silent_peer().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    tokio::spawn(netcheck_server::serve(
        listener,
        server_config(dns.addr, Duration::from_secs(2), 4),
    ));
    let (status, content_type, events) = read_stream(format!(
        "http://{api}/api/v1/run?target=https://www.netcheck.test:{port}/&only=dns,site"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/event-stream");
    let names: Vec<String> = events
        .iter()
        .map(|e| match e.name.as_str() {
            "started" => format!("started {}", e.data["id"].as_str().unwrap()),
            "finished" => format!("finished {}", e.data["check"]["id"].as_str().unwrap()),
            other => other.to_owned(),
        })
        .collect();
    assert_eq!(
        names,
        [
            "started dns",
            "started site",
            "finished dns",
            "finished site",
            "report"
        ],
        "{events:#?}"
    );
    // DNS ends in milliseconds, the site when its 2 s run out against the silent peer: a
    // server that held the events back would send both together.
    let gap = events[3].at.duration_since(events[2].at);
    assert!(
        gap >= Duration::from_secs(1),
        "dns and site arrived {gap:?} apart"
    );
    let report: Report = serde_json::from_value(events[4].data.clone()).unwrap();
    assert_eq!(report.checks.len(), 2);
    assert_eq!(report.checks[1].status, netcheck_core::Status::TimedOut);
}

#[tokio::test]
async fn a_full_server_says_busy_and_a_client_that_leaves_frees_its_place() {
    let dns = dns().await;
    let port = silent_peer().await;
    let router = app(server_config(dns.addr, Duration::from_secs(30), 1));
    let uri = format!("/api/v1/run?target=https://www.netcheck.test:{port}/&only=site");
    let first = get(&router, &uri).await;
    assert_eq!(first.status(), StatusCode::OK);
    let busy = get(&router, &uri).await;
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()["retry-after"], "2");
    let (_, body) = json_of(busy).await;
    assert_eq!(body["error"]["code"], "busy");
    // The first client goes away without reading: its run (30 s against the silent peer) is
    // stopped and its place freed.
    drop(first);
    let mut freed = false;
    for _ in 0..100 {
        let next = get(&router, "/api/v1/report?target=www.netcheck.test&only=dns").await;
        if next.status() == StatusCode::OK {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed, "the place of a client that left was not freed");
}

#[tokio::test]
async fn the_ui_is_served_from_its_directory_or_its_absence_explained() {
    let dns = dns().await;
    let router = app(server_config(dns.addr, Duration::from_secs(2), 4));
    let response = get(&router, "/").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let text = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&text).contains("scripts/web"));

    let dir = std::env::temp_dir().join(format!("netcheck-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<title>netcheck</title>").unwrap();
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    config.web_dir = Some(dir.clone());
    let router = app(config);
    let response = get(&router, "/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&page[..], b"<title>netcheck</title>");
    // The API still answers beside the files.
    assert_eq!(
        get(&router, "/api/v1/checks").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&router, "/../../etc/passwd").await.status(),
        StatusCode::NOT_FOUND
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_every_route_in_it_is_routed_with_its_errors() {
    let dns = dns().await;
    let router = app(server_config(dns.addr, Duration::from_secs(2), 4));
    let (status, doc) = json_of(get(&router, "/api/v1/openapi.json").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc,
        netcheck_server::openapi(),
        "what is served is what is generated"
    );
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<String> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "GET /api/v1/checks",
            "GET /api/v1/config",
            "GET /api/v1/openapi.json",
            "GET /api/v1/regions",
            "GET /api/v1/report",
            "GET /api/v1/reports",
            "GET /api/v1/reports/{id}",
            "GET /api/v1/run",
            "GET /api/v1/runs/{id}",
            "GET /api/v1/schema",
            "GET /healthz",
            "POST /api/v1/reports/{id}/share",
        ]
    );
    // Each documented GET is routed here (no store, no relay: their errors, not axum's empty
    // 404/405), and a stored report's errors are named with their codes.
    for path in paths.keys().filter(|p| !p.ends_with("/share")) {
        let uri = path.replace("{id}", "0123456789abcdef0123456789abcdef");
        let response = get(&router, &uri).await;
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED
                && !(status == StatusCode::NOT_FOUND && body.is_empty()),
            "{path} is documented but not routed: {status}"
        );
    }
    let one = &paths["/api/v1/reports/{id}"]["get"]["responses"];
    assert_eq!(
        one["404"]["description"],
        "error: `no_storage`, `not_found`"
    );
    assert_eq!(
        one["404"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    let share = &paths["/api/v1/reports/{id}/share"]["post"];
    assert!(
        share["responses"]["429"]["description"]
            .as_str()
            .unwrap()
            .contains("rate_limited")
    );
    assert!(
        share["responses"].get("422").is_none(),
        "axum's rejections are ours: 400"
    );
    assert_eq!(
        share["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ShareRequest"
    );
    let codes = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap();
    assert!(
        codes.iter().any(|c| c == "unknown_host") && codes.len() >= 17,
        "{codes:?}"
    );
}
