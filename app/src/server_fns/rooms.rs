//! The lobby's list of rooms.

use super::ChatError;
use leptos::prelude::*;
use model::room::RoomPage;

/// Rooms with messages, newest activity first, a page at a time; the
/// default rooms without messages follow on the last page.
#[server(prefix = "/fn", endpoint = "list_rooms")]
pub async fn list_rooms(after: Option<u64>) -> Result<RoomPage, ChatError> {
    /// How many rooms a lobby page shows.
    const LOBBY_PAGE_SIZE: usize = 50;
    let chat = super::ssr::chat()?;
    let identity = super::ssr::identity(&chat).await?;
    let mut page = chat.lobby_rooms(&identity, after, LOBBY_PAGE_SIZE).await?;
    // An account sees what it has not read.
    chat.count_unread(&identity, &mut page.rooms).await?;
    Ok(page)
}
