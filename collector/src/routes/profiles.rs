//! Visitor profiles: lead score and segments (docs/profiles.md).
//!
//! - `PUT /v1/sites/{site}/profiles` (admin): check and store the site's definitions; 422
//!   with every finding, each with its JSON path, when any is an error.
//! - `GET /v1/sites/{site}/profiles` (admin): the stored definitions.
//! - `DELETE /v1/sites/{site}/profiles` (admin): remove them; the tracker gets 204 again.
//! - `GET /v1/sites/{site}/profiles/{anonymousId}[?now=…]` (admin): a visitor's profile and
//!   how it came about: the events each points entry matched, the segments' reasons, the
//!   visitor context.
//! - `GET /v1/sites/{site}/profile?anonymousId=ID[&key=WRITE_KEY]` (public): what the
//!   tracker reads, `{"segments": […], "lead_score": 42.5}`, with a strong ETag,
//!   `If-None-Match` → 304, `private, no-cache` and CORS for the site's origins (preflight
//!   included), like `rules.json`; 204 when the site has no definitions.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use orbit_core::limits::MAX_ID_CHARS;
use orbit_core::time::format_rfc3339_ms;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::body::read_text;
use crate::config::Site;
use crate::error::ApiError;
use crate::profiles::definitions::MAX_PROFILE_DOCUMENT_BYTES;
use crate::profiles::stored::profile_etag;
use crate::profiles::{
    check_definitions, is_tracker_id, CheckedDefinitions, NewProfileDefinitions, Profile, Profiler,
    StoredProfileDefinitions, MAX_PROFILE_HISTORY_EVENTS,
};
use crate::routes::auth::require_admin;
use crate::routes::params::{path_site, time_param};
use crate::routes::public::{admit, cached_json, json_with_etag, no_content, respond};
use crate::routes::{now_ms, plural};
use crate::rules::check::finding_json;
use crate::rules::visitor::VisitorEventRow;

/// The browser asks again on every page view (`no-cache`: a 304 when nothing changed), so
/// what the visitor just did counts on the next page; `private`: a profile is one
/// visitor's, never for a shared cache.
pub const PROFILE_CACHE_CONTROL: &str = "private, no-cache";
/// The version of the definitions the admin API serves (1, 2, … per save).
pub const VERSION_HEADER: HeaderName = HeaderName::from_static("x-orbit-profiles-version");

/// Checks off the async threads (lint compiles regexes).
async fn check(text: String) -> Result<CheckedDefinitions, ApiError> {
    tokio::task::spawn_blocking(move || check_definitions(&text))
        .await
        .map_err(|e| ApiError::Internal(format!("the profile definitions check failed: {e}")))
}

fn no_definitions(site: &Site) -> ApiError {
    ApiError::NotFound(format!(
        "site {:?} has no profile definitions yet; PUT them to /v1/sites/{}/profiles \
         (docs/profiles.md)",
        site.id, site.id
    ))
}

/// The site's definitions, or 404.
async fn stored(state: &AppState, site: &Site) -> Result<StoredProfileDefinitions, ApiError> {
    state
        .storage
        .profile_definitions(&site.id)
        .await?
        .ok_or_else(|| no_definitions(site))
}

/// `PUT /v1/sites/{site}/profiles`: stores the body as the site's definitions.
pub async fn save(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let site = path_site(&state, path)?;
    let text = read_text(
        body,
        &headers,
        MAX_PROFILE_DOCUMENT_BYTES,
        state.config.http.body_timeout,
        "the profile definitions document",
    )
    .await?;
    let checked = check(text).await?;
    let Some(valid) = &checked.document else {
        return Err(ApiError::Unprocessable {
            message: format!(
                "the profile definitions have {} and {}; nothing was saved: fix each error \
                 (its path locates it in the document) and send them again",
                plural(checked.errors(), "error"),
                plural(checked.warnings(), "warning"),
            ),
            findings: checked.findings.iter().map(finding_json).collect(),
        });
    };
    let new = NewProfileDefinitions::from_valid(valid, now_ms());
    let saved = state
        .storage
        .save_profile_definitions(&site.id, new)
        .await?;
    tracing::info!(site = %site.id, version = saved.version, warnings = checked.warnings(),
                   "profile definitions saved");
    let status = if saved.version == 1 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut answer = serde_json::to_value(&saved)
        .map_err(|e| ApiError::Internal(format!("cannot write the definitions' info: {e}")))?;
    answer["site"] = json!(site.id);
    answer["etag"] = json!(saved.etag(&site.id));
    answer["warnings"] = checked.findings.iter().map(finding_json).collect();
    Ok((
        status,
        [(header::LOCATION, format!("/v1/sites/{}/profiles", site.id))],
        Json(answer),
    )
        .into_response())
}

