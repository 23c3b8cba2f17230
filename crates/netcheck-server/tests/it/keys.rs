//! API keys over a socket: a known key runs at the key rate where an anonymous client of the
//! same address is already limited, and is limited per key itself; an unknown key, a key sent
//! to a server that takes none, or another scheme than Bearer is 401 with words.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use netcheck_server::abuse::RateLimit;
use netcheck_server::keys::{ApiKeys, new_key};

use crate::{dns, http_get, server_config, serving};

const RUN: &str = "/api/v1/report?target=www.netcheck.test&only=dns";

#[tokio::test]
async fn a_known_key_runs_at_its_higher_rate_and_a_wrong_one_is_refused() {
    let dns = dns().await;
    let (alice, bob) = (new_key().unwrap(), new_key().unwrap());
    let file = std::env::temp_dir().join(format!("netcheck-api-keys-{}", std::process::id()));
    std::fs::write(
        &file,
        format!("{}  # alice\n{}  # bob\n", alice.line, bob.line),
    )
    .unwrap();
    let keys = ApiKeys::load(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    let mut config = server_config(dns.addr, Duration::from_secs(2), 4);
    config.rate = RateLimit {
        per_minute: 1,
        burst: 1,
        keys: Arc::new(keys),
        key_per_minute: 1,
        key_burst: 3,
        ..RateLimit::default()
    };
    let api = serving(config).await;

    assert_eq!(http_get(api, RUN, &[]).await.0, StatusCode::OK);
    let (status, _, body) = http_get(api, RUN, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");

    let alice_auth = format!("Bearer {}", alice.key);
    for n in 0..3 {
        let (status, _, body) = http_get(api, RUN, &[("authorization", &alice_auth)]).await;
        assert_eq!(status, StatusCode::OK, "run {n} with the key: {body}");
    }
    let (status, headers, body) = http_get(api, RUN, &[("authorization", &alice_auth)]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("this API key")
    );
    assert!(headers.contains_key("retry-after"));
    // Each key has its own budget.
    let bob_auth = format!("bearer {}", bob.key);
    assert_eq!(
        http_get(api, RUN, &[("authorization", &bob_auth)]).await.0,
        StatusCode::OK
    );

    let wrong = format!("Bearer {}", new_key().unwrap().key);
    for (auth, words) in [
        (wrong.as_str(), "not one this server knows"),
        ("Bearer ", "Bearer KEY"),
        ("Basic YWxpY2U6cGFzcw==", "Bearer KEY"),
        (alice.line.as_str(), "Bearer KEY"),
    ] {
        let (status, headers, body) = http_get(api, RUN, &[("authorization", auth)]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth}: {body}");
        assert_eq!(body["error"]["code"], "bad_api_key");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(words),
            "{auth}: {body}"
        );
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
}

#[tokio::test]
async fn a_server_without_keys_refuses_a_key_rather_than_ignoring_it() {
    let dns = dns().await;
    let api = serving(server_config(dns.addr, Duration::from_secs(2), 4)).await;
    let auth = format!("Bearer {}", new_key().unwrap().key);
    let (status, _, body) = http_get(api, RUN, &[("authorization", &auth)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("takes no API keys")
    );
}
