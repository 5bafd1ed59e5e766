//! The message composer: display name (guests) or account, draft, send;
//! also where a reply is written, a message edited (↑ in an empty box,
//! Enter saves, Esc cancels) and `@names` completed.

use crate::components::account_bar::login_href;
use crate::components::room_actions::{RoomActions, registered_names, save_edit};
use crate::server_fns::{SendMessage, send_message};
use leptos::prelude::*;
use model::account::Viewer;
use model::message::{ChatMessage, DEFAULT_NAME, MAX_BODY_CHARS, MAX_NAME_CHARS};
use model::room::RoomName;
use server_fn::ServerFn;

#[component]
pub fn Composer(
    room: RoomName,
    /// What the room is called for people (`#name`, or `@name` for a DM).
    title: String,
    next_id: String,
    on_sent: Callback<ChatMessage>,
    /// What went wrong, or why the viewer cannot post (set by the page and
    /// its live socket too).
    error: RwSignal<Option<String>>,
    viewer: Viewer,
    /// Set to whether the draft has text (typing notices).
    #[prop(optional)]
    drafting: Option<RwSignal<bool>>,
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
    let name = RwSignal::new(
        typed_before_hydration("input[name=from]")
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_NAME.to_string()),
    );
    // What was typed while the page was still loading its code is kept:
    // hydrating the box would otherwise empty it.
    let draft = RwSignal::new(typed_before_hydration("textarea[name=body]").unwrap_or_default());
    let id = RwSignal::new(next_id.clone());
    let pending = RwSignal::new(false);
    // Enter while a send is in flight: the draft goes out once it is answered.
    let again = RwSignal::new(false);
    let actions = RoomActions::use_context();
    let (replying, editing) = match actions {
        Some(a) => (a.replying, a.editing),
        None => (RwSignal::new(None), RwSignal::new(None)),
    };
    if let Some(drafting) = drafting {
        Effect::new(move |_| drafting.set(draft.with(|d| !d.trim().is_empty())));
    }
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    // This message's formatting off: sent exactly as typed.
    let plain = RwSignal::new(false);
    let focus = move || {
        if let Some(el) = textarea.get_untracked() {
            let _ = el.focus();
        }
    };
    // A room opens ready to write in, on a wide screen (on a phone the
    // keyboard would cover the conversation), unless focus went elsewhere.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let wide = leptos::prelude::window()
            .inner_width()
            .ok()
            .and_then(|w| w.as_f64())
            .is_some_and(|w| w > 640.0);
        let idle = leptos::prelude::document()
            .active_element()
            .is_none_or(|el| el.tag_name().eq_ignore_ascii_case("body"));
        if wide
            && idle
            && let Some(el) = textarea.get_untracked()
        {
            let _ = el.focus();
        }
    });
    // Editing puts the message's text in the box; a reply or an edit
    // brings the box into focus.
    Effect::new(move |_| {
        let replying = replying.get().is_some();
        if let Some(seq) = editing.get()
            && let Some(actions) = actions
        {
            let body = actions
                .messages
                .with_untracked(|list| list.iter().find(|m| m.seq == seq).map(|m| m.body.clone()));
            draft.set(body.unwrap_or_default());
            focus();
        } else if replying {
            focus();
        }
    });
    let cancel = move || {
        if editing.get_untracked().is_some() {
            editing.set(None);
            draft.set(String::new());
        }
        replying.set(None);
    };

    // `@name` completion: names seen in the room, then registered ones.
    let suggestions = RwSignal::new(Vec::<String>::new());
    let suggest = move |text: &str| {
        let Some(prefix) = trailing_mention(text) else {
            suggestions.set(Vec::new());
            return;
        };
        let mut names: Vec<String> = actions
            .map(|a| {
                a.messages.with_untracked(|list| {
                    list.iter()
                        .rev()
                        .filter(|m| m.verified && starts_with_ignoring_case(&m.from, &prefix))
                        .map(|m| m.from.clone())
                        .collect()
                })
            })
            .unwrap_or_default();
        names.dedup();
        names.truncate(8);
        suggestions.set(names);
        leptos::task::spawn_local(async move {
            let registered = registered_names(prefix.clone()).await;
            if trailing_mention(&draft.get_untracked()).as_deref() != Some(prefix.as_str()) {
                return;
            }
            suggestions.update(|names| {
                for name in registered {
                    if !names.contains(&name) && names.len() < 8 {
                        names.push(name);
                    }
                }
            });
        });
    };
    let complete = move |name: String| {
        complete_mention(draft, suggestions, &name);
        focus();
    };
    let context_shown = Memo::new(move |_| {
        replying.with(Option::is_some)
            || editing.with(Option::is_some)
            || suggestions.with(|s| !s.is_empty())
    });

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
        if let (Some(seq), Some(actions)) = (editing.get_untracked(), actions) {
            leptos::task::spawn_local(async move {
                match save_edit(actions, seq, draft.get_untracked()).await {
                    Ok(()) => {
                        error.set(None);
                        draft.set(String::new());
                    }
                    Err(e) => error.set(Some(e)),
                }
                pending.set(false);
            });
            return;
        }
        // One send at a time, in the order they were asked for.
        leptos::task::spawn_local(async move {
            loop {
                again.set(false);
                let body = draft.get_untracked();
                if body.trim().is_empty() {
                    break;
                }
                let (message_id, from) = (id.get_untracked(), name.get_untracked());
                let reply_to = replying.get_untracked();
                let as_typed = plain.get_untracked().then(|| "on".to_owned());
                match send_message(
                    room.clone(),
                    message_id,
                    from,
                    body.clone(),
                    reply_to,
                    as_typed,
                )
                .await
                {
                    Ok(message) => {
                        error.set(None);
                        replying.set(None);
                        plain.set(false);
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
        // Reply and edit bars and `@` suggestions: drawn by code loaded
        // the first time one is needed.
        {move || context_shown.get().then_some(()).and(actions).map(|actions| view! {
            <Suspense fallback=|| ()>
                {move || Suspend::new(composer_context(actions, draft, suggestions))}
            </Suspense>
        })}
        <form class="composer" id="composer" tabindex="-1" method="post" action=SendMessage::url()
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
            <textarea name="body" rows="1" aria-label="Message" required dir="auto" node_ref=textarea
                placeholder=format!("Message {title}") maxlength=MAX_BODY_CHARS.to_string()
                prop:value=move || draft.get()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    suggest(&text);
                    draft.set(text);
                }
                on:keydown=move |ev| {
                    let key = ev.key();
                    if key == "Tab" && let Some(first) = suggestions.get_untracked().first().cloned() {
                        ev.prevent_default();
                        complete(first);
                    } else if key == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        suggestions.set(Vec::new());
                        submit_on_enter();
                    } else if key == "Escape" {
                        suggestions.set(Vec::new());
                        cancel();
                    } else if key == "ArrowUp"
                        && draft.with_untracked(|d| d.is_empty())
                        && editing.get_untracked().is_none()
                        && let Some(seq) = actions.and_then(|a| a.last_mine())
                    {
                        ev.prevent_default();
                        if let Some(actions) = actions {
                            actions.edit(seq);
                        }
                    }
                }></textarea>
            <label class="plain-toggle" title="Send this message exactly as typed, without formatting">
                <input type="checkbox" name="plain" value="on" prop:checked=move || plain.get()
                    on:change=move |ev| plain.set(event_target_checked(&ev)) />
                "Plain"
            </label>
            <button type="submit" disabled=move || pending.get()>"Send"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="send-error error" role="alert">{e}</p> })}
    }
    .into_any()
}

