//! Rooms with owners over the API: make one (`POST /api/rooms`), read and
//! change its settings (`GET` / `PATCH /api/rooms/{room}`), give it an owner
//! (`PUT .../owner`, admins), and open a DM (`POST /api/dms/{name}`).

use super::error::{ApiError, bad_json, bad_path};
use super::identity::Caller;
use crate::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use model::room::RoomName;
use model::room_policy::{NewRoom, RoomChanges, RoomInfo};
use serde::Deserialize;

/// The room a request is about.
pub(crate) fn room_of(path: Result<Path<String>, PathRejection>) -> Result<RoomName, ApiError> {
    let Path(room) = path.map_err(bad_path)?;
    Ok(RoomName::parse(&room)?)
}

/// The room and the account name a request is about.
pub(crate) fn room_and_name(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(RoomName, String), ApiError> {
    let Path((room, name)) = path.map_err(bad_path)?;
    Ok((RoomName::parse(&room)?, name))
}

/// `POST /api/rooms` `{"name", "visibility"?, "topic"?}`: 201 with the room.
pub async fn create(
    State(state): State<AppState>,
    Caller(identity): Caller,
    body: Result<Json<NewRoom>, JsonRejection>,
) -> Result<(StatusCode, Json<RoomInfo>), ApiError> {
    let Json(new) = body.map_err(bad_json)?;
    let info = state.chat.create_room(&identity, &new).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// `GET /api/rooms/{room}`
pub async fn show(
    State(state): State<AppState>,
    Caller(identity): Caller,
    room: Result<Path<String>, PathRejection>,
) -> Result<Json<RoomInfo>, ApiError> {
    let room = room_of(room)?;
    Ok(Json(state.chat.room_info(&identity, &room)?))
}

/// `PATCH /api/rooms/{room}` `{"topic"?, "post"?, "slow_mode_s"?, "locked"?,
/// "guests_read"?}`
pub async fn change(
    State(state): State<AppState>,
    Caller(identity): Caller,
    room: Result<Path<String>, PathRejection>,
    body: Result<Json<RoomChanges>, JsonRejection>,
) -> Result<Json<RoomInfo>, ApiError> {
    let room = room_of(room)?;
    let Json(changes) = body.map_err(bad_json)?;
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
    room: Result<Path<String>, PathRejection>,
    body: Result<Json<NewOwner>, JsonRejection>,
) -> Result<Json<RoomInfo>, ApiError> {
    let room = room_of(room)?;
    let Json(owner) = body.map_err(bad_json)?;
    Ok(Json(
        state.chat.set_owner(&identity, &room, &owner.name).await?,
    ))
}

/// `POST /api/dms/{name}`: the DM room of the caller and `name` (200, the
/// same room whoever asks first).
pub async fn open_dm(
    State(state): State<AppState>,
    Caller(identity): Caller,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<RoomInfo>, ApiError> {
    let Path(name) = name.map_err(bad_path)?;
    Ok(Json(state.chat.open_dm(&identity, &name).await?))
}
