//! How a room's entries are stored in the `CHAT` stream and read back:
//! the server's own JSON for messages and events, and whatever another
//! NATS client stored, read without ever failing a read.

use super::subjects::{EVENT_SUBJECT_PREFIX, room_of_subject};
use async_nats::HeaderMap;
use model::event::{MessageDelete, MessageEdit, ReactionChange, RoomEvent};
use model::message::TextFormat;
use model::message::{
    ChatMessage, MAX_BODY_BYTES, MAX_BODY_CHARS, ReplyQuote, checked_name, is_forbidden_in_text,
};
use model::rich::RichText;
use serde::{Deserialize, Serialize};

/// Who a message that another NATS client published is from, without a
/// usable `Chat-From` header.
pub const FOREIGN_SENDER: &str = "nats";
/// What is shown for a stored payload that is not text.
pub const UNREADABLE: &str = "unreadable message";

/// What a message is stored as; room and sequence come from the stream.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredMessage {
    pub(super) id: String,
    pub(super) from: String,
    pub(super) body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) rich: Option<RichText>,
    #[serde(default, skip_serializing_if = "TextFormat::is_markdown")]
    pub(super) format: TextFormat,
    pub(super) ts: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) emoji: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) via: Option<String>,
    /// Who may edit and delete it: `a:<account id>`, or `g:<digest of the
    /// guest's key>`; none for a guest without a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) reply_to: Option<u64>,
    /// The replied-to message's author, kept so that the quote can say
    /// whose message is gone once it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) reply_from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) mentions: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) mentions_room: bool,
}

impl StoredMessage {
    pub(super) fn into_message(self, room: &str, seq: u64) -> ChatMessage {
        ChatMessage {
            seq,
            id: self.id,
            room: room.to_owned(),
            from: self.from,
            body: self.body,
            rich: self.rich,
            format: self.format,
            ts: self.ts,
            verified: self.verified,
            color: self.color,
            emoji: self.emoji,
            via: self.via,
            reply_to: self.reply_to.map(|seq| ReplyQuote {
                seq,
                from: self.reply_from.unwrap_or_default(),
                ..ReplyQuote::default()
            }),
            mentions: self.mentions,
            mentions_room: self.mentions_room,
            ..ChatMessage::default()
        }
    }
}

/// A stored message with who may change it, as the room log read it.
#[derive(Clone, Debug)]
pub struct LoggedMessage {
    pub message: ChatMessage,
    pub author: Option<String>,
}

/// What an event is stored as, on the room's event subject.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum StoredEvent {
    Edit {
        target: u64,
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rich: Option<RichText>,
        ts: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        mentions_room: bool,
    },
    Delete {
        target: u64,
        ts: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        by_moderator: bool,
    },
    Reaction {
        target: u64,
        emoji: String,
        on: bool,
        from: String,
        #[serde(default)]
        verified: bool,
        count: u32,
    },
}

impl StoredEvent {
    pub(super) fn into_event(self, seq: u64) -> RoomEvent {
        match self {
            StoredEvent::Edit {
                target,
                body,
                rich,
                ts,
                mentions,
                mentions_room,
            } => RoomEvent::Edit(MessageEdit {
                seq,
                target,
                body,
                rich,
                edited_at: ts,
                mentions,
                mentions_room,
            }),
            StoredEvent::Delete {
                target,
                ts,
                by_moderator,
            } => RoomEvent::Delete(MessageDelete {
                seq,
                target,
                ts,
                by_moderator,
            }),
            StoredEvent::Reaction {
                target,
                emoji,
                on,
                from,
                verified,
                count,
            } => RoomEvent::Reaction(ReactionChange {
                seq,
                target,
                emoji,
                on,
                from,
                verified,
                count,
            }),
        }
    }
}

/// One stored entry of a room, decoded: a message (with who may change
/// it) or an event; `None` for what is no chat entry (a moderation entry,
/// an event of an unknown shape).
pub(super) fn decode_entry(
    is_registered: &dyn Fn(&str) -> bool,
    subject: &str,
    seq: u64,
    headers: &HeaderMap,
    payload: &[u8],
) -> Option<(RoomEvent, Option<String>)> {
    if subject.starts_with(EVENT_SUBJECT_PREFIX) {
        return serde_json::from_slice::<StoredEvent>(payload)
            .ok()
            .map(|event| (event.into_event(seq), None));
    }
    let room = room_of_subject(subject)?;
    let (message, author) =
        decode_payload(is_registered, room.as_str(), seq, Some(headers), payload);
    Some((RoomEvent::Message(message), author))
}

