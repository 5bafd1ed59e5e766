//! `GET` and `POST /api/rooms/{room}/messages`: a page of history, and
//! sending a message.

use super::error::ApiError;
use super::identity::{ApiJson, ApiQuery, Caller, RoomPath};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::api::{NewMessage, PageQuery};
use model::history::{HistoryPage, MAX_PAGE_SIZE, PAGE_SIZE};
use model::message::{ChatMessage, MessageRuleError};

/// `GET /api/rooms/{room}/messages?before=&limit=`
pub async fn page(
    State(state): State<AppState>,
    RoomPath(room): RoomPath,
    ApiQuery(query): ApiQuery<PageQuery>,
    Caller(viewer): Caller,
) -> Result<Json<HistoryPage>, ApiError> {
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
    RoomPath(room): RoomPath,
    Caller(identity): Caller,
    ApiJson(new): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<ChatMessage>), ApiError> {
    let relay = match (&new.via, &new.color) {
        (Some(via), color) => Some(service::Relay {
            via,
            color: color.as_deref(),
        }),
        (None, Some(_)) => return Err(ApiError(MessageRuleError::BadColor.into())),
        (None, None) => None,
    };
    let outgoing = service::Outgoing {
        room: &room,
        id: &new.id,
        from: &new.from,
        body: &new.body,
        format: new.format,
        reply_to: new.reply_to,
        relay,
    };
    let stored = state.chat.send(&identity, outgoing).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}
