//! What an account has not read: a room's unread and mention badges.

use leptos::prelude::*;

/// An account's unread count (99+ above 99) and, apart, what is for it.
#[component]
pub fn UnreadBadges(unread: u64, mentions: u64) -> impl IntoView {
    let shown = if unread > 99 {
        "99+".to_owned()
    } else {
        unread.to_string()
    };
    (unread > 0).then(|| {
        view! {
            <span class="badges">
                {(mentions > 0).then(|| view! {
                    <span class="mention-count" title="mentions and replies to you">{format!("@{mentions}")}</span>
                })}
                <span class="unread-count" title="unread messages">{shown}</span>
            </span>
        }
    })
}
