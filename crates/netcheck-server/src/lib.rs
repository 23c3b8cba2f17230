//! netcheck's HTTP API: a face over the same engine as the CLI. A target comes in; the runner's
//! events go out as Server-Sent Events while the checks run, each check's section the moment it
//! finishes, and the whole report last. The server measures nothing and renders nothing: it
//! hands the engine's types out as JSON (their schema is `GET /api/v1/schema`).
//!
//! Built as an axum app (`app`) that tests drive without a socket, and `serve` that binds it.
//! What a request may choose is the target and which checks run; everything else (resolvers,
//! timeouts, trust anchors, data files) is the server's configuration, so a caller cannot point
//! the server's DNS or WHOIS traffic elsewhere.

mod api;
mod error;

use std::sync::Arc;

use axum::Router;
use netcheck_core::Config;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use error::ApiError;

/// What the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The engine's settings for every report; a request narrows `only`, nothing else.
    pub engine: Config,
    /// Reports that may run at once; a request beyond that is answered 503 at once.
    pub max_concurrent: usize,
}

/// Shared by every request.
#[derive(Debug, Clone)]
pub struct AppState {
    engine: Arc<Config>,
    permits: Arc<Semaphore>,
    max_concurrent: usize,
}

/// The API as a router, for `serve` or for a test to call without a socket.
pub fn app(config: ServerConfig) -> Router {
    let max_concurrent = config.max_concurrent.max(1);
    api::routes(AppState {
        engine: Arc::new(config.engine),
        permits: Arc::new(Semaphore::new(max_concurrent)),
        max_concurrent,
    })
}

/// Serves the API on `listener` until the process ends.
pub async fn serve(listener: TcpListener, config: ServerConfig) -> std::io::Result<()> {
    axum::serve(listener, app(config)).await
}
