//! The application as a function of its state: `app(state) -> Router`, so tests can drive
//! it in-process and `serve` can put it on a socket.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use tokio::sync::Semaphore;

use crate::assets::{AssetKind, AssetStore};
use crate::config::{Config, Site};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
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
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Ingest requests per client address.
    pub client_limiter: Arc<RateLimiter<IpAddr>>,
    /// Events per site.
    pub site_limiter: Arc<RateLimiter<String>>,
    /// Permits for requests in flight.
    pub in_flight: Arc<Semaphore>,
    /// Today's salt for cookieless visitor ids.
    pub salts: Arc<crate::visitor::SaltCache>,
    /// Each site's compiled profile definitions.
    pub profilers: Arc<crate::profiles::ProfilerCache>,
    /// Each site's compiled `rules.json`.
    pub compiled_rules: Arc<crate::rules::compile::CompiledCache>,
}

impl AppState {
    /// State for `config` over `storage`, loading the asset directories it names.
    pub fn new(config: Config, storage: Arc<dyn Storage>, metrics: Arc<Metrics>) -> AppState {
        let sdk = AssetStore::load(
            &config.sdk_dir,
            AssetKind::Sdk,
            "the SDK bundle is not built (run scripts/build-sdk)",
        );
        let site = AssetStore::load(&config.site_dir, AssetKind::Site, "no site to serve");
        let rates = config.rate_limits;
        AppState {
            client_limiter: Arc::new(RateLimiter::new(
                rates.client_requests_per_second,
                rates.client_burst,
            )),
            site_limiter: Arc::new(RateLimiter::new(
                rates.site_events_per_second,
                rates.site_burst,
            )),
            in_flight: Arc::new(Semaphore::new(config.http.max_concurrent_requests)),
            salts: Arc::default(),
            profilers: Arc::default(),
            compiled_rules: Arc::default(),
            config: Arc::new(config),
            storage,
            sdk: Arc::new(sdk),
            site: Arc::new(site),
            metrics,
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
    use routes::ingest;
    let preflight = ingest::preflight;
    Router::new()
        .route("/v1/batch", post(ingest::batch).options(preflight))
        .route("/v1/track", post(ingest::track).options(preflight))
        .route("/v1/page", post(ingest::page).options(preflight))
        .route("/v1/identify", post(ingest::identify).options(preflight))
        .route("/v1/alias", post(ingest::alias).options(preflight))
        .route("/v1/group", post(ingest::group).options(preflight))
        .route("/v1/export", get(routes::export::export))
        .route("/v1/leads", get(routes::leads::leads))
        .route("/v1/reports/forms", get(routes::reports::forms))
        .route(
            "/v1/reports/experiments",
            get(routes::experiments::experiments),
        )
        .route(
            "/v1/sites/{site}/rules",
            put(routes::rules::save).get(routes::rules::list),
        )
        .route(
            "/v1/sites/{site}/rules.json",
            get(routes::rules::public).options(routes::public::preflight),
        )
        .route(
            "/v1/sites/{site}/rules/rollback",
            post(routes::rules::rollback),
        )
        .route(
            "/v1/sites/{site}/rules/preview",
            post(routes::rules::preview),
        )
        .route(
            "/v1/sites/{site}/rules/{version}",
            get(routes::rules::version),
        )
        .route(
            "/v1/sites/{site}/profiles",
            put(routes::profiles::save)
                .get(routes::profiles::definitions)
                .delete(routes::profiles::delete),
        )
        .route(
            "/v1/sites/{site}/profiles/{anonymous_id}",
            get(routes::profiles::explain),
        )
        .route(
            "/v1/sites/{site}/profile",
            get(routes::profiles::public).options(routes::public::preflight),
        )
        .route("/healthz", get(routes::health::healthz))
        .route("/metrics", get(routes::health::metrics))
        .route("/sdk/{*path}", get(routes::assets::sdk))
        .fallback(routes::assets::site)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Around every request: the concurrency limit, the whole-request timeout, and the
/// request counter of `/metrics`.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = route_label(request.uri().path());
    let response = match state.in_flight.clone().try_acquire_owned() {
        Err(_) => ApiError::Unavailable {
            message: format!(
                "the collector is handling {} requests already; retry shortly",
                state.config.http.max_concurrent_requests
            ),
            retry_after_seconds: 1,
        }
        .into_response(),
        Ok(_permit) => {
            let limit = state.config.http.request_timeout;
            let started = Instant::now();
            match tokio::time::timeout(limit, next.run(request)).await {
                Ok(response) => response,
                Err(_) => {
                    tracing::warn!(route, took = ?started.elapsed(), "request timed out");
                    ApiError::Unavailable {
                        message: format!(
                            "the request took longer than {} s; retry it",
                            limit.as_secs()
                        ),
                        retry_after_seconds: 1,
                    }
                    .into_response()
                }
            }
        }
    };
    state.metrics.request(route, response.status().as_u16());
    response
}

/// The metrics label of a path: the route, never the raw URL (which is unbounded).
fn route_label(path: &str) -> &'static str {
    match path {
        "/v1/batch" => "/v1/batch",
        "/v1/track" => "/v1/track",
        "/v1/page" => "/v1/page",
        "/v1/identify" => "/v1/identify",
        "/v1/alias" => "/v1/alias",
        "/v1/group" => "/v1/group",
        "/v1/export" => "/v1/export",
        "/v1/leads" => "/v1/leads",
        "/v1/reports/forms" => "/v1/reports/forms",
        "/v1/reports/experiments" => "/v1/reports/experiments",
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        p if p.starts_with("/sdk/") => "/sdk/*",
        p if p.starts_with("/v1/sites/") => sites_route_label(p),
        _ => "/*",
    }
}

/// The label of a `/v1/sites/{site}/…` path (site ids and visitor ids are not labels:
/// unbounded).
fn sites_route_label(path: &str) -> &'static str {
    let rest = path.trim_start_matches("/v1/sites/");
    match rest.split_once('/').map(|(_, tail)| tail) {
        Some("rules") => "/v1/sites/*/rules",
        Some("rules.json") => "/v1/sites/*/rules.json",
        Some("rules/preview") => "/v1/sites/*/rules/preview",
        Some("rules/rollback") => "/v1/sites/*/rules/rollback",
        Some(tail) if tail.starts_with("rules/") => "/v1/sites/*/rules/*",
        Some("profiles") => "/v1/sites/*/profiles",
        Some(tail) if tail.starts_with("profiles/") => "/v1/sites/*/profiles/*",
        Some("profile") => "/v1/sites/*/profile",
        _ => "/*",
    }
}

