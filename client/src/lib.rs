//! A program's way into the chat over its public HTTP API (docs/API.md):
//! what the terminal client and the Twitch/IRC bridge share. It needs no
//! NATS credentials, only the server's URL and, to post as an account, a
//! token.

mod api;
mod backoff;
mod feed;
mod send;

pub use api::{ApiClient, Credentials, RequestError, RequestErrorKind};
pub use backoff::{Backoff, retry_transient};
pub use feed::{Connection, Feed, FeedItem};
pub use reqwest::StatusCode;
pub use send::new_message_id;
