//! How messages look wherever they are shown: a name's colour is derived
//! from the name alone, and consecutive messages of one author share a
//! header, so the web page and a terminal agree without asking.

use crate::message::ChatMessage;

/// Consecutive messages from one author within this many seconds share a header.
pub const GROUP_SECONDS: i64 = 5 * 60;

/// A stable hue (0–359) for a name: the same name has the same colour
/// everywhere.
pub fn name_hue(name: &str) -> u32 {
    fnv1a(name) % 360
}

/// FNV-1a: tiny, and identical on the server, in the browser and in a terminal.
fn fnv1a(name: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Tones per hue: names of close hues still differ in lightness.
pub const NAME_TONES: u32 = 3;

/// How a name is drawn when its account chose no colour: a hue and one of
/// [`NAME_TONES`] lightness steps (the page's style sheet turns them into
/// a colour with enough contrast on the light and the dark background).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameLook {
    pub hue: u32,
    pub tone: u32,
}

pub fn name_look(name: &str) -> NameLook {
    let hash = fnv1a(name);
    NameLook {
        hue: hash % 360,
        tone: (hash / 360) % NAME_TONES,
    }
}

/// Whether `message` starts a new group (a header with name and time)
/// after `previous`.
pub fn starts_group(previous: Option<&ChatMessage>, message: &ChatMessage) -> bool {
    let Some(previous) = previous else {
        return true;
    };
    if previous.from != message.from
        || previous.verified != message.verified
        || previous.via != message.via
    {
        return true;
    }
    match (seconds_of(&previous.ts), seconds_of(&message.ts)) {
        (Some(a), Some(b)) => b - a > GROUP_SECONDS,
        _ => true,
    }
}

fn seconds_of(ts: &str) -> Option<i64> {
    // "YYYY-MM-DDTHH:MM:SS": enough for grouping; no date library in the bundle.
    let day: i64 = ts.get(0..10)?.replace('-', "").parse().ok()?;
    let h: i64 = ts.get(11..13)?.parse().ok()?;
    let m: i64 = ts.get(14..16)?.parse().ok()?;
    let s: i64 = ts.get(17..19)?.parse().ok()?;
    Some(day * 100_000 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(from: &str, ts: &str) -> ChatMessage {
        ChatMessage {
            from: from.into(),
            ts: ts.into(),
            ..ChatMessage::default()
        }
    }

    #[test]
    fn groups_consecutive_messages_of_one_author() {
        let a = msg("ann", "2026-01-01T10:00:00.000Z");
        let b = msg("ann", "2026-01-01T10:04:00.000Z");
        let c = msg("bob", "2026-01-01T10:04:30.000Z");
        let late = msg("ann", "2026-01-01T10:20:00.000Z");
        let relayed = ChatMessage {
            via: Some("twitch".into()),
            ..msg("ann", "2026-01-01T10:04:10.000Z")
        };
        assert!(starts_group(None, &a));
        assert!(!starts_group(Some(&a), &b));
        assert!(starts_group(Some(&b), &c));
        assert!(starts_group(Some(&b), &late));
        assert!(starts_group(Some(&b), &relayed));
    }

    #[test]
    fn name_hue_is_stable() {
        assert_eq!(name_hue("alice"), name_hue("alice"));
        assert!(name_hue("alice") < 360);
    }
}
