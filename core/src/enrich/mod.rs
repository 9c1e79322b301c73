//! Facts derived from what a browser sends anyway (its user agent, the page URL), computed in
//! plain Rust so the SDK and the collector enrich events the same way.
//!
//! - [`ua`]: browser, OS, device class and bot detection from a `User-Agent` string.
//! - [`campaign`]: UTM parameters and ad click ids from a URL's query string.

pub mod campaign;
pub mod ua;
