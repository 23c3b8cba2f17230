//! Stored reports: `GET /api/v1/reports/{id}` (the permalink's report) and
//! `GET /api/v1/reports?target=…&limit=…` (the history, newest first; only when the operator
//! made it public with `--public-history`, since anyone may type any URL into a public
//! netcheck and another's targets are theirs).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Entry, is_id};
use crate::{ApiError, AppState};

/// A kept report's id, in the path.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReportId {
    /// 32 hexadecimal digits.
    pub id: String,
}

/// A kept report, as it was stored: a report, of the schema version it was written with, or a
/// run in several regions (kind `regions`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Kept(#[schemars(with = "super::run::ReportAnswer")] Value);

/// A history: newest first.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct History {
    pub reports: Vec<Entry>,
}

/// At most this many reports in one history answer.
const HISTORY_MAX: i64 = 100;

pub async fn one(
    State(state): State<AppState>,
    Path(ReportId { id }): Path<ReportId>,
) -> Result<Json<Kept>, ApiError> {
    let store = state.store.as_ref().ok_or(ApiError::NoStorage)?;
    if !is_id(&id) {
        return Err(ApiError::BadId(id));
    }
    match store.load(&id).await? {
        Some(report) => Ok(Json(Kept(report))),
        None => Err(ApiError::NotFound(id)),
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct HistoryQuery {
    /// A target as typed (a URL, a host…): its host's reports; all when absent.
    target: Option<String>,
    /// At most this many, 1 to 100; 20 when absent.
    limit: Option<i64>,
}

pub async fn history(
    State(state): State<AppState>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<History>, ApiError> {
    let store = state.store.as_ref().ok_or(ApiError::NoStorage)?;
    if !state.public_history {
        return Err(ApiError::HistoryNotPublic);
    }
    let Query(query) = query.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let host = match query.target.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => Some(netcheck_core::Target::parse(t)?.host),
        None => None,
    };
    let limit = query.limit.unwrap_or(20).clamp(1, HISTORY_MAX);
    let reports = store.history(host.as_deref(), limit).await?;
    Ok(Json(History { reports }))
}
