//! `GET /api/rooms?after=&limit=`: rooms that hold messages, newest
//! activity first, a page at a time; a `Link: <...>; rel="next"` header
//! names the next page while more remain. With a session or token each
//! room also says what the account has not read (`unread`, `mentions`).

use super::error::ApiError;
use super::identity::{ApiQuery, Caller};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::LINK;
use axum::response::{IntoResponse, Response};
use model::api::RoomsQuery;
use model::room::ROOM_PAGE_SIZE;

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RoomsQuery>,
    Caller(identity): Caller,
) -> Result<Response, ApiError> {
    let limit = query.limit.unwrap_or(ROOM_PAGE_SIZE);
    let mut page = state.chat.rooms(&identity, query.after, limit).await?;
    // An account (session or token) also gets its unread counts.
    state.chat.count_unread(&identity, &mut page.rooms).await?;
    let mut response = Json(page.rooms).into_response();
    if let Some(after) = page.next_after {
        let next = format!("</api/rooms?after={after}&limit={limit}>; rel=\"next\"");
        if let Ok(value) = next.parse() {
            response.headers_mut().insert(LINK, value);
        }
    }
    Ok(response)
}
