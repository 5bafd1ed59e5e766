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
    let change = match serde_json::from_str::<RoomEvent>(&frame) {
        // New messages are taken by the feed itself.
        Ok(RoomEvent::Message(_)) => return None,
        change => change,
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
