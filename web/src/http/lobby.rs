//! `GET /?after=`: the lobby, a page of rooms newest activity first (the
//! default rooms on the last page), with an account's unread counts.

use super::error::ApiError;
use super::identity::{ApiQuery, Caller};
use crate::AppState;
use crate::accounts::respond::page as html_page;
use crate::accounts::viewer;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use service::session::Session;

/// How many rooms a lobby page shows.
const LOBBY_PAGE_SIZE: usize = 50;

#[derive(serde::Deserialize)]
pub struct LobbyQuery {
    after: Option<u64>,
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    query: Result<ApiQuery<LobbyQuery>, ApiError>,
    caller: Result<Caller, ApiError>,
) -> Response {
    let after = query.ok().and_then(|ApiQuery(q)| q.after);
    let listed = async {
        let Caller(identity) = caller?;
        let mut rooms = state
            .chat
            .lobby_rooms(&identity, after, LOBBY_PAGE_SIZE)
            .await?;
        state.chat.count_unread(&identity, &mut rooms.rooms).await?;
        Ok::<_, ApiError>(rooms)
    }
    .await;
    match listed {
        Ok(rooms) => {
            let viewer = viewer(&state, &session).await;
            html_page(state.ui.lobby_page(viewer, rooms, after.is_some()))
        }
        Err(e) => e.into_response(),
    }
}
