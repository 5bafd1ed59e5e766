//! What happens to a message after it is sent, over the API: edit
//! (`PATCH`), delete, react (`PUT` / `DELETE .../reactions/{emoji}`), and
//! who reacted and what it said before (`GET .../reactions`, `.../edits`).

use super::error::ApiError;
use super::identity::{ApiJson, ApiPath, ApiQuery, Caller, RoomAnd};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::api::{EditHistory, MessageChange, ReactionList};
use model::message::ChatMessage;
use model::room::RoomName;
use serde::Deserialize;

/// The room and message a request is about.
fn target(RoomAnd(room, seq): RoomAnd) -> Result<(RoomName, u64), ApiError> {
    Ok((room, parse_seq(&seq)?))
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
    path: RoomAnd,
    Caller(identity): Caller,
    ApiJson(change): ApiJson<MessageChange>,
) -> Result<Json<ChatMessage>, ApiError> {
    let (room, seq) = target(path)?;
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
    path: RoomAnd,
    ApiQuery(query): ApiQuery<RemovalQuery>,
    Caller(identity): Caller,
) -> Result<StatusCode, ApiError> {
    let (room, seq) = target(path)?;
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
    ApiPath(path): ApiPath<(String, String, String)>,
    Caller(identity): Caller,
) -> Result<Json<ChatMessage>, ApiError> {
    toggle(state, identity, path, true).await
}

/// `DELETE /api/rooms/{room}/messages/{seq}/reactions/{emoji}`
pub async fn unreact(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<(String, String, String)>,
    Caller(identity): Caller,
) -> Result<Json<ChatMessage>, ApiError> {
    toggle(state, identity, path, false).await
}

async fn toggle(
    state: AppState,
    identity: service::access::Identity,
    (room, seq, emoji): (String, String, String),
    on: bool,
) -> Result<Json<ChatMessage>, ApiError> {
    let (room, seq) = (RoomName::parse(&room)?, parse_seq(&seq)?);
    Ok(Json(
        state.chat.react(&identity, &room, seq, &emoji, on).await?,
    ))
}

/// `GET /api/rooms/{room}/messages/{seq}/edits`
pub async fn edits(
    State(state): State<AppState>,
    Caller(identity): Caller,
    path: RoomAnd,
) -> Result<Json<EditHistory>, ApiError> {
    let (room, seq) = target(path)?;
    Ok(Json(state.chat.edits(&identity, &room, seq).await?))
}

/// `GET /api/rooms/{room}/messages/{seq}/reactions`
pub async fn reactions(
    State(state): State<AppState>,
    Caller(identity): Caller,
    path: RoomAnd,
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
    ApiQuery(query): ApiQuery<NamesQuery>,
) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(state.chat.names_starting(&query.prefix)))
}

/// `GET /api/emoji`: the full emoji picker's choices.
pub async fn emoji() -> Json<Vec<&'static str>> {
    Json(model::reaction::PICKER_EMOJI.split(' ').collect())
}
