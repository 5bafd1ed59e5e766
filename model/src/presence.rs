//! Who is in a room and who is typing: the awareness frames of the events
//! socket and `GET /api/rooms/{room}/presence`. Never stored in the room.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceState {
    #[default]
    Online,
    /// No input for [`IDLE_AFTER_S`] seconds.
    Idle,
}

/// A tab without input this long shows its person as idle.
pub const IDLE_AFTER_S: u64 = 5 * 60;
/// A typist says so at most this often while composing.
pub const TYPING_EVERY_S: u64 = 3;
/// A receiver forgets a typist this long after the last word from it.
pub const TYPING_EXPIRES_S: u64 = 6;
/// Above this many people present, nobody's typing is shown.
pub const TYPING_MAX_PRESENT: usize = 100;

/// People named at most in a presence frame (the count covers the rest).
pub const PRESENCE_LISTED: usize = 200;

impl AwarenessFrame {
    /// The presence frame for `people`, sorted by name.
    pub fn presence(mut people: Vec<Present>) -> Self {
        let count = people.len();
        people.truncate(PRESENCE_LISTED);
        AwarenessFrame::Presence { people, count }
    }
}

/// One person in a room (all their tabs, on every instance, as one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Present {
    pub name: String,
    /// A registered account's name (else a guest's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified: bool,
    pub state: PresenceState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// The frames of the events socket that are not stored events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AwarenessFrame {
    /// Who is present now, sorted by name: everyone, or the first
    /// [`PRESENCE_LISTED`] in a bigger room; `count` is how many in all.
    Presence { people: Vec<Present>, count: usize },
    /// `from` started (`on`) or stopped typing.
    Typing {
        from: String,
        #[serde(default)]
        verified: bool,
        on: bool,
    },
    /// The caller's read position in `room` moved (from another of its
    /// tabs or devices): only an account's own sockets get these.
    Read { room: String, seq: u64 },
    /// Message `seq` of another room mentions the caller (its name,
    /// `@room`, or a reply to it): only an account's own sockets get these.
    Mention { room: String, seq: u64 },
}

/// What a tab may send on its events socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TabSignal {
    Typing(bool),
    Presence(PresenceState),
}

/// `POST /api/rooms/{room}/typing`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingNotice {
    /// False: stopped (sent, or cleared the draft).
    #[serde(default = "yes")]
    pub on: bool,
    /// A guest's name.
    #[serde(default)]
    pub name: String,
}

fn yes() -> bool {
    true
}

/// "Ada is typing…", "Ada and Bo are typing…", "Several people are typing…".
pub fn typing_line(names: &[&str]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [one, two] => Some(format!("{one} and {two} are typing…")),
        _ => Some("Several people are typing…".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_signals_have_their_wire_shape() {
        let frame = AwarenessFrame::Typing {
            from: "Ada".into(),
            verified: true,
            on: true,
        };
        assert_eq!(
            serde_json::to_string(&frame).unwrap(),
            r#"{"type":"typing","from":"Ada","verified":true,"on":true}"#
        );
        let read = AwarenessFrame::Read {
            room: "general".into(),
            seq: 42,
        };
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            r#"{"type":"read","room":"general","seq":42}"#
        );
        let signal: TabSignal = serde_json::from_str(r#"{"presence":"idle"}"#).unwrap();
        assert_eq!(signal, TabSignal::Presence(PresenceState::Idle));
        let signal: TabSignal = serde_json::from_str(r#"{"typing":false}"#).unwrap();
        assert_eq!(signal, TabSignal::Typing(false));
        assert_eq!(typing_line(&["Ada"]).unwrap(), "Ada is typing…");
        assert_eq!(
            typing_line(&["Ada", "Bo"]).unwrap(),
            "Ada and Bo are typing…"
        );
        assert_eq!(
            typing_line(&["A", "B", "C"]).unwrap(),
            "Several people are typing…"
        );
    }
}
