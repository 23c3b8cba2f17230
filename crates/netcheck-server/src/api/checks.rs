//! What the server can run: the check registry's metadata, and the schema of what it returns.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;

/// `GET /api/v1/checks`: every check the server runs (its operator's `--only`), in report
/// order, with its own description.
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let checks: Vec<Value> = state
        .registry
        .iter()
        .filter(|c| state.options.runs(c.meta().id))
        .map(|c| {
            let m = c.meta();
            json!({
                "id": m.id,
                "title": m.title,
                "summary": m.summary,
                "needs_privileges": m.needs_privileges,
                "default_timeout_s": m.default_timeout.as_secs_f64(),
            })
        })
        .collect();
    Json(json!({ "checks": checks }))
}

/// `GET /api/v1/schema`: the JSON Schema of the report and of the streamed events.
pub async fn schema() -> Json<Value> {
    Json(netcheck_core::report::json_schema())
}
