//! HTTP handlers, one module per area; the only place besides `main` that knows axum.

pub mod assets;
pub mod auth;
pub mod cors;
pub mod experiments;
pub mod export;
pub mod health;
pub mod ingest;
pub mod leads;
pub mod params;
pub mod profiles;
pub mod public;
pub mod reports;
pub mod rules;

/// The wall clock in Unix milliseconds (0 before 1970, saturating far in the future).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `1 error`, `2 errors`.
pub(crate) fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}
