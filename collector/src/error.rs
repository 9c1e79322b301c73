//! `ApiError`: every way a request can fail, turned into one HTTP answer in one place.
//! 4xx bodies say what the client should change; 5xx are logged and answered generically.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::storage::StorageError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// A missing or wrong key or token (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The key is right but the request is not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing here (404).
    #[error("{0}")]
    NotFound(String),
    /// The client took too long to send its request (408).
    #[error("{0}")]
    Timeout(String),
    /// Beyond a size limit (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A document with errors (422): every finding is listed, each with its JSON path.
    #[error("{message}")]
    Unprocessable {
        /// How many errors and warnings, and what to do.
        message: String,
        /// `{"severity", "path", "message"}` per finding.
        findings: Vec<serde_json::Value>,
    },
    /// A body encoding the collector does not read (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Over a rate limit (429 with Retry-After).
    #[error("{message}")]
    TooManyRequests {
        /// Which limit, and what to do.
        message: String,
        /// Seconds to wait.
        retry_after_seconds: u32,
    },
    /// Try again later (503 with Retry-After).
    #[error("{message}")]
    Unavailable {
        /// What is happening.
        message: String,
        /// Seconds to wait.
        retry_after_seconds: u32,
    },
    /// A fault of ours (500); the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// Stored data the collector cannot serve (500): `message` says so and what to do
    /// (safe to send), `detail` is logged.
    #[error("{message}")]
    Unservable {
        /// What cannot be served, and what to do.
        message: String,
        /// Why, for the log.
        detail: String,
    },
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) | ApiError::Unservable { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Busy => ApiError::Unavailable {
                message: "the collector is busy storing other events; retry shortly".into(),
                retry_after_seconds: 1,
            },
            StorageError::Closed => ApiError::Unavailable {
                message: "the collector is shutting down; retry shortly".into(),
                retry_after_seconds: 5,
            },
            StorageError::Database(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<crate::profiles::ProfileError> for ApiError {
    fn from(error: crate::profiles::ProfileError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "request failed");
                "internal error; the collector logged the details".to_owned()
            }
            ApiError::Unservable { message, detail } => {
                tracing::error!(%detail, "request failed");
                message.clone()
            }
            other => {
                tracing::info!(%status, reason = %other, "request refused");
                other.to_string()
            }
        };
        let body = match &self {
            ApiError::Unprocessable { findings, .. } => {
                serde_json::json!({ "error": message, "findings": findings })
            }
            _ => serde_json::json!({ "error": message }),
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::Unavailable {
            retry_after_seconds,
            ..
        }
        | ApiError::TooManyRequests {
            retry_after_seconds,
            ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
        }
        response
    }
}
