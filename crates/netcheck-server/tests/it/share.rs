//! Sharing a kept report by e-mail against a real SMTP server (aiosmtpd, netcheck-testkit's
//! `smtp`) and a real server on a loopback port: the mail that arrives has the diagnosis as its
//! subject and the permalink and the text report as its body; bad recipients and bodies get
//! 400, an unknown report 404, and the sixth mail an hour from one client, or to one recipient,
//! 429. Skips without aiosmtpd unless NETCHECK_REQUIRE_SMTP=1 (set in .ci/run).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use netcheck_mail::{Relay, RelayConfig, SmtpSecurity};
use netcheck_server::share::ShareConfig;
use netcheck_server::store::{Retention, Store};
use netcheck_testkit::dns::DnsServer;
use netcheck_testkit::smtp::{self, Smtp};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::store::TempDir;
use crate::{dns, get, json_of, server_config};

/// A server keeping its reports in SQLite and mailing through `smtp` (none: no relay),
/// believing the X-Forwarded-For of loopback so that one test can be many clients.
async fn sharing_server(
    smtp: Option<&Smtp>,
    dir: &TempDir,
) -> (DnsServer, axum::Router, SocketAddr) {
    let dns = dns().await;
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    let store = Store::open(&dir.file(), Retention::default())
        .await
        .unwrap();
    config.store = Some(Arc::new(store));
    config.rate.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    config.share = smtp.map(|smtp| ShareConfig {
        relay: Relay::new(RelayConfig {
            server: smtp.server(),
            security: SmtpSecurity::None,
            from: Some("netcheck@example.test".into()),
            user: None,
            password: None,
        })
        .unwrap(),
        public_url: Some("https://netcheck.example.test/".parse().unwrap()),
        per_hour: netcheck_server::share::DEFAULT_PER_HOUR,
    });
    let router = netcheck_server::app(config.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    tokio::spawn(netcheck_server::serve(listener, config));
    (dns, router, api)
}

/// A kept report's id: a DNS-only run through the router.
async fn kept_report(router: &axum::Router) -> (String, Value) {
    let response = get(router, "/api/v1/report?target=www.netcheck.test&only=dns").await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (status, report) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let id = location
        .strip_prefix("/api/v1/reports/")
        .unwrap()
        .to_owned();
    (id, report)
}

/// `POST /api/v1/reports/{id}/share` with `body`, as client `client` (X-Forwarded-For).
async fn share(
    api: SocketAddr,
    id: &str,
    body: &str,
    client: &str,
) -> (StatusCode, Option<String>, Value) {
    let client_ = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let request = hyper::Request::post(format!("http://{api}/api/v1/reports/{id}/share"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", client)
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = client_.request(request).await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, retry_after, body)
}

fn to(address: &str) -> String {
    json!({ "to": address }).to_string()
}

#[tokio::test]
async fn a_kept_report_is_mailed_with_its_diagnosis_permalink_and_text() {
    if smtp::skip("a_kept_report_is_mailed_with_its_diagnosis_permalink_and_text") {
        return;
    }
    let smtp = Smtp::start().await;
    let dir = TempDir::new("share-mail");
    let (_dns, router, api) = sharing_server(Some(&smtp), &dir).await;
    let (_, features) = json_of(get(&router, "/api/v1/config").await).await;
    assert_eq!(
        features,
        json!({ "store": true, "public_history": false, "share_by_mail": true })
    );
    let (id, report) = kept_report(&router).await;

    let (status, _, body) = share(api, &id, &to("ops@example.test"), "198.51.100.1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let permalink = format!("https://netcheck.example.test/?report={id}");
    assert_eq!(body, json!({ "sent": true, "permalink": permalink }));

    let mails = smtp.received();
    let [mail] = mails.as_array().unwrap().as_slice() else {
        panic!("one mail expected: {mails:#}");
    };
    let summary = report["diagnosis"]["summary"].as_str().unwrap();
    assert_eq!(mail["subject"], format!("netcheck: {summary}"), "{mail:#}");
    assert_eq!(mail["to"], "ops@example.test");
    assert_eq!(mail["from"], "netcheck@example.test");
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("The report: {permalink}\n")),
        "{text}"
    );
    assert!(
        text.contains("www.netcheck.test resolves to 127.0.0.1, ::1") && text.contains("DNSSEC"),
        "the text report: {text}"
    );
    assert!(!text.contains('\u{1b}'), "{text}");
    assert_eq!(mail["attachments"][0]["name"], "netcheck-report.json");
}

#[tokio::test]
async fn bad_recipients_bodies_and_ids_are_refused_before_anything_is_sent() {
    if smtp::skip("bad_recipients_bodies_and_ids_are_refused_before_anything_is_sent") {
        return;
    }
    let smtp = Smtp::start().await;
    let dir = TempDir::new("share-bad");
    let (_dns, router, api) = sharing_server(Some(&smtp), &dir).await;
    let (id, _) = kept_report(&router).await;
    let unknown = "0123456789abcdef0123456789abcdef";
    for (id, body, status, code) in [
        (
            unknown,
            to("ops@example.test"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "nope",
            to("ops@example.test"),
            StatusCode::BAD_REQUEST,
            "bad_id",
        ),
        (
            id.as_str(),
            to("not an address"),
            StatusCode::BAD_REQUEST,
            "bad_recipient",
        ),
        (
            id.as_str(),
            to("Boss <ops@example.test>"),
            StatusCode::BAD_REQUEST,
            "bad_recipient",
        ),
        (
            id.as_str(),
            to("a@example.test, b@example.test"),
            StatusCode::BAD_REQUEST,
            "bad_recipient",
        ),
        (
            id.as_str(),
            json!({ "to": "ops@example.test", "message": "click here" }).to_string(),
            StatusCode::BAD_REQUEST,
            "bad_body",
        ),
        (
            id.as_str(),
            "{".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_body",
        ),
    ] {
        let (got, _, answer) = share(api, id, &body, "198.51.100.2").await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(smtp.received(), json!([]), "nothing was sent");
}

#[tokio::test]
async fn the_sixth_mail_an_hour_from_a_client_or_to_a_recipient_is_refused_429() {
    if smtp::skip("the_sixth_mail_an_hour_from_a_client_or_to_a_recipient_is_refused_429") {
        return;
    }
    let smtp = Smtp::start().await;
    let dir = TempDir::new("share-limit");
    let (_dns, router, api) = sharing_server(Some(&smtp), &dir).await;
    let (id, _) = kept_report(&router).await;
    // One client, five recipients: the sixth is one too many for the client.
    for n in 1..=5 {
        let (status, _, body) = share(
            api,
            &id,
            &to(&format!("r{n}@example.test")),
            "198.51.100.10",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "mail {n}: {body}");
    }
    let (status, retry_after, body) =
        share(api, &id, &to("r6@example.test"), "198.51.100.10").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("198.51.100.10 has shared too many reports by e-mail: try again in "),
        "{message}"
    );
    assert!(retry_after.unwrap().parse::<u64>().unwrap() > 0);

    // One recipient, from other clients: r1 has had one; four more, then no more.
    for n in 1..=4 {
        let (status, _, body) =
            share(api, &id, &to("R1@example.test"), &format!("203.0.113.{n}")).await;
        assert_eq!(status, StatusCode::OK, "mail {n} to r1: {body}");
    }
    let (status, retry_after, body) = share(api, &id, &to("r1@example.test"), "203.0.113.99").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("this address has been sent too many reports: try again in "),
        "{message}"
    );
    assert!(
        !message.contains("r1@"),
        "the address is not repeated: {message}"
    );
    assert!(retry_after.unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(
        smtp.received().as_array().unwrap().len(),
        9,
        "only the admitted mails were sent"
    );
}

#[tokio::test]
async fn without_a_relay_there_is_no_share_route_and_the_config_says_so() {
    let dir = TempDir::new("share-none");
    let (_dns, router, api) = sharing_server(None, &dir).await;
    let (_, features) = json_of(get(&router, "/api/v1/config").await).await;
    assert_eq!(features["share_by_mail"], false, "{features}");
    let (id, _) = kept_report(&router).await;
    let (status, _, _) = share(api, &id, &to("ops@example.test"), "198.51.100.3").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
