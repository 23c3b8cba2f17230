//! One HTTP exchange over a connection made by hand, so that every phase is timed: address
//! lookup, TCP connect, TLS handshake, time to the response head ("first byte"), and download.
//!
//! hyper's connection API (`client::conn`) does the HTTP; ALPN picks HTTP/2 or HTTP/1.1. The
//! redirect logic lives in the site check; this module knows one request and one response.

pub mod connect;
pub mod html;
pub mod security;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use url::Url;

use crate::check::Context;
use crate::report::millis;
use crate::tls::certificate::CertificateInfo;
use crate::tls::verdict::{Evidence, IssuerFetch, Verdict, classify};
use crate::tls::{SeenChain, TlsClient, server_name};
use connect::{ConnectAttempt, ConnectOutcome};

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
            | FetchError::Timeout { message, .. } => message,
        }
    }
}

/// What the TLS layer of an exchange negotiated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Negotiated {
    pub version: String,
    pub cipher_suite: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_exchange_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    pub verdict: Verdict,
    pub verdict_detail: String,
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

/// Finds the addresses of `host` and connects to one; the first step of every exchange.
pub async fn resolve_and_connect(
    ctx: &Context,
    host: &str,
    port: u16,
    deadline: Instant,
    timings: &mut Timings,
) -> Result<
    (tokio::net::TcpStream, SocketAddr, Vec<ConnectAttempt>),
    (FetchError, Vec<ConnectAttempt>),
> {
    let addresses: Vec<IpAddr> = if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        vec![ip]
    } else {
        let lookup_started = Instant::now();
        let lookup = if host == ctx.target.host {
            ctx.target_addresses().await.clone()
        } else {
            ctx.resolver.lookup_addresses(host).await
        };
        // The shared lookup may have been made by another check: its own time is the phase.
        timings.dns_ms = Some(if host == ctx.target.host {
            lookup.time_ms
        } else {
            millis(lookup_started.elapsed())
        });
        if let Some(why) = lookup.failure() {
            return Err((FetchError::Dns { message: why }, Vec::new()));
        }
        lookup.addresses
    };
    let connect_started = Instant::now();
    let (stream, attempts) =
        connect::connect(&addresses, port, ctx.options.connect_timeout, deadline).await;
    timings.connect_ms = attempts
        .iter()
        .find(|a| a.outcome == ConnectOutcome::Connected)
        .map(|a| a.time_ms);
    match stream {
        Some((stream, address)) => Ok((stream, address, attempts)),
        None => {
            let error = connect_failure(
                &attempts,
                Instant::now() >= deadline,
                millis(connect_started.elapsed()),
            );
            Err((error, attempts))
        }
    }
}

fn connect_failure(attempts: &[ConnectAttempt], out_of_time: bool, waited_ms: f64) -> FetchError {
    let list = attempts
        .iter()
        .map(|a| format!("{} {}", a.address, outcome_words(a.outcome)))
        .collect::<Vec<_>>()
        .join(", ");
    if out_of_time {
        return FetchError::Timeout {
            phase: "connect".into(),
            message: format!("connecting took too long: {list}"),
        };
    }
    let all = |o: ConnectOutcome| !attempts.is_empty() && attempts.iter().all(|a| a.outcome == o);
    if all(ConnectOutcome::Refused) {
        FetchError::Refused {
            message: format!("connection refused: {list}"),
        }
    } else if all(ConnectOutcome::TimedOut) {
        FetchError::ConnectTimeout {
            message: format!(
                "no answer to the connection attempt after {} ms: {list}",
                waited_ms.round()
            ),
        }
    } else if attempts
        .iter()
        .any(|a| a.outcome == ConnectOutcome::Unreachable)
    {
        FetchError::Unreachable {
            message: format!("no route to the server: {list}"),
        }
    } else if attempts
        .iter()
        .any(|a| a.outcome == ConnectOutcome::Refused)
    {
        FetchError::Refused {
            message: format!("could not connect: {list}"),
        }
    } else {
        FetchError::ConnectTimeout {
            message: format!("could not connect: {list}"),
        }
    }
}

