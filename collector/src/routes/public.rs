//! What the browser-facing reads (`rules.json`, `profile`) share: the optional write key,
//! the origin check and the per-client rate limit ([`admit`]), answers by ETag with 304 for
//! what the browser already has ([`cached_json`]), CORS on every answer, errors included,
//! so the tracker can read why ([`respond`]), and the preflight ([`preflight`]).

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::client::client_ip;
use crate::config::Site;
use crate::error::ApiError;
use crate::rate_limit::retry_after_seconds;
use crate::routes::cors;
use crate::routes::params::path_site;

/// Lets a public read of `site` through: `key`, when given, must be the site's write key;
/// a browser's origin must be one of the site's; the client must be within its rate limit
/// (`advice` says what to do instead, e.g. "cache rules.json").
pub fn admit(
    state: &AppState,
    site: &Site,
    parts: &Parts,
    key: Option<&str>,
    advice: &str,
) -> Result<(), ApiError> {
    if let Some(key) = key.filter(|k| !k.is_empty()) {
        if key != site.write_key {
            return Err(ApiError::Unauthorized(format!(
                "this write key is not site {:?}'s; send that site's write key, or none",
                site.id
            )));
        }
    }
    cors::check_origin(site, &parts.headers)?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = client_ip(
        &parts.headers,
        peer,
        state.config.client_ip_header.as_deref(),
    );
    if let Some(ip) = client {
        if let Err(wait) = state.client_limiter.check(ip, 1.0, Instant::now()) {
            state.metrics.rate_limited("client");
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "this client sent more than {} requests per second; {advice}",
                    state.config.rate_limits.client_requests_per_second
                ),
                retry_after_seconds: retry_after_seconds(wait),
            });
        }
    }
    Ok(())
}

/// `result` as the answer to a public read, readable by the site's origins whatever it is
/// (the tracker reads an error's message too), and cached per origin.
pub fn respond(site: &Site, headers: &HeaderMap, result: Result<Response, ApiError>) -> Response {
    let cors = cors::site_origin(site, headers);
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    let h = response.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = cors {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag"),
        );
    }
    response
}

/// Whether the request's `If-None-Match` names `etag` (weak or strong) or is `*`.
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// A JSON body with its ETag.
pub fn json_with_etag(body: impl Into<Body>, etag: &str) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body.into()).into_response();
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// `body` with its ETag, or 304 (with the ETag) when the request already has it; both
/// with `cache_control`.
pub fn cached_json(
    headers: &HeaderMap,
    body: impl Into<Body>,
    etag: &str,
    cache_control: &'static str,
) -> Response {
    let mut response = if not_modified(headers, etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(value) = HeaderValue::from_str(etag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        response
    } else {
        json_with_etag(body, etag)
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response
}

/// 204 with `cache_control`: nothing to send. Not 404: the tracker asks on every page view,
/// and browsers log a 404 as an error in the visitor's console.
pub fn no_content(cache_control: &'static str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response
}

/// `OPTIONS` of a public read: the tracker's preflight (it sends `If-None-Match`, which is
/// not a CORS-safelisted header).
pub async fn preflight(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let site = match path_site(&state, path) {
        Ok(site) => site,
        Err(error) => return error.into_response(),
    };
    let Some(origin) = cors::site_origin(site, &headers) else {
        return ApiError::Forbidden(format!(
            "this origin is not in site {:?}'s allowed_origins",
            site.id
        ))
        .into_response();
    };
    cors::preflight_answer(origin, "GET, HEAD, OPTIONS", "If-None-Match")
}
