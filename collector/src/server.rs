//! Running the collector: open storage, bind, announce, serve until a signal, drain.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

use crate::app::{app, AppState};
use crate::config::{Config, StorageUrl};
use crate::metrics::Metrics;
use crate::storage::sqlite::SqliteStorage;
use crate::storage::{Storage, StorageError};

/// Why the collector could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The storage could not be opened.
    #[error("cannot open the storage: {0}")]
    Storage(#[from] StorageError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the storage a config names.
pub fn open_storage(
    config: &Config,
    metrics: Arc<Metrics>,
) -> Result<Arc<dyn Storage>, StorageError> {
    match &config.storage {
        StorageUrl::Sqlite(path) => Ok(Arc::new(SqliteStorage::open(
            path,
            config.durability,
            metrics,
        )?)),
    }
}

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight and returns.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let metrics = Arc::new(Metrics::default());
    let storage = open_storage(&config, Arc::clone(&metrics))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let state = AppState::new(config, storage, metrics);
    if let Some(why) = &state.sdk.missing {
        tracing::warn!("{why}");
    }
    // Start-up lines on stdout: people read them, and tests parse the first one.
    println!("Orbit collector listening on http://{addr}");
    if state.config.demo_site {
        println!(
            "demo site: id={} write_key={}",
            crate::config::DEMO_SITE_ID,
            crate::config::DEMO_WRITE_KEY
        );
        println!("open http://{addr}/ to see the demo page");
        seed_demo_profiles(&state).await;
    }
    if state.config.admin_token_generated {
        println!("admin token: {}", state.config.admin_token);
    }
    let http = state.config.http;
    serve_connections(listener, app(state), http.header_timeout).await;
    tracing::info!("stopped: every accepted request was answered");
    Ok(())
}

/// The demo site's profile definitions (lead score and segments), read from this file in
/// the site folder when the demo site has none stored yet, so that `scripts/run` shows the
/// whole loop. Configured sites get theirs through `PUT /v1/sites/{site}/profiles` only.
pub const DEMO_PROFILES_FILE: &str = "profiles.json";

/// Stores the demo site's [`DEMO_PROFILES_FILE`] if it has no definitions; a problem is a
/// warning, never a reason not to start.
async fn seed_demo_profiles(state: &AppState) {
    let path = state.config.site_dir.join(DEMO_PROFILES_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return; // a site folder without the file: nothing to seed
    };
    let site = crate::config::DEMO_SITE_ID;
    match state.storage.profile_definitions(site).await {
        Ok(None) => {}
        Ok(Some(_)) => return, // saved before (perhaps changed through the API): kept
        Err(e) => {
            tracing::warn!("demo profile definitions not loaded: {e}");
            return;
        }
    }
    let checked = crate::profiles::check_definitions(&text);
    let Some(valid) = checked.document else {
        let problems: Vec<String> = checked.findings.iter().map(|f| f.to_string()).collect();
        tracing::warn!(
            "demo profile definitions in {} not loaded: {}",
            path.display(),
            problems.join("; ")
        );
        return;
    };
    let new = crate::profiles::NewProfileDefinitions::from_valid(&valid, crate::routes::now_ms());
    match state.storage.save_profile_definitions(site, new).await {
        Ok(_) => println!("demo site: lead score and segments from {}", path.display()),
        Err(e) => tracing::warn!("demo profile definitions not saved: {e}"),
    }
}

/// Accepts connections until a shutdown signal, then stops accepting and waits for every
/// request in flight to be answered (each is bounded by the request timeout).
async fn serve_connections(
    listener: tokio::net::TcpListener,
    router: Router,
    header_timeout: Duration,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(
            move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            },
        );
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
