//! `GET /v1/leads?site=ID[&since=…][&until=…][&limit=N][&format=json|csv]` (admin only):
//! the site's leads by the time they became leads, as JSON or CSV. What a lead is, and
//! where each field comes from, is in [`crate::reports::leads`].

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use crate::reports::leads::{to_csv, LeadFilter, DEFAULT_LEADS_LIMIT, MAX_LEADS_LIMIT};
use crate::routes::auth::require_admin;
use crate::routes::params::{response_format, site_param, window, Format};

/// Says whether more leads matched than `limit` let through (`true`/`false`), for CSV
/// readers who do not see the JSON's `truncated`.
pub const TRUNCATED_HEADER: HeaderName = HeaderName::from_static("x-orbit-truncated");

/// Query parameters of `/v1/leads`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadsQuery {
    site: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

/// Lists one site's leads.
pub async fn leads(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<LeadsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    require_admin(&state, &headers)?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let site = site_param(&state, query.site)?;
    let (since_ms, until_ms) = window(
        ("since", query.since.as_deref()),
        ("until", query.until.as_deref()),
    )?;
    let limit = limit_param(query.limit.as_deref())?;
    let format = response_format(query.format.as_deref(), &headers)?;
    let filter = LeadFilter {
        site,
        since_ms,
        until_ms,
        limit,
    };
    let list = state.storage.leads(&filter).await?;
    let truncated = HeaderValue::from_static(if list.truncated { "true" } else { "false" });
    let mut response = match format {
        Format::Json => Json(&list).into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    // Site ids are [A-Za-z0-9_-] (the config checks), safe in a file name.
                    format!("attachment; filename=\"leads-{}.csv\"", filter.site),
                ),
            ],
            to_csv(&list),
        )
            .into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(TRUNCATED_HEADER, truncated);
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(response)
}

fn limit_param(value: Option<&str>) -> Result<usize, ApiError> {
    let text = match value.map(str::trim) {
        None | Some("") => return Ok(DEFAULT_LEADS_LIMIT),
        Some(text) => text,
    };
    text.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_LEADS_LIMIT).contains(n))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "limit={text:?}: expected a number of leads from 1 to {MAX_LEADS_LIMIT} \
                 (default {DEFAULT_LEADS_LIMIT}); narrow since/until to see more"
            ))
        })
}