/// `GET /v1/sites/{site}/profiles`: the stored definitions, as stored.
pub async fn definitions(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let site = path_site(&state, path)?;
    let stored = stored(&state, site).await?;
    let etag = stored.etag(&site.id);
    let mut response = json_with_etag(stored.document, &etag);
    let h = response.headers_mut();
    h.insert(VERSION_HEADER, HeaderValue::from(stored.version));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `DELETE /v1/sites/{site}/profiles`: no more profiles for the site.
pub async fn delete(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let site = path_site(&state, path)?;
    if !state.storage.delete_profile_definitions(&site.id).await? {
        return Err(no_definitions(site));
    }
    tracing::info!(site = %site.id, "profile definitions deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The site's compiled definitions: from the cache, else compiled off the async threads.
async fn profiler(
    state: &AppState,
    site: &Site,
    stored: &StoredProfileDefinitions,
) -> Result<Arc<Profiler>, ApiError> {
    if let Some(profiler) = state.profilers.get(&site.id, &stored.sha256) {
        return Ok(profiler);
    }
    let document = stored.document.clone();
    let profiler = tokio::task::spawn_blocking(move || Profiler::from_stored(&document))
        .await
        .map_err(|e| ApiError::Internal(format!("compiling profile definitions failed: {e}")))?
        .map_err(|e| ApiError::Internal(format!("site {}: {e}", site.id)))?;
    let profiler = Arc::new(profiler);
    state
        .profilers
        .insert(&site.id, &stored.sha256, Arc::clone(&profiler));
    Ok(profiler)
}

/// Computes a profile off the async threads (up to 10,000 events), with its explanation
/// when asked.
async fn compute(
    profiler: Arc<Profiler>,
    anonymous_id: String,
    rows: Vec<VisitorEventRow>,
    now_ms: i64,
    explain: bool,
) -> Result<(Profile, Option<Value>), ApiError> {
    tokio::task::spawn_blocking(move || {
        let profile = profiler.compute(&anonymous_id, &rows, now_ms, explain)?;
        let explanation = explain.then(|| profile.explain(profiler.definitions(), &rows));
        Ok((profile, explanation))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("computing a profile failed: {e}")))?
}

/// Query parameters of `GET /v1/sites/{site}/profiles/{anonymousId}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainQuery {
    /// Compute as of this time (RFC 3339, a date or Unix ms) instead of now: what decay
    /// will make of the score.
    now: Option<String>,
}

/// `GET /v1/sites/{site}/profiles/{anonymousId}`: a visitor's profile, explained.
pub async fn explain(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<ExplainQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    require_admin(&state, &headers)?;
    let Path((id, anonymous_id)) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let site = path_site(&state, Ok(Path(id)))?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    if anonymous_id.is_empty() || anonymous_id.chars().count() > MAX_ID_CHARS {
        return Err(ApiError::BadRequest(format!(
            "expected the visitor's anonymousId in the path, 1 to {MAX_ID_CHARS} characters"
        )));
    }
    let now = time_param("now", query.now.as_deref())?.unwrap_or_else(now_ms);
    let stored = stored(&state, site).await?;
    let profiler = profiler(&state, site, &stored).await?;
    let history = state
        .storage
        .profile_history(&site.id, &anonymous_id, MAX_PROFILE_HISTORY_EVENTS)
        .await?;
    let anonymous_ids = history.anonymous_ids(&anonymous_id);
    let events = history.rows.len();
    let (profile, explanation) =
        compute(profiler, anonymous_id.clone(), history.rows, now, true).await?;
    let body: Value = serde_json::from_str(&profile.body())
        .map_err(|e| ApiError::Internal(format!("a profile body is not JSON: {e}")))?;
    let mut answer = json!({
        "site": site.id,
        "anonymous_id": anonymous_id,
        "now": format_rfc3339_ms(now),
        "definitions_version": stored.version,
        "one_id": history.linked,
        "anonymous_ids": anonymous_ids,
        "history_events": events,
        "history_truncated": events >= MAX_PROFILE_HISTORY_EVENTS,
        "profile": body,
    });
    if let (Value::Object(out), Some(Value::Object(more))) = (&mut answer, explanation) {
        out.extend(more);
    }
    Ok(Json(answer))
}

/// Query parameters of the public profile; others (cache busters) are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct ProfileQuery {
    /// The visitor: the tracker's anonymous id.
    #[serde(rename = "anonymousId")]
    anonymous_id: Option<String>,
    /// The site's write key (optional: the site id in the path is enough).
    key: Option<String>,
}

/// `GET /v1/sites/{site}/profile`: the visitor's segments and lead score, for the tracker.
pub async fn public(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let site = match path_site(&state, path) {
        Ok(site) => site,
        Err(error) => return error.into_response(),
    };
    let result = serve_public(&state, site, &parts).await;
    respond(site, &parts.headers, result)
}

async fn serve_public(
    state: &AppState,
    site: &Site,
    parts: &axum::http::request::Parts,
) -> Result<Response, ApiError> {
    let Query(query) = Query::<ProfileQuery>::try_from_uri(&parts.uri)
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    admit(
        state,
        site,
        parts,
        query.key.as_deref(),
        "ask for the profile once per page view",
    )?;
    let anonymous_id = tracker_id(query.anonymous_id)?;
    let Some(stored) = state.storage.profile_definitions(&site.id).await? else {
        return Ok(no_content(PROFILE_CACHE_CONTROL));
    };
    let profiler = profiler(state, site, &stored).await?;
    let history = state
        .storage
        .profile_history(&site.id, &anonymous_id, MAX_PROFILE_HISTORY_EVENTS)
        .await?;
    let (profile, _) = compute(profiler, anonymous_id, history.rows, now_ms(), false).await?;
    let body = profile.body();
    let etag = profile_etag(&site.id, &stored.sha256, &body);
    Ok(cached_json(
        &parts.headers,
        body,
        &etag,
        PROFILE_CACHE_CONTROL,
    ))
}

/// The `anonymousId` parameter, which must be the tracker's: only those are indexed per
/// visitor, so no public request can make the collector walk a site's events.
fn tracker_id(given: Option<String>) -> Result<String, ApiError> {
    let Some(id) = given
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
    else {
        return Err(ApiError::BadRequest(
            "add ?anonymousId=ID: the visitor's anonymous id, as the tracker sends it with \
             its events"
                .into(),
        ));
    };
    if is_tracker_id(&id) {
        return Ok(id);
    }
    let shown: String = id.chars().take(64).collect();
    let more = if shown.len() < id.len() { "…" } else { "" };
    Err(ApiError::BadRequest(format!(
        "anonymousId {shown:?}{more} is not a tracker anonymous id: expected a UUIDv7, 36 \
         characters of hex digits and dashes with version 7 (0192f3a4-1b2c-7d3e-8f40-\
         123456789abc); profiles are only served for the ids the tracker makes"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tracker_ids_may_ask_for_their_profile() {
        let id = "0192f3a4-1b2c-7d3e-8f40-123456789abc";
        assert_eq!(tracker_id(Some(format!(" {id} "))).unwrap(), id);
        let missing = tracker_id(None).unwrap_err().to_string();
        assert!(missing.contains("add ?anonymousId="), "{missing}");
        assert!(tracker_id(Some(String::new())).is_err());
        let v4 = tracker_id(Some("0192f3a4-1b2c-4d3e-8f40-123456789abc".into()))
            .unwrap_err()
            .to_string();
        assert!(v4.contains("expected a UUIDv7"), "{v4}");
        let long = tracker_id(Some("x".repeat(500))).unwrap_err().to_string();
        assert!(long.contains("\"… is not a tracker"), "{long}");
        assert!(long.len() < 400, "the id is not echoed whole");
    }
}
