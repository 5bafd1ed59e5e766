//! `GET /api/rooms`: rooms that hold messages, newest activity first.

use super::error::ApiError;
use crate::AppState;
use axum::Json;
use axum::extract::State;
use model::room::RoomSummary;

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<RoomSummary>>, ApiError> {
    Ok(Json(state.chat.rooms().await?))
}
