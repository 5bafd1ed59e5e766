//! `/r/{room}`: a room's history, its live feed and the composer.

#[cfg(feature = "hydrate")]
use crate::browser::list_events;
use crate::components::account_bar::{AccountControl, FlashNotice, use_viewer};
use crate::components::composer::Composer;
use crate::components::live_state::LiveState;
use crate::components::message_list::MessageItem;
use crate::components::room_actions::RoomActions;
use model::look::starts_group;
/// The server renders the list; only the browser handles its events.
#[cfg(not(feature = "hydrate"))]
mod list_events {
    use crate::components::room_actions::RoomActions;
    pub fn click(_: RoomActions, _: &leptos::ev::MouseEvent) {}
    pub fn long_press(_: RoomActions, _: &leptos::ev::MouseEvent) {}
    pub fn enter<E>(_: RoomActions, _: &E) {}
}
use crate::pages::set_status;
use crate::server_fns::{RoomOpening, older_messages, open_room};
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use model::account::Viewer;
use model::history::merge;
use model::message::ChatMessage;
use model::room::RoomName;

#[component]
pub fn RoomPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    move || {
        let name = params.read().get("room").unwrap_or_default();
        // Only a code: the server shows the text it knows for it, so a
        // crafted link cannot fill the alert.
        let error_code = query.read_untracked().get("error");
        match RoomName::parse(&name) {
            Ok(room) => view! { <Room room error_code /> }.into_any(),
            Err(e) => {
                set_status(400);
                view! {
                    <main class="page notice">
                        <h1>"Invalid room name"</h1>
                        <p class="error" role="alert">{e.to_string()}</p>
                        <p><a href="/" rel="external">"Back to the rooms"</a></p>
                    </main>
                }
                .into_any()
            }
        }
    }
}

