//! netcheck's HTTP API: a face over the same engine as the CLI. A target comes in; the runner's
//! events go out as Server-Sent Events while the checks run, each check's section the moment it
//! finishes, and the whole report last. The server measures nothing and renders nothing: it
//! hands the engine's types out as JSON (their schema is `GET /api/v1/schema`).
//!
//! Built as an axum app (`app`) that tests drive without a socket, and `serve` that binds it.
//! What a request may choose is the target and which checks run; everything else (resolvers,
//! timeouts, trust anchors, data files) is the server's configuration, so a caller cannot point
//! the server's DNS or WHOIS traffic elsewhere.

pub mod abuse;
mod api;
pub mod cooldown;
mod error;
pub mod guard;
pub mod keys;
pub mod listen;
pub mod share;
pub mod store;

use std::sync::Arc;

use axum::Router;
use netcheck_core::{Registry, RunOptions, Settings};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use api::openapi;
pub use error::{ApiError, ErrorBody, ErrorCode};

/// What the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The run options of every report; a request chooses its target and `checks`, nothing
    /// else.
    pub options: RunOptions,
    /// This machine's settings, for every report.
    pub settings: Settings,
    /// Reports that may run at once; a request beyond that is answered 503 at once.
    pub max_concurrent: usize,
    /// The built web UI (web/dist), served at `/`; without it `/` says how to build it.
    pub web_dir: Option<std::path::PathBuf>,
    /// Where reports are kept for history and permalinks; none are kept without it.
    pub store: Option<Arc<store::Store>>,
    /// Whether the history of stored reports may be listed; a permalink works either way.
    pub public_history: bool,
    /// The hosts requests may name and the origins whose pages may call the API.
    pub allowed: guard::Allowed,
    /// Bounds on the server's own connections.
    pub limits: listen::Limits,
    /// Runs a client may start.
    pub rate: abuse::RateLimit,
    /// Sharing a kept report by e-mail; off without it (or without a store).
    pub share: Option<share::ShareConfig>,
    /// How often one host may be reported on; zero: as often as asked.
    pub cooldown: std::time::Duration,
    /// The regions' hub (`--nats`): runs in other regions, side by side; none without it.
    pub hub: Option<netcheck_agent::Hub>,
    /// Who and where this server is, as the `here` region's agent (`serve --location --lat
    /// --lon`), so its route starts at its place on the map; none without them.
    pub here: Option<netcheck_agent::AgentInfo>,
}

/// Shared by every request.
#[derive(Debug, Clone)]
pub struct AppState {
    options: Arc<RunOptions>,
    settings: Arc<Settings>,
    registry: Arc<Registry>,
    permits: Arc<Semaphore>,
    max_concurrent: usize,
    store: Option<Arc<store::Store>>,
    public_history: bool,
    limiter: Arc<abuse::Limiter>,
    share: Option<Arc<share::Sharing>>,
    cooldown: Arc<cooldown::Cooldown>,
    hub: Option<Arc<netcheck_agent::Hub>>,
    here: Option<Arc<netcheck_agent::AgentInfo>>,
}

impl AppState {
    /// Whether a kept report can be mailed: a relay, and a store to keep it in.
    fn can_share(&self) -> bool {
        self.share.is_some() && self.store.is_some()
    }
}

/// The API as a router, for `serve` or for a test to call without a socket.
pub fn app(config: ServerConfig) -> Router {
    let cors = guard::cors(&config.allowed.origins);
    let allowed = Arc::new(config.allowed.clone());
    with_ui(config)
        .layer(axum::middleware::from_fn_with_state(allowed, guard::check))
        .layer(cors)
}

/// The API's routes, and the UI at `/`.
fn with_ui(config: ServerConfig) -> Router {
    let max_concurrent = config.max_concurrent.max(1);
    let routes = api::routes(AppState {
        options: Arc::new(config.options),
        settings: Arc::new(config.settings),
        registry: Arc::new(Registry::default()),
        permits: Arc::new(Semaphore::new(max_concurrent)),
        max_concurrent,
        store: config.store,
        public_history: config.public_history,
        limiter: Arc::new(abuse::Limiter::new(&config.rate)),
        share: config
            .share
            .map(|s| Arc::new(share::Sharing::new(s, !config.allowed.hosts.is_empty()))),
        cooldown: Arc::new(cooldown::Cooldown::new(config.cooldown)),
        hub: config.hub.map(Arc::new),
        here: config.here.map(Arc::new),
    });
    match config.web_dir.filter(|d| d.join("index.html").is_file()) {
        Some(dir) => routes.fallback_service(tower_http::services::ServeDir::new(dir)),
        None => routes.route("/", axum::routing::get(no_ui)),
    }
}

/// `/` when the UI has not been built.
async fn no_ui() -> (axum::http::StatusCode, &'static str) {
    (
        axum::http::StatusCode::NOT_FOUND,
        "netcheck's web UI is not built here: run scripts/web, then serve with --web-dir web/dist.\nThe API is at /api/v1/ (docs/api.md).\n",
    )
}

/// Serves the API on `listener` until the process ends, within the configured connection limits.
pub async fn serve(listener: TcpListener, config: ServerConfig) -> std::io::Result<()> {
    let limits = config.limits;
    listen::serve(listener, app(config), limits).await
}
