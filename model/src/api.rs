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

/// `GET /api/rooms/{room}/live?after=`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveQuery {
    pub after: Option<u64>,
}

/// Every API error's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
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
