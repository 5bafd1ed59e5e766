//! The HTTP side of the chat: the JSON API, the live sockets, health, and
//! the glue that hands server-function calls to the Leptos app.

pub mod conversation;
pub mod error;
pub mod go;
pub mod health;
pub mod identity;
pub mod live;
pub mod lobby;
pub mod members;
pub mod mentions;
pub mod messages;
pub mod moderation;
pub mod presence;
pub mod read;
pub mod room_pages;
pub mod room_settings;
pub mod rooms;
pub mod server_fns;
pub mod site;