fn outcome_words(o: ConnectOutcome) -> &'static str {
    match o {
        ConnectOutcome::Connected => "connected",
        ConnectOutcome::Refused => "refused",
        ConnectOutcome::TimedOut => "timed out",
        ConnectOutcome::Unreachable => "unreachable",
        ConnectOutcome::Abandoned => "not tried",
        ConnectOutcome::Error => "failed",
    }
}

/// What a finished TLS handshake negotiated, and the verdict on its chain.
pub fn negotiated(
    conn: &rustls::ClientConnection,
    seen: Option<&SeenChain>,
    host: &str,
) -> (Negotiated, Vec<CertificateInfo>) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let chain: Vec<CertificateInfo> = seen
        .map(|s| {
            s.chain
                .iter()
                .filter_map(|c| CertificateInfo::parse(c, now).ok())
                .collect()
        })
        .unwrap_or_default();
    let (verdict, verdict_detail) = match seen {
        Some(s) => classify(&Evidence {
            webpki: &s.result,
            handshake: None,
            chain: &chain,
            host,
            issuer_fetch: &IssuerFetch::NotTried,
        }),
        None => (
            Verdict::Invalid,
            "the server sent no certificate".to_owned(),
        ),
    };
    let facts = Negotiated {
        version: conn
            .protocol_version()
            .map(|v| version_name(v).to_owned())
            .unwrap_or_default(),
        cipher_suite: conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        key_exchange_group: conn
            .negotiated_key_exchange_group()
            .map(|g| format!("{:?}", g.name())),
        alpn: conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        verdict,
        verdict_detail,
    };
    (facts, chain)
}

pub fn version_name(v: rustls::ProtocolVersion) -> &'static str {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3",
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2",
        rustls::ProtocolVersion::TLSv1_1 => "TLS 1.1",
        rustls::ProtocolVersion::TLSv1_0 => "TLS 1.0",
        _ => "unknown",
    }
}

/// Explains a failed handshake; "no common protocol" when the peer and we share no version or
/// cipher suite (RFC 8446 §6.2: protocol_version / handshake_failure alerts).
pub fn tls_failure(e: &std::io::Error) -> FetchError {
    use rustls::{AlertDescription, Error, PeerIncompatible};
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<Error>());
    let no_common = matches!(
        inner,
        Some(Error::AlertReceived(
            AlertDescription::ProtocolVersion
                | AlertDescription::HandshakeFailure
                | AlertDescription::InsufficientSecurity
        )) | Some(Error::PeerIncompatible(
            PeerIncompatible::NoCipherSuitesInCommon
                | PeerIncompatible::NoKxGroupsInCommon
                | PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::Tls12NotOffered
                | PeerIncompatible::Tls12NotOfferedOrEnabled
                | PeerIncompatible::Tls13RequiredForQuic
        ))
    );
    // rustls's Display of its errors is debug text ("invalid peer certificate: BadSignature"):
    // its errors are said in words by tls::words.
    let said = match inner {
        Some(inner) => crate::tls::words::handshake_error(inner),
        None => e.to_string(),
    };
    let message = if no_common {
        format!(
            "no common protocol: the server offers no TLS version or cipher suite that netcheck speaks ({said})"
        )
    } else if matches!(inner, Some(Error::InvalidMessage(_))) {
        "the server does not speak TLS on this port".to_owned()
    } else {
        format!("TLS handshake failed: {said}")
    };
    FetchError::Tls {
        message,
        no_common_protocol: no_common,
    }
}

