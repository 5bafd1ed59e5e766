//! Sending a message and reading a room's history, for the room page.

use super::ChatError;
use leptos::prelude::*;
use model::history::HistoryPage;
use model::message::ChatMessage;
use serde::{Deserialize, Serialize};

/// The first page of a room, plus a fresh id for the next message, made on
/// the server so that the form works without JavaScript and the first
/// client render matches the server's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomOpening {
    pub page: HistoryPage,
    pub next_id: String,
    /// The text for a plain form's `?error=` code, when the code is one the
    /// chat knows (resolved here, so the texts stay out of the WASM).
    pub form_error: Option<String>,
    /// The room's heading: `#name`, or `@other` for a DM.
    pub title: String,
    pub topic: String,
    /// The viewer moderates the room (settings link, removing others'
    /// messages).
    pub moderator: bool,
    /// Why the viewer cannot post now (a timeout until when, a lock…).
    pub cannot_post: Option<String>,
}

#[server(prefix = "/fn", endpoint = "send_message")]
pub async fn send_message(
    room: String,
    id: String,
    from: String,
    body: String,
    /// The message this one answers.
    #[server(default)]
    reply_to: Option<u64>,
    /// Present (the composer's "no formatting" box) to send the body as
    /// plain text.
    #[server(default)]
    plain: Option<String>,
) -> Result<ChatMessage, ChatError> {
    use super::ssr;
    let result: Result<ChatMessage, ChatError> = async {
        let room_name = ssr::room(&room)?;
        let chat = ssr::chat()?;
        let identity = ssr::identity(&chat).await?;
        let outgoing = service::Outgoing {
            room: &room_name,
            id: &id,
            from: &from,
            body: &body,
            format: if plain.is_some() {
                model::message::TextFormat::Plain
            } else {
                model::message::TextFormat::Markdown
            },
            reply_to,
            relay: None,
        };
        Ok(chat.send(&identity, outgoing).await?)
    }
    .await;
    if let Err(e) = &result {
        ssr::redirect_form_error(&room, e);
    }
    result
}

#[server(prefix = "/fn", endpoint = "open_room")]
pub async fn open_room(room: String, error_code: Option<String>) -> Result<RoomOpening, ChatError> {
    use super::ssr;
    let room = ssr::room(&room)?;
    let chat = ssr::chat()?;
    let identity = ssr::identity(&chat).await?;
    let page = chat
        .history(&room, None, model::history::PAGE_SIZE, &identity)
        .await?;
    let info = chat.room_info(&identity, &room)?;
    Ok(RoomOpening {
        page,
        next_id: chat.new_message_id(),
        form_error: error_code.and_then(|code| model::error::form_error_text(&code)),
        title: match &info.dm_with {
            Some(other) => format!("@{other}"),
            None => format!("#{room}"),
        },
        topic: info.topic,
        moderator: info.you.moderator,
        cannot_post: info.you.cannot_post,
    })
}

#[server(prefix = "/fn", endpoint = "older_messages")]
pub async fn older_messages(room: String, before: u64) -> Result<HistoryPage, ChatError> {
    use super::ssr;
    let room = ssr::room(&room)?;
    let chat = ssr::chat()?;
    let identity = ssr::identity(&chat).await?;
    Ok(chat
        .history(&room, Some(before), model::history::PAGE_SIZE, &identity)
        .await?)
}
