//! Rooms with owners over the API: make one (`POST /api/rooms`), read and
//! change its settings (`GET` / `PATCH /api/rooms/{room}`), give it an owner
//! (`PUT .../owner`, admins), and open a DM (`POST /api/dms/{name}`).

use super::error::ApiError;
use super::identity::{ApiJson, ApiPath, Caller, RoomPath};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::room_policy::{NewRoom, RoomChanges, RoomInfo};
use serde::Deserialize;

/// `POST /api/rooms` `{"name", "visibility"?, "topic"?}`: 201 with the room.
pub async fn create(
    State(state): State<AppState>,
    Caller(identity): Caller,
    ApiJson(new): ApiJson<NewRoom>,
) -> Result<(StatusCode, Json<RoomInfo>), ApiError> {
    let info = state.chat.create_room(&identity, &new).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// `GET /api/rooms/{room}`
pub async fn show(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
) -> Result<Json<RoomInfo>, ApiError> {
    Ok(Json(state.chat.room_info(&identity, &room)?))
}

/// `PATCH /api/rooms/{room}` `{"topic"?, "post"?, "slow_mode_s"?, "locked"?,
/// "guests_read"?}`
pub async fn change(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
    ApiJson(changes): ApiJson<RoomChanges>,
) -> Result<Json<RoomInfo>, ApiError> {
    Ok(Json(
        state.chat.change_room(&identity, &room, &changes).await?,
    ))
}

#[derive(Deserialize)]
pub struct NewOwner {
    name: String,
}

/// `PUT /api/rooms/{room}/owner` `{"name"}` (server admins).
pub async fn set_owner(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
    ApiJson(owner): ApiJson<NewOwner>,
) -> Result<Json<RoomInfo>, ApiError> {
    Ok(Json(
        state.chat.set_owner(&identity, &room, &owner.name).await?,
    ))
}

/// `POST /api/dms/{name}`: the DM room of the caller and `name` (200, the
/// same room whoever asks first).
pub async fn open_dm(
    State(state): State<AppState>,
    Caller(identity): Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<RoomInfo>, ApiError> {
    Ok(Json(state.chat.open_dm(&identity, &name).await?))
}
