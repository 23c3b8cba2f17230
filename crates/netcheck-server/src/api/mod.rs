//! The routes: `/api/v1/…` and `/healthz`. One small file per concern below.

mod checks;
mod reports;
mod run;

use axum::Router;
use axum::routing::get;

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
    Router::new()
        .route("/api/v1/checks", get(checks::list))
        .route("/api/v1/schema", get(checks::schema))
        .merge(runs)
        .route("/api/v1/reports", get(reports::history))
        .route("/api/v1/reports/{id}", get(reports::one))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(state)
}
