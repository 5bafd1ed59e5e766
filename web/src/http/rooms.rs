//! `GET /api/rooms?after=&limit=`: rooms that hold messages, newest
//! activity first, a page at a time; a `Link: <...>; rel="next"` header
//! names the next page while more remain.

use super::error::{ApiError, bad_query};
use crate::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::LINK;
use axum::response::{IntoResponse, Response};
use model::api::RoomsQuery;
use model::room::ROOM_PAGE_SIZE;

pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<RoomsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let limit = query.limit.unwrap_or(ROOM_PAGE_SIZE);
    let page = state.chat.rooms(query.after, limit).await?;
    let mut response = Json(page.rooms).into_response();
    if let Some(after) = page.next_after {
        let next = format!("</api/rooms?after={after}&limit={limit}>; rel=\"next\"");
        if let Ok(value) = next.parse() {
            response.headers_mut().insert(LINK, value);
        }
    }
    Ok(response)
}
