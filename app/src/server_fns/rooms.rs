//! The lobby's list of rooms.

use super::ChatError;
use leptos::prelude::*;
use model::room::RoomSummary;

/// Rooms with messages, newest activity first, then the default rooms.
#[server(prefix = "/fn", endpoint = "list_rooms")]
pub async fn list_rooms() -> Result<Vec<RoomSummary>, ChatError> {
    Ok(super::ssr::chat()?.lobby_rooms().await?)
}
