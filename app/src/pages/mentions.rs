//! `/mentions`: the messages that mention the reader or answer it, across
//! rooms, newest first, each a link to its place in its room. Rendered on
//! the server only, like the account pages: nothing of it is in the WASM.

use super::account::document;
use leptos::prelude::*;
use model::account::Viewer;
use model::api::MentionsPage;
use model::message::{ChatMessage, excerpt};

pub fn mentions_page(viewer: Viewer, page: MentionsPage, older: bool) -> String {
    document("Mentions", viewer, move || {
        let next = page
            .has_older
            .then(|| page.messages.last().map(|m| m.seq))
            .flatten();
        let empty = page.messages.is_empty();
        view! {
            {empty.then(|| view! {
                <p class="muted">"Nobody has mentioned you or answered you yet."</p>
            })}
            <ol class="mention-list">
                {page.messages.into_iter().map(|message| view! { <Mention message /> }).collect_view()}
            </ol>
            <p class="room-pages">
                {older.then(|| view! { <a href="/mentions">"← Newest"</a> })}
                {next.map(|seq| view! {
                    <a class="older" href=format!("/mentions?before={seq}")>"Older →"</a>
                })}
            </p>
        }
    })
}

#[component]
fn Mention(message: ChatMessage) -> impl IntoView {
    let href = format!("/r/{}#m-{}", message.room, message.seq);
    let what =
        if message.reply_to.is_some() && message.mentions.is_empty() && !message.mentions_room {
            "replied"
        } else {
            "mentioned you"
        };
    let style = crate::components::avatar::name_style(&message.from, message.color.as_deref());
    // The date and minute, in UTC: the page has no script to localise it.
    let when = message.ts.get(..16).unwrap_or_default().replace('T', " ");
    view! {
        <li style=style>
            <a href=href>
                <span class="meta">
                    <span class="room-name">{format!("#{}", message.room)}</span>
                    <span class="from">{message.from.clone()}</span>
                    <span class="muted">{what}</span>
                    <time datetime=message.ts.clone()>{when}" UTC"</time>
                </span>
                <span class="body">{excerpt(&message.plain_text())}</span>
            </a>
        </li>
    }
}
