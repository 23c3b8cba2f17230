//! HTTP and HTTPS servers (hyper, rustls) with the routes the site check is tested against (a
//! hostile deeply nested page among them), and
//! two raw TCP peers: one that answers a byte a second, one that refuses every TLS version.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::pki::ServerIdentity;

/// Size of the `/big` body.
pub const BIG_BODY: usize = 10 * 1024 * 1024;

pub const PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>netcheck test page</title>\
    <meta name=\"description\" content=\"A page served by the netcheck testkit.\"></head><body>hello</body></html>";

type Body = BoxBody<Bytes, Infallible>;

/// A running server; stops when dropped.
pub struct WebServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
    (l, addr)
}

impl WebServer {
    /// Plain HTTP.
    pub async fn http() -> WebServer {
        Self::start(None, HashMap::new()).await
    }

    /// HTTPS with `identity`, offering h2 and http/1.1.
    pub async fn https(identity: &ServerIdentity) -> WebServer {
        Self::start(Some(identity), HashMap::new()).await
    }

    /// Serves `files` under `/file/NAME` besides the usual routes.
    pub async fn start(
        identity: Option<&ServerIdentity>,
        files: HashMap<String, Vec<u8>>,
    ) -> WebServer {
        let acceptor = identity.map(|id| {
            let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth()
                    .with_single_cert(id.chain.clone(), id.clone_key())
            })
            .unwrap_or_else(|e| panic!("server config: {e}"));
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            TlsAcceptor::from(Arc::new(config))
        });
        let files = Arc::new(files);
        let (listener, addr) = listener().await;
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                // As nginx's tcp_nodelay: responses are not held back for delayed ACKs.
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let files = files.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let files = files.clone();
                        async move { Ok::<_, Infallible>(route(req, &files)) }
                    });
                    let builder = auto::Builder::new(TokioExecutor::new());
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(tcp).await {
                                let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                            }
                        }
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                        }
                    }
                });
            }
        });
        WebServer { addr, task }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into()).boxed()
}

fn respond(status: StatusCode, headers: &[(&str, &str)], body: Body) -> Response<Body> {
    let mut builder = Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder
        .body(body)
        .unwrap_or_else(|e| panic!("response: {e}"))
}

fn route(req: Request<Incoming>, files: &HashMap<String, Vec<u8>>) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] => respond(
            StatusCode::OK,
            &[
                ("content-type", "text/html; charset=utf-8"),
                (
                    "strict-transport-security",
                    "max-age=63072000; includeSubDomains",
                ),
                (
                    "content-security-policy",
                    "default-src 'self'; frame-ancestors 'none'",
                ),
                ("x-content-type-options", "nosniff"),
                ("referrer-policy", "no-referrer"),
                ("permissions-policy", "camera=()"),
                (
                    "set-cookie",
                    "session=s3cr3t; Path=/; Secure; HttpOnly; SameSite=Lax",
                ),
            ],
            full(PAGE),
        ),
        ["bare"] => respond(
            StatusCode::OK,
            &[
                ("content-type", "text/html"),
                ("set-cookie", "track=1; Path=/"),
            ],
            full(PAGE),
        ),
        ["redirect", n] => {
            let n: u32 = n.parse().unwrap_or(0);
            let (status, location) = if n == 0 {
                (StatusCode::MOVED_PERMANENTLY, "/".to_owned())
            } else {
                (StatusCode::FOUND, format!("/redirect/{}", n - 1))
            };
            respond(status, &[("location", &location)], full(""))
        }
        ["loop", "a"] => respond(
            StatusCode::MOVED_PERMANENTLY,
            &[("location", "/loop/b")],
            full(""),
        ),
        ["loop", "b"] => respond(
            StatusCode::MOVED_PERMANENTLY,
            &[("location", "/loop/a")],
            full(""),
        ),
        ["to", rest @ ..] => {
            // /to/http/HOST:PORT/PATH redirects to another origin.
            let location = match rest {
                [scheme, authority, tail @ ..] => {
                    format!("{scheme}://{authority}/{}", tail.join("/"))
                }
                _ => "/".to_owned(),
            };
            respond(
                StatusCode::MOVED_PERMANENTLY,
                &[("location", &location)],
                full(""),
            )
        }
        ["big"] => {
            let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
            let stream = futures::stream::iter(
                (0..BIG_BODY / chunk.len()).map(move |_| Ok(Frame::data(chunk.clone()))),
            );
            respond(
                StatusCode::OK,
                &[("content-type", "application/octet-stream")],
                StreamBody::new(stream).boxed(),
            )
        }
        // A hostile page: its title, then DEPTH unclosed <div> (a DOM of it costs minutes).
        ["nested", depth] => {
            let depth: usize = depth.parse().unwrap_or(0);
            let mut page =
                b"<!doctype html><html><head><title>nested page</title></head><body>".to_vec();
            page.extend(std::iter::repeat_n(b"<div>".as_slice(), depth).flatten());
            respond(StatusCode::OK, &[("content-type", "text/html")], full(page))
        }
        ["slow-body"] => {
            let stream = futures::stream::unfold(0u32, |i| async move {
                if i >= 60 {
                    return None;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                Some((Ok(Frame::data(Bytes::from_static(b"x"))), i + 1))
            });
            respond(
                StatusCode::OK,
                &[("content-type", "text/plain")],
                StreamBody::new(stream).boxed(),
            )
        }
        ["status", code] => {
            let status = code
                .parse()
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::BAD_REQUEST);
            respond(
                status,
                &[("content-type", "text/html")],
                full(format!("<title>{status}</title>")),
            )
        }
        ["rdap", kind @ ("domain" | "ip"), name] => match files.get(&format!("rdap/{kind}/{name}"))
        {
            Some(bytes) => respond(
                StatusCode::OK,
                &[("content-type", "application/rdap+json")],
                full(bytes.clone()),
            ),
            None => respond(
                StatusCode::NOT_FOUND,
                &[("content-type", "application/rdap+json")],
                full("{\"errorCode\":404}"),
            ),
        },
        ["file", name] => match files.get(*name) {
            Some(bytes) => respond(
                StatusCode::OK,
                &[("content-type", "application/pkix-cert")],
                full(bytes.clone()),
            ),
            None => respond(StatusCode::NOT_FOUND, &[], full("")),
        },
        _ => respond(
            StatusCode::NOT_FOUND,
            &[("content-type", "text/plain")],
            full("not found"),
        ),
    }
}

/// A raw TCP peer that, once a request arrives, answers it one byte a second.
pub async fn one_byte_a_second() -> WebServer {
    raw_peer(|mut tcp| async move {
        let mut buf = [0u8; 1024];
        let _ = tcp.read(&mut buf).await;
        for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello" {
            if tcp.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await
}

/// A raw TCP peer that answers any ClientHello with a fatal protocol_version alert, as a server
/// that speaks only versions we do not offer does (RFC 8446 §6.2).
pub async fn no_common_tls_version() -> WebServer {
    raw_peer(|mut tcp| async move {
        let mut buf = [0u8; 2048];
        let _ = tcp.read(&mut buf).await;
        // TLS record: alert (21), TLS 1.0 record version, length 2, fatal (2), protocol_version (70).
        let _ = tcp
            .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
            .await;
        let _ = tcp.shutdown().await;
    })
    .await
}

/// A loopback listener that hands every connection to `serve` on its own task.
async fn raw_peer<F, Fut>(serve: F) -> WebServer
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (listener, addr) = listener().await;
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(tcp));
        }
    });
    WebServer { addr, task }
}
