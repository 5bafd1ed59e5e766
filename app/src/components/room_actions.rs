//! What the people in an open room do to its messages (react, reply, edit,
//! delete, jump to a quoted one), shared by the message list and the
//! composer through the context.

use leptos::prelude::*;
use model::event::tombstone;
use model::message::{ChatMessage, excerpt};

#[cfg(feature = "hydrate")]
use crate::browser::api;

/// The server renders the actions but never runs them.
#[cfg(not(feature = "hydrate"))]
mod api {
    use model::api::ReactionList;
    use model::message::ChatMessage;

    const BROWSER_ONLY: &str = "only the browser calls the API";

    pub async fn edit(_: &str, _: u64, _: String) -> Result<ChatMessage, String> {
        Err(BROWSER_ONLY.into())
    }
    pub async fn delete(_: &str, _: u64) -> Result<(), String> {
        Err(BROWSER_ONLY.into())
    }
    pub async fn react(_: &str, _: u64, _: &str, _: bool) -> Result<ChatMessage, String> {
        Err(BROWSER_ONLY.into())
    }
    pub async fn who_reacted(_: &str, _: u64) -> Result<ReactionList, String> {
        Err(BROWSER_ONLY.into())
    }
    pub async fn names(_: &str) -> Result<Vec<String>, String> {
        Err(BROWSER_ONLY.into())
    }
    pub async fn emoji_choices() -> Result<Vec<String>, String> {
        Err(BROWSER_ONLY.into())
    }
    pub async fn mark_read(_: &str, _: u64, _: bool) -> Result<(), String> {
        Err(BROWSER_ONLY.into())
    }
}

// Signals of few distinct types on purpose: each new type monomorphises
// the reactive system once more in the WASM bundle.
#[derive(Clone, Copy)]
pub struct RoomActions {
    pub room: RwSignal<String>,
    pub messages: RwSignal<Vec<ChatMessage>>,
    /// Whether the room holds messages older than the list's first.
    pub has_older: RwSignal<bool>,
    /// The viewer's account name, if logged in.
    pub me: RwSignal<Option<String>>,
    /// The message the composer answers.
    pub replying: RwSignal<Option<u64>>,
    /// The message the composer edits.
    pub editing: RwSignal<Option<u64>>,
    /// The message whose full emoji picker is open.
    pub picking: RwSignal<Option<u64>>,
    /// The message in use (hovered, focused, tapped): its actions show.
    pub active: RwSignal<Option<u64>>,
    /// What failed, for a person to read.
    pub error: RwSignal<Option<String>>,
    /// The read position as this tab knows it, and where the divider is.
    pub read: RwSignal<u64>,
    pub first_unread: RwSignal<Option<u64>>,
    /// The viewer moderates the room: it may remove anyone's message.
    pub moderator: bool,
}

impl RoomActions {
    pub fn use_context() -> Option<Self> {
        use_context::<Self>()
    }

    /// Whether the viewer wrote `message` (so may edit or delete it).
    pub fn is_mine(&self, message: &ChatMessage) -> bool {
        message.mine
            || (message.verified
                && self
                    .me
                    .with_untracked(|me| me.as_deref() == Some(&message.from)))
    }

    /// Puts the server's current copy of a message in the list.
    pub fn replace(&self, message: ChatMessage) {
        self.messages.update(|list| {
            if let Ok(at) = list.binary_search_by_key(&message.seq, |m| m.seq) {
                let mine = list[at].mine;
                list[at] = message;
                list[at].mine |= mine;
            }
        });
    }

    pub fn react(&self, seq: u64, emoji: String, on: bool) {
        self.picking.set(None);
        leptos::task::spawn_local(react_now(*self, seq, emoji, on));
    }

    pub fn delete(&self, seq: u64) {
        leptos::task::spawn_local(delete_now(*self, seq));
    }

    /// "Mark unread from here": the position goes back to before `seq`.
    pub fn mark_unread(&self, seq: u64) {
        leptos::task::spawn_local(mark_unread_now(*self, seq));
    }

    pub fn reply_to(&self, seq: u64) {
        self.editing.set(None);
        self.replying.set(Some(seq));
    }

