//! A public server's defences for browsers and against its own clients: another site's page
//! cannot drive it (Host and Origin checks, DNS rebinding), every response carries CORS for the
//! listed origins (errors too) and the UI's security headers, and thousands of half-open
//! connections from one client neither stop `/healthz` for others nor live past the header
//! timeout.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use netcheck_server::guard::{Allowed, CONTENT_SECURITY_POLICY};
use netcheck_server::listen::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use crate::{dns, json_of, server_config};

async fn call(
    router: &axum::Router,
    uri: &str,
    host: &str,
    origin: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::get(uri).header("host", host);
    if let Some(o) = origin {
        request = request.header("origin", o);
    }
    router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn guarded_app(dns: std::net::SocketAddr) -> axum::Router {
    let mut config = server_config(dns, Duration::from_secs(2), 4);
    config.allowed = Allowed {
        origins: vec!["https://status.example".into()],
        ..Allowed::for_listener(
            "127.0.0.1:8080".parse().unwrap(),
            &["netcheck.example".into()],
        )
    };
    netcheck_server::app(config)
}

#[tokio::test]
async fn another_sites_page_cannot_drive_the_server() {
    let dns = dns().await;
    let app = guarded_app(dns.addr);
    // DNS rebinding: the attacker's name, resolved to us, is the Host the browser sends.
    let (status, body) =
        json_of(call(&app, "/api/v1/checks", "rebind.attacker.example", None).await).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "unknown_host");
    // Our own names pass, with or without a port.
    for host in [
        "127.0.0.1:8080",
        "localhost:8080",
        "netcheck.example",
        "[::1]:8080",
    ] {
        let response = call(&app, "/api/v1/checks", host, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{host}");
    }
    // A page on another site, calling the right host.
    let (status, body) = json_of(
        call(
            &app,
            "/api/v1/run?target=www.netcheck.test",
            "127.0.0.1:8080",
            Some("https://evil.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden_origin");
    // The server's own page calls it freely.
    let response = call(
        &app,
        "/api/v1/checks",
        "127.0.0.1:8080",
        Some("http://127.0.0.1:8080"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_response_carries_cors_for_listed_origins_errors_included() {
    let dns = dns().await;
    let app = guarded_app(dns.addr);
    let listed = Some("https://status.example");
    let ok = call(&app, "/api/v1/checks", "127.0.0.1:8080", listed).await;
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://status.example"
    );
    // A bad request and a refusal are seen by the page as what they are.
    let bad = call(&app, "/api/v1/report", "127.0.0.1:8080", listed).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.headers()["access-control-allow-origin"],
        "https://status.example"
    );
    let misdirected = call(&app, "/api/v1/checks", "elsewhere.example", listed).await;
    assert_eq!(misdirected.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(
        misdirected.headers()["access-control-allow-origin"],
        "https://status.example"
    );
    // An origin not listed gets no CORS grant.
    let other = call(
        &app,
        "/api/v1/checks",
        "127.0.0.1:8080",
        Some("https://evil.example"),
    )
    .await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn the_ui_is_served_with_a_strict_content_security_policy() {
    let dns = dns().await;
    let app = guarded_app(dns.addr);
    let page = call(&app, "/", "127.0.0.1:8080", None).await;
    let h = page.headers();
    assert_eq!(h["content-security-policy"], CONTENT_SECURITY_POLICY);
    assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
}

/// Opens a connection from `source` (another loopback address) and sends half a request.
async fn half_open(
    source: std::net::IpAddr,
    server: std::net::SocketAddr,
) -> Option<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(std::net::SocketAddr::new(source, 0)).ok()?;
    let mut stream = tokio::time::timeout(Duration::from_secs(2), socket.connect(server))
        .await
        .ok()?
        .ok()?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .ok()?;
    Some(stream)
}

#[tokio::test]
async fn two_thousand_half_open_connections_do_not_stop_healthz() {
    netcheck_server::listen::raise_fd_limit();
    let dns = dns().await;
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    config.limits = Limits {
        header_read: Duration::from_secs(2),
        ..Limits::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    tokio::spawn(netcheck_server::serve(listener, config));
    // A slowloris from 127.0.0.2: 2000 connections, each with headers never finished.
    let attacker: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut held = Vec::new();
    for _ in 0..2000 {
        if let Some(s) = half_open(attacker, server).await {
            held.push(s);
        }
    }
    assert!(held.len() >= 1900, "only {} connections opened", held.len());
    // Another client still gets its answer, at once.
    let started = std::time::Instant::now();
    let mut health = tokio::net::TcpStream::connect(server).await.unwrap();
    health
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), health.read_to_string(&mut answer))
        .await
        .expect("healthz did not answer within 5 s")
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok\n"),
        "{answer}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The half-open connections the server took are closed once the header timeout passes.
    let mut closed = 0;
    for stream in held.iter_mut().take(64) {
        let mut buf = [0u8; 256];
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await
        {
            closed += 1;
        }
    }
    assert_eq!(
        closed, 64,
        "the first 64 (those the server took) were not all closed"
    );
}

async fn run_from(
    router: &axum::Router,
    peer: &str,
    forwarded: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::get("/api/v1/report?target=www.netcheck.test&only=dns");
    if let Some(f) = forwarded {
        request = request.header("x-forwarded-for", f);
    }
    let mut request = request.body(Body::empty()).unwrap();
    let peer: std::net::SocketAddr = peer.parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    router.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn runs_are_limited_per_client_and_forwarded_for_only_from_trusted_proxies() {
    let dns = dns().await;
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    config.rate = netcheck_server::abuse::RateLimit {
        per_minute: 1,
        burst: 2,
        trusted_proxies: vec!["127.0.0.9/32".parse().unwrap()],
        ..Default::default()
    };
    let app = netcheck_server::app(config);
    for _ in 0..2 {
        assert_eq!(
            run_from(&app, "127.0.0.5:1000", None).await.status(),
            StatusCode::OK
        );
    }
    let limited = run_from(&app, "127.0.0.5:1001", None).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let (_, body) = json_of(limited).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    // Naming someone else does not help a client that is not a trusted proxy.
    let spoofed = run_from(&app, "127.0.0.5:1002", Some("192.0.2.77")).await;
    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client is not held back by the first.
    assert_eq!(
        run_from(&app, "127.0.0.6:1000", None).await.status(),
        StatusCode::OK
    );
    // Behind the trusted proxy, each forwarded client has its own budget.
    for client in ["198.51.100.1", "198.51.100.1", "198.51.100.2"] {
        assert_eq!(
            run_from(&app, "127.0.0.9:2000", Some(client))
                .await
                .status(),
            StatusCode::OK,
            "{client}"
        );
    }
    assert_eq!(
        run_from(&app, "127.0.0.9:2000", Some("198.51.100.1"))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
