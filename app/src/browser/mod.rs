//! Code that only runs in the browser after hydration: the room's live
//! socket, what the tab keeps in local storage, and client-made ids.

pub mod api;
pub mod here;
pub mod list_events;
pub mod live_changes;
pub mod live_feed;
pub mod notices;

const NAME_KEY: &str = "chat.name";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The guest name this browser used last.
pub fn saved_name() -> Option<String> {
    storage()?
        .get_item(NAME_KEY)
        .ok()
        .flatten()
        .filter(|n| !n.trim().is_empty())
}

pub fn save_name(name: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(NAME_KEY, name);
    }
}

/// A value this browser keeps (a guest's read positions, notification
/// levels).
pub fn storage_get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

pub fn storage_set(key: &str, value: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, value);
    }
}

/// A new client-made message id: 128 random bits as hex.
pub fn fresh_message_id() -> String {
    (0..4)
        .map(|_| {
            format!(
                "{:08x}",
                (js_sys::Math::random() * f64::from(u32::MAX)) as u32
            )
        })
        .collect()
}
