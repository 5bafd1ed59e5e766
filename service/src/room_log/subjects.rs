//! Where the `CHAT` stream keeps each kind of entry of a room, and where
//! JetStream republishes them: the only place subject names are written.

use model::room::RoomName;

pub const STREAM_NAME: &str = "CHAT";
/// Messages of room `R` are stored on subject `chat.room.R`.
const ROOM_SUBJECT_PREFIX: &str = "chat.room.";
/// Edits, deletes and reactions of room `R`, on a subject of their own:
/// the per-subject retention counts messages, so an emoji party does not
/// push messages out of history.
pub(super) const EVENT_SUBJECT_PREFIX: &str = "chat.event.";
/// JetStream republishes every stored room message here, with its stream
/// sequence and the room's previous sequence in the headers. Live fan-out
/// reads this instead of a consumer, so a burst that the retention limit
/// evicts from the stream still reaches every connected tab.
const LIVE_SUBJECT_PREFIX: &str = "chat_live.room.";
/// Where JetStream republishes events (`chat_live.event.R`).
pub(super) const LIVE_EVENT_SUBJECT_PREFIX: &str = "chat_live.event.";

pub(super) fn room_subject(room: &RoomName) -> String {
    format!("{ROOM_SUBJECT_PREFIX}{room}")
}

/// Every room's message subject, for counting them.
pub(super) fn every_room_subject() -> String {
    format!("{ROOM_SUBJECT_PREFIX}*")
}

/// Moderation entries once kept in `CHAT` (four tokens, so the room
/// follows and reads of everything passed them by): read, no longer
/// written.
pub(super) fn legacy_mod_subject(room: &RoomName) -> String {
    format!("chat.modlog.{room}.actions")
}

/// The stream of the moderation log: apart from messages, so that its
/// retention is its own and no flood of messages pushes it out.
pub const MODLOG_STREAM: &str = "CHAT_MODLOG";

/// A room's moderation entries in [`MODLOG_STREAM`].
pub(super) fn mod_subject(room: &RoomName) -> String {
    format!("chat_modlog.{room}")
}

pub(super) fn event_subject(room: &RoomName) -> String {
    format!("{EVENT_SUBJECT_PREFIX}{room}")
}

/// A room's messages and events together, in one order.
pub(super) fn everything_subject(room: &RoomName) -> String {
    format!("chat.*.{room}")
}

/// What JetStream republishes of one room (messages and events).
pub(super) fn live_subject(room: &RoomName) -> String {
    format!("chat_live.*.{room}")
}

/// What JetStream republishes of every room's messages.
pub(super) fn every_live_room_subject() -> String {
    format!("{LIVE_SUBJECT_PREFIX}*")
}

/// The room of a live subject; `None` for subjects of no room.
pub(crate) fn room_of_live_subject(subject: &str) -> Option<RoomName> {
    subject
        .strip_prefix(LIVE_SUBJECT_PREFIX)
        .and_then(|name| RoomName::parse(name).ok())
}

/// The room of a stored message's subject; `None` for subjects of no room.
pub(super) fn room_of_subject(subject: &str) -> Option<RoomName> {
    subject
        .strip_prefix(ROOM_SUBJECT_PREFIX)
        .and_then(|name| RoomName::parse(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_entry_has_its_subject_and_rooms_are_read_back() {
        let room = RoomName::parse("hall").unwrap();
        assert_eq!(room_subject(&room), "chat.room.hall");
        assert_eq!(event_subject(&room), "chat.event.hall");
        assert_eq!(room_of_subject(&room_subject(&room)), Some(room.clone()));
        assert_eq!(room_of_subject(&event_subject(&room)), None);
        assert_eq!(
            room_of_live_subject("chat_live.room.hall"),
            Some(room.clone())
        );
        assert_eq!(room_of_live_subject("chat_live.event.hall"), None);
    }

    #[test]
    fn moderation_entries_match_neither_the_room_follow_nor_everything() {
        let room = RoomName::parse("hall").unwrap();
        let tokens = |s: &str| s.split('.').count();
        // `*` matches one token: a four-token subject passes them by.
        assert_eq!(tokens(&legacy_mod_subject(&room)), 4);
        assert!(
            !mod_subject(&room).starts_with("chat."),
            "outside CHAT's subjects"
        );
        assert_eq!(tokens(&everything_subject(&room)), 3);
        assert_eq!(tokens(&live_subject(&room)), 3);
    }
}
