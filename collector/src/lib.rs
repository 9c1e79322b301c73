//! `orbit-collector`: receives events from Orbit's tracker and Segment-spec clients,
//! stores them, and serves them back; it also serves the SDK bundle and the demo site.
//!
//! - [`config`]: the TOML file, environment and flags, validated into one `Config`.
//! - [`app`]: `app(state) -> Router`, the whole HTTP interface as a function.
//! - [`routes`]: the handlers (ingest, export, leads, reports, rules, profiles, health,
//!   static files) and auth.
//! - [`storage`]: the `Storage` trait and its SQLite backend (WAL, group commit).
//! - [`reports`]: leads, the form report and the experiment report, as plain Rust over
//!   storage's rows.
//! - [`rules`]: rule documents: checking and normalising them for storage (and the
//!   `rules check` command), versions and ETags, previews, the `regex` host.
//! - [`profiles`]: visitor profiles: the definitions document (lead-score points and
//!   segments), computing a visitor's score and segments, explaining them.
//! - [`assets`]: static files in memory with precompressed variants and ETags.
//! - [`error`]: `ApiError`, the one place failures become HTTP answers.
//! - [`body`]: reading request bodies within time and size limits, gunzipping them.
//! - [`client`]: the client address, from the socket or a trusted proxy's header.
//! - [`rate_limit`]: token buckets per client and per site (429s).
//! - [`metrics`]: counters and histograms for `/metrics`.
//! - [`visitor`]: cookieless visitor ids from a daily salt.
//! - [`server`]: binding, start-up messages, timeouts and graceful shutdown.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod assets;
pub mod body;
pub mod client;
pub mod config;
pub mod error;
pub mod metrics;
pub mod profiles;
pub mod rate_limit;
pub mod reports;
pub mod routes;
pub mod rules;
pub mod server;
pub mod site_cache;
pub mod storage;
pub mod visitor;
