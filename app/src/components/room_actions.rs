//! What the people in an open room do to its messages (react, reply, edit,
//! delete, jump to a quoted one), shared by the message list and the
//! composer through the context.

use crate::server_fns::{delete_message, toggle_reaction};
use leptos::prelude::*;
use model::event::tombstone;
use model::message::{ChatMessage, ReplyQuote, excerpt};

#[derive(Clone, Copy)]
pub struct RoomActions {
    pub room: StoredValue<String>,
    pub messages: RwSignal<Vec<ChatMessage>>,
    /// The viewer's account name, if logged in.
    pub me: StoredValue<Option<String>>,
    /// The message the composer answers.
    pub replying: RwSignal<Option<ReplyQuote>>,
    /// The message the composer edits.
    pub editing: RwSignal<Option<u64>>,
    /// The message whose full emoji picker is open.
    pub picking: RwSignal<Option<u64>>,
    /// The message just jumped to, shown highlighted.
    pub highlighted: RwSignal<Option<u64>>,
    /// Scrolls to a message, loading older pages until it is there.
    pub jump: Callback<u64>,
    pub error: RwSignal<Option<String>>,
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
                    .with_value(|me| me.as_deref() == Some(&message.from)))
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
        let this = *self;
        this.picking.set(None);
        leptos::task::spawn_local(async move {
            match toggle_reaction(this.room.get_value(), seq, emoji, on).await {
                Ok(message) => this.replace(message),
                Err(e) => this.error.set(Some(e.to_string())),
            }
        });
    }

    pub fn delete(&self, seq: u64) {
        let this = *self;
        leptos::task::spawn_local(async move {
            match delete_message(this.room.get_value(), seq).await {
                Ok(()) => this.messages.update(|list| {
                    if let Ok(at) = list.binary_search_by_key(&seq, |m| m.seq) {
                        tombstone(&mut list[at]);
                    }
                }),
                Err(e) => this.error.set(Some(e.to_string())),
            }
        });
    }

    pub fn reply_to(&self, message: &ChatMessage) {
        self.editing.set(None);
        self.replying.set(Some(ReplyQuote {
            seq: message.seq,
            from: message.from.clone(),
            excerpt: excerpt(&message.body),
            gone: None,
        }));
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
