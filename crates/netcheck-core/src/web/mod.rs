//! One HTTP exchange over a connection made by hand, so that every phase is timed: address
//! lookup, TCP connect, TLS handshake, time to the response head ("first byte"), and download.
//!
//! hyper's connection API (`client::conn`) does the HTTP; ALPN picks HTTP/2 or HTTP/1.1. Every
//! connection is the run's [`Dialer`]'s (`connect.rs` names its phases); what the handshake
//! negotiated is said by `tls::handshake`; following redirects is `redirect.rs`'s. This file
//! knows one request and one response.

pub mod connect;
pub mod html;
pub mod redirect;
pub mod security;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use url::Url;

use crate::dial::{ConnectAttempt, Dialer};
use crate::report::millis;
use crate::tls::{
    HandshakeFailure, Negotiated, TlsClient, handshake_failure, negotiated, server_name,
};

pub use connect::resolve_and_connect;
pub use redirect::{UnusableLocation, get_following, redirect_target};

/// What an HTTP exchange needs from the run: the one door out, the TLS client, the
/// User-Agent it sends and how much of a body it reads.
#[derive(Debug, Clone, Copy)]
pub struct HttpClient<'a> {
    pub dialer: &'a Dialer,
    pub tls: &'a TlsClient,
    pub user_agent: &'a str,
    /// Bytes of a body read at most; the rest is not downloaded.
    pub max_body_bytes: usize,
}

/// How long each phase took, in milliseconds; a phase that did not happen is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Timings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_ms: Option<f64>,
    /// From sending the request to receiving the response head.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_byte_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_ms: Option<f64>,
    pub total_ms: f64,
}

/// Why an exchange did not complete, by phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FetchError {
    /// The host's addresses could not be found.
    Dns { message: String },
    /// Every address refused the connection.
    Refused { message: String },
    /// No address answered the connection attempt.
    ConnectTimeout { message: String },
    /// No route to any address.
    Unreachable { message: String },
    /// The TLS handshake failed (not the certificate verdict: that never fails a handshake).
    Tls {
        message: String,
        no_common_protocol: bool,
    },
    /// The server broke the HTTP exchange.
    Http { message: String },
    /// The check's time ran out in the named phase.
    Timeout { phase: String, message: String },
    /// The target policy refuses the host (an internal address): nothing was sent to it.
    Forbidden { message: String },
}

impl FetchError {
    pub fn message(&self) -> &str {
        match self {
            FetchError::Dns { message }
            | FetchError::Refused { message }
            | FetchError::ConnectTimeout { message }
            | FetchError::Unreachable { message }
            | FetchError::Tls { message, .. }
            | FetchError::Http { message }
            | FetchError::Timeout { message, .. }
            | FetchError::Forbidden { message } => message,
        }
    }
}

/// One request and its response head, with how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Exchange {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_address: Option<SocketAddr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connect_attempts: Vec<ConnectAttempt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Negotiated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub timings: Timings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FetchError>,
}

/// The response of an exchange, as far as it was read.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub headers: http::HeaderMap,
    pub body: Bytes,
    /// The body was longer than the cap and the rest was not downloaded.
    pub truncated: bool,
}

/// A connected transport after the optional TLS handshake.
pub trait Transport: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Transport for T {}

impl From<HandshakeFailure> for FetchError {
    fn from(f: HandshakeFailure) -> FetchError {
        FetchError::Tls {
            message: f.message,
            no_common_protocol: f.no_common_protocol,
        }
    }
}

/// What a browser asks for; the site check's Accept header.
pub const ACCEPT_HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// Connects, shakes hands when the URL is https, sends one GET and reads the response (body
/// capped at `max_body_bytes`). Never returns an error: what failed is in `Exchange::error`.
pub async fn fetch(
    client: &HttpClient<'_>,
    url: &Url,
    deadline: Instant,
) -> (Exchange, Option<Response>) {
    fetch_accepting(client, url, deadline, ACCEPT_HTML).await
}

