//! Who is in a room, over the API: members (`GET`, `PUT`, `DELETE
//! /api/rooms/{room}/members/{name}`), moderators (`PUT` / `DELETE
//! .../moderators/{name}`), invite links (`POST .../invites`, `POST
//! /api/invites/{token}` to join).

use super::error::ApiError;
use super::identity::{ApiPath, Caller, RoomAnd, RoomPath};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::room_policy::{Invite, Member, NewInvite, RoomInfo};

/// `GET /api/rooms/{room}/members`
pub async fn list(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
) -> Result<Json<Vec<Member>>, ApiError> {
    Ok(Json(state.chat.members(&identity, &room)?))
}

/// `PUT /api/rooms/{room}/members/{name}`: 204.
pub async fn add(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomAnd(room, name): RoomAnd,
) -> Result<StatusCode, ApiError> {
    state.chat.set_member(&identity, &room, &name, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/rooms/{room}/members/{name}`: 204; their sockets close.
pub async fn remove(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomAnd(room, name): RoomAnd,
) -> Result<StatusCode, ApiError> {
    state
        .chat
        .set_member(&identity, &room, &name, false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/rooms/{room}/moderators/{name}`: 204.
pub async fn add_moderator(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomAnd(room, name): RoomAnd,
) -> Result<StatusCode, ApiError> {
    state
        .chat
        .set_moderator(&identity, &room, &name, true)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/rooms/{room}/moderators/{name}`: 204.
pub async fn remove_moderator(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomAnd(room, name): RoomAnd,
) -> Result<StatusCode, ApiError> {
    state
        .chat
        .set_moderator(&identity, &room, &name, false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/rooms/{room}/invites`: the links that still work (moderators).
pub async fn invites(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
) -> Result<Json<Vec<model::room_policy::InviteSummary>>, ApiError> {
    Ok(Json(state.chat.invites(&identity, &room)?))
}

/// `DELETE /api/rooms/{room}/invites/{id}`: 204, also for one gone.
pub async fn revoke_invite(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomAnd(room, id): RoomAnd,
) -> Result<StatusCode, ApiError> {
    state.chat.revoke_invite(&identity, &room, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/rooms/{room}/invites` `{"expires_s"?, "uses"?}`: 201 with the link.
pub async fn invite(
    State(state): State<AppState>,
    Caller(identity): Caller,
    RoomPath(room): RoomPath,
    body: Option<Json<NewInvite>>,
) -> Result<(StatusCode, Json<Invite>), ApiError> {
    let new = body.map(|Json(new)| new).unwrap_or_default();
    let invite = state.chat.create_invite(&identity, &room, &new).await?;
    Ok((StatusCode::CREATED, Json(invite)))
}

/// `POST /api/invites/{token}`: joins the invite's room; 200 with it.
pub async fn join(
    State(state): State<AppState>,
    Caller(identity): Caller,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<RoomInfo>, ApiError> {
    Ok(Json(state.chat.join(&identity, &token).await?))
}
