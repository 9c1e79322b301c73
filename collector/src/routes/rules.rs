//! A site's rule documents (personalisation and experiments):
//!
//! - `PUT /v1/sites/{site}/rules[?author=…&comment=…]` (admin): lint, normalise, store as
//!   the next version; 422 with every finding when any is an error.
//! - `GET /v1/sites/{site}/rules[?limit=N]` (admin): the versions, newest first.
//! - `GET /v1/sites/{site}/rules/{version|current}` (admin): one version's document.
//! - `POST /v1/sites/{site}/rules/rollback` (admin): `{"version": N}` becomes current again
//!   (as a new version; see [`crate::rules::versions`]).
//! - `POST /v1/sites/{site}/rules/preview` (admin): which rules apply to a visitor, and why.
//! - `GET /v1/sites/{site}/rules.json[?key=WRITE_KEY]` (public): the current document for
//!   the tracker, compiled (`orbit_core::rules::write_compiled`; the admin endpoints keep
//!   answering with documents as written), with a strong ETag that changes with the
//!   compiled format too, `If-None-Match` → 304, a short cache and CORS for the
//!   site's allowed origins (preflight included: the tracker sends `If-None-Match`), as
//!   [`crate::routes::public`] does for every public read.

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use orbit_core::json::read::{read_json, Json as CoreJson};
use orbit_core::json::JsonWriter;
use orbit_core::limits::{MAX_ID_CHARS, MAX_RULES_JSON_DEPTH, MAX_VISITOR_CONTEXT_BYTES};
use orbit_core::rules::{parse_rules, Finding, VisitorContext};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::app::AppState;
use crate::body::read_text;
use crate::config::Site;
use crate::error::ApiError;
use crate::routes::auth::require_admin;
use crate::routes::params::path_site as site;
use crate::routes::public::{admit, cached_json, json_with_etag, no_content, respond};
use crate::routes::{now_ms, plural};
use crate::rules::check::{finding_json, write_json, MAX_RULES_DOCUMENT_BYTES};
use crate::rules::compile::compile_text;
use crate::rules::preview::{evaluate, MAX_PREVIEW_BYTES};
use crate::rules::versions::{
    NewRulesVersion, Rollback, RulesVersionInfo, StoredRules, VersionNote, MAX_AUTHOR_BYTES,
    MAX_COMMENT_BYTES,
};
use crate::rules::visitor::{context_from_history, MAX_VISITOR_HISTORY_EVENTS};
use crate::rules::{check_document, Checked};

/// How long browsers and proxies may use `rules.json` without asking (60 s), and how long
/// after that they may keep using it while they revalidate in the background (10 min).
pub const RULES_CACHE_CONTROL: &str = "max-age=60, stale-while-revalidate=600";
/// Largest rollback request body.
pub const MAX_ROLLBACK_BODY_BYTES: usize = 4 * 1024;
/// Largest preview request body: a document, a context and a little more.
pub const MAX_PREVIEW_BODY_BYTES: usize =
    MAX_RULES_DOCUMENT_BYTES + MAX_VISITOR_CONTEXT_BYTES + 4 * 1024;
/// Versions listed when `limit` is not given.
pub const DEFAULT_VERSIONS_LIMIT: usize = 100;
/// Most versions one list may hold.
pub const MAX_VERSIONS_LIMIT: usize = 1_000;
/// The version number of a document served by the admin API.
pub const VERSION_HEADER: HeaderName = HeaderName::from_static("x-orbit-rules-version");
/// Whether that version is the current one (`true`/`false`).
pub const CURRENT_HEADER: HeaderName = HeaderName::from_static("x-orbit-rules-current");

const PREVIEW_FIELDS: &[&str] = &["context", "anonymous_id", "preview", "document"];

fn findings_json(findings: &[Finding]) -> Vec<Value> {
    findings.iter().map(finding_json).collect()
}

/// 422: the document has errors; every finding is listed.
fn rejected(checked: &Checked, what: &str) -> ApiError {
    ApiError::Unprocessable {
        message: format!(
            "the rule document has {} and {}; {what}: fix each error (its path locates it \
             in the document) and send it again",
            plural(checked.errors(), "error"),
            plural(checked.warnings(), "warning"),
        ),
        findings: findings_json(&checked.findings),
    }
}

/// Lints and normalises off the async threads (a large document takes milliseconds).
async fn check(text: String) -> Result<Checked, ApiError> {
    tokio::task::spawn_blocking(move || check_document(&text))
        .await
        .map_err(|e| ApiError::Internal(format!("the rules check failed: {e}")))
}

