//! `GET /v1/reports/forms?site=ID[&from=…][&to=…]` (admin only): per form and page, views,
//! starts, submissions, rates, median time to complete, abandonment and errors in the
//! window `[from, to)` (all time by default). The definitions are in
//! [`crate::reports::forms`].

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use crate::reports::forms::{FormReport, FormReportFilter};
use crate::routes::auth::require_admin;
use crate::routes::params::{site_param, window};

/// Query parameters of `/v1/reports/forms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormReportQuery {
    site: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// One site's form report.
pub async fn forms(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<FormReportQuery>, QueryRejection>,
) -> Result<Json<FormReport>, ApiError> {
    require_admin(&state, &headers)?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let site = site_param(&state, query.site)?;
    let (from_ms, to_ms) = window(("from", query.from.as_deref()), ("to", query.to.as_deref()))?;
    let filter = FormReportFilter {
        site,
        from_ms,
        to_ms,
    };
    Ok(Json(state.storage.form_report(&filter).await?))
}
