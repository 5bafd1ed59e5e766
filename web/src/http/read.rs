//! `POST /api/rooms/{room}/read` `{"seq", "unread"?}`: moves the caller's
//! read position (accounts only; forward only unless `unread`).

use super::error::{ApiError, bad_json, bad_path};
use super::identity::identify;
use crate::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use model::api::{ReadMark, ReadPosition};
use model::room::RoomName;
use service::session::Session;
use std::net::SocketAddr;

pub async fn mark(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    room: Result<Path<String>, PathRejection>,
    body: Result<Json<ReadMark>, JsonRejection>,
) -> Result<Json<ReadPosition>, ApiError> {
    let Path(room) = room.map_err(bad_path)?;
    let room = RoomName::parse(&room)?;
    let Json(mark) = body.map_err(bad_json)?;
    let identity = identify(&state.chat, &headers, &session, peer.ip()).await?;
    let read_seq = state
        .chat
        .mark_read(&identity, &room, mark.seq, mark.unread)
        .await?;
    Ok(Json(ReadPosition {
        room: room.to_string(),
        read_seq,
    }))
}