/// A request body as UTF-8 text within `limit` bytes. Any content type is read as JSON
/// (`curl -d` sends form-urlencoded, a page's `fetch` text/plain) except a form upload,
/// whose body is the multipart envelope rather than the JSON: refused with what to send.
async fn text_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    what: &str,
) -> Result<String, ApiError> {
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("multipart/form-data"));
    if multipart {
        return Err(ApiError::UnsupportedMediaType(format!(
            "{what} was sent as a multipart form upload; send the JSON itself as the body, \
             with Content-Type: application/json (curl: --data-binary @FILE, not -F)"
        )));
    }
    read_text(body, headers, limit, state.config.http.body_timeout, what).await
}

/// An optional note (`author`, `comment`): trimmed, empty is none, at most `max` bytes.
fn note(name: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.len() > max {
        return Err(ApiError::BadRequest(format!(
            "{name} is {} bytes long; at most {max} are kept",
            value.len()
        )));
    }
    Ok(Some(value))
}

/// Query parameters of `PUT /v1/sites/{site}/rules`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveQuery {
    author: Option<String>,
    comment: Option<String>,
}

/// `PUT /v1/sites/{site}/rules`: stores the body as the site's next rule version.
pub async fn save(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<SaveQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let site = site(&state, path)?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let note = VersionNote {
        author: note("author", query.author, MAX_AUTHOR_BYTES)?,
        comment: note("comment", query.comment, MAX_COMMENT_BYTES)?,
    };
    let text = text_body(
        &state,
        &headers,
        body,
        MAX_RULES_DOCUMENT_BYTES,
        "the rule document",
    )
    .await?;
    let checked = check(text).await?;
    let Some(document) = &checked.document else {
        return Err(rejected(&checked, "nothing was saved"));
    };
    let new = NewRulesVersion {
        document: document.normalized.clone(),
        rule_count: document.rules.rules().len() as u64,
        created_at_ms: now_ms(),
        note,
    };
    let saved = state.storage.save_rules(&site.id, new).await?;
    tracing::info!(site = %site.id, version = saved.version, warnings = checked.warnings(),
                   "rule document saved");
    let location = format!("/v1/sites/{}/rules/{}", site.id, saved.version);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(json!({
            "site": site.id,
            "version": saved.version,
            "revision": saved.version.to_string(),
            "rules": saved.rules,
            "size_bytes": saved.size_bytes,
            "etag": saved.etag,
            "created_at": orbit_core::time::format_rfc3339_ms(saved.created_at_ms),
            "warnings": findings_json(&checked.findings),
        })),
    )
        .into_response())
}

/// Query parameters of `GET /v1/sites/{site}/rules`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<String>,
}

/// `GET /v1/sites/{site}/rules`: the site's versions, newest first.
pub async fn list(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ListQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    require_admin(&state, &headers)?;
    let site = site(&state, path)?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = match query.limit.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_VERSIONS_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_VERSIONS_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "limit={text:?}: expected a number of versions from 1 to \
                     {MAX_VERSIONS_LIMIT} (default {DEFAULT_VERSIONS_LIMIT})"
                ))
            })?,
    };
    let mut versions = state.storage.rules_versions(&site.id, limit + 1).await?;
    let truncated = versions.len() > limit;
    versions.truncate(limit);
    let current = versions.iter().find(|v| v.current).map(|v| v.version);
    Ok(Json(json!({
        "site": site.id,
        "current": current,
        "versions": versions,
        "truncated": truncated,
    })))
}

/// `GET /v1/sites/{site}/rules/{version}`: one version's document, as stored and served
/// (`current` for the current one).
pub async fn version(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let Path((id, version)) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let site = site(&state, Ok(Path(id)))?;
    let wanted = if version == "current" {
        None
    } else {
        Some(version_number(&version)?)
    };
    let stored = state
        .storage
        .rules_version(&site.id, wanted)
        .await?
        .ok_or_else(|| match wanted {
            Some(n) => ApiError::NotFound(format!(
                "site {:?} has no rules version {n}; GET /v1/sites/{}/rules lists them",
                site.id, site.id
            )),
            None => no_document(site),
        })?;
    let StoredRules { info, document } = stored;
    let mut response = json_with_etag(document, &info.etag);
    let h = response.headers_mut();
    h.insert(VERSION_HEADER, HeaderValue::from(info.version));
    h.insert(
        CURRENT_HEADER,
        HeaderValue::from_static(if info.current { "true" } else { "false" }),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn version_number(text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "version {text:?}: expected a version number (1, 2, …) or \"current\""
        ))
    })
}

fn no_document(site: &Site) -> ApiError {
    ApiError::NotFound(format!(
        "site {:?} has no rule document yet; PUT one to /v1/sites/{}/rules",
        site.id, site.id
    ))
}

/// The body of `POST /v1/sites/{site}/rules/rollback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    version: u64,
    author: Option<String>,
    comment: Option<String>,
}

