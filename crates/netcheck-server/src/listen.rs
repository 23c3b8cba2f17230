//! The server's own connections, bounded: how many at once (in all, and per client address),
//! how long a client may take to send its request's headers (slowloris), how long a connection
//! may stay idle between requests, and how long it may live. axum's `serve` has none of these,
//! so the accept loop is written here on hyper-util's connection builder.
//!
//! A connection beyond a cap is closed at once, before a byte is read: a client that opens
//! thousands of half-open connections holds at most its own share, and `/healthz` and everyone
//! else still get in. The file-descriptor limit is raised to the hard limit at start, and an
//! accept that fails (EMFILE) waits a moment instead of ending the server.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// What bounds the server's connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once, in all.
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub max_per_client: usize,
    /// From a connection's start (or the end of its last response) to the end of the next
    /// request's headers.
    pub header_read: Duration,
    /// A connection's whole life, streams included.
    pub max_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            max_per_client: 64,
            header_read: Duration::from_secs(10),
            max_lifetime: Duration::from_secs(600),
        }
    }
}

/// Connections open per client address.
#[derive(Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

/// A client's place, given back when its connection ends.
struct ClientSlot {
    table: Arc<PerClient>,
    ip: IpAddr,
}

impl PerClient {
    fn take(table: &Arc<PerClient>, ip: IpAddr, max: usize) -> Option<ClientSlot> {
        let mut open = table.0.lock().ok()?;
        let n = open.entry(ip).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            table: table.clone(),
            ip,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.table.0.lock()
            && let Some(n) = open.get_mut(&self.ip)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Raises this process's open-file limit to its hard limit: each connection is a descriptor.
pub fn raise_fd_limit() {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!("cannot raise the open-file limit: {e}");
    }
}

/// Serves `app` on `listener` within `limits` until the process ends. Handlers see the
/// client's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits) -> std::io::Result<()> {
    raise_fd_limit();
    let all = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_client = Arc::new(PerClient::default());
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors or a connection reset before accept: not the server's end.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = all.clone().try_acquire_owned() else {
            tracing::debug!(
                "{peer}: closed, {} connections open",
                limits.max_connections
            );
            continue;
        };
        let Some(slot) = PerClient::take(&per_client, peer.ip(), limits.max_per_client) else {
            tracing::debug!(
                "{peer}: closed, its address has {} open",
                limits.max_per_client
            );
            continue;
        };
        let app = app.clone();
        tokio::spawn(async move {
            let _held = (permit, slot);
            let _ = stream.set_nodelay(true);
            let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(request.map(axum::body::Body::new))
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read);
            builder
                .http2()
                .timer(TokioTimer::new())
                .keep_alive_interval(Some(Duration::from_secs(30)))
                .keep_alive_timeout(limits.header_read);
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = tokio::time::timeout(limits.max_lifetime, connection).await {
                tracing::debug!("{peer}: connection closed after its lifetime: {e}");
            }
        });
    }
}