#[component]
fn Room(room: RoomName, error_code: Option<String>) -> impl IntoView {
    let name = room.to_string();
    let opening = Resource::new(
        move || (name.clone(), error_code.clone()),
        |(name, error_code)| open_room(name, error_code),
    );
    let viewer = use_viewer();
    view! {
        <Suspense fallback=|| view! { <main class="page room"><p class="muted">"Loading…"</p></main> }>
            {move || {
                let room = room.clone();
                Suspend::new(async move {
                    let viewer = viewer.await.unwrap_or_default();
                    match opening.await {
                        Ok(mut opening) => {
                            let form_error = opening.form_error.take().or_else(|| opening.cannot_post.clone());
                            // A DM's title is the other account's name, never its internal id.
                            let title = format!("{} – Chat", opening.title);
                            view! {
                                <leptos_meta::Title text=title />
                                <Conversation room opening form_error viewer />
                            }
                            .into_any()
                        }
                        Err(e) => view! {
                            <main class="page notice">
                                <h1>"This room cannot be shown"</h1>
                                <p class="error" role="alert">{e.to_string()}</p>
                            </main>
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Conversation(
    room: RoomName,
    opening: RoomOpening,
    form_error: Option<String>,
    viewer: Viewer,
) -> impl IntoView {
    let me = viewer.account.clone();
    // Where the account had read to when the room opened: the "new
    // messages" divider stays there while the room is open.
    let read = RwSignal::new(
        opening
            .page
            .read_seq
            .or_else(|| opening.page.messages.last().map(|m| m.seq))
            .unwrap_or(0),
    );
    // Set again in the browser for a guest, whose position is kept there.
    let first_unread = RwSignal::new(opening.page.read_seq.and_then(|read| {
        model::history::first_unread(&opening.page.messages, read, me.as_deref())
    }));
    // Whether the divider is above the view: a control jumps to it.
    let divider_above = RwSignal::new(false);
    let messages = RwSignal::new(opening.page.messages);
    let has_older = RwSignal::new(opening.page.has_older);
    let loading_older = RwSignal::new(false);
    let older_error = RwSignal::new(None::<String>);
    let live = RwSignal::new(LiveState::Connecting);
    let unseen = RwSignal::new(false);
    let at_bottom = RwSignal::new(true);
    let scroller = NodeRef::<html::Div>::new();
    let drafting = RwSignal::new(false);
    let post_error = RwSignal::new(form_error);

    // The list scrolls in `column-reverse`, so scrollTop is 0 at the newest
    // message and negative above it: the browser keeps a reader who is at
    // the bottom there, with or without JavaScript.
    let scroll_to_newest = move || {
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(0);
        }
        unseen.set(false);
        at_bottom.set(true);
    };

    // Where the reader was before the first of the messages that arrived
    // since the last frame: one correction covers them all.
    let unsettled_view = StoredValue::new(None::<(i32, i32)>);
    let receive = move |incoming: Vec<ChatMessage>| {
        let before = scroller
            .get_untracked()
            .map(|el| (el.scroll_height(), el.scroll_top()));
        let appended = messages
            .try_update(|list| merge(list, incoming))
            .unwrap_or(false);
        if !appended || at_bottom.get_untracked() || unsettled_view.with_value(Option::is_some) {
            return;
        }
        unsettled_view.set_value(before);
        // Keep what the reader looks at in place instead of sliding it up.
        // The list is redrawn in a microtask, so the growth is measured in
        // the next frame; the "New messages" button only shows once the view
        // is back in place, so nothing observes the shifted list.
        request_animation_frame(move || {
            let before = unsettled_view.try_update_value(Option::take).flatten();
            // The reader may have jumped to the newest message meanwhile
            // (their own send does), and then there is nothing to keep.
            if at_bottom.get_untracked() {
                return;
            }
            if let (Some(el), Some((height, top))) = (scroller.get_untracked(), before) {
                let grown = el.scroll_height() - height;
                if grown > 0 {
                    el.set_scroll_top(top - grown);
                }
            }
            unseen.set(true);
        });
    };

    #[cfg(feature = "hydrate")]
    {
        let view = crate::browser::here::RoomView {
            room: room.to_string(),
            me: viewer.account.clone(),
            messages,
            at_bottom,
            read,
            first_unread,
            drafting,
            live,
            scroller,
            divider_above,
            post_error,
            receive: Callback::new(move |message: ChatMessage| receive(vec![message])),
        };
        // The live socket and what follows from it load after the page.
        leptos::task::spawn_local(crate::browser::here::follow(view));
    }

    let room_name = room.to_string();
    let load_older = move || {
        if loading_older.get_untracked() || !has_older.get_untracked() {
            return;
        }
        let Some(first) = messages.with_untracked(|list| list.first().map(|m| m.seq)) else {
            return;
        };
        loading_older.set(true);
        let room_name = room_name.clone();
        leptos::task::spawn_local(async move {
            match older_messages(room_name, first).await {
                Ok(page) => {
                    has_older.set(page.has_older);
                    older_error.set(None);
                    messages.update(|list| {
                        merge(list, page.messages);
                    });
                }
                Err(e) => older_error.set(Some(e.to_string())),
            }
            loading_older.set(false);
        });
    };
    let load_older_on_click = load_older.clone();

    let action_error = RwSignal::new(None::<String>);
    let actions = RoomActions {
        room: RwSignal::new(room.to_string()),
        messages,
        has_older,
        me: RwSignal::new(me.clone()),
        replying: RwSignal::new(None),
        editing: RwSignal::new(None),
        picking: RwSignal::new(None),
        active: RwSignal::new(None),
        error: action_error,
        read,
        first_unread,
        moderator: opening.moderator,
    };
    provide_context(actions);
    // `#m-<seq>` (a link from the mentions page): that message, loaded and
    // highlighted.
    #[cfg(feature = "hydrate")]
    if let Some(seq) = window()
        .location()
        .hash()
        .ok()
        .and_then(|hash| hash.strip_prefix("#m-")?.parse::<u64>().ok())
    {
        actions.jump(seq);
    }

    let on_scroll = move |_| {
        let Some(el) = scroller.get_untracked() else {
            return;
        };
        let bottom = el.scroll_top() > -8;
        at_bottom.set(bottom);
        if bottom {
            unseen.set(false);
        }
        let from_top = el.scroll_height() + el.scroll_top() - el.client_height();
        if from_top < 80 {
            load_older();
        }
    };

    let grouped = Memo::new(move |_| {
        messages.with(|list| {
            list.iter()
                .enumerate()
                .map(|(i, m)| {
                    // The first unread line starts afresh below the
                    // "New messages" divider, so it says who wrote it.
                    let after_divider = first_unread.get() == Some(m.seq);
                    (
                        m.clone(),
                        after_divider || starts_group(i.checked_sub(1).map(|p| &list[p]), m),
                    )
                })
                .collect::<Vec<_>>()
        })
    });

    let on_sent = Callback::new(move |message: ChatMessage| {
        let seq = message.seq;
        receive(vec![message]);
        // The live copy may have come first; it does not know it is ours.
        messages.update(|list| {
            if let Ok(at) = list.binary_search_by_key(&seq, |m| m.seq) {
                list[at].mine = true;
            }
        });
        scroll_to_newest();
    });

    view! {
            <div class="room-layout">
            // Keyboard users skip the header and the room list. `external`:
            // the browser's own jump moves where Tab goes next; the router's
            // would only scroll.
            <nav class="skip-links" aria-label="Skip links">
                <a class="skip-link" href="#composer" rel="external">"Skip to the message box"</a>
                <a class="skip-link" href="#messages" rel="external">"Skip to the messages"</a>
            </nav>
            // Filled after hydration by code loaded then (`browser::here`), as
            // are who is here and the notification choice in the header: none
            // of it weighs on the first load.
            <nav class="room-sidebar" id="room-sidebar" aria-label="Rooms"></nav>
            <main class="page room">
                <header class="topbar">
                    <a class="back" href="/" rel="external" aria-label="All rooms">"←"</a>
                    <h1 dir="auto">{opening.title.clone()}</h1>
                    {(!opening.topic.is_empty()).then(|| view! { <p class="topic" dir="auto">{opening.topic.clone()}</p> })}
                    {opening.moderator.then(|| view! {
                        <a class="room-settings-link" href=format!("/r/{room}/settings") rel="external">"Settings"</a>
                    })}
                    <span class="live-state" data-state=move || live.get().key() role="status">
                        {move || live.get().label()}
                    </span>
                    <span class="header-extras" id="header-extras"></span>
                    <AccountControl />
                </header>
                <FlashNotice />
                <div class="scroller" node_ref=scroller on:scroll=on_scroll>
                    <div class="timeline">
                        <div class="history-edge">
                            <Show
                                when=move || has_older.get()
                                fallback=|| view! { <p class="muted start">"This is the start of the room."</p> }
                            >
                                <button class="load-older" type="button"
                                    disabled=move || loading_older.get()
                                    on:click={
                                        let load_older = load_older_on_click.clone();
                                        move |_| load_older()
                                    }>
                                    {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                                </button>
                            </Show>
                            {move || older_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                        </div>
                        <ol class="messages" id="messages" tabindex="-1" aria-live="polite"
                            on:click=move |ev| list_events::click(actions, &ev)
                            on:mouseover=move |ev| list_events::enter(actions, &ev)
                            on:focusin=move |ev| list_events::enter(actions, &ev)
                            on:contextmenu=move |ev| list_events::long_press(actions, &ev)>
                            <For
                                each=move || grouped.get()
                                // A message that changed (edit, reaction, delete) is drawn anew.
                                key=|(m, first)| (m.clone(), *first)
                                children=move |(message, first_of_group)| {
                                    let me = me.clone();
    view! { <MessageItem message first_of_group me /> }
                                }
                            />
                        </ol>
                    </div>
                </div>
                <Show when=move || unseen.get()>
                    <button class="new-messages" type="button" on:click=move |_| scroll_to_newest()>
                        "New messages ↓"
                    </button>
                </Show>
                {move || action_error.get().map(|e| view! {
                    <p class="action-error error" role="alert">{e}
                        <button type="button" class="cancel" aria-label="Dismiss" on:click=move |_| action_error.set(None)>"×"</button>
                    </p>
                })}
                <div class="compose">
                    // Floats at the top of the room.
                    <button class="jump-unread" type="button" hidden=move || !divider_above.get()
                        on:click=move |_| {
                            if let Ok(Some(divider)) = document().query_selector(crate::components::message_list::FIRST_UNREAD) {
                                divider.scroll_into_view();
                            }
                        }>"↑ Jump to first unread"</button>
                    <p class="typing" id="typing-line" aria-live="polite"></p>
                    <Composer room=room.clone() title=opening.title.clone() next_id=opening.next_id on_sent error=post_error viewer drafting />
                </div>
            </main>
            <aside class="people-panel" aria-label="People here">
                <h2>"Here now"</h2>
                <div id="people-panel"></div>
            </aside>
            </div>
        }
}
