//! Moderators over the API: timeouts (`POST /api/rooms/{room}/timeouts`,
//! `DELETE .../timeouts/{name}`), bans (`POST .../bans`, `DELETE
//! .../bans/{name}`), what is in force (`GET .../sanctions`) and the
//! moderation log (`GET .../modlog`). Removing a message is `DELETE
//! .../messages/{seq}` (see `conversation`).

use super::error::ApiError;
use super::identity::{ApiJson, Caller, RoomAnd, RoomPath};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::room_policy::{ModLog, NewBan, NewTimeout, Sanction};

/// `POST /api/rooms/{room}/timeouts` `{"name", "seconds", "reason"?}`: 201.
pub async fn timeout(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
    ApiJson(new): ApiJson<NewTimeout>,
) -> Result<(StatusCode, Json<Sanction>), ApiError> {
    let sanction = state.chat.timeout(&identity, &room, &new).await?;
    Ok((StatusCode::CREATED, Json(sanction)))
}

/// `DELETE /api/rooms/{room}/timeouts/{name}`: 204.
pub async fn end_timeout(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomAnd(room, name): RoomAnd,
) -> Result<StatusCode, ApiError> {
    state.chat.end_timeout(&identity, &room, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/rooms/{room}/bans` `{"name", "purge_s"?, "reason"?}`: 201.
pub async fn ban(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
    ApiJson(new): ApiJson<NewBan>,
) -> Result<(StatusCode, Json<Sanction>), ApiError> {
    let sanction = state.chat.ban(&identity, &room, &new).await?;
    Ok((StatusCode::CREATED, Json(sanction)))
}

/// `DELETE /api/rooms/{room}/bans/{name}`: 204.
pub async fn unban(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomAnd(room, name): RoomAnd,
) -> Result<StatusCode, ApiError> {
    state.chat.unban(&identity, &room, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/rooms/{room}/sanctions`: timeouts in force and bans.
pub async fn sanctions(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
) -> Result<Json<Vec<Sanction>>, ApiError> {
    Ok(Json(state.chat.sanctions(&identity, &room)?))
}

/// `GET /api/rooms/{room}/modlog`: newest first.
pub async fn modlog(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
) -> Result<Json<ModLog>, ApiError> {
    Ok(Json(state.chat.modlog(&identity, &room).await?))
}
