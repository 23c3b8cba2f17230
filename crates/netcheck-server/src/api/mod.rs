//! The routes: `/api/v1/…` and `/healthz`. One small file per concern below.

mod checks;
mod config;
mod reports;
mod run;
mod share;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn routes(state: AppState) -> Router {
    // What makes the server probe something is limited per client.
    let runs = Router::new()
        .route("/api/v1/run", get(run::stream))
        .route("/api/v1/report", get(run::report))
        .route_layer(axum::middleware::from_fn_with_state(
            state.limiter.clone(),
            crate::abuse::per_client,
        ));
    let mut router = Router::new();
    if state.can_share() {
        router = router.route("/api/v1/reports/{id}/share", post(share::share));
    }
    router
        .route("/api/v1/config", get(config::features))
        .route("/api/v1/checks", get(checks::list))
        .route("/api/v1/schema", get(checks::schema))
        .merge(runs)
        .route("/api/v1/reports", get(reports::history))
        .route("/api/v1/reports/{id}", get(reports::one))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(state)
}
