//! The chat's shared language: what a message, a room, a history page, an
//! account view and an API error look like on the wire, and the rules new
//! input must meet. Every program of the chat (the browser app, the server,
//! a terminal client, a bridge) uses these, so the rules exist once.
//! serde only, no I/O: it builds for wasm32.

pub mod account;
pub mod alphabet;
pub mod api;
pub mod error;
pub mod event;
pub mod frame;
pub mod history;
pub mod look;
pub mod message;
pub mod presence;
pub mod reaction;
pub mod rich;
pub mod room;
pub mod room_policy;
pub mod url;

pub use error::ErrorKind;
pub use history::HistoryPage;
pub use message::ChatMessage;
pub use room::{RoomName, RoomSummary};