/// The next URL when `exchange` is a redirect (RFC 9110 §15.4): `Ok(url)`, or `Err(location)`
/// when the Location cannot be resolved. `None` when it is not a redirect.
pub fn redirect_target(base: &Url, exchange: &Exchange) -> Option<Result<Url, String>> {
    let status = exchange.status?;
    if !matches!(status, 301 | 302 | 303 | 307 | 308) || exchange.error.is_some() {
        return None;
    }
    let location = exchange.location.as_deref()?;
    Some(
        base.join(location)
            .map_err(|_| location.to_owned())
            .and_then(|u| match u.scheme() {
                "http" | "https" => Ok(u),
                _ => Err(location.to_owned()),
            }),
    )
}

/// What a browser asks for; the site check's Accept header.
pub const ACCEPT_HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// Connects, shakes hands when the URL is https, sends one GET and reads the response (body
/// capped at `max_body_bytes`). Never returns an error: what failed is in `Exchange::error`.
pub async fn fetch(
    ctx: &Context,
    tls: &TlsClient,
    url: &Url,
    deadline: Instant,
) -> (Exchange, Option<Response>) {
    fetch_accepting(ctx, tls, url, deadline, ACCEPT_HTML).await
}

/// `fetch` with a chosen Accept header (RDAP asks for application/rdap+json).
pub async fn fetch_accepting(
    ctx: &Context,
    tls: &TlsClient,
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
    let response = fetch_into(ctx, tls, url, deadline, accept, &mut exchange).await;
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
    ctx: &Context,
    tls: &TlsClient,
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
    let (tcp, address, attempts) =
        match resolve_and_connect(ctx, &host, port, deadline, &mut exchange.timings).await {
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
        let name = server_name(&bare_host).map_err(|message| FetchError::Tls {
            message,
            no_common_protocol: false,
        })?;
        let tls_started = Instant::now();
        let (result, seen) = within(
            deadline,
            "TLS handshake",
            tls.handshake(tcp, name, &[b"h2", b"http/1.1"]),
        )
        .await?;
        exchange.timings.tls_ms = Some(millis(tls_started.elapsed()));
        let stream = result.map_err(|e| tls_failure(&e))?;
        let (facts, _) = negotiated(stream.get_ref().1, seen.as_ref(), &bare_host);
        let h2 = facts.alpn.as_deref() == Some("h2");
        exchange.tls = Some(facts);
        request(ctx, stream, url, h2, deadline, accept, exchange).await
    } else {
        request(ctx, tcp, url, false, deadline, accept, exchange).await
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
    ctx: &Context,
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
        .header(http::header::USER_AGENT, &ctx.settings.user_agent)
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
    let (body, truncated, error) = read_capped(body, ctx.options.max_body_bytes, deadline).await;
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

/// GET that follows redirects (at most `max_redirects`), as API clients need; every exchange
/// is returned, the last response with it.
pub async fn get_following(
    ctx: &Context,
    tls: &TlsClient,
    start: &Url,
    deadline: Instant,
    accept: &str,
    max_redirects: usize,
) -> (Vec<Exchange>, Option<Response>) {
    let mut url = start.clone();
    let mut exchanges: Vec<Exchange> = Vec::new();
    loop {
        let (exchange, response) = fetch_accepting(ctx, tls, &url, deadline, accept).await;
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

/// A small bounded GET for a certificate named by an AIA URL: plain HTTP, as RFC 5280 §4.2.2.1
/// requires for caIssuers.
pub async fn fetch_small(
    ctx: &Context,
    tls: &TlsClient,
    url: &str,
    bound: Duration,
) -> Result<Bytes, String> {
    let url = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let deadline = Instant::now() + bound;
    let (exchange, response) = fetch(ctx, tls, &url, deadline).await;
    if let Some(e) = &exchange.error {
        return Err(e.message().to_owned());
    }
    match (exchange.status, response) {
        (Some(200), Some(r)) if !r.truncated => Ok(r.body),
        (Some(200), Some(_)) => Err("the answer is larger than a certificate can be".into()),
        (Some(status), _) => Err(format!("HTTP {status}")),
        (None, _) => Err("no answer".into()),
    }
}
