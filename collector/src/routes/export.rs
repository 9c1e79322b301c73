//! `GET /v1/export?site=ID`: a site's stored events as NDJSON, oldest first (admin only).

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::auth::require_admin;

/// Rows read from storage per round trip.
const EXPORT_PAGE_ROWS: usize = 1000;

/// Query parameters of `/v1/export`.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    site: Option<String>,
}

/// Exports one site's events, one JSON object per line.
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
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
    let mut body = String::new();
    let mut after_id = 0;
    loop {
        let page = state
            .storage
            .export_page(&site, after_id, EXPORT_PAGE_ROWS)
            .await?;
        for event in &page {
            body.push_str(&event.json);
            body.push('\n');
        }
        match page.last() {
            Some(last) if page.len() == EXPORT_PAGE_ROWS => after_id = last.id,
            _ => break,
        }
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}