/// `fetch` with a chosen Accept header (RDAP asks for application/rdap+json).
pub async fn fetch_accepting(
    client: &HttpClient<'_>,
    url: &Url,
    deadline: Instant,
    accept: &str,
) -> (Exchange, Option<Response>) {
    let started = Instant::now();
    let mut exchange = Exchange {
        url: url.to_string(),
        remote_address: None,
        connect_attempts: Vec::new(),
        tls: None,
        http_version: None,
        status: None,
        location: None,
        timings: Timings::default(),
        error: None,
    };
    let response = fetch_into(client, url, deadline, accept, &mut exchange).await;
    exchange.timings.total_ms = millis(started.elapsed());
    match response {
        Ok(r) => (exchange, Some(r)),
        Err(e) => {
            exchange.error = Some(e);
            (exchange, None)
        }
    }
}

async fn fetch_into(
    client: &HttpClient<'_>,
    url: &Url,
    deadline: Instant,
    accept: &str,
    exchange: &mut Exchange,
) -> Result<Response, FetchError> {
    let host = url
        .host_str()
        .ok_or_else(|| FetchError::Http {
            message: format!("{url} has no host"),
        })?
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let (tcp, address, attempts) = match resolve_and_connect(
        client.dialer,
        &host,
        port,
        deadline,
        &mut exchange.timings,
    )
    .await
    {
        Ok(ok) => ok,
        Err((e, attempts)) => {
            exchange.connect_attempts = attempts;
            return Err(e);
        }
    };
    exchange.connect_attempts = attempts;
    exchange.remote_address = Some(address);
    let bare_host = host.trim_matches(['[', ']']).to_owned();
    if url.scheme() == "https" {
        let name = server_name(&bare_host).map_err(|e| FetchError::Tls {
            message: e.to_string(),
            no_common_protocol: false,
        })?;
        let tls_started = Instant::now();
        let (result, seen) = within(
            deadline,
            "TLS handshake",
            client.tls.handshake(tcp, name, &[b"h2", b"http/1.1"]),
        )
        .await?;
        exchange.timings.tls_ms = Some(millis(tls_started.elapsed()));
        let stream = result.map_err(|e| FetchError::from(handshake_failure(&e)))?;
        let (facts, _) = negotiated(stream.get_ref().1, seen.as_ref(), &bare_host);
        let h2 = facts.alpn.as_deref() == Some("h2");
        exchange.tls = Some(facts);
        request(client, stream, url, h2, deadline, accept, exchange).await
    } else {
        request(client, tcp, url, false, deadline, accept, exchange).await
    }
}

async fn within<T>(
    deadline: Instant,
    phase: &str,
    fut: impl Future<Output = T>,
) -> Result<T, FetchError> {
    tokio::time::timeout_at(deadline, fut)
        .await
        .map_err(|_| FetchError::Timeout {
            phase: phase.to_owned(),
            message: format!("the check's time ran out during the {phase}"),
        })
}

