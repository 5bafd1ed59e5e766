//! `POST /api/rooms/{room}/read` `{"seq", "unread"?}`: moves the caller's
//! read position (accounts only; forward only unless `unread`).

use super::error::ApiError;
use super::identity::{ApiJson, Caller, RoomPath};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use model::api::{ReadMark, ReadPosition};

pub async fn mark(
    State(state): State<AppState>,
    RoomPath(room): RoomPath,
    Caller(identity): Caller,
    ApiJson(mark): ApiJson<ReadMark>,
) -> Result<Json<ReadPosition>, ApiError> {
    let read_seq = state
        .chat
        .mark_read(&identity, &room, mark.seq, mark.unread)
        .await?;
    Ok(Json(ReadPosition {
        room: room.to_string(),
        read_seq,
    }))
}
