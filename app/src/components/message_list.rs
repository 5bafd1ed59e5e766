//! The messages of a room: grouped by sender, each with its local time.

use crate::components::local_time::LocalTime;
use leptos::prelude::*;
use model::look::name_hue;
use model::message::ChatMessage;

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
    let mentioned = me.is_some_and(|me| message.mentions_account(&me));
    let quote = message.reply_to.clone().map(|quote| {
        let text = match quote.gone.as_deref() {
            Some("deleted") => "Original message was deleted".to_owned(),
            Some(_) => "Original message is no longer available".to_owned(),
            None => quote.excerpt.clone(),
        };
        view! {
            <a class="reply-quote" href=format!("#m-{}", quote.seq) data-target=quote.seq.to_string()>
                <span class="quoted-from">{quote.from}</span>" "
                <span class="excerpt" class:gone=quote.gone.is_some()>{text}</span>
            </a>
        }
    });
    let reactions = (!message.reactions.is_empty()).then(|| {
        view! {
            <ul class="reactions">
                {message.reactions.iter().map(|r| view! {
                    <li class="reaction" class:me=r.me data-emoji=r.emoji.clone()>
                        {r.emoji.clone()}" "<span class="count">{r.count}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    });
    let edited = message.edited_at.is_some();
    let deleted = message.deleted;
    // An account's chosen colour, else a colour derived from the name.
    let style = match &message.color {
        Some(color) => format!("--name-color:{color}"),
        None => format!("--hue:{}", name_hue(&message.from)),
    };
    let (verified, emoji) = (message.verified, message.emoji.clone());
    view! {
        <li class=class id=format!("m-{}", message.seq) data-seq=message.seq.to_string() style=style
            class:mentioned=mentioned class:deleted=deleted>
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
        </li>
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
