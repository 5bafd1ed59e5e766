//! The room page's awareness, loaded after the page: who is here and who
//! is typing (frames of the events socket), this tab's typing notices (at
//! most every 3 s, and a stop) and idle state (5 minutes without input),
//! the read position (moved as messages are seen: the newest in view while
//! the tab is visible) and the tab title, `(N) #room – Chat` with N
//! messages for me unread and `•` for other unread ones.

use crate::browser::live_feed::LiveFeed;
use crate::browser::{storage_get, storage_set};
use crate::components::here::Here;
use crate::components::live_state::LiveState;
use leptos::prelude::*;
use model::frame::FrameKind;
use model::message::ChatMessage;
use model::presence::{AwarenessFrame, IDLE_AFTER_S, TYPING_EVERY_S, TYPING_EXPIRES_S};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

pub type Feed = std::sync::Arc<send_wrapper::SendWrapper<LiveFeed>>;

/// What the room page hands over.
pub struct RoomView {
    pub room: String,
    pub me: Option<String>,
    pub messages: RwSignal<Vec<ChatMessage>>,
    pub at_bottom: RwSignal<bool>,
    /// The read position as this tab knows it.
    pub read: RwSignal<u64>,
    /// Where the "new messages" divider is (set here for a guest).
    pub first_unread: RwSignal<Option<u64>>,
    /// Whether the composer's draft has text.
    pub drafting: RwSignal<bool>,
    pub live: RwSignal<LiveState>,
    pub scroller: NodeRef<leptos::html::Div>,
    /// Whether the divider is above the view (a control jumps to it).
    pub divider_above: RwSignal<bool>,
    /// The composer's error line: why the viewer cannot post, as the
    /// socket tells it when a moderator acts.
    pub post_error: RwSignal<Option<String>>,
    /// Takes in a message from the socket.
    pub receive: Callback<ChatMessage>,
}