/// `POST /v1/sites/{site}/rules/rollback`: `{"version": N}` becomes current again, stored
/// as a new version that copies N.
pub async fn rollback(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let site = site(&state, path)?;
    let text = text_body(
        &state,
        &headers,
        body,
        MAX_ROLLBACK_BODY_BYTES,
        "the rollback request",
    )
    .await?;
    let request: RollbackBody = serde_json::from_str(&text).map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"version\": N}} (optionally with \"author\" and \"comment\"): {e}"
        ))
    })?;
    let current = state.storage.rules_version(&site.id, None).await?;
    if current.as_ref().map(|c| c.info.version) == Some(request.version) {
        return Err(ApiError::BadRequest(format!(
            "version {} is already the current version of site {:?}; nothing to roll back",
            request.version, site.id
        )));
    }
    let rollback = Rollback {
        to_version: request.version,
        created_at_ms: now_ms(),
        note: VersionNote {
            author: note("author", request.author, MAX_AUTHOR_BYTES)?,
            comment: note("comment", request.comment, MAX_COMMENT_BYTES)?,
        },
    };
    let saved: RulesVersionInfo = state
        .storage
        .rollback_rules(&site.id, rollback)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "site {:?} has no rules version {}; GET /v1/sites/{}/rules lists them",
                site.id, request.version, site.id
            ))
        })?;
    tracing::info!(site = %site.id, version = saved.version, restored_from = request.version,
                   "rule document rolled back");
    let location = format!("/v1/sites/{}/rules/{}", site.id, saved.version);
    let mut answer = serde_json::to_value(&saved)
        .map_err(|e| ApiError::Internal(format!("cannot write the version: {e}")))?;
    answer["site"] = json!(site.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(answer),
    )
        .into_response())
}

/// `POST /v1/sites/{site}/rules/preview`: `{"context": {…}, "anonymous_id": "…",
/// "preview": "…", "document": {…}}` → which rules apply, and why.
pub async fn preview(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let site = site(&state, path)?;
    let text = text_body(
        &state,
        &headers,
        body,
        MAX_PREVIEW_BODY_BYTES,
        "the preview request",
    )
    .await?;
    let request =
        read_json(&text, MAX_PREVIEW_BODY_BYTES, MAX_RULES_JSON_DEPTH + 1).map_err(|e| {
            let (line, column) = e.line_column(&text);
            ApiError::BadRequest(format!(
                "the preview request is not JSON: line {line}, column {column}: {}",
                e.reason()
            ))
        })?;
    let Some(members) = request.as_object() else {
        return Err(ApiError::BadRequest(
            "expected an object: {\"context\": {…}} or {\"anonymous_id\": \"…\"}, \
             optionally with \"preview\" and \"document\""
                .into(),
        ));
    };
    if let Some((key, _)) = members
        .iter()
        .find(|(k, _)| !PREVIEW_FIELDS.contains(&k.as_str()))
    {
        return Err(ApiError::BadRequest(format!(
            "unknown field {key:?}; expected one of {}",
            PREVIEW_FIELDS.join(", ")
        )));
    }
    let preview_tokens = match request.get("preview") {
        None | Some(CoreJson::Null) => None,
        Some(CoreJson::String(s)) if s.len() <= MAX_PREVIEW_BYTES => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::BadRequest(format!(
                "preview: expected a string of rule ids, experiment ids or \
                 experiment:variant pairs, comma-separated, at most {MAX_PREVIEW_BYTES} bytes"
            )))
        }
    };
    let anonymous_id = match request.get("anonymous_id") {
        None | Some(CoreJson::Null) => None,
        Some(CoreJson::String(s)) if !s.is_empty() && s.chars().count() <= MAX_ID_CHARS => {
            Some(s.clone())
        }
        Some(_) => {
            return Err(ApiError::BadRequest(format!(
                "anonymous_id: expected the visitor's anonymousId, 1 to {MAX_ID_CHARS} \
                 characters"
            )))
        }
    };
    let given_context = match request.get("context") {
        None | Some(CoreJson::Null) => None,
        Some(CoreJson::Object(members)) => Some(members),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "context: expected a visitor context object, e.g. {\"url\": \"https://…\", \
                 \"utm_campaign\": \"spring\", \"device\": \"mobile\"}"
                    .into(),
            ))
        }
    };
    if anonymous_id.is_none() && given_context.is_none() {
        return Err(ApiError::BadRequest(
            "send \"context\" (a visitor context object) or \"anonymous_id\" (a stored \
             visitor's anonymousId), or both: the context then overrides what the events say"
                .into(),
        ));
    }

    // The document: the one sent, checked like a save, else the current one.
    let (rules, revision, warnings, source) = match request.get("document") {
        None | Some(CoreJson::Null) => {
            let stored = state
                .storage
                .rules_version(&site.id, None)
                .await?
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "site {:?} has no rule document yet; PUT one to /v1/sites/{}/rules, or \
                         send \"document\" to preview an unsaved one",
                        site.id, site.id
                    ))
                })?;
            let rules = parse_rules(&stored.document).map_err(|e| {
                ApiError::Internal(format!(
                    "stored rules version {} of site {} no longer parses: {e}",
                    stored.info.version, site.id
                ))
            })?;
            let revision = rules.revision().map(str::to_owned);
            (rules, revision, Vec::new(), "current")
        }
        Some(document) => {
            let mut w = JsonWriter::new();
            write_json(&mut w, document);
            let checked = check(w.finish()).await?;
            let Some(valid) = checked.document else {
                return Err(rejected(&checked, "nothing was previewed"));
            };
            let revision = valid.rules.revision().map(str::to_owned);
            (
                valid.rules,
                revision,
                findings_json(&checked.findings),
                "request",
            )
        }
    };

    // The context: the stored visitor's, overridden by what was sent.
    let mut context = Map::new();
    let mut history_events = None;
    if let Some(id) = &anonymous_id {
        let rows = state
            .storage
            .visitor_history(&site.id, id, MAX_VISITOR_HISTORY_EVENTS)
            .await?;
        history_events = Some(rows.len());
        if let Value::Object(built) = context_from_history(id, &rows) {
            context = built;
        }
    }
    for (key, value) in given_context.into_iter().flatten() {
        let mut w = JsonWriter::new();
        write_json(&mut w, value);
        let value = serde_json::from_str(&w.finish())
            .map_err(|e| ApiError::BadRequest(format!("context.{key}: {e}")))?;
        context.insert(key.clone(), value);
    }
    if !context.contains_key("now") {
        context.insert("now".into(), now_ms().into());
    }
    let context = Value::Object(context);
    let context_text = context.to_string();
    if context_text.len() > MAX_VISITOR_CONTEXT_BYTES {
        return Err(ApiError::BadRequest(format!(
            "the visitor context is {} bytes; the limit is {MAX_VISITOR_CONTEXT_BYTES} bytes \
             ({} KB): send shorter values",
            context_text.len(),
            MAX_VISITOR_CONTEXT_BYTES / 1024
        )));
    }
    let visitor = VisitorContext::from_json(&context_text).map_err(|e| {
        ApiError::BadRequest(format!(
            "the visitor context is not valid: {}",
            e.to_message()
        ))
    })?;
    let evaluation =
        tokio::task::spawn_blocking(move || evaluate(rules, &visitor, preview_tokens.as_deref()))
            .await
            .map_err(|e| ApiError::Internal(format!("the preview failed: {e}")))?
            .map_err(ApiError::Internal)?;

    let mut answer = json!({
        "site": site.id,
        "document": source,
        "revision": revision,
        "context": context,
        "history_events": history_events,
        "warnings": warnings,
    });
    if let (Value::Object(out), Value::Object(result)) = (&mut answer, evaluation) {
        out.extend(result);
    }
    Ok(Json(answer).into_response())
}

