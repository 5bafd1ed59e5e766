//! Every frame the events socket (`/api/rooms/{room}/events`) carries, as
//! one type to read them by: the room log's events, which stand at a
//! stream sequence a client resumes from, and the frames about people and
//! rights, which do not. A frame of a type this build does not know is
//! read as [`Frame::Other`] and passed over.

use crate::event::RoomEvent;
use crate::presence::AwarenessFrame;
use crate::room_policy::StandingFrame;
use serde::Deserialize;

/// What a frame is, read from its `"type"` alone: lets a reader decode
/// only the frames it acts on (the browser keeps the decoders of the rare
/// ones out of its first load).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameKind {
    Message,
    Edit,
    Delete,
    Reaction,
    Presence,
    Typing,
    Read,
    Mention,
    Standing,
    /// A type this build does not know: passed over.
    #[serde(other)]
    Unknown,
}

impl FrameKind {
    /// The kind of the frame `text`: [`FrameKind::Unknown`] for anything
    /// that is not an object with a known `"type"`.
    pub fn of(text: &str) -> Self {
        #[derive(Deserialize)]
        struct Typed {
            #[serde(rename = "type")]
            kind: FrameKind,
        }
        serde_json::from_str::<Typed>(text).map_or(FrameKind::Unknown, |typed| typed.kind)
    }

    /// Whether frames of this kind stand at a place in the room's log
    /// (see [`Frame::resume_seq`]).
    pub fn is_room_event(self) -> bool {
        matches!(
            self,
            FrameKind::Message | FrameKind::Edit | FrameKind::Delete | FrameKind::Reaction
        )
    }
}

/// The `message` frame of a message object already encoded as JSON: the
/// object with its type in front, so a message encoded once for the
/// `/live` socket is not encoded again for the events socket.
pub fn message_frame(message_json: &[u8]) -> Vec<u8> {
    let mut json = Vec::with_capacity(message_json.len() + 18);
    json.extend_from_slice(br#"{"type":"message""#);
    if message_json.len() > 2 {
        json.push(b',');
    }
    json.extend_from_slice(message_json.get(1..).unwrap_or(b"}"));
    json
}

/// One events-socket frame, told apart by its `"type"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
// Mostly messages, read once and dropped: a box would cost more.
#[allow(clippy::large_enum_variant)]
pub enum Frame {
    /// `message`, `edit`, `delete`, `reaction`: a place in the room's log.
    Room(RoomEvent),
    /// `presence`, `typing`, `read`, `mention`: never a place in the
    /// room's log, even when it names a sequence (of this room or another).
    Awareness(AwarenessFrame),
    /// `standing`: the caller's right to post changed.
    Standing(#[serde(deserialize_with = "standing_only")] StandingFrame),
    /// Any other frame (a newer server's): passed over.
    Other(serde::de::IgnoredAny),
}

impl Frame {
    /// The room-log sequence this frame stands at, the one a client
    /// resumes from (`?after=`): only the room's events have one.
    pub fn resume_seq(&self) -> Option<u64> {
        match self {
            Frame::Room(event) => Some(event.seq()),
            Frame::Awareness(_) | Frame::Standing(_) | Frame::Other(_) => None,
        }
    }
}

/// Reads a `standing` frame and nothing else: serde does not check the tag
/// of a tagged struct, and `cannot_post` may be missing, so any unknown
/// frame would otherwise read as one.
fn standing_only<'de, D: serde::Deserializer<'de>>(reader: D) -> Result<StandingFrame, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Tag {
        Standing,
    }
    #[derive(Deserialize)]
    struct Tagged {
        #[serde(rename = "type")]
        _tag: Tag,
        cannot_post: Option<String>,
        #[serde(default)]
        until: Option<String>,
    }
    let Tagged {
        cannot_post, until, ..
    } = Tagged::deserialize(reader)?;
    Ok(StandingFrame { cannot_post, until })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Frame {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn only_room_events_are_places_to_resume_from() {
        let message = read(
            r#"{"type":"message","seq":7,"id":"a","room":"hall","from":"ada","body":"hi","ts":"2026-12-05T10:00:00.000Z"}"#,
        );
        assert!(matches!(message, Frame::Room(RoomEvent::Message(_))));
        assert_eq!(message.resume_seq(), Some(7));
        let reaction = read(
            r#"{"type":"reaction","seq":9,"target":7,"emoji":"👍","on":true,"from":"bo","count":1}"#,
        );
        assert_eq!(reaction.resume_seq(), Some(9));
        // A read position names a sequence, of this room or another: it is
        // no place in the room's log.
        let read_mark = read(r#"{"type":"read","room":"hall","seq":9000}"#);
        assert!(matches!(
            read_mark,
            Frame::Awareness(AwarenessFrame::Read { .. })
        ));
        assert_eq!(read_mark.resume_seq(), None);
        let standing = read(r#"{"type":"standing","cannot_post":null}"#);
        assert!(matches!(standing, Frame::Standing(_)));
        assert_eq!(standing.resume_seq(), None);
        let mention = read(r#"{"type":"mention","room":"elsewhere","seq":42}"#);
        assert!(matches!(
            mention,
            Frame::Awareness(AwarenessFrame::Mention { .. })
        ));
        assert_eq!(mention.resume_seq(), None);
        let typing = read(r#"{"type":"typing","from":"ada","on":true}"#);
        assert_eq!(typing.resume_seq(), None);
    }

    #[test]
    fn a_spliced_message_frame_is_the_serialised_event() {
        let message: crate::message::ChatMessage = serde_json::from_str(
            r#"{"seq":7,"id":"a","room":"hall","from":"ada","body":"hi","ts":"2026-12-05T10:00:00.000Z"}"#,
        )
        .unwrap();
        let spliced = message_frame(serde_json::to_string(&message).unwrap().as_bytes());
        let event = serde_json::to_string(&RoomEvent::Message(message)).unwrap();
        assert_eq!(String::from_utf8(spliced).unwrap(), event);
        assert_eq!(read(&event).resume_seq(), Some(7));
    }

    #[test]
    fn kinds_are_read_from_the_type_wherever_it_stands() {
        assert_eq!(
            FrameKind::of(r#"{"seq":1,"type":"edit","target":1}"#),
            FrameKind::Edit
        );
        assert_eq!(FrameKind::of(r#"{"type":"read","seq":9}"#), FrameKind::Read);
        assert!(!FrameKind::Read.is_room_event());
        assert!(FrameKind::Reaction.is_room_event());
        for text in [r#"{"type":"preview"}"#, r#"{"seq":1}"#, "[]", "not json"] {
            assert_eq!(FrameKind::of(text), FrameKind::Unknown, "{text}");
        }
    }

    #[test]
    fn unknown_frames_are_passed_over() {
        for text in [
            r#"{"type":"preview","seq":12,"target":7}"#,
            r#"{"type":"message"}"#,
            r#"{"no_type":1}"#,
            "[]",
        ] {
            let frame = read(text);
            assert!(matches!(frame, Frame::Other(_)), "{text}");
            assert_eq!(frame.resume_seq(), None, "{text}");
        }
    }
}