/// Follows the room's events socket and starts everything above; it all
/// stops with the page.
#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
pub async fn follow(view: RoomView) {
    let RoomView {
        room,
        me,
        messages,
        at_bottom,
        read,
        first_unread,
        drafting,
        live,
        scroller,
        divider_above,
        post_error,
        receive,
    } = view;
    let check_divider = move || {
        if let Some(el) = scroller.get_untracked() {
            divider_above.set(is_above(&el, crate::components::message_list::FIRST_UNREAD));
        }
    };
    Effect::new(move |_| {
        first_unread.track();
        request_animation_frame(check_divider);
    });
    let scrolled = Closure::<dyn Fn()>::new(check_divider);
    if let Some(el) = scroller.get_untracked() {
        let _ = el.add_event_listener_with_callback("scroll", scrolled.as_ref().unchecked_ref());
    }
    // Lives as long as the list it listens to (which goes with the page).
    scrolled.forget();
    let here = Here {
        people: RwSignal::new(Vec::new()),
        count: RwSignal::new(0),
        typists: RwSignal::new(Vec::new()),
        read,
    };
    // The newest sequence this tab has of the room's messages and events:
    // where the events socket resumes.
    let cursor = Rc::new(Cell::new(
        messages.with_untracked(|list| list.last().map_or(0, |m| m.seq)),
    ));
    let (resume_from, new_seq, changed_seq) = (cursor.clone(), cursor.clone(), cursor);
    let frame_me = me.clone();
    // The room list beside the room, fetched anew on a mention elsewhere,
    // and how many mentions wait in the other rooms.
    let rooms_stale = RwSignal::new(0u32);
    let mentions_elsewhere = RwSignal::new(0u64);
    let feed = LiveFeed::start(
        room.clone(),
        move || resume_from.get(),
        move |message| {
            new_seq.set(new_seq.get().max(message.seq));
            receive.run(message);
        },
        move |frame: String| {
            let (cursor, me) = (changed_seq.clone(), frame_me.clone());
            let kind = FrameKind::of(&frame);
            match kind {
                // A mention in another room: its badge and the title now.
                FrameKind::Mention => {
                    rooms_stale.update(|n| *n += 1);
                    return;
                }
                FrameKind::Presence | FrameKind::Typing | FrameKind::Read => {
                    apply_awareness(here, me, frame);
                    return;
                }
                FrameKind::Standing => {
                    if let Ok(standing) =
                        serde_json::from_str::<model::room_policy::StandingFrame>(&frame)
                    {
                        post_error.set(standing.cannot_post);
                    }
                    return;
                }
                _ if !kind.is_room_event() => return,
                _ => {}
            }
            leptos::task::spawn_local(async move {
                let applied = crate::browser::live_changes::apply_change(messages, me, frame).await;
                if let Some(seq) = applied {
                    cursor.set(cursor.get().max(seq));
                }
            });
        },
        move |state| live.set(state),
    );
    let feed: Feed = std::sync::Arc::new(send_wrapper::SendWrapper::new(feed));
    // The page's parts that only mean something live, drawn into the
    // places the server left for them.
    let sidebar_room = room.clone();
    let notify_room = room.clone();
    let mounted = send_wrapper::SendWrapper::new((
        mount_into("room-sidebar", move || {
            view! {
                <crate::components::room_sidebar::RoomSidebar current=sidebar_room
                    stale=rooms_stale elsewhere=mentions_elsewhere />
            }
        }),
        mount_into("header-extras", move || {
            view! {
                <crate::components::here::People here />
                <crate::components::notify_level::NotifyLevel room=notify_room />
            }
        }),
        mount_into("typing-line", move || {
            view! { <crate::components::here::TypingLine here /> }
        }),
        mount_into("people-panel", move || {
            view! { <crate::components::here::PeopleList here /> }
        }),
    ));
    {
        let feed = feed.clone();
        on_cleanup(move || {
            feed.stop();
            drop(mounted);
        });
    }

    // A guest's read position is kept in this browser.
    let keep = me.is_some();
    let stored_key = format!("chat.read.{room}");
    if !keep && let Some(stored) = storage_get(&stored_key).and_then(|v| v.parse::<u64>().ok()) {
        read.set(stored);
        first_unread
            .set(messages.with_untracked(|list| model::history::first_unread(list, stored, None)));
    }
    crate::browser::notices::start(&room, me.clone(), messages, read);
    let visible = RwSignal::new(!document().hidden());
    let on_visibility = Closure::<dyn Fn()>::new(move || visible.set(!document().hidden()));
    let _ = document().add_event_listener_with_callback(
        "visibilitychange",
        on_visibility.as_ref().unchecked_ref(),
    );
    let on_visibility = send_wrapper::SendWrapper::new(on_visibility);

    // Seen: the newest message while at the bottom of a visible tab.
    Effect::new(move |_| {
        let newest = messages.with(|list| list.last().map_or(0, |m| m.seq));
        if visible.get() && at_bottom.get() && newest > read.get_untracked() {
            read.set(newest);
            if keep {
                let room = room.clone();
                // A lost mark is made again by the next one.
                leptos::task::spawn_local(async move {
                    let _ = crate::browser::api::mark_read(&room, newest, false).await;
                });
            } else {
                storage_set(&stored_key, &newest.to_string());
            }
        }
    });

    let title_room = document().title();
    Effect::new(move |_| {
        let read = read.get();
        let me = me.as_deref().unwrap_or_default();
        let (for_me, other) = messages.with(|list| {
            list.iter()
                .filter(|m| m.seq > read && !m.mine && !m.is_by_account(me))
                .fold((0, 0), |(f, o), m| {
                    if !me.is_empty() && m.is_for(me) {
                        (f + 1, o)
                    } else {
                        (f, o + 1)
                    }
                })
        });
        let for_me = for_me + mentions_elsewhere.get();
        let title = match (for_me, other) {
            (0, 0) => title_room.clone(),
            (0, _) => format!("• {title_room}"),
            (n, _) => format!("({n}) {title_room}"),
        };
        document().set_title(&title);
    });

    // Typing: `true` at most every 3 s while the draft has text, one stop.
    let last_typing = Rc::new(Cell::new(None::<f64>));
    let typing_feed = feed.clone();
    let typing = send_wrapper::SendWrapper::new(last_typing);
    Effect::new(move |_| {
        let now = js_sys::Date::now();
        if drafting.get() {
            if typing
                .get()
                .is_some_and(|at| now - at < (TYPING_EVERY_S * 1000) as f64)
            {
                return;
            }
            typing.set(Some(now));
            typing_feed.say(r#"{"typing":true}"#);
        } else if typing.replace(None).is_some() {
            typing_feed.say(r#"{"typing":false}"#);
        }
    });
    // The draft keeps changing while one types: say it again every 3 s.
    let again = set_interval_with_handle(
        move || {
            if drafting.get_untracked() {
                drafting.set(true);
            }
        },
        Duration::from_secs(TYPING_EVERY_S),
    );

    // Idle after 5 minutes without a key or pointer; back with the next.
    let last_input = send_wrapper::SendWrapper::new(Rc::new(Cell::new(js_sys::Date::now())));
    let idle = send_wrapper::SendWrapper::new(Rc::new(Cell::new(false)));
    let on_input = {
        let (feed, last_input, idle) = (feed.clone(), last_input.clone(), idle.clone());
        move || {
            last_input.set(js_sys::Date::now());
            if idle.replace(false) {
                feed.say(r#"{"presence":"online"}"#);
            }
        }
    };
    let keys = window_event_listener(leptos::ev::keydown, {
        let on_input = on_input.clone();
        move |_| on_input()
    });
    let pointer = window_event_listener(leptos::ev::pointerdown, move |_| on_input());
    let check = set_interval_with_handle(
        move || {
            if !idle.get() && js_sys::Date::now() - last_input.get() > (IDLE_AFTER_S * 1000) as f64
            {
                idle.set(true);
                feed.say(r#"{"presence":"idle"}"#);
            }
        },
        Duration::from_secs(30),
    );
    on_cleanup(move || {
        keys.remove();
        pointer.remove();
        for interval in [check, again].into_iter().flatten() {
            interval.clear();
        }
        let _ = document().remove_event_listener_with_callback(
            "visibilitychange",
            on_visibility.as_ref().unchecked_ref(),
        );
    });
}

/// Folds one presence, typing or read frame; `me` is never shown as typing.
fn apply_awareness(here: Here, me: Option<String>, frame: String) {
    match serde_json::from_str::<AwarenessFrame>(&frame) {
        Ok(AwarenessFrame::Presence { people, count }) => {
            here.people.set(people);
            here.count.set(count);
        }
        // Another tab or device of the account read on (or marked unread).
        Ok(AwarenessFrame::Read { seq, .. }) => here.read.set(seq),
        Ok(AwarenessFrame::Typing { from, on, .. }) => {
            if me.as_deref() == Some(from.as_str()) {
                return;
            }
            let lapses = js_sys::Date::now() + (TYPING_EXPIRES_S * 1000) as f64;
            here.typists.update(|typists| {
                typists.retain(|(name, _)| *name != from);
                if on {
                    typists.push((from, lapses));
                }
            });
            // A typist that goes quiet is forgotten once its entry lapses.
            set_timeout(
                move || {
                    let now = js_sys::Date::now();
                    here.typists
                        .update(|t| t.retain(|(_, lapses)| *lapses > now));
                },
                Duration::from_millis(TYPING_EXPIRES_S * 1000 + 50),
            );
        }
        // Taken before it gets here (the room list is fetched anew).
        Ok(AwarenessFrame::Mention { .. }) | Err(_) => {}
    }
}

/// Renders `view` into the element `id` until the handle drops.
fn mount_into<V: IntoView + 'static>(
    id: &str,
    view: impl FnOnce() -> V + 'static,
) -> Option<leptos::mount::UnmountHandle<V::State>> {
    let parent = document()
        .get_element_by_id(id)?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()?;
    Some(leptos::mount::mount_to(parent, view))
}

/// Whether the element `selector` finds is above the scroller's view.
fn is_above(scroller: &web_sys::HtmlDivElement, selector: &str) -> bool {
    let Ok(Some(el)) = document().query_selector(selector) else {
        return false;
    };
    el.get_bounding_client_rect().bottom() < scroller.get_bounding_client_rect().top()
}
