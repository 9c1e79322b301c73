//! The application as a function of its state: `app(state) -> Router`, so tests can drive
//! it in-process and `serve` can put it on a socket.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use orbit_core::limits::MAX_BATCH_BYTES;
use orbit_core::validate::BatchLimits;

use crate::assets::{AssetKind, AssetStore};
use crate::config::{Config, Site};
use crate::routes;
use crate::storage::Storage;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// Where events are stored.
    pub storage: Arc<dyn Storage>,
    /// The SDK bundle, served under `/sdk/`.
    pub sdk: Arc<AssetStore>,
    /// The site served at `/`.
    pub site: Arc<AssetStore>,
    /// Limits events are checked against.
    pub limits: BatchLimits,
}

impl AppState {
    /// State for `config` over `storage`, loading the asset directories it names.
    pub fn new(config: Config, storage: Arc<dyn Storage>) -> AppState {
        let sdk = AssetStore::load(
            &config.sdk_dir,
            AssetKind::Sdk,
            "the SDK bundle is not built (run scripts/build-sdk)",
        );
        let site = AssetStore::load(&config.site_dir, AssetKind::Site, "no site to serve");
        AppState {
            config: Arc::new(config),
            storage,
            sdk: Arc::new(sdk),
            site: Arc::new(site),
            limits: BatchLimits::default(),
        }
    }

    /// The site owning a write key.
    pub fn site_by_key(&self, key: &str) -> Option<&Site> {
        self.config.sites.iter().find(|s| s.write_key == key)
    }

    /// The site with an id.
    pub fn site_by_id(&self, id: &str) -> Option<&Site> {
        self.config.sites.iter().find(|s| s.id == id)
    }
}

/// The collector's HTTP interface.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/batch",
            post(routes::ingest::batch)
                .options(routes::ingest::preflight)
                .layer(DefaultBodyLimit::max(MAX_BATCH_BYTES)),
        )
        .route("/v1/export", get(routes::export::export))
        .route("/healthz", get(routes::health::healthz))
        .route("/sdk/{*path}", get(routes::assets::sdk))
        .fallback(routes::assets::site)
        .with_state(state)
}