// The public document.

/// Query parameters of `rules.json`; others (cache busters) are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct PublicQuery {
    /// The site's write key (optional: the site id in the path is enough).
    key: Option<String>,
}

/// `GET /v1/sites/{site}/rules.json`: the current document compiled, for the tracker.
pub async fn public(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let site = match site(&state, path) {
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
    let Query(query) = Query::<PublicQuery>::try_from_uri(&parts.uri)
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    admit(state, site, parts, query.key.as_deref(), "cache rules.json")?;
    let Some(stored) = state.storage.rules_version(&site.id, None).await? else {
        return Ok(no_content("max-age=60"));
    };
    let etag = stored.info.etag.clone();
    let body = compiled(state, site, stored).await?;
    Ok(cached_json(
        &parts.headers,
        body,
        &etag,
        RULES_CACHE_CONTROL,
    ))
}

/// The compiled form of a stored version (what the tracker reads), cached by its ETag.
/// Never the stored text: a tracker refuses a document as written.
async fn compiled(state: &AppState, site: &Site, stored: StoredRules) -> Result<Bytes, ApiError> {
    let StoredRules { info, document } = stored;
    if let Some(body) = state.compiled_rules.get(&site.id, &info.etag) {
        return Ok(body);
    }
    let compiled = tokio::task::spawn_blocking(move || compile_text(&document))
        .await
        .map_err(|e| ApiError::Internal(format!("compiling the rule document failed: {e}")))?
        .map_err(|e| ApiError::Unservable {
            message: format!(
                "version {} of site {:?}'s rule document cannot be compiled for the tracker \
                 (the collector logged why); save a corrected document or roll back",
                info.version, site.id
            ),
            detail: format!("site {:?}, rules version {}: {e}", site.id, info.version),
        })?;
    let body = Bytes::from(compiled);
    state
        .compiled_rules
        .insert(&site.id, &info.etag, body.clone());
    Ok(body)
}
