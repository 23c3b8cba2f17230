//! `POST /api/v1/reports/{id}/share` with `{"to": "name@example.com"}`: the kept report `id`
//! mailed to one recipient (`crate::share` holds the limits and the permalink). Answered
//! `{"sent": true, "permalink": …}` once the relay took the mail. The route exists only when
//! the server has a store and an SMTP relay (`GET /api/v1/config` says whether it does).

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, header};
use axum::{Extension, Json};
use netcheck_core::Report;
use serde::{Deserialize, Serialize};

use super::reports::ReportId;
use crate::store::is_id;
use crate::{ApiError, AppState};

/// The whole of what a caller may say: who gets the mail.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// One bare e-mail address, `name@example.com`.
    pub to: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Shared {
    /// Always true: the relay took the mail.
    pub sent: bool,
    /// The report's permalink, as the mail gives it.
    pub permalink: String,
}

pub async fn share(
    State(state): State<AppState>,
    Path(ReportId { id }): Path<ReportId>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Json<ShareRequest>, JsonRejection>,
) -> Result<Json<Shared>, ApiError> {
    let (Some(store), Some(sharing)) = (state.store.as_ref(), state.share.as_ref()) else {
        return Err(ApiError::NoStorage);
    };
    if !is_id(&id) {
        return Err(ApiError::BadId(id));
    }
    let Json(request) = body.map_err(|e| ApiError::BadBody(e.body_text()))?;
    let to = netcheck_mail::recipient(&request.to).map_err(ApiError::BadRecipient)?;
    let stored = store
        .load(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(id.clone()))?;
    let client = peer.map(|Extension(ConnectInfo(peer))| state.limiter.client(peer.ip(), &headers));
    sharing.admit(client, to.email.as_ref())?;
    let report: Report = serde_json::from_value(stored)
        .map_err(|e| ApiError::Internal(format!("the kept report {id} cannot be read: {e}")))?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let permalink = sharing.permalink(&id, host)?;
    let letter = netcheck_mail::Letter::of(&report, Some(&permalink))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    sharing
        .relay
        .send(&letter, &[to])
        .await
        .map_err(|e| ApiError::MailFailed(e.to_string()))?;
    Ok(Json(Shared {
        sent: true,
        permalink,
    }))
}
