//! Redirects (RFC 9110 §15.4): where a 3xx answer points, and a GET that follows them for the
//! API clients (RDAP and its bootstraps). Every hop is a new exchange through the dialer, so
//! each is looked up and vetted on its own. The site check follows redirects itself, to report
//! loops and bad locations as findings, with [`redirect_target`].

use thiserror::Error;
use tokio::time::Instant;
use url::Url;

use super::{Exchange, HttpClient, Response, fetch_accepting};

/// A redirect whose Location cannot be followed: not a URL, or not http(s).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a redirect points to an unusable location: {location}")]
pub struct UnusableLocation {
    pub location: String,
}

/// The next URL when `exchange` is a redirect: `Ok(url)`, or the Location that cannot be
/// followed. `None` when it is not a redirect.
pub fn redirect_target(base: &Url, exchange: &Exchange) -> Option<Result<Url, UnusableLocation>> {
    let status = exchange.status?;
    if !matches!(status, 301 | 302 | 303 | 307 | 308) || exchange.error.is_some() {
        return None;
    }
    let location = exchange.location.as_deref()?;
    let unusable = || UnusableLocation {
        location: location.to_owned(),
    };
    Some(
        base.join(location)
            .map_err(|_| unusable())
            .and_then(|u| match u.scheme() {
                "http" | "https" => Ok(u),
                _ => Err(unusable()),
            }),
    )
}

/// GET that follows redirects (at most `max_redirects`), as API clients need; every exchange
/// is returned, the last response with it.
pub async fn get_following(
    client: &HttpClient<'_>,
    start: &Url,
    deadline: Instant,
    accept: &str,
    max_redirects: usize,
) -> (Vec<Exchange>, Option<Response>) {
    let mut url = start.clone();
    let mut exchanges: Vec<Exchange> = Vec::new();
    loop {
        let (exchange, response) = fetch_accepting(client, &url, deadline, accept).await;
        let next = redirect_target(&url, &exchange);
        exchanges.push(exchange);
        match next {
            Some(Ok(n))
                if exchanges.len() <= max_redirects
                    && !exchanges.iter().any(|e| e.url == n.as_str()) =>
            {
                url = n
            }
            _ => return (exchanges, response),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::Timings;

    fn answer(status: u16, location: Option<&str>) -> Exchange {
        Exchange {
            url: "https://example.test/a/b".into(),
            remote_address: None,
            connect_attempts: Vec::new(),
            tls: None,
            http_version: None,
            status: Some(status),
            location: location.map(str::to_owned),
            timings: Timings::default(),
            error: None,
        }
    }

    #[test]
    fn a_location_is_resolved_against_the_url_and_must_be_http() {
        let base = Url::parse("https://example.test/a/b").unwrap();
        let next = |status, location| redirect_target(&base, &answer(status, location));
        assert_eq!(
            next(301, Some("../c")),
            Some(Ok(Url::parse("https://example.test/c").unwrap()))
        );
        assert_eq!(
            next(302, Some("ftp://example.test/")),
            Some(Err(UnusableLocation {
                location: "ftp://example.test/".into()
            }))
        );
        assert_eq!(next(200, Some("/elsewhere")), None, "not a redirect");
        assert_eq!(next(307, None), None, "a redirect without Location");
    }
}
