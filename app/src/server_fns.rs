//! Server functions the pages call: send a message, read history, list rooms.

use crate::history::HistoryPage;
use crate::message::ChatMessage;
use crate::room::RoomSummary;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// The error a page shows. Internal causes are logged on the server and
/// never sent to the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ChatError {
    #[error("{0}")]
    Rejected(String),
    #[error("the chat is unavailable right now, please try again")]
    Unavailable,
    #[error("request failed: {0}")]
    Request(String),
}

impl FromServerFnError for ChatError {
    type Encoder = JsonEncoding;
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ChatError::Request(value.to_string())
    }
}

/// The first page of a room, plus a fresh id for the next message, made on
/// the server so that the form works without JavaScript and the first
/// client render matches the server's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomOpening {
    pub page: HistoryPage,
    pub next_id: String,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::ChatError;
    use crate::bus::{BusError, ChatBus, SendError};
    use crate::room::RoomName;
    use crate::url::percent_encode;
    use leptos::prelude::*;

    pub fn bus() -> Result<ChatBus, ChatError> {
        use_context::<ChatBus>().ok_or_else(|| {
            tracing::error!("ChatBus missing from the server function context");
            ChatError::Unavailable
        })
    }

    pub fn room(name: &str) -> Result<RoomName, ChatError> {
        RoomName::parse(name).map_err(|e| ChatError::Rejected(e.to_string()))
    }

    impl From<BusError> for ChatError {
        fn from(e: BusError) -> Self {
            tracing::warn!(error = %e, "chat bus error");
            ChatError::Unavailable
        }
    }

    impl From<SendError> for ChatError {
        fn from(e: SendError) -> Self {
            match e {
                SendError::Rejected(rule) => ChatError::Rejected(rule.to_string()),
                SendError::Bus(e) => e.into(),
            }
        }
    }

    /// A plain form post (no JavaScript) sees errors only after a redirect,
    /// so it goes back to the room with the error in the query.
    pub fn redirect_form_error(room: &str, error: &ChatError) {
        let plain_form = use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
            .and_then(|v| v.to_str().ok().map(|v| v.contains("text/html")))
            .unwrap_or(false);
        if plain_form {
            // An invalid room lands on the room page's own "invalid room name".
            let (room, text) = (percent_encode(room), percent_encode(&error.to_string()));
            leptos_axum::redirect(&format!("/r/{room}?error={text}"));
        }
    }
}

#[server(prefix = "/fn", endpoint = "send_message")]
pub async fn send_message(
    room: String,
    id: String,
    from: String,
    body: String,
) -> Result<ChatMessage, ChatError> {
    use crate::bus::Draft;
    let result: Result<ChatMessage, ChatError> = async {
        let room_name = ssr::room(&room)?;
        let draft = Draft {
            id: &id,
            from: &from,
            body: &body,
        };
        Ok(ssr::bus()?.publish(&room_name, draft).await?)
    }
    .await;
    if let Err(e) = &result {
        ssr::redirect_form_error(&room, e);
    }
    result
}

#[server(prefix = "/fn", endpoint = "open_room")]
pub async fn open_room(room: String) -> Result<RoomOpening, ChatError> {
    let room = ssr::room(&room)?;
    let page = ssr::bus()?
        .history(&room, None, crate::history::PAGE_SIZE)
        .await?;
    Ok(RoomOpening {
        page,
        next_id: uuid::Uuid::new_v4().simple().to_string(),
    })
}

#[server(prefix = "/fn", endpoint = "older_messages")]
pub async fn older_messages(room: String, before: u64) -> Result<HistoryPage, ChatError> {
    let room = ssr::room(&room)?;
    Ok(ssr::bus()?
        .history(&room, Some(before), crate::history::PAGE_SIZE)
        .await?)
}

#[server(prefix = "/fn", endpoint = "list_rooms")]
pub async fn list_rooms() -> Result<Vec<RoomSummary>, ChatError> {
    let bus = ssr::bus()?;
    let mut rooms = bus.rooms().await?;
    if let Some(defaults) = use_context::<DefaultRooms>() {
        for name in defaults.0 {
            if !rooms.iter().any(|r| r.name == name) {
                rooms.push(RoomSummary {
                    name,
                    last_seq: 0,
                    count: 0,
                    last_ts: None,
                });
            }
        }
    }
    Ok(rooms)
}

/// Rooms the lobby lists even before anyone has written in them.
#[derive(Clone, Debug)]
pub struct DefaultRooms(pub Vec<String>);
