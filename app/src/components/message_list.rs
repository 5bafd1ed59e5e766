//! The messages of a room: grouped by sender, each with its local time.

use crate::components::local_time::LocalTime;
use crate::components::room_actions::RoomActions;
use crate::server_fns::{emoji_choices, who_reacted};
use leptos::prelude::*;
use model::look::name_hue;
use model::message::ChatMessage;
use model::reaction::QUICK_REACTIONS;

/// Consecutive messages from one sender within this many seconds share a header.
const GROUP_SECONDS: i64 = 5 * 60;

fn seconds_of(ts: &str) -> Option<i64> {
    // "YYYY-MM-DDTHH:MM:SS": enough for grouping; no date library in the bundle.
    let day: i64 = ts.get(0..10)?.replace('-', "").parse().ok()?;
    let h: i64 = ts.get(11..13)?.parse().ok()?;
    let m: i64 = ts.get(14..16)?.parse().ok()?;
    let s: i64 = ts.get(17..19)?.parse().ok()?;
    Some(day * 100_000 + h * 3600 + m * 60 + s)
}

/// Whether `message` starts a new group after `previous`.
pub fn starts_group(previous: Option<&ChatMessage>, message: &ChatMessage) -> bool {
    let Some(previous) = previous else {
        return true;
    };
    if previous.from != message.from || previous.verified != message.verified {
        return true;
    }
    match (seconds_of(&previous.ts), seconds_of(&message.ts)) {
        (Some(a), Some(b)) => b - a > GROUP_SECONDS,
        _ => true,
    }
}

