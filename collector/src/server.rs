//! Running the collector: open storage, bind, announce, serve until a signal, drain.

use std::sync::Arc;

use crate::app::{app, AppState};
use crate::config::{Config, StorageUrl};
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
pub fn open_storage(config: &Config) -> Result<Arc<dyn Storage>, StorageError> {
    match &config.storage {
        StorageUrl::Sqlite(path) => Ok(Arc::new(SqliteStorage::open(path)?)),
    }
}

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight and returns.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let storage = open_storage(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let state = AppState::new(config, storage);
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
    }
    if state.config.admin_token_generated {
        println!("admin token: {}", state.config.admin_token);
    }
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped: every accepted request was answered");
    Ok(())
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
