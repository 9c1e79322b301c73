//! `POST /v1/batch`: the Segment-compatible batch endpoint.
//!
//! The key comes from Basic auth, the body's `writeKey` or `?key=`; the body is JSON
//! whatever its Content-Type (beacons send `text/plain`). Valid events are stored even when
//! others in the batch are rejected, and the answer comes only after the commit.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use orbit_core::validate::{parse_batch, BatchError};
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::config::Site;
use crate::error::ApiError;
use crate::routes::auth::basic_auth_key;

/// Query parameters of the ingest endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct IngestQuery {
    /// The write key, for CORS-simple requests that cannot set headers.
    key: Option<String>,
}

/// Stores a batch of events.
pub async fn batch(
    State(state): State<AppState>,
    query: Result<Query<IngestQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let cors = cors_origin(&state, &headers);
    let mut response = match store_batch(&state, query, &headers, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    if let Some(origin) = cors {
        add_cors(response.headers_mut(), origin);
    }
    response
}

async fn store_batch(
    state: &AppState,
    query: Result<Query<IngestQuery>, QueryRejection>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!(
                "the body is larger than {} bytes; send fewer events per request",
                orbit_core::limits::MAX_BATCH_BYTES
            ))
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    let received_at_ms = now_ms();
    let parsed = parse_batch(&body, received_at_ms, &state.limits);
    let header_key = basic_auth_key(headers).or(query.key.filter(|k| !k.is_empty()));
    let body_key = parsed.as_ref().ok().and_then(|p| p.write_key.clone());
    let key = header_key.or(body_key).ok_or_else(|| {
        ApiError::Unauthorized(
            "no write key: send it as the Basic auth user (key:), as \"writeKey\" in the body, \
             or as ?key= in the URL"
                .into(),
        )
    })?;
    let site = state
        .site_by_key(&key)
        .ok_or_else(|| ApiError::Unauthorized("unknown write key".into()))?;
    check_origin(site, headers)?;
    let parsed = parsed.map_err(|error| match error {
        BatchError::TooManyEvents { .. } => ApiError::PayloadTooLarge(error.to_string()),
        other => ApiError::BadRequest(other.to_string()),
    })?;

    let mut valid = Vec::with_capacity(parsed.events.len());
    let mut rejected = Vec::new();
    for outcome in parsed.events {
        match outcome {
            Ok(event) => valid.push(event),
            Err(rejection) => rejected.push(json!({
                "index": rejection.index,
                "reason": rejection.reason,
            })),
        }
    }
    if !rejected.is_empty() {
        tracing::info!(site = %site.id, rejected = rejected.len(), "events rejected");
    }
    let outcome = state.storage.insert(&site.id, valid).await?;
    Ok(Json(json!({
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": rejected,
    }))
    .into_response())
}

/// Answers a CORS preflight: allowed only for origins some site lists.
pub async fn preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(origin) = cors_origin(&state, &headers) else {
        return ApiError::Forbidden("this origin is not in any site's allowed_origins".into())
            .into_response();
    };
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    add_cors(h, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, Authorization"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    response
}

/// The request's Origin, if the collector may answer it with CORS headers: one that some
/// site allows (the key, and so the site, may be known only after reading the body).
fn cors_origin(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    let allowed = state.config.sites.iter().any(|s| s.allows_origin(text));
    allowed.then(|| origin.clone())
}

/// Browser requests must come from one of the site's origins, or from the collector's own
/// pages (the demo site it serves).
fn check_origin(site: &Site, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Ok(()); // servers and native apps send no Origin
    };
    if site.allows_origin(origin) || is_same_origin(origin, headers) {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "origin {origin} is not allowed for site {:?}; add it to the site's allowed_origins",
        site.id
    )))
}

fn is_same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
}

fn add_cors(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
