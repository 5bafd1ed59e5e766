//! Who is in the room and who is typing, in the browser: folds the events
//! socket's presence and typing frames (decoded by code loaded with the
//! first one), says when this tab types (at most every 3 s, and a stop),
//! and when it has been idle for 5 minutes.

use crate::browser::live_feed::LiveFeed;
use crate::components::here::Here;
use leptos::lazy;
use leptos::prelude::*;
use model::presence::{AwarenessFrame, IDLE_AFTER_S, TYPING_EVERY_S, TYPING_EXPIRES_S};
use std::sync::Arc;
use std::time::Duration;

/// Folds one presence or typing frame; `me` is never shown as typing.
#[lazy]
pub fn apply_awareness(here: Here, me: Option<String>, frame: String) {
    match serde_json::from_str::<AwarenessFrame>(&frame) {
        Ok(AwarenessFrame::Presence { people }) => here.people.set(people),
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
        Err(_) => {}
    }
}

/// What the composer calls as its draft changes: `true` goes out at most
/// every 3 s, `false` once when the draft is sent or cleared.
pub fn typing_notices(feed: Arc<send_wrapper::SendWrapper<LiveFeed>>) -> Callback<bool> {
    let last = std::sync::Mutex::new(None::<f64>);
    Callback::new(move |typing: bool| {
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        let now = js_sys::Date::now();
        if typing {
            if last.is_some_and(|at| now - at < (TYPING_EVERY_S * 1000) as f64) {
                return;
            }
            *last = Some(now);
            feed.say(r#"{"typing":true}"#);
        } else if last.take().is_some() {
            feed.say(r#"{"typing":false}"#);
        }
    })
}

/// Says `idle` after 5 minutes without a key or pointer, and `online`
/// with the next one.
pub fn watch_idle(feed: Arc<send_wrapper::SendWrapper<LiveFeed>>) {
    let last_input = Arc::new(send_wrapper::SendWrapper::new(std::cell::Cell::new(
        js_sys::Date::now(),
    )));
    let idle = Arc::new(send_wrapper::SendWrapper::new(std::cell::Cell::new(false)));
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
        if let Ok(check) = check {
            check.clear();
        }
    });
}
