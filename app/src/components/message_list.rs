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
pub fn MessageItem(message: ChatMessage, first_of_group: bool) -> impl IntoView {
    let class = if first_of_group {
        "message first"
    } else {
        "message"
    };
    // An account's chosen colour, else a colour derived from the name.
    let style = match &message.color {
        Some(color) => format!("--name-color:{color}"),
        None => format!("--hue:{}", name_hue(&message.from)),
    };
    let (verified, emoji) = (message.verified, message.emoji.clone());
    view! {
        <li class=class data-seq=message.seq.to_string() style=style>
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
            // Text nodes only: a body is never parsed as HTML.
            <p class="body">{message.body}</p>
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
            verified: false,
            color: None,
            emoji: None,
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
