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
pub mod reports;
pub mod rules;
