//! `GET /v1/export?site=ID[&since=…][&until=…][&type=…][&cursor=…][&limit=…]`: a site's
//! stored events as NDJSON in storage order (admin only), streamed page by page so that
//! memory stays flat however many events there are.
//!
//! Every line carries `exportCursor`; passing the last one received as `?cursor=` resumes
//! an interrupted export exactly after it.

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use orbit_core::EventType;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::auth::require_admin;
use crate::routes::params::time_param;
use crate::storage::{ExportFilter, StorageError};

/// Rows read from storage per round trip.
pub const EXPORT_PAGE_ROWS: usize = 1000;

/// Query parameters of `/v1/export`; unknown ones are refused so that a misspelt filter
/// cannot silently export everything.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    site: Option<String>,
    since: Option<String>,
    until: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// Streams one site's events, one JSON object per line.
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let site = query
        .site
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::BadRequest("add ?site=SITE_ID to choose the site".into()))?;
    if state.site_by_id(&site).is_none() {
        return Err(ApiError::NotFound(format!("no site with id {site:?}")));
    }
    let filter = ExportFilter {
        site,
        since_ms: time_param("since", query.since.as_deref())?,
        until_ms: time_param("until", query.until.as_deref())?,
        kind: match query.kind.as_deref() {
            None | Some("") => None,
            Some(name) => Some(EventType::parse(name).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "type={name:?}: expected one of page, track, identify, alias, group"
                ))
            })?),
        },
    };
    let after_id = match query.cursor.as_deref() {
        None | Some("") => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|c| *c >= 0)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "cursor={text:?}: pass the exportCursor of the last line you received"
                ))
            })?,
    };
    let remaining = match query.limit.as_deref().map(str::trim) {
        None | Some("") => u64::MAX,
        Some(text) => text.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "limit={text:?}: expected a number of events of 1 or more (none: all of them)"
            ))
        })?,
    };

    // The first page is read before answering, so that a storage failure is a clean 5xx
    // rather than a cut stream.
    let first = read_page(&state, &filter, after_id, remaining).await?;
    let pages = stream::unfold(Some((state, filter, first, remaining)), |step| async move {
        let (state, filter, page, remaining) = step?;
        let Page {
            chunk,
            last_id,
            rows,
        } = page;
        let remaining = remaining.saturating_sub(rows as u64);
        let next = if rows == EXPORT_PAGE_ROWS && remaining > 0 {
            match read_page(&state, &filter, last_id, remaining).await {
                Ok(page) => Some((state, filter, page, remaining)),
                Err(error) => {
                    tracing::error!(%error, "export stopped by a storage error");
                    return Some((Err(std::io::Error::other(error.to_string())), None));
                }
            }
        } else {
            None
        };
        if rows == 0 {
            return None;
        }
        Some((Ok::<_, std::io::Error>(chunk), next))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(pages),
    )
        .into_response())
}

/// One page of NDJSON lines.
struct Page {
    chunk: Bytes,
    last_id: i64,
    rows: usize,
}

async fn read_page(
    state: &AppState,
    filter: &ExportFilter,
    after_id: i64,
    remaining: u64,
) -> Result<Page, StorageError> {
    let limit = usize::try_from(remaining)
        .unwrap_or(usize::MAX)
        .min(EXPORT_PAGE_ROWS);
    let events = state.storage.export_page(filter, after_id, limit).await?;
    let mut chunk = String::with_capacity(events.iter().map(|e| e.json.len() + 32).sum());
    for event in &events {
        // Stored bodies are JSON objects: insert the cursor before the closing brace.
        let json = event.json.trim_end();
        let body = json.strip_suffix('}').unwrap_or(json);
        chunk.push_str(body);
        if body.len() > 1 {
            chunk.push(',');
        }
        chunk.push_str("\"exportCursor\":\"");
        chunk.push_str(&event.id.to_string());
        chunk.push_str("\"}\n");
    }
    Ok(Page {
        chunk: Bytes::from(chunk),
        last_id: events.last().map_or(after_id, |e| e.id),
        rows: events.len(),
    })
}
