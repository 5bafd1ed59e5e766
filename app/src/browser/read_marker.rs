//! Moves the account's read position as messages are actually seen: up to
//! the newest one while the list is at the bottom and the tab is visible.
//! The server keeps it (other tabs and devices, the lobby's counts).

use leptos::prelude::*;
use model::message::ChatMessage;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// `read` is the position as this tab knows it; it moves with each mark,
/// which goes to the server when `keep` (an account's).
pub fn mark_as_seen(
    room: String,
    messages: RwSignal<Vec<ChatMessage>>,
    at_bottom: RwSignal<bool>,
    read: RwSignal<u64>,
    keep: bool,
) {
    let visible = RwSignal::new(!document().hidden());
    let on_change = Closure::<dyn Fn()>::new(move || visible.set(!document().hidden()));
    let _ = document()
        .add_event_listener_with_callback("visibilitychange", on_change.as_ref().unchecked_ref());
    let listener = send_wrapper::SendWrapper::new(on_change);
    on_cleanup(move || {
        let _ = document().remove_event_listener_with_callback(
            "visibilitychange",
            listener.as_ref().unchecked_ref(),
        );
    });
    Effect::new(move |_| {
        let newest = messages.with(|list| list.last().map_or(0, |m| m.seq));
        if visible.get() && at_bottom.get() && newest > read.get_untracked() {
            read.set(newest);
            if !keep {
                return;
            }
            let room = room.clone();
            leptos::task::spawn_local(async move {
                // A lost mark is made again by the next one.
                let _ = crate::browser::api::mark_read(&room, newest).await;
            });
        }
    });
}
