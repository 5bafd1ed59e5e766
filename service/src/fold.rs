//! A page of messages folded into their current state: edited text,
//! tombstones in their places, reactions with counts (and the viewer's),
//! reply quotes. One batched read of the states, whatever the room's size.

use crate::message_state::MessageState;
use crate::room_log::RoomLog;
use crate::store::StoreError;
use model::event::tombstone;
use model::message::{ChatMessage, ReactionCount, ReplyQuote, excerpt};
use model::room::RoomName;
use std::collections::HashMap;

/// What the viewer is, to mark its own messages and reactions: the key of
/// an account (`a:<id>`) or a guest (`g:<digest>`).
pub type ViewerKey<'a> = Option<&'a str>;

/// Messages read from the log, with their authors' keys, and the range of
/// sequences the page covers (`from..end`, `end` open when it is the
/// newest page).
pub struct RawPage {
    pub messages: Vec<ChatMessage>,
    pub authors: HashMap<u64, String>,
    pub from: u64,
    pub end: Option<u64>,
}

pub async fn page(
    log: &RoomLog,
    room: &RoomName,
    raw: RawPage,
    viewer: ViewerKey<'_>,
) -> Result<Vec<ChatMessage>, StoreError> {
    let RawPage {
        mut messages,
        authors,
        from,
        end,
    } = raw;
    let mut seqs: Vec<u64> = messages.iter().map(|m| m.seq).collect();
    let outside: Vec<u64> = messages
        .iter()
        .filter_map(|m| m.reply_to.as_ref().map(|q| q.seq))
        .filter(|seq| messages.binary_search_by_key(seq, |m| m.seq).is_err())
        .collect();
    seqs.extend(&outside);
    let states = log.states().page(room, &seqs).await?;
    for message in &mut messages {
        if let Some(state) = states.states.get(&message.seq) {
            apply_state(message, state, viewer);
        }
        message.mine = viewer.is_some() && authors.get(&message.seq).map(String::as_str) == viewer;
    }
    let in_range = |seq: u64| seq >= from && end.is_none_or(|end| seq < end);
    for buried in states.tombstones.iter().filter(|t| in_range(t.seq)) {
        let mut message = ChatMessage {
            seq: buried.seq,
            id: buried.id.clone(),
            room: room.to_string(),
            from: buried.from.clone(),
            verified: buried.verified,
            ts: buried.ts.clone(),
            ..ChatMessage::default()
        };
        tombstone(&mut message);
        message.removed_by_moderator = buried.by_moderator;
        message.mine = viewer.is_some() && buried.author.as_deref() == viewer;
        if let Err(at) = messages.binary_search_by_key(&buried.seq, |m| m.seq) {
            messages.insert(at, message);
        }
    }
    // Quotes: from the page itself, else from the log.
    let mut quotes: HashMap<u64, ReplyQuote> = HashMap::new();
    for seq in outside {
        if quotes.contains_key(&seq) {
            continue;
        }
        let quote = if states.tombstones.iter().any(|t| t.seq == seq) {
            gone(seq, "deleted")
        } else {
            match log.room_message(room, seq).await? {
                Some(original) => {
                    let mut original = original.message;
                    if let Some(state) = states.states.get(&seq) {
                        apply_state(&mut original, state, None);
                    }
                    quote_from(&original)
                }
                None => gone(seq, "unavailable"),
            }
        };
        quotes.insert(seq, quote);
    }
    let snapshot: HashMap<u64, ReplyQuote> =
        messages.iter().map(|m| (m.seq, quote_from(m))).collect();
    for message in &mut messages {
        if let Some(quote) = &mut message.reply_to {
            let from = std::mem::take(&mut quote.from);
            *quote = snapshot
                .get(&quote.seq)
                .or_else(|| quotes.get(&quote.seq))
                .cloned()
                .unwrap_or_else(|| gone(quote.seq, "unavailable"));
            if quote.from.is_empty() {
                quote.from = from;
            }
        }
    }
    Ok(messages)
}

/// The quote of `room`'s message `seq` for a new reply (or a replayed one).
pub async fn quote(log: &RoomLog, room: &RoomName, seq: u64, from: &str) -> ReplyQuote {
    let mut quote = match log.room_message(room, seq).await {
        Ok(Some(original)) => {
            let mut original = original.message;
            if let Ok(state) = log.states().get(room, seq).await {
                apply_state(&mut original, &state, None);
            }
            quote_from(&original)
        }
        Ok(None) => match log.states().tombstone(room, seq).await {
            Ok(Some(_)) => gone(seq, "deleted"),
            _ => gone(seq, "unavailable"),
        },
        Err(_) => gone(seq, "unavailable"),
    };
    if quote.from.is_empty() {
        quote.from = from.to_owned();
    }
    quote
}

fn quote_from(original: &ChatMessage) -> ReplyQuote {
    if original.deleted {
        let mut quote = gone(original.seq, "deleted");
        quote.from = original.from.clone();
        return quote;
    }
    ReplyQuote {
        seq: original.seq,
        from: original.from.clone(),
        excerpt: excerpt(&original.plain_text()),
        gone: None,
    }
}

fn gone(seq: u64, why: &str) -> ReplyQuote {
    ReplyQuote {
        seq,
        from: String::new(),
        excerpt: String::new(),
        gone: Some(why.into()),
    }
}

/// A stored message as its state says it is now.
pub fn apply_state(message: &mut ChatMessage, state: &MessageState, viewer: ViewerKey<'_>) {
    if let Some(body) = &state.body {
        message.body = body.clone();
        message.rich = state.rich.clone();
        message.edited_at = state.edited_at.clone();
    }
    if let Some((mentions, room)) = &state.mentions {
        message.mentions = mentions.clone();
        message.mentions_room = *room;
    }
    message.reactions = reaction_counts(state, viewer);
}

pub fn reaction_counts(state: &MessageState, viewer: ViewerKey<'_>) -> Vec<ReactionCount> {
    state
        .reactions
        .iter()
        .filter(|r| !r.by.is_empty())
        .map(|r| ReactionCount {
            emoji: r.emoji.clone(),
            count: r.by.len() as u32,
            me: viewer.is_some_and(|key| r.by.iter().any(|by| by.key == key)),
        })
        .collect()
}
