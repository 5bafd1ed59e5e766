//! The chat on the server side, with no web framework: every transport (the
//! page's server functions, the JSON API, the live sockets, the rendered
//! pages) calls the one facade, [`Chat`], which validates once, asks the
//! access rules, and talks to JetStream and the account store.
//!
//! A message's way through this crate: [`Chat::send`] → [`access`] (who is
//! the author, may they write, are they too fast) → [`room_log::RoomLog::publish`]
//! (JetStream, acked) → JetStream republishes it → [`hub`] (one subscription
//! per room, one encoded frame for every tab) → [`follow::RoomFollow`] (each
//! tab's gap-free cursor) → the transport's socket.

pub mod access;
pub mod accounts;
mod answer_gate;
pub mod caller;
mod chat;
mod compare_and_set;
mod conversation;
pub mod credentials;
mod direct_messages;
pub mod error;
pub mod fold;
pub mod follow;
pub mod hub;
pub mod limits;
pub mod look_alike;
mod membership;
mod mentions;
pub mod message_state;
mod moderation;
pub mod presence;
pub mod read_position;
mod room_index;
mod room_list;
pub mod room_log;
pub mod room_policy;
mod room_settings;
pub mod session;
mod slow_mode;
pub mod store;
mod unread;

pub use chat::{
    Chat, ChatSettings, MIN_NATS_VERSION, Outgoing, Relay, StartError, version_at_least,
};
pub use error::Error;
pub use model;
