//! What happens to a message after it is sent, over the API: edit
//! (`PATCH`), delete, react (`PUT` / `DELETE .../reactions/{emoji}`), and
//! who reacted and what it said before (`GET .../reactions`, `.../edits`).

use super::error::{ApiError, bad_json, bad_path, bad_query};
use super::identity::{Caller, identify};
use crate::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use model::api::{EditHistory, MessageChange, ReactionList};
use model::message::ChatMessage;
use model::room::RoomName;
use serde::Deserialize;
use service::session::Session;
use std::net::SocketAddr;

/// The room and message a request is about.
fn target(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(RoomName, u64), ApiError> {
    let Path((room, seq)) = path.map_err(bad_path)?;
    Ok((RoomName::parse(&room)?, parse_seq(&seq)?))
}

fn parse_seq(seq: &str) -> Result<u64, ApiError> {
    seq.parse::<u64>()
        .ok()
        .filter(|seq| *seq > 0)
        .ok_or_else(|| {
            ApiError(service::Error::bad_input(
                "a message is named by its sequence, a number >= 1",
            ))
        })
}

/// `PATCH /api/rooms/{room}/messages/{seq}` `{"body"}`: 200 with the message
/// as it is now.
pub async fn edit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<MessageChange>, JsonRejection>,
) -> Result<Json<ChatMessage>, ApiError> {
    let (room, seq) = target(path)?;
    let Json(change) = body.map_err(bad_json)?;
    let identity = identify(&state.chat, &headers, &session, peer.ip()).await?;
    Ok(Json(
        state.chat.edit(&identity, &room, seq, &change.body).await?,
    ))
}

/// `DELETE /api/rooms/{room}/messages/{seq}`: 204, also when already deleted.
/// A moderator's reason for removing someone else's message.
#[derive(Deserialize)]
pub struct RemovalQuery {
    reason: Option<String>,
}

pub async fn delete(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<RemovalQuery>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let (room, seq) = target(path)?;
    let Query(query) = query.map_err(bad_query)?;
    let identity = identify(&state.chat, &headers, &session, peer.ip()).await?;
    state
        .chat
        .delete(&identity, &room, seq, query.reason.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/rooms/{room}/messages/{seq}/reactions/{emoji}`: 200 with the
/// message as it is now.
pub async fn react(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Json<ChatMessage>, ApiError> {
    toggle(state, peer, session, headers, path, true).await
}

/// `DELETE /api/rooms/{room}/messages/{seq}/reactions/{emoji}`
pub async fn unreact(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Json<ChatMessage>, ApiError> {
    toggle(state, peer, session, headers, path, false).await
}

async fn toggle(
    state: AppState,
    peer: SocketAddr,
    session: Session,
    headers: HeaderMap,
    path: Result<Path<(String, String, String)>, PathRejection>,
    on: bool,
) -> Result<Json<ChatMessage>, ApiError> {
    let Path((room, seq, emoji)) = path.map_err(bad_path)?;
    let (room, seq) = (RoomName::parse(&room)?, parse_seq(&seq)?);
    let identity = identify(&state.chat, &headers, &session, peer.ip()).await?;
    Ok(Json(
        state.chat.react(&identity, &room, seq, &emoji, on).await?,
    ))
}

/// `GET /api/rooms/{room}/messages/{seq}/edits`
pub async fn edits(
    State(state): State<AppState>,
    Caller(identity): Caller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<EditHistory>, ApiError> {
    let (room, seq) = target(path)?;
    Ok(Json(state.chat.edits(&identity, &room, seq).await?))
}

/// `GET /api/rooms/{room}/messages/{seq}/reactions`
pub async fn reactions(
    State(state): State<AppState>,
    Caller(identity): Caller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<ReactionList>, ApiError> {
    let (room, seq) = target(path)?;
    Ok(Json(state.chat.reactions(&identity, &room, seq).await?))
}

#[derive(Deserialize)]
pub struct NamesQuery {
    #[serde(default)]
    prefix: String,
}

/// `GET /api/names?prefix=`: registered names for `@` autocomplete.
pub async fn names(
    State(state): State<AppState>,
    query: Result<Query<NamesQuery>, QueryRejection>,
) -> Result<Json<Vec<String>>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    Ok(Json(state.chat.names_starting(&query.prefix)))
}

/// `GET /api/emoji`: the full emoji picker's choices.
pub async fn emoji() -> Json<Vec<&'static str>> {
    Json(model::reaction::PICKER_EMOJI.split(' ').collect())
}