/// A stored payload as a message. The server's own JSON is read as is;
/// anything else that another NATS client stored (plain text, as the
/// NATS chat tutorial's CLI sends; JSON of another shape; bytes) never
/// fails a read: text becomes a guest message, the rest a placeholder.
pub(super) fn decode_payload(
    is_registered: &dyn Fn(&str) -> bool,
    room: &str,
    seq: u64,
    headers: Option<&HeaderMap>,
    payload: &[u8],
) -> (ChatMessage, Option<String>) {
    if let Ok(mut stored) = serde_json::from_slice::<StoredMessage>(payload) {
        let author = stored.author.take();
        return (stored.into_message(room, seq), author);
    }
    let header = |name: &str| {
        headers
            .and_then(|h| h.get(name))
            .map(|v| v.as_str().to_owned())
    };
    let from = header("Chat-From")
        .and_then(|name| {
            let name = checked_name(&name).ok()?.to_owned();
            let registered = is_registered(&name);
            (!registered).then_some(name)
        })
        .unwrap_or_else(|| FOREIGN_SENDER.to_owned());
    let body = std::str::from_utf8(payload)
        .ok()
        .and_then(foreign_text)
        .unwrap_or_else(|| UNREADABLE.to_owned());
    let ts = header("Nats-Time-Stamp")
        .and_then(|ts| chrono::DateTime::parse_from_rfc3339(&ts).ok())
        .map(|ts| {
            ts.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned());
    let message = ChatMessage {
        seq,
        id: format!("nats-{seq}"),
        room: room.to_owned(),
        from,
        body,
        ts,
        ..ChatMessage::default()
    };
    (message, None)
}

/// Text from elsewhere, held to the rules of a body: control characters
/// removed, cut to the length limits; `None` when nothing is left.
fn foreign_text(text: &str) -> Option<String> {
    let mut body = String::new();
    for c in text.trim().chars().filter(|c| !is_forbidden_in_text(*c)) {
        if body.chars().count() >= MAX_BODY_CHARS || body.len() + c.len_utf8() > MAX_BODY_BYTES {
            break;
        }
        body.push(c);
    }
    let body = body.trim();
    (!body.is_empty()).then(|| body.to_owned())
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nobody_registered(_: &str) -> bool {
        false
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, *v);
        }
        map
    }

    #[test]
    fn the_servers_own_message_is_read_with_its_author_key_apart() {
        let stored = br#"{"id":"m1","from":"ada","body":"hi","ts":"2026-12-06T10:00:00.000Z","verified":true,"author":"a:1","reply_to":3,"reply_from":"bo"}"#;
        let (event, author) = decode_entry(
            &nobody_registered,
            "chat.room.hall",
            7,
            &HeaderMap::new(),
            stored,
        )
        .unwrap();
        let RoomEvent::Message(message) = event else {
            panic!("a message")
        };
        assert_eq!((message.seq, message.room.as_str()), (7, "hall"));
        assert_eq!((message.from.as_str(), message.verified), ("ada", true));
        assert_eq!(message.reply_to.unwrap().from, "bo");
        assert_eq!(author.as_deref(), Some("a:1"));
    }

    #[test]
    fn events_are_read_from_their_subject_and_odd_ones_skipped() {
        let edit = br#"{"type":"edit","target":7,"body":"hey","ts":"2026-12-06T10:01:00.000Z"}"#;
        let (event, _) = decode_entry(
            &nobody_registered,
            "chat.event.hall",
            9,
            &HeaderMap::new(),
            edit,
        )
        .unwrap();
        assert_eq!(event.seq(), 9);
        assert!(matches!(
            event,
            RoomEvent::Edit(MessageEdit { target: 7, .. })
        ));
        let newer = br#"{"type":"pin","target":7}"#;
        assert!(
            decode_entry(
                &nobody_registered,
                "chat.event.hall",
                10,
                &HeaderMap::new(),
                newer
            )
            .is_none()
        );
        assert!(
            decode_entry(
                &nobody_registered,
                "chat.modlog.hall.actions",
                11,
                &HeaderMap::new(),
                b"{}"
            )
            .is_none()
        );
    }

    #[test]
    fn another_clients_text_becomes_a_guest_message_never_an_error() {
        let from = headers(&[
            ("Chat-From", "zed"),
            ("Nats-Time-Stamp", "2026-12-06T10:00:00.123456789Z"),
        ]);
        let (message, author) =
            decode_payload(&nobody_registered, "hall", 4, Some(&from), b"  hello\x07  ");
        assert_eq!(
            (message.from.as_str(), message.body.as_str()),
            ("zed", "hello")
        );
        assert_eq!(message.ts, "2026-12-06T10:00:00.123Z");
        assert_eq!(message.id, "nats-4");
        assert!(!message.verified && author.is_none());
        // A registered name in Chat-From is not taken on trust.
        let (message, _) = decode_payload(&|name| name == "zed", "hall", 5, Some(&from), b"hi");
        assert_eq!(message.from, FOREIGN_SENDER);
        // Bytes that are no text are shown as such.
        let (message, _) = decode_payload(&nobody_registered, "hall", 6, None, &[0xff, 0xfe]);
        assert_eq!(message.body, UNREADABLE);
        assert_eq!(message.ts, "1970-01-01T00:00:00.000Z");
    }
}
