//! Request and response bodies of the public HTTP API (docs/API.md), for the
//! server that answers and the programs that call it.

use serde::{Deserialize, Serialize};

/// `POST /api/rooms/{room}/messages`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    pub id: String,
    /// A guest's display name; ignored when the caller is an account.
    #[serde(default)]
    pub from: String,
    pub body: String,
    /// `plain` to show the body exactly as typed, without formatting.
    #[serde(
        default,
        skip_serializing_if = "crate::message::TextFormat::is_markdown"
    )]
    pub format: crate::message::TextFormat,
    /// The sequence of the message this one answers, in the same room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
    /// A bridge relaying a message from another network (`twitch`, `irc`):
    /// `from` is then the author's name there, for accounts too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The relayed author's colour there (`#rrggbb`); only with `via`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// `PATCH /api/rooms/{room}/messages/{seq}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageChange {
    pub body: String,
}

/// One earlier text of an edited message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageVersion {
    pub body: String,
    /// When this text was written (sent, or saved by an edit).
    pub ts: String,
}

/// `GET /api/rooms/{room}/messages/{seq}/edits`: oldest first, ending with
/// the current text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditHistory {
    pub seq: u64,
    pub versions: Vec<MessageVersion>,
}

/// One emoji and who reacted with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionUsers {
    pub emoji: String,
    pub count: u32,
    /// Names as they were when reacting (guests' self-chosen ones included).
    pub names: Vec<String>,
}

/// `GET /api/rooms/{room}/messages/{seq}/reactions`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionList {
    pub seq: u64,
    pub reactions: Vec<ReactionUsers>,
}

/// `POST /api/rooms/{room}/read`: the newest message read, or with
/// `unread` the first message to mark unread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMark {
    pub seq: u64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unread: bool,
}

/// The answer to a [`ReadMark`]: where the account's position is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadPosition {
    pub room: String,
    pub read_seq: u64,
}

/// `GET /api/mentions?before=&limit=`: messages that mention the caller
/// (by name or `@room`) or reply to it, across rooms, newest first.
/// `before` is a message's `seq` from an earlier page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentionsPage {
    pub messages: Vec<crate::message::ChatMessage>,
    /// Older mentions exist: ask again with `before` = the last `seq`.
    pub has_older: bool,
}

/// `GET /api/rooms/{room}/messages?before=&limit=`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

/// `GET /api/rooms?after=&limit=`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomsQuery {
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

/// `GET /api/rooms/{room}/live?after=` and `/events?after=&name=`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveQuery {
    pub after: Option<u64>,
    /// On `/events`: the name a guest is shown under among the people present.
    pub name: Option<String>,
}

/// Every API error's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
    /// What went wrong, for a program: a stable snake_case name
    /// (`crate::error::ERROR_CODES`). Empty from a server older than codes.
    #[serde(default)]
    pub code: String,
    /// Why a moderator muted or banned the caller (403 of a post).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Until when a timeout lasts (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// `GET /healthz`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    /// The NATS connection's state (`connected`, `disconnected`, `pending`).
    pub nats: String,
    /// Rooms this instance follows live for its open sockets.
    pub active_rooms: usize,
    /// The server's process id, so a supervisor (or a test) knows which
    /// process answered.
    pub pid: u32,
}