#[cfg(test)]
mod tests {
    use super::route_label;

    #[test]
    fn rules_paths_are_labelled_by_route_not_by_site() {
        assert_eq!(route_label("/v1/sites/shop/rules"), "/v1/sites/*/rules");
        assert_eq!(
            route_label("/v1/sites/shop/rules.json"),
            "/v1/sites/*/rules.json"
        );
        assert_eq!(
            route_label("/v1/sites/x/rules/preview"),
            "/v1/sites/*/rules/preview"
        );
        assert_eq!(
            route_label("/v1/sites/x/rules/rollback"),
            "/v1/sites/*/rules/rollback"
        );
        assert_eq!(route_label("/v1/sites/x/rules/12"), "/v1/sites/*/rules/*");
        assert_eq!(route_label("/v1/sites/x/profiles"), "/v1/sites/*/profiles");
        assert_eq!(
            route_label("/v1/sites/x/profiles/0192f3a4-1b2c-7d3e-8f40-123456789abc"),
            "/v1/sites/*/profiles/*"
        );
        assert_eq!(route_label("/v1/sites/x/profile"), "/v1/sites/*/profile");
        assert_eq!(route_label("/v1/sites/x/other"), "/*");
        assert_eq!(
            route_label("/v1/reports/experiments"),
            "/v1/reports/experiments"
        );
    }
}
