//! A request's `only` narrows the checks the operator's `--only` allows, never widens them:
//! a check outside that set is refused with words, and the list of checks shows only the set.

use std::time::Duration;

use axum::http::StatusCode;
use netcheck_core::Report;

use crate::{dns, http_get, server_config, serving};

#[tokio::test]
async fn a_request_narrows_the_operators_checks_and_cannot_widen_them() {
    let dns = dns().await;
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    config.options.checks = vec!["dns".into(), "site".into()];
    let api = serving(config).await;

    let (status, _, body) = http_get(
        api,
        "/api/v1/report?target=www.netcheck.test&only=dns,tls",
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "check_not_offered");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'tls'") && message.contains("dns, site"),
        "{message}"
    );

    let (status, _, body) =
        http_get(api, "/api/v1/report?target=www.netcheck.test&only=dns", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report: Report = serde_json::from_value(body).unwrap();
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["dns"]);

    // No `only`: the operator's set, not every check.
    let (_, _, body) = http_get(api, "/api/v1/checks", &[]).await;
    let listed: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["dns", "site"]);
}
