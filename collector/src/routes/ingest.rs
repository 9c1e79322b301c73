//! The Segment-compatible ingest endpoints: `POST /v1/batch` and the single-event
//! `/v1/track`, `/v1/page`, `/v1/identify`, `/v1/alias`, `/v1/group`.
//!
//! The key comes from Basic auth, `?key=` or the body's `writeKey`; the body is JSON
//! whatever its Content-Type (beacons send `text/plain`), gzip or not. Valid events of a
//! batch are stored even when others are rejected, and the answer comes only after the
//! commit.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use orbit_core::validate::{
    parse_batch, parse_event, BatchError, NormalizedEvent, ParsedBatch, Rejection, RequestInfo,
};
use orbit_core::EventType;
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::body::read_body;
use crate::client::client_ip;
use crate::config::Site;
use crate::error::ApiError;
use crate::metrics::EventOutcome;
use crate::rate_limit::retry_after_seconds;
use crate::routes::auth::basic_auth_key;
use crate::routes::{cors, now_ms};

/// Bytes a single-event body may exceed the event limit by (fields normalising removes).
pub const SINGLE_EVENT_SLACK_BYTES: usize = 4 * 1024;

/// Query parameters of the ingest endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct IngestQuery {
    /// The write key, for CORS-simple requests that cannot set headers.
    key: Option<String>,
}

/// Which endpoint a request came to.
#[derive(Clone, Copy, Debug)]
enum Endpoint {
    Batch,
    Single(EventType),
}

/// `POST /v1/batch`: `{"batch":[…]}`.
pub async fn batch(State(state): State<AppState>, request: Request) -> Response {
    ingest(state, request, Endpoint::Batch).await
}

/// `POST /v1/track`: one track event.
pub async fn track(State(state): State<AppState>, request: Request) -> Response {
    ingest(state, request, Endpoint::Single(EventType::Track)).await
}

/// `POST /v1/page`: one page event.
pub async fn page(State(state): State<AppState>, request: Request) -> Response {
    ingest(state, request, Endpoint::Single(EventType::Page)).await
}

/// `POST /v1/identify`: one identify event.
pub async fn identify(State(state): State<AppState>, request: Request) -> Response {
    ingest(state, request, Endpoint::Single(EventType::Identify)).await
}

/// `POST /v1/alias`: one alias event.
pub async fn alias(State(state): State<AppState>, request: Request) -> Response {
    ingest(state, request, Endpoint::Single(EventType::Alias)).await
}

/// `POST /v1/group`: one group event.
pub async fn group(State(state): State<AppState>, request: Request) -> Response {
    ingest(state, request, Endpoint::Single(EventType::Group)).await
}

async fn ingest(state: AppState, request: Request, endpoint: Endpoint) -> Response {
    let (parts, body) = request.into_parts();
    let cors = cors_origin(&state, &parts.headers);
    let mut response = match store(&state, &parts, body, endpoint).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    if let Some(origin) = cors {
        cors::allow(response.headers_mut(), origin);
    }
    response
}