/// Puts `@name ` in place of the `@…` being typed.
fn complete_mention(draft: RwSignal<String>, suggestions: RwSignal<Vec<String>>, name: &str) {
    draft.update(|text| {
        if let Some(at) = text.rfind('@') {
            text.truncate(at);
            text.push('@');
            text.push_str(name);
            text.push(' ');
        }
    });
    suggestions.set(Vec::new());
}

/// What the composer is doing besides writing a new message: replying,
/// editing, completing a name.
#[cfg_attr(not(wasm_unsplit), leptos::lazy)]
async fn composer_context(
    actions: RoomActions,
    draft: RwSignal<String>,
    suggestions: RwSignal<Vec<String>>,
) -> AnyView {
    let (replying, editing) = (actions.replying, actions.editing);
    view! {
        {move || replying.get().and_then(|seq| actions.quote_of(seq)).map(|(from, excerpt)| view! {
            <div class="composer-context replying" role="status">
                "Replying to "<strong>{from}</strong>": "<span class="excerpt">{excerpt}</span>
                <button type="button" class="cancel" aria-label="Cancel reply" on:click=move |_| replying.set(None)>"×"</button>
            </div>
        })}
        {move || editing.get().map(|_| view! {
            <div class="composer-context editing" role="status">
                "Editing message: Enter saves, Esc cancels"
                <button type="button" class="cancel" aria-label="Cancel edit"
                    on:click=move |_| {
                        editing.set(None);
                        draft.set(String::new());
                    }>"×"</button>
            </div>
        })}
        {move || {
            let names = suggestions.get();
            (!names.is_empty()).then(|| view! {
                <ul class="mention-suggestions" role="listbox" aria-label="Mention">
                    {names.into_iter().map(|name| {
                        let shown = format!("@{name}");
                        view! {
                            <li role="option">
                                <button type="button"
                                    on:click=move |_| complete_mention(draft, suggestions, &name)>{shown}</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })
        }}
    }
    .into_any()
}

/// The name being typed after a trailing `@`, if the draft ends in one.
fn trailing_mention(text: &str) -> Option<String> {
    let at = text.rfind('@')?;
    let before_ok = text[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    let name = &text[at + 1..];
    (before_ok && !name.is_empty() && name.bytes().all(model::alphabet::is_plain_byte))
        .then(|| name.to_owned())
}

fn starts_with_ignoring_case(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
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

/// The value of the composer's field `selector` as the page shows it before
/// hydration (what was typed while the code loaded), without the newline
/// an Enter pressed then added; `None` on the server.
fn typed_before_hydration(selector: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let field = leptos::prelude::document()
            .query_selector(&format!(".composer {selector}"))
            .ok()
            .flatten()?;
        let value = if let Some(area) = field.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            area.value()
        } else {
            field.dyn_ref::<web_sys::HtmlInputElement>()?.value()
        };
        Some(value.trim_end_matches('\n').to_owned()).filter(|v| !v.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = selector;
        None
    }
}
