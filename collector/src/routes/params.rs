//! Parameters the APIs share: the site (in the query or the path), a time window, and
//! JSON or CSV.

use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::{header, HeaderMap};

use crate::app::AppState;
use crate::config::Site;
use crate::error::ApiError;
use crate::reports::{parse_time, TimeParamError};

/// The site a read request names: 400 when it names none, 404 when no site has that id.
pub fn site_param(state: &AppState, site: Option<String>) -> Result<String, ApiError> {
    let site = site
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::BadRequest("add ?site=SITE_ID to choose the site".into()))?;
    if state.site_by_id(&site).is_none() {
        let known: Vec<&str> = state.config.sites.iter().map(|s| s.id.as_str()).collect();
        return Err(ApiError::NotFound(format!(
            "no site with id {site:?}; the configured sites are: {}",
            known.join(", ")
        )));
    }
    Ok(site)
}

/// The `{site}` of a path: 404 when no site has that id.
pub fn path_site(
    state: &AppState,
    path: Result<Path<String>, PathRejection>,
) -> Result<&Site, ApiError> {
    let Path(id) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    state.site_by_id(&id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no site with id {id:?}; check the site id in the URL"
        ))
    })
}

/// One time bound (`name=value`): an RFC 3339 date-time, a date, or Unix milliseconds.
pub fn time_param(name: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    let text = match value {
        None => return Ok(None),
        Some(text) if text.trim().is_empty() => return Ok(None),
        Some(text) => text,
    };
    parse_time(text).map(Some).map_err(|error| {
        ApiError::BadRequest(match error {
            TimeParamError::Seconds => format!(
                "{name}={text:?} looks like Unix seconds; send Unix milliseconds \
                 ({text}000) or a date-time such as 2026-11-22T10:00:00Z"
            ),
            TimeParamError::Unreadable => format!(
                "{name}={text:?}: expected a date-time such as 2026-11-22T10:00:00Z, \
                 a date such as 2026-11-22, or Unix milliseconds"
            ),
        })
    })
}

/// A window `[start, end)` from two named bounds; 400 when the end is not after the start.
pub fn window(
    (start_name, start): (&str, Option<&str>),
    (end_name, end): (&str, Option<&str>),
) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let start_ms = time_param(start_name, start)?;
    let end_ms = time_param(end_name, end)?;
    if let (Some(s), Some(e)) = (start_ms, end_ms) {
        if e <= s {
            return Err(ApiError::BadRequest(format!(
                "{end_name} must be after {start_name} (the window includes {start_name} \
                 and excludes {end_name})"
            )));
        }
    }
    Ok((start_ms, end_ms))
}

/// How a read API answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `application/json` (the default).
    Json,
    /// `text/csv`.
    Csv,
}

/// `?format=json|csv`, else the first of JSON or CSV that `Accept` names, else JSON.
pub fn response_format(param: Option<&str>, headers: &HeaderMap) -> Result<Format, ApiError> {
    match param.map(str::trim) {
        Some("json") => return Ok(Format::Json),
        Some("csv") => return Ok(Format::Csv),
        None | Some("") => {}
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "format={other:?}: expected json or csv"
            )))
        }
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let first = accept.split(',').find_map(|range| {
        match range.split(';').next().unwrap_or_default().trim() {
            "application/json" => Some(Format::Json),
            "text/csv" => Some(Format::Csv),
            _ => None,
        }
    });
    Ok(first.unwrap_or(Format::Json))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_format_parameter_wins_over_accept() {
        let csv = accept("text/csv");
        assert_eq!(response_format(None, &csv).unwrap(), Format::Csv);
        assert_eq!(response_format(Some("json"), &csv).unwrap(), Format::Json);
        assert_eq!(
            response_format(Some("csv"), &HeaderMap::new()).unwrap(),
            Format::Csv
        );
        assert!(response_format(Some("xml"), &csv).is_err());
    }

    #[test]
    fn accept_picks_the_first_known_type_and_defaults_to_json() {
        assert_eq!(
            response_format(None, &accept("text/html, text/csv;q=0.9, */*")).unwrap(),
            Format::Csv
        );
        assert_eq!(
            response_format(None, &accept("application/json, text/csv")).unwrap(),
            Format::Json
        );
        assert_eq!(response_format(None, &accept("*/*")).unwrap(), Format::Json);
        assert_eq!(
            response_format(None, &HeaderMap::new()).unwrap(),
            Format::Json
        );
    }

    #[test]
    fn a_window_must_end_after_it_starts() {
        assert_eq!(
            window(("from", Some("2026-11-01")), ("to", None)).unwrap(),
            (Some(1_793_491_200_000), None)
        );
        let error = window(("from", Some("2026-11-02")), ("to", Some("2026-11-01"))).unwrap_err();
        assert!(
            error.to_string().contains("to must be after from"),
            "{error}"
        );
        let error = time_param("since", Some("1795341600")).unwrap_err();
        assert!(error
            .to_string()
            .contains("since=\"1795341600\" looks like Unix seconds"));
    }
}
