//! `GET /healthz` (200 when the storage answers, 503 with the reason when it does not)
//! and `GET /metrics` (Prometheus text format).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::error::ApiError;

/// Liveness and storage reachability, for load balancers and orchestrators.
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .storage
        .ping()
        .await
        .map_err(|error| ApiError::Unavailable {
            message: format!("storage unreachable: {error}"),
            retry_after_seconds: 5,
        })?;
    Ok(Json(json!({ "status": "ok" })))
}

/// The Prometheus exposition: requests, events by outcome, queue depth, commit latency.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let text = state.metrics.render(state.storage.queue_depth());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}
