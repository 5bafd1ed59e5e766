//! What happens in a room, in the room's order: new messages and the edits,
//! deletes and reactions that change them. The frames of the events socket
//! (`GET /api/rooms/{room}/events`), and how a client folds them into its
//! list of messages.

use crate::message::ChatMessage;
use serde::{Deserialize, Serialize};

/// One frame of the events socket: `{"type": "message" | "edit" | "delete"
/// | "reaction", "seq": …, …}`. `seq` is the event's own stream sequence,
/// the cursor to resume from; `target` is the message it changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
// Mostly messages; each event is decoded, encoded once and dropped, so a
// box would cost more than the bytes it saves.
#[allow(clippy::large_enum_variant)]
pub enum RoomEvent {
    Message(ChatMessage),
    Edit(MessageEdit),
    Delete(MessageDelete),
    Reaction(ReactionChange),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEdit {
    pub seq: u64,
    pub target: u64,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rich: Option<crate::rich::RichText>,
    pub edited_at: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mentions_room: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDelete {
    pub seq: u64,
    pub target: u64,
    pub ts: String,
    /// Removed by a moderator, not taken back by its author.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_moderator: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionChange {
    pub seq: u64,
    pub target: u64,
    pub emoji: String,
    /// Added (true) or taken back (false).
    pub on: bool,
    /// Who reacted, and whether that is an account's name.
    pub from: String,
    #[serde(default)]
    pub verified: bool,
    /// How many have this emoji on the message after the change.
    pub count: u32,
}

impl RoomEvent {
    pub fn seq(&self) -> u64 {
        match self {
            RoomEvent::Message(m) => m.seq,
            RoomEvent::Edit(e) => e.seq,
            RoomEvent::Delete(d) => d.seq,
            RoomEvent::Reaction(r) => r.seq,
        }
    }
}

/// Applies `event` to a room's list (oldest first). `me` is the viewer's
/// account name, to tell its own reactions. Returns true when a new
/// message landed after the previous newest one.
pub fn apply(list: &mut Vec<ChatMessage>, event: RoomEvent, me: Option<&str>) -> bool {
    match event {
        RoomEvent::Message(message) => crate::history::merge(list, [message]),
        RoomEvent::Edit(edit) => {
            if let Some(message) = find(list, edit.target).filter(|m| !m.deleted) {
                message.body = edit.body;
                message.rich = edit.rich;
                message.edited_at = Some(edit.edited_at);
                message.mentions = edit.mentions;
                message.mentions_room = edit.mentions_room;
            }
            false
        }
        RoomEvent::Delete(delete) => {
            if let Some(message) = find(list, delete.target) {
                tombstone(message);
                message.removed_by_moderator = delete.by_moderator;
            }
            for reply in list.iter_mut() {
                if let Some(quote) = reply.reply_to.as_mut().filter(|q| q.seq == delete.target) {
                    quote.excerpt.clear();
                    quote.gone = Some("deleted".into());
                }
            }
            false
        }
        RoomEvent::Reaction(change) => {
            if let Some(message) = find(list, change.target).filter(|m| !m.deleted) {
                let mine = change.verified && me == Some(change.from.as_str());
                match message
                    .reactions
                    .iter()
                    .position(|r| r.emoji == change.emoji)
                {
                    Some(at) if change.count == 0 => {
                        message.reactions.remove(at);
                    }
                    Some(at) => {
                        let reaction = &mut message.reactions[at];
                        reaction.count = change.count;
                        if mine {
                            reaction.me = change.on;
                        }
                    }
                    None if change.count > 0 => {
                        message.reactions.push(crate::message::ReactionCount {
                            emoji: change.emoji,
                            count: change.count,
                            me: mine && change.on,
                        })
                    }
                    None => {}
                }
            }
            false
        }
    }
}

/// What is left of a deleted message: its place, author and time.
pub fn tombstone(message: &mut ChatMessage) {
    message.deleted = true;
    message.body.clear();
    message.rich = None;
    message.edited_at = None;
    message.reactions.clear();
    message.mentions.clear();
    message.mentions_room = false;
}

fn find(list: &mut [ChatMessage], seq: u64) -> Option<&mut ChatMessage> {
    let at = list.binary_search_by_key(&seq, |m| m.seq).ok()?;
    list.get_mut(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ReplyQuote;

    fn msg(seq: u64) -> ChatMessage {
        ChatMessage {
            seq,
            body: format!("text {seq}"),
            from: "ada".into(),
            ..ChatMessage::default()
        }
    }

    #[test]
    fn frames_are_tagged_by_type() {
        let frame = serde_json::to_value(RoomEvent::Message(msg(3))).unwrap();
        assert_eq!(frame["type"], "message");
        assert_eq!(frame["seq"], 3);
        let edit: RoomEvent = serde_json::from_str(
            r#"{"type":"edit","seq":9,"target":3,"body":"new","edited_at":"t"}"#,
        )
        .unwrap();
        assert_eq!(edit.seq(), 9);
    }

    #[test]
    fn events_change_the_messages_they_target() {
        let mut list = vec![msg(1), msg(2)];
        list[1].reply_to = Some(ReplyQuote {
            seq: 1,
            from: "ada".into(),
            excerpt: "text 1".into(),
            gone: None,
        });
        let react = |seq, on, count, from: &str| {
            RoomEvent::Reaction(ReactionChange {
                seq,
                target: 2,
                emoji: "👍".into(),
                on,
                from: from.into(),
                verified: true,
                count,
            })
        };
        apply(&mut list, react(3, true, 1, "bo"), Some("ada"));
        apply(&mut list, react(4, true, 2, "ada"), Some("ada"));
        assert_eq!(list[1].reactions[0].count, 2);
        assert!(list[1].reactions[0].me);
        apply(&mut list, react(5, false, 1, "ada"), Some("ada"));
        assert!(!list[1].reactions[0].me);
        apply(&mut list, react(6, false, 0, "bo"), Some("ada"));
        assert!(list[1].reactions.is_empty());

        let edit = MessageEdit {
            seq: 7,
            target: 2,
            body: "fixed".into(),
            edited_at: "t".into(),
            ..MessageEdit::default()
        };
        apply(&mut list, RoomEvent::Edit(edit), None);
        assert_eq!(list[1].body, "fixed");
        assert!(list[1].edited_at.is_some());

        let delete = MessageDelete {
            seq: 8,
            target: 1,
            ts: "t".into(),
            by_moderator: true,
        };
        apply(&mut list, RoomEvent::Delete(delete), None);
        assert!(list[0].deleted && list[0].body.is_empty());
        assert!(list[0].removed_by_moderator);
        let quote = list[1].reply_to.as_ref().unwrap();
        assert_eq!(
            (quote.excerpt.as_str(), quote.gone.as_deref()),
            ("", Some("deleted"))
        );
    }
}
