//! The browser side of a room's events WebSocket: connects with the last
//! sequence the tab has, hands on new messages and (as frames) the edits,
//! deletes and reactions, reconnects with backoff, reports its state.

use crate::components::live_state::LiveState;
use leptos::prelude::set_timeout;
use model::frame::FrameKind;
use model::message::ChatMessage;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

const MAX_BACKOFF_MS: f64 = 5000.0;

pub struct LiveFeed(Rc<Feed>);

type Handlers = (
    Closure<dyn FnMut(web_sys::Event)>,
    Closure<dyn FnMut(MessageEvent)>,
    Closure<dyn FnMut(CloseEvent)>,
);

struct Feed {
    room: String,
    last_seq: Box<dyn Fn() -> u64>,
    on_message: Box<dyn Fn(ChatMessage)>,
    on_change: Box<dyn Fn(String)>,
    on_state: Box<dyn Fn(LiveState)>,
    socket: RefCell<Option<WebSocket>>,
    handlers: RefCell<Option<Handlers>>,
    failures: Cell<u32>,
    stopped: Cell<bool>,
}

impl LiveFeed {
    pub fn start(
        room: String,
        last_seq: impl Fn() -> u64 + 'static,
        on_message: impl Fn(ChatMessage) + 'static,
        on_change: impl Fn(String) + 'static,
        on_state: impl Fn(LiveState) + 'static,
    ) -> Self {
        let feed = Rc::new(Feed {
            room,
            last_seq: Box::new(last_seq),
            on_message: Box::new(on_message),
            on_change: Box::new(on_change),
            on_state: Box::new(on_state),
            socket: RefCell::new(None),
            handlers: RefCell::new(None),
            failures: Cell::new(0),
            stopped: Cell::new(false),
        });
        connect(&feed);
        LiveFeed(feed)
    }

    /// Tells the room something about this tab (typing, idle); dropped
    /// while disconnected, as it would be stale by the reconnect.
    pub fn say(&self, text: &str) {
        if let Some(socket) = self.0.socket.borrow().as_ref()
            && socket.ready_state() == WebSocket::OPEN
        {
            let _ = socket.send_with_str(text);
        }
    }

    pub fn stop(&self) {
        self.0.stopped.set(true);
        if let Some(socket) = self.0.socket.borrow_mut().take() {
            let _ = socket.close();
        }
    }
}

/// The server's close code for a socket whose caller lost access.
const ACCESS_REVOKED: u16 = 4403;
/// The server's close code for a socket whose caller's login ended.
const IDENTITY_ENDED: u16 = 4401;

fn live_url(room: &str, after: u64) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().ok()?;
    // A guest is shown under the name it writes with.
    let name = crate::browser::saved_name()
        .map(|n| format!("&name={}", model::url::percent_encode(&n)))
        .unwrap_or_default();
    Some(format!(
        "{scheme}://{host}/api/rooms/{room}/events?after={after}{name}"
    ))
}

fn connect(feed: &Rc<Feed>) {
    if feed.stopped.get() {
        return;
    }
    let socket = live_url(&feed.room, (feed.last_seq)()).and_then(|url| WebSocket::new(&url).ok());
    let Some(socket) = socket else {
        retry_later(feed);
        return;
    };

    let on_open = {
        let feed = Rc::downgrade(feed);
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(feed) = feed.upgrade() {
                feed.failures.set(0);
                (feed.on_state)(LiveState::Live);
            }
        })
    };
    let on_message = {
        let feed = Rc::downgrade(feed);
        Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(feed) = feed.upgrade() else { return };
            if let Some(text) = ev.data().as_string() {
                // New messages are read here; every other frame is handed
                // on whole (the rarer edits, deletes and reactions are
                // decoded by code loaded on first use).
                if FrameKind::of(&text) == FrameKind::Message {
                    match serde_json::from_str::<ChatMessage>(&text) {
                        Ok(message) => (feed.on_message)(message),
                        Err(e) => leptos::logging::warn!("unreadable live frame: {e}"),
                    }
                } else {
                    (feed.on_change)(text);
                }
            }
        })
    };
    let on_close = {
        let feed = Rc::downgrade(feed);
        Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            // Access to the room ended (removed, banned), or the login did:
            // the page, loaded again, says so instead of retrying for ever.
            if ev.code() == ACCESS_REVOKED || ev.code() == IDENTITY_ENDED {
                if let Some(feed) = feed.upgrade() {
                    feed.stopped.set(true);
                }
                if let Some(window) = web_sys::window() {
                    let _ = window.location().reload();
                }
                return;
            }
            if let Some(feed) = feed.upgrade()
                && !feed.stopped.get()
            {
                (feed.on_state)(LiveState::Reconnecting);
                retry_later(&feed);
            }
        })
    };
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    *feed.handlers.borrow_mut() = Some((on_open, on_message, on_close));
    *feed.socket.borrow_mut() = Some(socket);
}

/// Exponential backoff with jitter, so a restarted server is not hit by
/// every tab at the same instant.
fn retry_later(feed: &Rc<Feed>) {
    let failures = feed.failures.get();
    feed.failures.set(failures.saturating_add(1));
    let base = (250.0 * 2f64.powi(failures.min(5) as i32)).min(MAX_BACKOFF_MS);
    let delay = base * (0.5 + js_sys::Math::random() / 2.0);
    let feed = Rc::clone(feed);
    set_timeout(move || connect(&feed), Duration::from_millis(delay as u64));
}
