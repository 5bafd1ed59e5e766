//! `GET` and `POST /api/rooms/{room}/messages`: a page of history, and
//! sending a message.

use super::error::{ApiError, bad_json, bad_path, bad_query};
use super::identity::identify;
use crate::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use model::api::{NewMessage, PageQuery};
use model::history::{HistoryPage, MAX_PAGE_SIZE, PAGE_SIZE};
use model::message::{ChatMessage, MessageRuleError};
use model::room::RoomName;
use service::session::Session;
use std::net::SocketAddr;

/// `GET /api/rooms/{room}/messages?before=&limit=`
pub async fn page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    room: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<HistoryPage>, ApiError> {
    let Path(room) = room.map_err(bad_path)?;
    let room = RoomName::parse(&room)?;
    let Query(query) = query.map_err(bad_query)?;
    let limit = query.limit.unwrap_or(PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError(service::Error::bad_input(format!(
            "limit must be 1 to {MAX_PAGE_SIZE}"
        ))));
    }
    if query.before == Some(0) {
        return Err(ApiError(service::Error::bad_input(
            "before must be a sequence >= 1",
        )));
    }
    let viewer = identify(&state.chat, &headers, &session, peer.ip()).await?;
    Ok(Json(
        state
            .chat
            .history(&room, query.before, limit, &viewer)
            .await?,
    ))
}

/// `POST /api/rooms/{room}/messages`: 201 with the stored message, also
/// for a retry of the same `id`, which stores nothing new. With
/// `Authorization: Bearer <token>` (or a logged-in session cookie) it posts
/// as that account.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    room: Result<Path<String>, PathRejection>,
    body: Result<Json<NewMessage>, JsonRejection>,
) -> Result<(StatusCode, Json<ChatMessage>), ApiError> {
    let Path(room) = room.map_err(bad_path)?;
    let room = RoomName::parse(&room)?;
    let Json(new) = body.map_err(bad_json)?;
    let relay = match (&new.via, &new.color) {
        (Some(via), color) => Some(service::Relay {
            via,
            color: color.as_deref(),
        }),
        (None, Some(_)) => return Err(ApiError(MessageRuleError::BadColor.into())),
        (None, None) => None,
    };
    let identity = identify(&state.chat, &headers, &session, peer.ip()).await?;
    let outgoing = service::Outgoing {
        room: &room,
        id: &new.id,
        from: &new.from,
        body: &new.body,
        reply_to: new.reply_to,
        relay,
    };
    let stored = state.chat.send(&identity, outgoing).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}
