//! CORS for the browser-facing endpoints (ingest and `rules.json`): which origins may call
//! them, and the preflight answer.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::Site;
use crate::error::ApiError;

/// Browser requests must come from one of the site's origins, or from the collector's own
/// pages (the demo site it serves); servers and native apps send no Origin.
pub fn check_origin(site: &Site, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Ok(());
    };
    if site.allows_origin(origin) || is_same_origin(origin, headers) {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "origin {origin} is not allowed for site {:?}; add it to the site's allowed_origins",
        site.id
    )))
}

/// The request's Origin when `site` allows it (or it is the collector's own), to echo back.
pub fn site_origin(site: &Site, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    (site.allows_origin(text) || is_same_origin(text, headers)).then(|| origin.clone())
}

/// Whether `origin` is the collector itself (the demo site it serves), by the Host header.
pub fn is_same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
}

/// Lets `origin` read the response (and caches per origin).
pub fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
}

/// The answer to an allowed preflight: these methods and request headers, for a day.
pub fn preflight_answer(
    origin: HeaderValue,
    methods: &'static str,
    request_headers: &'static str,
) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    allow(h, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(request_headers),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    response
}
