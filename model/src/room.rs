//! Room names, and a room as the lobby lists it.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAX_ROOM_CHARS: usize = 32;

/// A room name that is safe to put into a NATS subject: 1–32 letters,
/// digits, `-` or `_`. Anything else (`.`, `*`, `>`, spaces) would change
/// which subject a message lands on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomName(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid room name: use 1 to {MAX_ROOM_CHARS} letters, digits, '-' or '_' (no spaces, '.', '*' or '>')"
)]
pub struct InvalidRoomName;

impl RoomName {
    pub fn parse(name: &str) -> Result<Self, InvalidRoomName> {
        if crate::alphabet::is_plain(name, 1, MAX_ROOM_CHARS) {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidRoomName)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RoomName {
    type Error = InvalidRoomName;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RoomName> for String {
    fn from(room: RoomName) -> Self {
        room.0
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A room as the lobby and `GET /api/rooms` show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub name: String,
    pub last_seq: u64,
    pub count: u64,
    /// RFC 3339 time of the newest message, absent for an empty room.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_ts: Option<String>,
    /// For an account: messages from others after its read position.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unread: Option<u64>,
    /// For an account: how many of the unread ones mention it (by name or
    /// `@room`) or answer one of its messages.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mentions: Option<u64>,
    /// For an account: the sequence it has read up to in this room.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub read_seq: Option<u64>,
    /// `private` or `dm`; absent for a public room.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub visibility: Option<crate::room_policy::Visibility>,
    /// For a DM: the other account's name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dm_with: Option<String>,
}

impl RoomSummary {
    /// How the room is named in a list: `#name`, or `@other` for a DM.
    pub fn label(&self) -> String {
        match &self.dm_with {
            Some(other) => format!("@{other}"),
            None => format!("#{}", self.name),
        }
    }

    pub fn is_private(&self) -> bool {
        self.visibility == Some(crate::room_policy::Visibility::Private)
    }
}

/// `GET /api/rooms` without `limit`.
pub const ROOM_PAGE_SIZE: usize = 100;
/// The largest `limit` of `GET /api/rooms`.
pub const MAX_ROOM_PAGE: usize = 1000;

/// One page of rooms, newest activity first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomPage {
    pub rooms: Vec<RoomSummary>,
    /// The `after` of the next page, when more rooms remain.
    pub next_after: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        for name in ["general", "a", "Rust-lang_2", &"x".repeat(32)] {
            assert!(RoomName::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn refuses_names_that_would_change_the_subject() {
        for name in ["", "a.b", "*", ">", "a b", "é", &"x".repeat(33), "a\n"] {
            assert_eq!(RoomName::parse(name), Err(InvalidRoomName), "{name:?}");
        }
    }
}
