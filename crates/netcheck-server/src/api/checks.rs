//! What the server can run: the check registry's metadata, and the schema of what it returns.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;

use crate::AppState;

/// The checks, in report order.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CheckList {
    pub checks: Vec<CheckInfo>,
}

/// One check, as it describes itself.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CheckInfo {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub needs_privileges: bool,
    pub default_timeout_s: f64,
}

/// `GET /api/v1/checks`: every check the server runs (its operator's `--only`), in report
/// order, with its own description.
pub async fn list(State(state): State<AppState>) -> Json<CheckList> {
    let checks = state
        .registry
        .iter()
        .filter(|c| state.options.runs(c.meta().id))
        .map(|c| {
            let m = c.meta();
            CheckInfo {
                id: m.id.to_owned(),
                title: m.title.to_owned(),
                summary: m.summary.to_owned(),
                needs_privileges: m.needs_privileges,
                default_timeout_s: m.default_timeout.as_secs_f64(),
            }
        })
        .collect();
    Json(CheckList { checks })
}

/// `GET /api/v1/schema`: the JSON Schema of the report and of the streamed events.
pub async fn schema() -> Json<Value> {
    Json(netcheck_core::report::json_schema())
}