#[component]
pub fn MessageItem(
    message: ChatMessage,
    first_of_group: bool,
    /// The viewer's account name: its mentions are highlighted.
    me: Option<String>,
) -> impl IntoView {
    let class = if first_of_group {
        "message first"
    } else {
        "message"
    };
    let actions = RoomActions::use_context();
    let mentioned = me.is_some_and(|me| message.mentions_account(&me));
    let mine = actions.is_some_and(|a| a.is_mine(&message));
    let seq = message.seq;
    let highlighted = move || actions.is_some_and(|a| a.highlighted.get() == Some(seq));
    let quote = message.reply_to.clone().map(|quote| {
        let text = match quote.gone.as_deref() {
            Some("deleted") => "Original message was deleted".to_owned(),
            Some(_) => "Original message is no longer available".to_owned(),
            None => quote.excerpt.clone(),
        };
        let target = quote.seq;
        view! {
            <a class="reply-quote" href=format!("#m-{target}") data-target=target.to_string()
                on:click=move |ev| {
                    if let Some(actions) = actions {
                        ev.prevent_default();
                        actions.jump.run(target);
                    }
                }>
                <span class="quoted-from">{quote.from}</span>" "
                <span class="excerpt" class:gone=quote.gone.is_some()>{text}</span>
            </a>
        }
    });
    let names = RwSignal::new(None::<Vec<(String, String)>>);
    let load_names = move || {
        let Some(actions) = actions else { return };
        if names.get_untracked().is_some() {
            return;
        }
        names.set(Some(Vec::new()));
        leptos::task::spawn_local(async move {
            if let Ok(list) = who_reacted(actions.room.get_value(), seq).await {
                names.set(Some(
                    list.reactions
                        .into_iter()
                        .map(|r| (r.emoji, r.names.join(", ")))
                        .collect(),
                ));
            }
        });
    };
    let reactions = (!message.reactions.is_empty()).then(|| {
        view! {
            <ul class="reactions" on:mouseenter=move |_| load_names() on:focusin=move |_| load_names()>
                {message.reactions.iter().map(|r| {
                    let (emoji, me) = (r.emoji.clone(), r.me);
                    let label = format!("{} {}", r.emoji, r.count);
                    let who = {
                        let emoji = emoji.clone();
                        move || names.with(|n| n.as_ref().and_then(|n| {
                            n.iter().find(|(e, _)| *e == emoji).map(|(_, who)| who.clone())
                        }))
                    };
                    view! {
                        <li>
                            <button type="button" class="reaction" class:me=me data-emoji=emoji.clone()
                                aria-pressed=me.to_string() aria-label=label title=who
                                on:click=move |_| if let Some(a) = actions { a.react(seq, emoji.clone(), !me) }>
                                {r.emoji.clone()}" "<span class="count">{r.count}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    });
    let edited = message.edited_at.is_some();
    let deleted = message.deleted;
    let toolbar = (!deleted && actions.is_some()).then(|| {
        let actions = actions.expect("checked");
        let reacted: Vec<String> = message
            .reactions
            .iter()
            .filter(|r| r.me)
            .map(|r| r.emoji.clone())
            .collect();
        let for_reply = message.clone();
        view! {
            <div class="actions" role="toolbar" aria-label="Message actions">
                {QUICK_REACTIONS.iter().map(|emoji| {
                    let on = !reacted.iter().any(|r| r == emoji);
                    view! {
                        <button type="button" class="quick-react" aria-label=format!("React with {emoji}")
                            on:click=move |_| actions.react(seq, (*emoji).to_owned(), on)>{*emoji}</button>
                    }
                }).collect_view()}
                <button type="button" class="more-emoji" aria-label="More emoji"
                    on:click=move |_| actions.picking.update(|p| *p = if *p == Some(seq) { None } else { Some(seq) })>"＋"</button>
                <button type="button" class="reply" on:click=move |_| actions.reply_to(&for_reply)>"Reply"</button>
                {mine.then(|| view! {
                    <button type="button" class="edit" on:click=move |_| actions.edit(seq)>"Edit"</button>
                    <button type="button" class="delete" on:click=move |_| actions.delete(seq)>"Delete"</button>
                })}
            </div>
            {move || (actions.picking.get() == Some(seq)).then(|| view! { <EmojiPicker seq /> })}
        }
    });
    // An account's chosen colour, else a colour derived from the name.
    let style = match &message.color {
        Some(color) => format!("--name-color:{color}"),
        None => format!("--hue:{}", name_hue(&message.from)),
    };
    let (verified, emoji) = (message.verified, message.emoji.clone());
    view! {
        <li class=class id=format!("m-{}", message.seq) data-seq=message.seq.to_string() style=style
            tabindex="0" class:mentioned=mentioned class:deleted=deleted class:mine=mine
            class:highlighted=highlighted>
            {first_of_group.then(|| view! {
                <div class="meta">
                    <span class="from" class:verified=verified>
                        {emoji.map(|e| view! { <span class="emoji">{e}" "</span> })}
                        {message.from.clone()}
                    </span>
                    {verified.then(|| view! {
                        <span class="badge" title="Registered account">"✓"</span>
                    })}
                    <LocalTime ts=message.ts.clone() />
                </div>
            })}
            {quote}
            // Text nodes only: a body is never parsed as HTML.
            {if deleted {
                view! { <p class="body tombstone">"message deleted"</p> }.into_any()
            } else {
                view! {
                    <p class="body">{message.body}
                        {edited.then(|| view! { " "<span class="edited" title="edited">"(edited)"</span> })}
                    </p>
                }.into_any()
            }}
            {reactions}
            {toolbar}
        </li>
    }
}

/// Every emoji to react with; its list is loaded when first opened.
#[component]
fn EmojiPicker(seq: u64) -> impl IntoView {
    let actions = RoomActions::use_context();
    let choices = Resource::new(|| (), |_| emoji_choices());
    view! {
        <div class="emoji-picker" role="dialog" aria-label="Pick an emoji">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = choices.await.unwrap_or_default();
                    list.into_iter().map(|emoji| {
                        let label = format!("Pick {emoji}");
                        let shown = emoji.clone();
                        view! {
                            <button type="button" aria-label=label
                                on:click=move |_| if let Some(a) = actions { a.react(seq, emoji.clone(), true) }>
                                {shown}
                            </button>
                        }
                    }).collect_view()
                })}
            </Suspense>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(from: &str, ts: &str) -> ChatMessage {
        ChatMessage {
            seq: 1,
            id: "x".into(),
            room: "r".into(),
            from: from.into(),
            body: "b".into(),
            ts: ts.into(),
            ..ChatMessage::default()
        }
    }

    #[test]
    fn groups_consecutive_messages_of_one_sender() {
        let a = msg("ann", "2026-01-01T10:00:00.000Z");
        let b = msg("ann", "2026-01-01T10:04:00.000Z");
        let c = msg("bob", "2026-01-01T10:04:30.000Z");
        let late = msg("ann", "2026-01-01T10:20:00.000Z");
        assert!(starts_group(None, &a));
        assert!(!starts_group(Some(&a), &b));
        assert!(starts_group(Some(&b), &c));
        assert!(starts_group(Some(&b), &late));
    }
}