async fn store(
    state: &AppState,
    parts: &Parts,
    body: axum::body::Body,
    endpoint: Endpoint,
) -> Result<Response, ApiError> {
    let config = &state.config;
    let headers = &parts.headers;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = client_ip(headers, peer, config.client_ip_header.as_deref());
    if let Some(ip) = client {
        if let Err(wait) = state.client_limiter.check(ip, 1.0, Instant::now()) {
            state.metrics.rate_limited("client");
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "this client sent more than {} requests per second; batch events or slow down",
                    config.rate_limits.client_requests_per_second
                ),
                retry_after_seconds: retry_after_seconds(wait),
            });
        }
    }
    let Query(query) = Query::<IngestQuery>::try_from_uri(&parts.uri)
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    // The key from Basic auth or the URL, known before the body is read (a body key later).
    let request_key = basic_auth_key(headers).or(query.key.filter(|k| !k.is_empty()));
    // One event needs no more than the event limit (plus room for what normalising drops,
    // such as `integrations`); a batch gets the whole request limit.
    let body_limit = match endpoint {
        Endpoint::Batch => config.limits.max_request_bytes,
        Endpoint::Single(_) => config
            .limits
            .events
            .max_event_bytes
            .saturating_add(SINGLE_EVENT_SLACK_BYTES)
            .min(config.limits.max_request_bytes),
    };
    let body = read_body(body, headers, body_limit, config.http.body_timeout)
        .await
        .map_err(|e| match (e, endpoint) {
            // One event cannot be split: say which limit it passed.
            (ApiError::PayloadTooLarge(_), Endpoint::Single(_)) => {
                ApiError::PayloadTooLarge(format!(
                    "the body is larger than {body_limit} bytes, the limit of a single-event \
                 endpoint (the event limit and 4 KB); make the event smaller"
                ))
            }
            (e, _) => e,
        })?;

    // A browser request (it has an Origin) carries the visitor's User-Agent; a server
    // library's names the library, so it is not the event's.
    let browser_ua = headers
        .contains_key(header::ORIGIN)
        .then(|| headers.get(header::USER_AGENT))
        .flatten()
        .and_then(|v| v.to_str().ok());
    let received_at_ms = now_ms();
    // Cookieless events carry no id: derive one, when the site is known from the key in the
    // URL or Basic auth (a body key is read only with the body).
    let early_site = request_key
        .as_deref()
        .and_then(|key| state.site_by_key(key));
    let cookieless_id = match early_site {
        Some(site) if contains(&body, b"\"cookieless\"") => {
            let ua = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Some(
                state
                    .salts
                    .visitor_id(state.storage.as_ref(), received_at_ms, &site.id, client, ua)
                    .await?,
            )
        }
        _ => None,
    };
    let request_info = RequestInfo {
        received_at_ms,
        user_agent: browser_ua,
        client_ip: client,
        keep_full_ip: config.store_full_ip,
        cookieless_id: cookieless_id.as_deref(),
    };
    let limits = &config.limits.events;
    let parsed = match endpoint {
        Endpoint::Batch => parse_batch(&body, &request_info, limits),
        Endpoint::Single(kind) => parse_event(&body, kind, &request_info, limits),
    };

    let site = authenticate(state, request_key, &parsed)?;
    cors::check_origin(site, headers)?;
    let parsed = parsed.map_err(|error| match error {
        BatchError::TooManyEvents { .. } => ApiError::PayloadTooLarge(error.to_string()),
        other => ApiError::BadRequest(other.to_string()),
    })?;

    let (valid, rejected) = sort_events(site, parsed, endpoint);
    for rejection in &rejected {
        state
            .metrics
            .events(&site.id, EventOutcome::Rejected, rejection.code, 1);
    }
    if let (Endpoint::Single(_), Some(rejection)) = (endpoint, rejected.first()) {
        return Err(ApiError::BadRequest(rejection.reason.clone()));
    }
    if let Some(first) = rejected.first() {
        tracing::info!(site = %site.id, rejected = rejected.len(), first = %first.reason,
                       "events rejected");
    }
    if !valid.is_empty() {
        if let Err(wait) =
            state
                .site_limiter
                .check(site.id.clone(), valid.len() as f64, Instant::now())
        {
            state.metrics.rate_limited("site");
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "site {:?} is over its {} events per second; retry later",
                    site.id, config.rate_limits.site_events_per_second
                ),
                retry_after_seconds: retry_after_seconds(wait),
            });
        }
    }
    state.metrics.batch_size.observe(valid.len() as f64);
    let outcome = state.storage.insert(&site.id, valid).await?;
    state.metrics.events(
        &site.id,
        EventOutcome::Accepted,
        "",
        outcome.accepted as u64,
    );
    state.metrics.events(
        &site.id,
        EventOutcome::Duplicate,
        "",
        outcome.duplicates as u64,
    );
    let rejected: Vec<_> = rejected
        .iter()
        .map(|r| json!({"index": r.index, "reason": r.reason}))
        .collect();
    Ok(Json(json!({
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": rejected,
    }))
    .into_response())
}

/// Whether `haystack` contains `needle` (bytes).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The site whose write key the request carries: Basic auth or `?key=` (`request_key`),
/// then the body.
fn authenticate<'a>(
    state: &'a AppState,
    request_key: Option<String>,
    parsed: &Result<ParsedBatch, BatchError>,
) -> Result<&'a Site, ApiError> {
    let body_key = parsed.as_ref().ok().and_then(|p| p.write_key.clone());
    let key = request_key.or(body_key).ok_or_else(|| {
        ApiError::Unauthorized(
            "no write key: send it as the Basic auth user (key:), as ?key= in the URL, \
                 or as \"writeKey\" in the body"
                .into(),
        )
    })?;
    state.site_by_key(&key).ok_or_else(|| {
        ApiError::Unauthorized("unknown write key; check the site's write_key".into())
    })
}

/// Splits the outcomes into events to store and rejections (bots count as rejected on
/// sites that drop them).
fn sort_events(
    site: &Site,
    parsed: ParsedBatch,
    endpoint: Endpoint,
) -> (Vec<NormalizedEvent>, Vec<Rejection>) {
    let mut valid = Vec::with_capacity(parsed.events.len());
    let mut rejected = Vec::new();
    for (index, outcome) in parsed.events.into_iter().enumerate() {
        match outcome {
            Ok(event) if site.drop_bots && event.enrichment.bot => rejected.push(Rejection {
                index,
                code: "bot",
                reason: format!(
                    "{}: sent by a bot or crawler, and site {:?} drops bot traffic",
                    match endpoint {
                        Endpoint::Batch => format!("batch[{index}]"),
                        Endpoint::Single(_) => "body".to_owned(),
                    },
                    site.id
                ),
            }),
            Ok(event) => valid.push(event),
            Err(rejection) => rejected.push(rejection),
        }
    }
    (valid, rejected)
}

/// Answers a CORS preflight: allowed only for origins some site lists.
pub async fn preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(origin) = cors_origin(&state, &headers) else {
        return ApiError::Forbidden("this origin is not in any site's allowed_origins".into())
            .into_response();
    };
    cors::preflight_answer(
        origin,
        "POST, OPTIONS",
        "Content-Type, Content-Encoding, Authorization",
    )
}

/// The request's Origin, if the collector may answer it with CORS headers: one that some
/// site allows (the key, and so the site, may be known only after reading the body).
fn cors_origin(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    let allowed = state.config.sites.iter().any(|s| s.allows_origin(text));
    allowed.then(|| origin.clone())
}
