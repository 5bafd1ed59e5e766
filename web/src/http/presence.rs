//! Who is in a room and who is typing: `GET /api/rooms/{room}/presence`,
//! `POST /api/rooms/{room}/typing`, and the events socket's part in it
//! (a tab is present while its socket is open; it may say it is typing or
//! idle; it receives presence and typing frames).

use super::error::{ApiError, bad_json};
use super::identity::{Caller, RoomPath};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use model::presence::{PresenceState, Present, TabSignal, TypingNotice};
use model::room::RoomName;
use service::Chat;
use service::access::Identity;
use service::presence::Visit;
use service::read_position::ReadMoved;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// A tab says it is typing at most this often (it should every 3 s).
const TYPING_AT_MOST_EVERY: Duration = Duration::from_secs(1);

/// `GET /api/rooms/{room}/presence`
pub async fn list(
    State(state): State<AppState>,
    RoomPath(room): RoomPath,
    Caller(identity): Caller,
) -> Result<Json<Vec<Present>>, ApiError> {
    Ok(Json(state.chat.presence(&identity, &room).await?))
}

/// `POST /api/rooms/{room}/typing` `{"on"?, "name"?}`: 204.
pub async fn typing(
    State(state): State<AppState>,
    RoomPath(room): RoomPath,
    Caller(identity): Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let notice = typing_notice(&headers, &body)?;
    state
        .chat
        .typing(&room, &identity, &notice.name, notice.on)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The notice a typing request gives: none at all is the documented
/// default, `{"on": true}`; anything else must be JSON.
fn typing_notice(headers: &HeaderMap, body: &[u8]) -> Result<TypingNotice, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(TypingNotice {
            on: true,
            ..TypingNotice::default()
        });
    }
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(ApiError(service::Error::new(
            model::ErrorKind::UnsupportedMediaType,
            "expected a body of type application/json",
        )));
    }
    let Json(notice) = Json::<TypingNotice>::from_bytes(body).map_err(bad_json)?;
    Ok(notice)
}

/// An events socket's presence in its room.
pub struct Here {
    chat: Chat,
    room: RoomName,
    identity: Identity,
    name: String,
    visit: Visit,
    signals: broadcast::Receiver<Arc<str>>,
    /// An account's read positions moving (its other tabs and devices).
    reads: Option<broadcast::Receiver<ReadMoved>>,
    last_typing: Option<Instant>,
}

impl Here {
    pub fn arrive(chat: &Chat, room: &RoomName, identity: Identity, name: String) -> Self {
        let signals = chat.room_signals(room);
        let visit = chat.visit(room, &identity, &name);
        let reads = chat.read_moves(&identity);
        Here {
            chat: chat.clone(),
            room: room.clone(),
            identity,
            name,
            visit,
            signals,
            reads,
            last_typing: None,
        }
    }

    /// Who is here now, as the socket's first awareness frame.
    pub async fn now(&self) -> Option<Arc<str>> {
        self.chat.presence_frame(&self.room).await.ok()
    }

    /// The next presence, typing or read frame for this tab.
    pub async fn next(&mut self) -> Option<Arc<str>> {
        loop {
            let read = async {
                match self.reads.as_mut() {
                    Some(reads) => reads.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                signal = self.signals.recv() => match signal {
                    Ok(frame) => return Some(frame),
                    // A slow tab misses typing, never its place: the next
                    // presence frame is whole.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                moved = read => match moved {
                    // Read moves of this room; mentions from the others
                    // (this room's own arrive as its messages).
                    Ok(moved) if (moved.0 == self.room.as_str())
                        != (model::frame::FrameKind::of(&moved.1) == model::frame::FrameKind::Mention) =>
                    {
                        return Some(moved.1.clone());
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => self.reads = None,
                },
            }
        }
    }

    /// What the tab said: typing, or idle / back.
    pub async fn heard(&mut self, text: &str) {
        match serde_json::from_str::<TabSignal>(text) {
            Ok(TabSignal::Typing(on)) => {
                if on
                    && self
                        .last_typing
                        .is_some_and(|t| t.elapsed() < TYPING_AT_MOST_EVERY)
                {
                    return;
                }
                self.last_typing = on.then(Instant::now);
                let _ = self
                    .chat
                    .typing(&self.room, &self.identity, &self.name, on)
                    .await;
            }
            Ok(TabSignal::Presence(state)) => self.visit.set_idle(state == PresenceState::Idle),
            Err(_) => {}
        }
    }
}
