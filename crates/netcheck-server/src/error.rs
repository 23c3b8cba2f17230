//! The one error type of the API and the one JSON shape it takes on the wire:
//! `{"error": {"code": "bad_target", "message": "…"}}`, with the HTTP status that fits. The
//! codes are an enum ([`ErrorCode`]), each with its status, so the OpenAPI document lists what
//! each route can answer from the same table the answers are made from.

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
    /// The target policy refuses the target (an internal address, however spelled).
    #[error(transparent)]
    ForbiddenTarget(#[from] netcheck_core::dial::Denial),
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
    #[error("this server runs no regions: start it with --nats URL, where the agents take jobs")]
    NoRegions,
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
    #[error("{0}")]
    BadBody(String),
    #[error("'to' must be one e-mail address: {0}")]
    BadRecipient(String),
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// The relay's words, which may name the recipient: answered, never logged.
    #[error("the mail could not be sent: {0}")]
    MailFailed(String),
    #[error(
        "this server does not answer for {0}: start it with --allowed-host for each name it is reached by"
    )]
    UnknownHost(String),
    #[error("pages from {0} may not use this server (--cors-origin lists those that may)")]
    ForbiddenOrigin(String),
}

/// What went wrong, as a program reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MissingTarget,
    BadQuery,
    BadTarget,
    ForbiddenTarget,
    UnknownCheck,
    CheckNotOffered,
    BadApiKey,
    CoolingDown,
    Busy,
    Internal,
    NoStorage,
    NoRegions,
    HistoryNotPublic,
    BadId,
    NotFound,
    StorageUnavailable,
    BadBody,
    BadRecipient,
    RateLimited,
    MailFailed,
    UnknownHost,
    ForbiddenOrigin,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MissingTarget => "missing_target",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::BadTarget => "bad_target",
            ErrorCode::ForbiddenTarget => "forbidden_target",
            ErrorCode::UnknownCheck => "unknown_check",
            ErrorCode::CheckNotOffered => "check_not_offered",
            ErrorCode::BadApiKey => "bad_api_key",
            ErrorCode::CoolingDown => "cooling_down",
            ErrorCode::Busy => "busy",
            ErrorCode::Internal => "internal",
            ErrorCode::NoStorage => "no_storage",
            ErrorCode::NoRegions => "no_regions",
            ErrorCode::HistoryNotPublic => "history_not_public",
            ErrorCode::BadId => "bad_id",
            ErrorCode::NotFound => "not_found",
            ErrorCode::StorageUnavailable => "storage_unavailable",
            ErrorCode::BadBody => "bad_body",
            ErrorCode::BadRecipient => "bad_recipient",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::MailFailed => "mail_failed",
            ErrorCode::UnknownHost => "unknown_host",
            ErrorCode::ForbiddenOrigin => "forbidden_origin",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::Busy | ErrorCode::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::NoStorage | ErrorCode::NoRegions | ErrorCode::NotFound => {
                StatusCode::NOT_FOUND
            }
            ErrorCode::HistoryNotPublic
            | ErrorCode::ForbiddenOrigin
            | ErrorCode::ForbiddenTarget => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited | ErrorCode::CoolingDown => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::BadApiKey => StatusCode::UNAUTHORIZED,
            ErrorCode::MailFailed => StatusCode::BAD_GATEWAY,
            ErrorCode::UnknownHost => StatusCode::MISDIRECTED_REQUEST,
            ErrorCode::MissingTarget
            | ErrorCode::BadQuery
            | ErrorCode::BadTarget
            | ErrorCode::UnknownCheck
            | ErrorCode::CheckNotOffered
            | ErrorCode::BadId
            | ErrorCode::BadBody
            | ErrorCode::BadRecipient => StatusCode::BAD_REQUEST,
        }
    }
}

/// Every error's body.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// Written for a person: what was wrong and how to fix it.
    pub message: String,
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::MissingTarget => ErrorCode::MissingTarget,
            ApiError::BadQuery(_) => ErrorCode::BadQuery,
            ApiError::BadTarget(_) => ErrorCode::BadTarget,
            ApiError::ForbiddenTarget(_) => ErrorCode::ForbiddenTarget,
            ApiError::UnknownCheck { .. } => ErrorCode::UnknownCheck,
            ApiError::CheckNotOffered { .. } => ErrorCode::CheckNotOffered,
            ApiError::BadApiKey(_) => ErrorCode::BadApiKey,
            ApiError::CoolingDown { .. } => ErrorCode::CoolingDown,
            ApiError::Busy(_) => ErrorCode::Busy,
            ApiError::Internal(_) => ErrorCode::Internal,
            ApiError::NoStorage => ErrorCode::NoStorage,
            ApiError::NoRegions => ErrorCode::NoRegions,
            ApiError::HistoryNotPublic => ErrorCode::HistoryNotPublic,
            ApiError::BadId(_) => ErrorCode::BadId,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Storage(_) => ErrorCode::StorageUnavailable,
            ApiError::BadBody(_) => ErrorCode::BadBody,
            ApiError::BadRecipient(_) => ErrorCode::BadRecipient,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::MailFailed(_) => ErrorCode::MailFailed,
            ApiError::UnknownHost(_) => ErrorCode::UnknownHost,
            ApiError::ForbiddenOrigin(_) => ErrorCode::ForbiddenOrigin,
        }
    }

    fn status(&self) -> StatusCode {
        self.code().status()
    }

    /// The JSON body of this error.
    pub fn body(&self) -> serde_json::Value {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        };
        serde_json::to_value(body).unwrap_or_else(|_| serde_json::json!({}))
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
        let retry_after = match &self {
            ApiError::Busy(_) => Some(2),
            ApiError::RateLimited { retry_after, .. } => Some(*retry_after),
            ApiError::CoolingDown { retry_after_s, .. } => Some(*retry_after_s),
            _ => None,
        };
        if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if matches!(self, ApiError::BadApiKey(_)) {
            // RFC 6750 §3.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"netcheck\""),
            );
        }
        response
    }
}

/// The errors a route answers are declared with the route (`api::openapi::errors`), each code
/// under its status; the type itself adds nothing by inference.
impl aide::OperationOutput for ApiError {
    type Inner = ErrorBody;
}
