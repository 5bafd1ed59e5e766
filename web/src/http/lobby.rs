//! `GET /?after=`: the lobby, a page of rooms newest activity first (the
//! default rooms on the last page), with an account's unread counts.

use super::error::ApiError;
use super::identity::identify;
use crate::AppState;
use crate::accounts::respond::page as html_page;
use crate::accounts::viewer;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use service::session::Session;
use std::net::SocketAddr;

/// How many rooms a lobby page shows.
const LOBBY_PAGE_SIZE: usize = 50;

#[derive(serde::Deserialize)]
pub struct LobbyQuery {
    after: Option<u64>,
}

pub async fn page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    query: Result<Query<LobbyQuery>, QueryRejection>,
) -> Response {
    let after = query.ok().and_then(|Query(q)| q.after);
    let listed = async {
        let identity = identify(&state.chat, &headers, &session, peer.ip()).await?;
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