async fn request<S: Transport>(
    client: &HttpClient<'_>,
    stream: S,
    url: &Url,
    h2: bool,
    deadline: Instant,
    accept: &str,
    exchange: &mut Exchange,
) -> Result<Response, FetchError> {
    let http_err = |e: hyper::Error| FetchError::Http {
        message: format!("HTTP exchange failed: {e}"),
    };
    let io = TokioIo::new(stream);
    let authority = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let builder = http::Request::builder()
        .header(http::header::USER_AGENT, client.user_agent)
        .header(http::header::ACCEPT, accept);
    let sent = Instant::now();
    let response = if h2 {
        let (mut sender, conn) = within(
            deadline,
            "HTTP/2 handshake",
            hyper::client::conn::http2::handshake(TokioExecutor::new(), io),
        )
        .await?
        .map_err(http_err)?;
        tokio::spawn(conn);
        // HTTP/2 carries the authority in the :authority pseudo-header, from an absolute URI.
        let req = builder
            .uri(url.as_str())
            .version(http::Version::HTTP_2)
            .body(Empty::<Bytes>::new())
            .map_err(|e| FetchError::Http {
                message: e.to_string(),
            })?;
        within(
            deadline,
            "wait for the first byte",
            sender.send_request(req),
        )
        .await?
        .map_err(http_err)?
    } else {
        let (mut sender, conn) = within(
            deadline,
            "HTTP handshake",
            hyper::client::conn::http1::handshake(io),
        )
        .await?
        .map_err(http_err)?;
        tokio::spawn(conn);
        let req = builder
            .uri(path)
            .header(http::header::HOST, authority)
            .body(Empty::<Bytes>::new())
            .map_err(|e| FetchError::Http {
                message: e.to_string(),
            })?;
        within(
            deadline,
            "wait for the first byte",
            sender.send_request(req),
        )
        .await?
        .map_err(http_err)?
    };
    exchange.timings.first_byte_ms = Some(millis(sent.elapsed()));
    exchange.http_version = Some(format!("{:?}", response.version()));
    exchange.status = Some(response.status().as_u16());
    exchange.location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (parts, body) = response.into_parts();
    let download_started = Instant::now();
    let (body, truncated, error) = read_capped(body, client.max_body_bytes, deadline).await;
    exchange.timings.download_ms = Some(millis(download_started.elapsed()));
    if let Some(e) = error {
        exchange.error = Some(e);
    }
    Ok(Response {
        headers: parts.headers,
        body,
        truncated,
    })
}

/// Reads a body up to `cap` bytes or until `deadline`; what was read is kept either way.
async fn read_capped(
    mut body: hyper::body::Incoming,
    cap: usize,
    deadline: Instant,
) -> (Bytes, bool, Option<FetchError>) {
    let mut buf = BytesMut::new();
    loop {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                let message = format!(
                    "the check's time ran out during the download, after {} bytes",
                    buf.len()
                );
                return (
                    buf.freeze(),
                    false,
                    Some(FetchError::Timeout {
                        phase: "download".into(),
                        message,
                    }),
                );
            }
            Ok(None) => return (buf.freeze(), false, None),
            Ok(Some(Err(e))) => {
                let message = format!("the body broke off after {} bytes: {e}", buf.len());
                return (buf.freeze(), false, Some(FetchError::Http { message }));
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    let room = cap.saturating_sub(buf.len());
                    buf.extend_from_slice(&data[..data.len().min(room)]);
                    if data.len() > room {
                        return (buf.freeze(), true, None);
                    }
                }
            }
        }
    }
}

/// Why a small GET gave no body.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SmallFetchError {
    #[error("not a URL: {0}")]
    NotAUrl(#[source] url::ParseError),
    /// The exchange itself failed (lookup, connect, TLS, HTTP, time).
    #[error("{}", .0.message())]
    Exchange(FetchError),
    #[error("the answer is larger than a certificate can be")]
    TooLarge,
    #[error("HTTP {0}")]
    Status(u16),
    #[error("no answer")]
    NoAnswer,
}

/// A small bounded GET for a certificate named by an AIA URL: plain HTTP, as RFC 5280 §4.2.2.1
/// requires for caIssuers.
pub async fn fetch_small(
    client: &HttpClient<'_>,
    url: &str,
    bound: Duration,
) -> Result<Bytes, SmallFetchError> {
    let url = Url::parse(url).map_err(SmallFetchError::NotAUrl)?;
    let deadline = Instant::now() + bound;
    let (exchange, response) = fetch(client, &url, deadline).await;
    if let Some(e) = exchange.error {
        return Err(SmallFetchError::Exchange(e));
    }
    match (exchange.status, response) {
        (Some(200), Some(r)) if !r.truncated => Ok(r.body),
        (Some(200), Some(_)) => Err(SmallFetchError::TooLarge),
        (Some(status), _) => Err(SmallFetchError::Status(status)),
        (None, _) => Err(SmallFetchError::NoAnswer),
    }
}
