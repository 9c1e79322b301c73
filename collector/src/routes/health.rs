//! `GET /healthz`: 200 when the storage answers, 503 with the reason when it does not.

use axum::extract::State;
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
