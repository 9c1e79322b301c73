//! The read side's reports as plain Rust: what a lead is and how a form report is put
//! together, over rows a storage backend reads. No SQL and no axum here, so that every
//! backend computes the same answers and `cargo test` checks them in milliseconds.
//!
//! - [`leads`]: who became a lead, when, from which campaign, through which forms.
//! - [`forms`]: per form, views, starts, submissions, rates, median time, abandonment
//!   and errors.
//! - [`experiments`]: per experiment and variant, exposures, conversions, lift over the
//!   control, the sample-ratio check, and the holdout's lift.
//! - [`stats`]: the confidence intervals and the chi-square test behind it.
//! - [`csv`]: RFC 4180 CSV that spreadsheets cannot mistake for formulas.

pub mod csv;
pub mod experiments;
pub mod forms;
pub mod leads;
pub mod stats;

use orbit_core::time::{format_rfc3339_ms, parse_rfc3339_ms};
use serde::Serializer;

/// Decimal places of the rates in reports.
pub const RATE_DECIMALS: i32 = 4;

/// `numerator / denominator` rounded to [`RATE_DECIMALS`] places; `None` when the
/// denominator is 0 (a rate of nothing is unknown, not 0 and not NaN).
pub fn rate(numerator: u64, denominator: u64) -> Option<f64> {
    if denominator == 0 {
        return None;
    }
    let scale = 10f64.powi(RATE_DECIMALS);
    Some((numerator as f64 / denominator as f64 * scale).round() / scale)
}

/// Timestamps at or above this many ms are taken as milliseconds; below it (before
/// 1973-03-03) a number is almost certainly Unix *seconds* sent by mistake.
pub const MIN_UNIX_MS: i64 = 100_000_000_000;

/// Why a time parameter was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeParamError {
    /// Neither a date-time, a date nor a number.
    Unreadable,
    /// A number too small to be milliseconds: probably seconds.
    Seconds,
}

/// Reads a report's time bound: an RFC 3339 date-time (`2026-11-22T10:00:00Z`), a date
/// (`2026-11-22`, midnight UTC) or Unix milliseconds (`1795341600000`).
pub fn parse_time(text: &str) -> Result<i64, TimeParamError> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let ms = text
            .parse::<i64>()
            .map_err(|_| TimeParamError::Unreadable)?;
        return if ms == 0 || ms >= MIN_UNIX_MS {
            Ok(ms)
        } else {
            Err(TimeParamError::Seconds)
        };
    }
    if text.len() == 10 {
        return parse_rfc3339_ms(&format!("{text}T00:00:00Z")).ok_or(TimeParamError::Unreadable);
    }
    parse_rfc3339_ms(text).ok_or(TimeParamError::Unreadable)
}

/// The path of a URL (`https://x.com/a/b?q#f` → `/a/b`, `/a?q` → `/a`), `/` for a bare
/// origin, `None` for text that is not an absolute URL or an absolute path.
pub fn url_path(url: &str) -> Option<&str> {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
            let rest = &after[authority_end..];
            if !rest.starts_with('/') {
                return Some("/");
            }
            rest
        }
        None if url.starts_with('/') => url,
        None => return None,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Serialises Unix ms as an RFC 3339 string, the form events carry.
pub(crate) fn serialize_ms<S: Serializer>(ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_rfc3339_ms(*ms))
}

/// Serialises optional Unix ms as an RFC 3339 string or null.
pub(crate) fn serialize_opt_ms<S: Serializer>(
    ms: &Option<i64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => serialize_ms(ms, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_rounded_and_null_without_a_denominator() {
        assert_eq!(rate(2, 3), Some(0.6667));
        assert_eq!(rate(1, 8), Some(0.125));
        assert_eq!(rate(0, 5), Some(0.0));
        assert_eq!(rate(5, 4), Some(1.25));
        assert_eq!(rate(0, 0), None);
        assert_eq!(rate(3, 0), None);
    }

    #[test]
    fn time_bounds_are_date_times_dates_or_milliseconds() {
        assert_eq!(parse_time("2026-11-22T10:00:00Z"), Ok(1_795_341_600_000));
        assert_eq!(
            parse_time("2026-11-22T11:00:00+01:00"),
            Ok(1_795_341_600_000)
        );
        assert_eq!(parse_time("2026-11-22"), Ok(1_795_305_600_000));
        assert_eq!(parse_time("1795341600000"), Ok(1_795_341_600_000));
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("1795341600"), Err(TimeParamError::Seconds));
        assert_eq!(parse_time("yesterday"), Err(TimeParamError::Unreadable));
        assert_eq!(parse_time("2026-13-01"), Err(TimeParamError::Unreadable));
        assert_eq!(parse_time("-5"), Err(TimeParamError::Unreadable));
        assert_eq!(
            parse_time("99999999999999999999999"),
            Err(TimeParamError::Unreadable)
        );
    }

    #[test]
    fn url_paths_drop_origin_query_and_fragment() {
        assert_eq!(url_path("https://x.com/a/b?q=1#f"), Some("/a/b"));
        assert_eq!(url_path("https://x.com"), Some("/"));
        assert_eq!(url_path("https://x.com?utm_source=/evil"), Some("/"));
        assert_eq!(url_path("https://x.com#/route"), Some("/"));
        assert_eq!(url_path("http://x.com:8080/pricing/"), Some("/pricing/"));
        assert_eq!(url_path("/signup?step=2"), Some("/signup"));
        assert_eq!(url_path("x.com/a"), None);
        assert_eq!(url_path(""), None);
    }
}
