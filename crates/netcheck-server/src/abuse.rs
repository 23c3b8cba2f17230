//! Abuse limits on the requests that make the server probe something (`/api/v1/run`,
//! `/api/v1/report`): a rate per client address (governor's keyed GCRA limiter), answered 429
//! with `Retry-After`. The client is the connection's peer; `X-Forwarded-For` is believed only
//! from the `--trusted-proxy` ranges, and then read from the right, skipping the proxies
//! themselves, so that a client cannot name itself someone else. A request with a known API key
//! (`Authorization: Bearer KEY`, keys.rs) is limited per key instead, at the operator's higher
//! key rate; an unknown key is refused (401), never taken for anonymous.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::NotUntil;
use governor::clock::{Clock, DefaultClock, QuantaInstant};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use crate::ApiError;
use crate::keys::ApiKeys;

/// Runs a client may start: `burst` at once, then `per_minute`; a caller with an API key,
/// `key_burst` then `key_per_minute`, per key.
#[derive(Debug, Clone)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpNet>,
    /// The keys given out (`--api-keys`); none by default.
    pub keys: Arc<ApiKeys>,
    pub key_per_minute: u32,
    pub key_burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_minute: 10,
            burst: 10,
            trusted_proxies: Vec::new(),
            keys: Arc::default(),
            key_per_minute: 120,
            key_burst: 30,
        }
    }
}

/// Clients remembered before the idle ones are forgotten.
const REMEMBERED: usize = 100_000;

pub struct Limiter {
    keyed: DefaultKeyedRateLimiter<IpAddr>,
    trusted: Vec<IpNet>,
    keys: Arc<ApiKeys>,
    /// Per API key, by its place in the key file.
    by_key: DefaultKeyedRateLimiter<usize>,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter").finish_non_exhaustive()
    }
}

impl Limiter {
    pub fn new(limit: &RateLimit) -> Limiter {
        Limiter {
            keyed: RateLimiter::keyed(quota(limit.per_minute, limit.burst)),
            trusted: limit.trusted_proxies.clone(),
            keys: limit.keys.clone(),
            by_key: RateLimiter::keyed(quota(limit.key_per_minute, limit.key_burst)),
        }
    }

    /// The client a request comes from: the peer, or what a trusted proxy says it forwards.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted.iter().any(|n| n.contains(&peer)) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        // Each proxy appends the address it heard from: the first one from the right that is
        // not a trusted proxy is the client.
        forwarded
            .iter()
            .rev()
            .find(|a| !self.trusted.iter().any(|n| n.contains(*a)))
            .copied()
            .unwrap_or(peer)
    }

    /// The key a request presents: `None` without `Authorization`, its place in the key file
    /// when it is known, and why not otherwise.
    fn key(&self, headers: &HeaderMap) -> Result<Option<usize>, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        // RFC 6750 §2.1: `Bearer` (any case), one space, the token.
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                ApiError::BadApiKey("Authorization must be `Bearer KEY`, with an API key".into())
            })?;
        if self.keys.is_empty() {
            return Err(ApiError::BadApiKey(
                "this server takes no API keys: leave Authorization out".into(),
            ));
        }
        match self.keys.find(token) {
            Some(i) => Ok(Some(i)),
            None => Err(ApiError::BadApiKey(
                "this API key is not one this server knows: check it, or leave Authorization out to run at the anonymous rate".into(),
            )),
        }
    }
}

/// 429 with when to try again.
fn limited(who: &str, not_until: NotUntil<QuantaInstant>) -> Response {
    let seconds = seconds_until(&not_until);
    ApiError::RateLimited {
        message: format!("{who} has started too many runs: try again in {seconds} s"),
        retry_after: seconds,
    }
    .into_response()
}

/// The middleware: a request over its client's (or its key's) rate is answered 429 before it
/// runs; one with an unknown key, 401.
pub async fn per_client(
    State(limiter): State<Arc<Limiter>>,
    request: Request,
    next: Next,
) -> Response {
    let key = match limiter.key(request.headers()) {
        Ok(key) => key,
        Err(refused) => return refused.into_response(),
    };
    if let Some(i) = key {
        return match limiter.by_key.check_key(&i) {
            Ok(()) => next.run(request).await,
            Err(not_until) => limited("this API key", not_until),
        };
    }
    let Some(peer) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        // An app called without a socket (a test, an embedding): nobody to limit.
        return next.run(request).await;
    };
    let client = limiter.client(peer, request.headers());
    if limiter.keyed.len() > REMEMBERED {
        limiter.keyed.retain_recent();
    }
    match limiter.keyed.check_key(&client) {
        Ok(()) => next.run(request).await,
        Err(not_until) => limited(&client.to_string(), not_until),
    }
}

/// How long until governor lets the next one through, in whole seconds, rounded up.
pub(crate) fn seconds_until(not_until: &NotUntil<QuantaInstant>) -> u64 {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let limiter = Limiter::new(&RateLimit {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..RateLimit::default()
        });
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "198.51.100.7, 203.0.113.9, 10.1.1.1".parse().unwrap(),
        );
        let peer_proxy: IpAddr = "10.2.2.2".parse().unwrap();
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        // The rightmost address that is not one of our proxies.
        assert_eq!(
            limiter.client(peer_proxy, &headers),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(limiter.client(stranger, &headers), stranger);
        assert_eq!(limiter.client(peer_proxy, &HeaderMap::new()), peer_proxy);
    }
}
