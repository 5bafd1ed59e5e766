//! Edits, deletes and reactions from the events socket, decoded and folded
//! into the room's list by code loaded when the first one arrives: a room
//! that only chats never loads it.

use leptos::prelude::*;
use model::event::{RoomEvent, apply};
use model::message::ChatMessage;

/// Applies one change frame to `messages`; its sequence, when readable.
#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
pub async fn apply_change(
    messages: RwSignal<Vec<ChatMessage>>,
    me: Option<String>,
    frame: String,
) -> Option<u64> {
    let kind = frame
        .strip_prefix(r#"{"type":""#)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    let change = match kind {
        "edit" => serde_json::from_str(&frame).map(RoomEvent::Edit),
        "delete" => serde_json::from_str(&frame).map(RoomEvent::Delete),
        "reaction" => serde_json::from_str(&frame).map(RoomEvent::Reaction),
        _ => return None,
    };
    match change {
        Ok(change) => {
            let seq = change.seq();
            messages.update(|list| {
                apply(list, change, me.as_deref());
            });
            Some(seq)
        }
        Err(e) => {
            leptos::logging::warn!("unreadable live frame: {e}");
            None
        }
    }
}
