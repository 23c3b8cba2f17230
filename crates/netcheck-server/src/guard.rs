//! What every response carries and what every request must show, for browsers: a public
//! netcheck is a page anyone's browser may be pointed at by another site.
//!
//! - **Host**: a request must name one of the server's own hosts (`--allowed-host`; by default
//!   localhost and the address it listens on). A page on another site that rebinds its own
//!   name to 127.0.0.1 (DNS rebinding) sends its own name as Host, and is refused: 421.
//! - **Origin**: a request a browser marks as coming from another site (an `Origin` that is
//!   neither this server's nor one of `--cors-origin`) is refused: 403 `forbidden_origin`.
//! - **CORS** on every response, errors included (the layer is outermost), for the origins the
//!   operator lists: a failing request is seen as its error, not as a CORS failure.
//! - **Headers for the UI**: a strict Content-Security-Policy (no inline script, nothing from
//!   another host, no framing), nosniff and no referrer.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// The UI's policy: its own scripts, styles and API only; the map is drawn from data it
/// fetches from itself; nothing may frame it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The hosts and origins a request may come with.
#[derive(Debug, Clone, Default)]
pub struct Allowed {
    /// Host names or addresses (no port) this server answers for; empty: any (an app embedded
    /// in a test). `netcheck serve` always fills it (`for_listener`).
    pub hosts: Vec<String>,
    /// Origins (`https://example.com`) whose pages may call the API.
    pub origins: Vec<String>,
}

impl Allowed {
    /// localhost, 127.0.0.1, ::1 and `listen`'s own address (unless unspecified), plus `more`.
    pub fn for_listener(listen: std::net::SocketAddr, more: &[String]) -> Allowed {
        let mut hosts = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        if !listen.ip().is_unspecified() {
            hosts.push(listen.ip().to_string());
        }
        hosts.extend(more.iter().map(|h| h.to_ascii_lowercase()));
        Allowed {
            hosts,
            origins: Vec::new(),
        }
    }
}

/// The host of a Host header: without port, brackets or a trailing dot, lower case.
fn host_of(value: &str) -> String {
    let value = value.trim();
    let host = if let Some(rest) = value.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        value.rsplit_once(':').map_or(value, |(h, p)| {
            if p.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                value
            }
        })
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Refuses requests for another host, and cross-site requests from origins not listed.
pub async fn check(
    State(allowed): State<std::sync::Arc<Allowed>>,
    request: Request,
    next: Next,
) -> Response {
    let headers: &HeaderMap = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_of)
        .or_else(|| request.uri().host().map(host_of));
    match &host {
        _ if allowed.hosts.is_empty() => {}
        Some(h) if allowed.hosts.iter().any(|a| a == h) => {}
        _ => {
            let host = host.as_deref().unwrap_or("a request without a Host");
            return ApiError::UnknownHost(host.to_owned()).into_response();
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let same_site = url::Url::parse(origin)
            .ok()
            .and_then(|u| u.host_str().map(host_of))
            .is_some_and(|o| Some(&o) == host.as_ref());
        let listed = allowed.origins.iter().any(|o| o == origin);
        // A CORS preflight is answered by the CORS layer outside this one.
        if !same_site && !listed && request.method() != Method::OPTIONS {
            return ApiError::ForbiddenOrigin(origin.to_owned()).into_response();
        }
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

/// CORS for the origins listed, on every response.
pub fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE])
        .expose_headers([header::LOCATION, header::RETRY_AFTER])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_compared_without_port_brackets_or_case() {
        assert_eq!(host_of("LocalHost:8080"), "localhost");
        assert_eq!(host_of("[::1]:8080"), "::1");
        assert_eq!(host_of("example.com."), "example.com");
        assert_eq!(host_of("127.0.0.1"), "127.0.0.1");
    }
}
