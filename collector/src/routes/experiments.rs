//! `GET /v1/reports/experiments?site=ID[&from=…][&to=…][&conversion=EVENT]` (admin only):
//! per experiment and variant, exposed visitors, conversions, rates, lift over the control
//! with 95 % intervals and the sample-ratio check, plus the holdout's lift, in the window
//! `[from, to)` (all time by default). The definitions are in
//! [`crate::reports::experiments`], the statistics in [`crate::reports::stats`].

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use orbit_core::rules::parse_rules;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use crate::reports::experiments::{
    build, ExperimentReport, ExperimentReportFilter, DEFAULT_CONVERSION_EVENT,
    MAX_CONVERSION_EVENT_BYTES,
};
use crate::routes::auth::require_admin;
use crate::routes::params::{site_param, window};

/// Query parameters of `/v1/reports/experiments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentReportQuery {
    site: Option<String>,
    from: Option<String>,
    to: Option<String>,
    conversion: Option<String>,
}

/// One site's experiment report.
pub async fn experiments(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ExperimentReportQuery>, QueryRejection>,
) -> Result<Json<ExperimentReport>, ApiError> {
    require_admin(&state, &headers)?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let site = site_param(&state, query.site)?;
    let (from_ms, to_ms) = window(("from", query.from.as_deref()), ("to", query.to.as_deref()))?;
    let conversion = match query.conversion {
        None => DEFAULT_CONVERSION_EVENT.to_owned(),
        Some(name) if name.trim().is_empty() => {
            return Err(ApiError::BadRequest(format!(
                "conversion is empty: name the event that counts as a conversion, e.g. \
                 conversion={}, or leave it out for that default",
                DEFAULT_CONVERSION_EVENT.replace(' ', "%20")
            )))
        }
        Some(name) if name.len() > MAX_CONVERSION_EVENT_BYTES => {
            return Err(ApiError::BadRequest(format!(
                "conversion is {} bytes long; event names have at most \
                 {MAX_CONVERSION_EVENT_BYTES}",
                name.len()
            )))
        }
        Some(name) => name,
    };
    let filter = ExperimentReportFilter {
        site,
        from_ms,
        to_ms,
        conversion,
    };
    // Controls and weights come from the current document; a stored one that no longer
    // parses (an older language) is reported as none rather than failing the report.
    let document = state
        .storage
        .rules_version(&filter.site, None)
        .await?
        .and_then(|stored| match parse_rules(&stored.document) {
            Ok(rules) => Some(rules),
            Err(error) => {
                tracing::warn!(site = %filter.site, version = stored.info.version, %error,
                               "the current rule document no longer parses");
                None
            }
        });
    let rows = state.storage.experiment_rows(&filter).await?;
    Ok(Json(build(&filter, &rows, document.as_ref())))
}
