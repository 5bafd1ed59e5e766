//! The message composer: display name (guests) or account, draft, send.

use crate::components::account_bar::login_href;
use crate::server_fns::{SendMessage, send_message};
use leptos::prelude::*;
use model::account::Viewer;
use model::message::{ChatMessage, DEFAULT_NAME, MAX_BODY_CHARS, MAX_NAME_CHARS};
use model::room::RoomName;
use server_fn::ServerFn;

#[component]
pub fn Composer(
    room: RoomName,
    next_id: String,
    on_sent: Callback<ChatMessage>,
    form_error: Option<String>,
    viewer: Viewer,
) -> impl IntoView {
    if !viewer.may_write() {
        let login = login_href(&format!("/r/{room}"));
        return view! {
            <p class="composer login-to-write">
                <a href=login rel="external">"Log in"</a>" to write in this room."
            </p>
        }
        .into_any();
    }
    let account = viewer.account;
    let name = RwSignal::new(DEFAULT_NAME.to_string());
    let draft = RwSignal::new(String::new());
    let id = RwSignal::new(next_id.clone());
    let pending = RwSignal::new(false);
    // Enter while a send is in flight: the draft goes out once it is answered.
    let again = RwSignal::new(false);
    let error = RwSignal::new(form_error);

    // The saved name is only known in the browser: read it after hydration.
    let guest = account.is_none();
    Effect::new(move |_| {
        if guest && let Some(saved) = saved_name() {
            name.set(saved);
        }
    });

    let room_name = room.to_string();
    let submit = move || {
        if pending.get_untracked() {
            again.set(true);
            return;
        }
        if draft.get_untracked().trim().is_empty() {
            return;
        }
        pending.set(true);
        let room = room_name.clone();
        // One send at a time, in the order they were asked for.
        leptos::task::spawn_local(async move {
            loop {
                again.set(false);
                let body = draft.get_untracked();
                if body.trim().is_empty() {
                    break;
                }
                let (message_id, from) = (id.get_untracked(), name.get_untracked());
                match send_message(room.clone(), message_id, from, body.clone()).await {
                    Ok(message) => {
                        error.set(None);
                        on_sent.run(message);
                        if draft.get_untracked() == body {
                            draft.set(String::new());
                        }
                        id.set(fresh_id());
                    }
                    // The draft and its id stay: a retry cannot store it twice.
                    Err(e) => {
                        error.set(Some(e.to_string()));
                        break;
                    }
                }
                if !again.get_untracked() {
                    break;
                }
            }
            pending.set(false);
        });
    };
    let submit_on_enter = submit.clone();

    view! {
        <form class="composer" method="post" action=SendMessage::url()
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }>
            <input type="hidden" name="room" value=room.to_string() />
            <input type="hidden" name="id" value=next_id prop:value=move || id.get() />
            {match account {
                // The server sets an account's name; this one is only shown.
                Some(account) => view! {
                    <input type="hidden" name="from" value=account.clone() />
                    <span class="name as-account" title="You write as your account">{account}</span>
                }
                .into_any(),
                None => view! {
                    <input class="name" name="from" aria-label="Your name" autocomplete="nickname"
                        maxlength=MAX_NAME_CHARS.to_string() required
                        value=DEFAULT_NAME prop:value=move || name.get()
                        on:input=move |ev| {
                            let value = event_target_value(&ev);
                            save_name(&value);
                            name.set(value);
                        } />
                }
                .into_any(),
            }}
            <textarea name="body" rows="1" aria-label="Message" required
                placeholder=format!("Message #{room}") maxlength=MAX_BODY_CHARS.to_string()
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        submit_on_enter();
                    }
                }></textarea>
            <button type="submit" disabled=move || pending.get()>"Send"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="send-error error" role="alert">{e}</p> })}
    }
    .into_any()
}

#[cfg(feature = "hydrate")]
use crate::browser::{fresh_message_id as fresh_id, save_name, saved_name};

// On the server nothing is saved and no id is made: the page renders the
// server's id, and the browser takes over after hydration.
#[cfg(not(feature = "hydrate"))]
fn saved_name() -> Option<String> {
    None
}

#[cfg(not(feature = "hydrate"))]
fn save_name(_name: &str) {}

#[cfg(not(feature = "hydrate"))]
fn fresh_id() -> String {
    String::new()
}
