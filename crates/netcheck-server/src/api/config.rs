//! `GET /api/v1/config`: what this server offers beyond running checks, so that a page shows
//! only what will work (the e-mail form only where the server can send mail).

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::AppState;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ServerFeatures {
    /// Reports are kept: a finished run has a permalink.
    pub store: bool,
    /// `GET /api/v1/reports` lists the kept reports.
    pub public_history: bool,
    /// `POST /api/v1/reports/{id}/share` mails a kept report.
    pub share_by_mail: bool,
}

pub async fn features(State(state): State<AppState>) -> Json<ServerFeatures> {
    Json(ServerFeatures {
        store: state.store.is_some(),
        public_history: state.store.is_some() && state.public_history,
        share_by_mail: state.can_share(),
    })
}
