//! `/`: the rooms with their last activity, and a form to open any room.

use crate::components::account_bar::{AccountControl, FlashNotice};
use crate::components::local_time::LocalTime;
use crate::components::unread::UnreadBadges;
#[cfg(feature = "hydrate")]
use crate::server_fns::ChatError;
use crate::server_fns::list_rooms;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
#[cfg(feature = "hydrate")]
use model::room::RoomPage;

#[component]
pub fn Lobby() -> impl IntoView {
    let query = use_query_map();
    // `/?after=<seq>`: the page of rooms less recently active than that.
    let after = move || {
        query
            .read()
            .get("after")
            .and_then(|a| a.parse::<u64>().ok())
    };
    let rooms = Resource::new(after, list_rooms);
    // Counts stay current while the lobby is open and visible (code loaded
    // after the page).
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(keep_current(rooms));
    view! {
        <main class="page lobby">
            <header class="topbar">
                <h1>"Chat"</h1>
                <AccountControl />
            </header>
            <FlashNotice />
            <section class="lobby-body">
                // A GET form: works the same with or without JavaScript.
                <form class="open-room" method="get" action="/go">
                    <label for="room-name">"Open a room"</label>
                    <div class="row">
                        <input id="room-name" name="room" required maxlength="32"
                            pattern="[A-Za-z0-9_\\-]{1,32}" placeholder="room name"
                            title="1 to 32 letters, digits, '-' or '_'" />
                        <button type="submit">"Open"</button>
                    </div>
                </form>
                <h2>"Rooms"</h2>
                <Suspense fallback=|| view! { <p class="muted">"Loading rooms…"</p> }>
                    {move || Suspend::new(async move {
                        match rooms.await {
                            Ok(page) => view! {
                                <ul class="room-list">
                                    {page.rooms.into_iter().map(|room| {
                                        let href = format!("/r/{}", room.name);
                                        let count = match room.count {
                                            0 => "no messages yet".to_string(),
                                            1 => "1 message".to_string(),
                                            n => format!("{n} messages"),
                                        };
                                        view! {
                                            <li>
                                                <a href=href>
                                                    <span class="room-name">{format!("#{}", room.name)}</span>
                                                    <span class="muted">{count}</span>
                                                    {room.last_ts.map(|ts| view! {
                                                        <span class="muted">"last "<LocalTime ts /></span>
                                                    })}
                                                    <UnreadBadges unread=room.unread.unwrap_or(0) mentions=room.mentions.unwrap_or(0) />
                                                </a>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                <p class="room-pages">
                                    {after().map(|_| view! { <a href="/">"← Most recent rooms"</a> })}
                                    {page.next_after.map(|after| view! {
                                        <a class="older" href=format!("/?after={after}")>"Less recent rooms →"</a>
                                    })}
                                </p>
                            }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

#[cfg(feature = "hydrate")]
#[leptos::lazy]
fn keep_current(rooms: Resource<Result<RoomPage, ChatError>>) {
    let poll = set_interval_with_handle(
        move || {
            if !document().hidden() {
                rooms.refetch();
            }
        },
        std::time::Duration::from_secs(5),
    );
    on_cleanup(move || {
        if let Ok(poll) = poll {
            poll.clear();
        }
    });
}