    /// Who and what the composer's reply quotes: `(from, excerpt)`.
    pub fn quote_of(&self, seq: u64) -> Option<(String, String)> {
        self.messages.with(|list| {
            let at = list.binary_search_by_key(&seq, |m| m.seq).ok()?;
            Some((list[at].from.clone(), excerpt(&list[at].plain_text())))
        })
    }

    /// Scrolls to message `seq`, loading older pages until it is there.
    pub fn jump(&self, seq: u64) {
        leptos::task::spawn_local(jump_now(*self, seq));
    }

    pub fn edit(&self, seq: u64) {
        self.replying.set(None);
        self.editing.set(Some(seq));
    }

    /// The viewer's newest message that can still be edited (↑ in an empty
    /// composer).
    pub fn last_mine(&self) -> Option<u64> {
        self.messages.with_untracked(|list| {
            list.iter()
                .rev()
                .find(|m| !m.deleted && self.is_mine(m))
                .map(|m| m.seq)
        })
    }
}

// What the actions do, each loaded on first use (`#[lazy]`, split out of
// the first load by `cargo leptos build --split`): the API calls and their
// answers' decoding weigh on no page's first load.

#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
async fn react_now(this: RoomActions, seq: u64, emoji: String, on: bool) {
    match api::react(&this.room.get_untracked(), seq, &emoji, on).await {
        Ok(message) => this.replace(message),
        Err(e) => this.error.set(Some(e)),
    }
}

#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
async fn delete_now(this: RoomActions, seq: u64) {
    match api::delete(&this.room.get_untracked(), seq).await {
        Ok(()) => this.messages.update(|list| {
            if let Ok(at) = list.binary_search_by_key(&seq, |m| m.seq) {
                let by_moderator = !this.is_mine(&list[at]);
                tombstone(&mut list[at]);
                list[at].removed_by_moderator = by_moderator;
            }
        }),
        Err(e) => this.error.set(Some(e)),
    }
}

/// Saves `body` as message `seq`'s text.
#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
pub async fn save_edit(this: RoomActions, seq: u64, body: String) -> Result<(), String> {
    let message = api::edit(&this.room.get_untracked(), seq, body).await?;
    this.replace(message);
    this.editing.set(None);
    Ok(())
}

/// Who reacted with what to message `seq`, one line per emoji.
#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
pub async fn reactors(room: String, seq: u64) -> Option<String> {
    let who = api::who_reacted(&room, seq).await.ok()?;
    let lines: Vec<String> = who
        .reactions
        .into_iter()
        .map(|r| format!("{} {}", r.emoji, r.names.join(", ")))
        .collect();
    Some(lines.join("\n"))
}

/// Registered names starting with `prefix`.
#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
pub async fn registered_names(prefix: String) -> Vec<String> {
    api::names(&prefix).await.unwrap_or_default()
}

/// The emoji picker's choices.
#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
pub async fn emoji_choices() -> Vec<String> {
    api::emoji_choices().await.unwrap_or_default()
}

// Not `#[lazy]`: only the toolbar (itself loaded on first use) calls it.
async fn mark_unread_now(this: RoomActions, seq: u64) {
    let room = this.room.get_untracked();
    if this.me.get_untracked().is_some() {
        if let Err(e) = api::mark_read(&room, seq, true).await {
            this.error.set(Some(e));
            return;
        }
    } else {
        #[cfg(feature = "hydrate")]
        crate::browser::storage_set(&format!("chat.read.{room}"), &(seq - 1).to_string());
    }
    this.read.set(seq - 1);
    this.first_unread.set(Some(seq));
}

#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
async fn jump_now(this: RoomActions, seq: u64) {
    loop {
        let (present, first) = this.messages.with_untracked(|list| {
            (
                list.binary_search_by_key(&seq, |m| m.seq).is_ok(),
                list.first().map(|m| m.seq),
            )
        });
        if present {
            break;
        }
        let Some(first) = first.filter(|first| *first > seq && this.has_older.get_untracked())
        else {
            return;
        };
        match crate::server_fns::older_messages(this.room.get_untracked(), first).await {
            Ok(page) => {
                this.has_older.set(page.has_older);
                this.messages.update(|list| {
                    model::history::merge(list, page.messages);
                });
            }
            Err(e) => {
                this.error.set(Some(e.to_string()));
                return;
            }
        }
    }
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || crate::browser::list_events::show(seq));
}
