//! The one error type of the API and the one JSON shape it takes on the wire:
//! `{"error": {"code": "bad_target", "message": "…"}}`, with the HTTP status that fits.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use netcheck_core::TargetError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the query needs a target, e.g. ?target=example.com")]
    MissingTarget,
    #[error("{0}")]
    BadQuery(String),
    #[error("{0}")]
    BadTarget(#[from] TargetError),
    #[error("unknown check '{id}'; the checks are: {known}")]
    UnknownCheck { id: String, known: String },
    #[error("this server does not run the check '{id}'; it runs: {offered}")]
    CheckNotOffered { id: String, offered: String },
    #[error("{0} reports are running, as many as this server runs at once: try again shortly")]
    Busy(usize),
    #[error(
        "{host} was last checked {started_s} s ago; this server checks a host at most once every {cooldown_s} s (so that it cannot be used to flood one): try again in {retry_after_s} s"
    )]
    CoolingDown {
        host: String,
        started_s: u64,
        cooldown_s: u64,
        retry_after_s: u64,
    },
    #[error("{0}")]
    BadApiKey(String),
    #[error("the report could not be finished: {0}")]
    Internal(String),
    #[error("this server keeps no reports (it was started with --database-url none)")]
    NoStorage,
    #[error(
        "this server does not list its reports: each is reached through its permalink (start it with --public-history to list them)"
    )]
    HistoryNotPublic,
    #[error("'{0}' is not a report id (32 hexadecimal digits)")]
    BadId(String),
    #[error("no report is stored under {0}")]
    NotFound(String),
    #[error(transparent)]
    Storage(#[from] crate::store::StoreError),
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::MissingTarget => "missing_target",
            ApiError::BadQuery(_) => "bad_query",
            ApiError::BadTarget(_) => "bad_target",
            ApiError::UnknownCheck { .. } => "unknown_check",
            ApiError::CheckNotOffered { .. } => "check_not_offered",
            ApiError::Busy(_) => "busy",
            ApiError::BadApiKey(_) => "bad_api_key",
            ApiError::CoolingDown { .. } => "cooling_down",
            ApiError::Internal(_) => "internal",
            ApiError::NoStorage => "no_storage",
            ApiError::HistoryNotPublic => "history_not_public",
            ApiError::BadId(_) => "bad_id",
            ApiError::NotFound(_) => "not_found",
            ApiError::Storage(_) => "storage_unavailable",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Busy(_) | ApiError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::NoStorage | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::HistoryNotPublic => StatusCode::FORBIDDEN,
            ApiError::BadApiKey(_) => StatusCode::UNAUTHORIZED,
            ApiError::CoolingDown { .. } => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "code": self.code(), "message": self.to_string() } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(why) => tracing::error!("{why}"),
            ApiError::Storage(why) => tracing::warn!("{why}"),
            _ => {}
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if matches!(self, ApiError::Busy(_)) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        if matches!(self, ApiError::BadApiKey(_)) {
            // RFC 6750 §3.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"netcheck\""),
            );
        }
        if let ApiError::CoolingDown { retry_after_s, .. } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
        }
        response
    }
}
