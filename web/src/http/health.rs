//! `GET /healthz`: 200 when the server and its NATS connection are up.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::api::Health;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = state.chat.health();
    let status = if health.status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(health))
}
