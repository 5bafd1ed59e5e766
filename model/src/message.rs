//! The chat message as it travels on the wire, and the rules a new one must meet.

use serde::{Deserialize, Serialize};

pub const MAX_BODY_CHARS: usize = 4000;
/// 4000 characters of three bytes (CJK); 4000 emoji (16 KB) are too many.
pub const MAX_BODY_BYTES: usize = 12_000;
pub const MAX_NAME_CHARS: usize = 32;
pub const MAX_ID_CHARS: usize = 64;
pub const DEFAULT_NAME: &str = "Anon";

/// A stored message. `seq` is its JetStream stream sequence: the order of
/// messages in a room, and the cursor for history and live resume.
///
/// History shows a message's current state: its latest text (`edited_at`
/// set once edited), a tombstone (`deleted`, empty body) once taken back,
/// its reactions, and the message it replies to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatMessage {
    pub seq: u64,
    pub id: String,
    pub room: String,
    pub from: String,
    pub body: String,
    /// The body's formatting, parsed by the server (see `rich`); absent
    /// when the body has none, or was sent as plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rich: Option<crate::rich::RichText>,
    /// `plain` when the sender turned formatting off: the body is shown
    /// exactly as typed.
    #[serde(default, skip_serializing_if = "TextFormat::is_markdown")]
    pub format: TextFormat,
    /// RFC 3339, set by the server when it accepted the message.
    pub ts: String,
    /// True when `from` is a registered account's name, set by the server
    /// for a logged-in sender; false for a guest's self-chosen name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified: bool,
    /// The account's name colour (`#rrggbb`), when it chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// The account's emoji, when it chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// The network a relayed message came from (`twitch`, `irc`): `from`
    /// is that network's name for its author, posted by a bridge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// RFC 3339, when the text was last edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<String>,
    /// A tombstone: the author (or a moderator) took the message back and
    /// its text is gone from the store.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// A tombstone left by a moderator rather than the author.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed_by_moderator: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<ReactionCount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyQuote>,
    /// Registered account names the text mentions (checked by the server).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// `@room`: the message is for every account in the room.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mentions_room: bool,
    /// Whether the caller wrote it (and so may edit or delete it); set only
    /// when the server knows who is asking.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
}

impl ChatMessage {
    /// Whether the message mentions the account `name`.
    pub fn mentions_account(&self, name: &str) -> bool {
        !self.deleted
            && (self.mentions_room || self.mentions.iter().any(|m| m.eq_ignore_ascii_case(name)))
    }

    /// Whether the message is for the account `name`: it mentions it (or
    /// the room), or answers one of its messages.
    pub fn is_for(&self, name: &str) -> bool {
        self.mentions_account(name)
            || (!self.deleted
                && self
                    .reply_to
                    .as_ref()
                    .is_some_and(|quote| quote.from.eq_ignore_ascii_case(name)))
    }

    /// What the text says without its formatting: what reply quotes and
    /// notifications show.
    pub fn plain_text(&self) -> std::borrow::Cow<'_, str> {
        match &self.rich {
            Some(doc) => crate::rich::to_plain(doc).into(),
            None => self.body.as_str().into(),
        }
    }

    /// Whether account `name` wrote it.
    pub fn is_by_account(&self, name: &str) -> bool {
        self.verified && self.via.is_none() && self.from.eq_ignore_ascii_case(name)
    }
}

/// How a body is to be read: Markdown-like formatting (the default), or
/// plain text shown exactly as typed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextFormat {
    #[default]
    Markdown,
    Plain,
}

impl TextFormat {
    pub fn is_markdown(&self) -> bool {
        *self == TextFormat::Markdown
    }
}

/// One emoji under a message: how many reacted with it, and whether the
/// caller did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReactionCount {
    pub emoji: String,
    pub count: u32,
    #[serde(default)]
    pub me: bool,
}

/// The message a reply answers, as the reply shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplyQuote {
    pub seq: u64,
    pub from: String,
    /// The start of the original's text on one line; empty when the
    /// original is gone (see `gone`).
    pub excerpt: String,
    /// Why the original cannot be shown: `deleted`, or `unavailable` when it
    /// fell out of the room's retention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone: Option<String>,
}

/// Characters of the original a reply quotes.
pub const EXCERPT_CHARS: usize = 100;

/// The one-line start of `body` that a reply quotes.
pub fn excerpt(body: &str) -> String {
    let line: String = body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(EXCERPT_CHARS + 1)
        .collect();
    if line.chars().count() > EXCERPT_CHARS {
        let mut cut: String = line.chars().take(EXCERPT_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        line
    }
}

/// The names a text mentions with `@name` (account-name alphabet), each
/// once, in order of first mention; `@room` is reported apart. Which of
/// them are accounts is the server's to check.
pub fn mentioned_names(body: &str) -> (Vec<String>, bool) {
    let mut names: Vec<String> = Vec::new();
    let mut room = false;
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !crate::alphabet::is_plain_byte(bytes[i - 1]);
        if bytes[i] == b'@' && starts_word {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && crate::alphabet::is_plain_byte(bytes[end]) {
                end += 1;
            }
            let name = &body[start..end];
            if name == "room" {
                room = true;
            } else if crate::alphabet::is_plain(
                name,
                crate::account::MIN_ACCOUNT_NAME_CHARS,
                crate::account::MAX_ACCOUNT_NAME_CHARS,
            ) && !names.iter().any(|n| n.eq_ignore_ascii_case(name))
                && names.len() < MAX_MENTIONS
            {
                names.push(name.to_owned());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    (names, room)
}

/// Mentions one message may carry.
pub const MAX_MENTIONS: usize = 20;

/// Why a new message was refused; the text is shown to the user as is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MessageRuleError {
    #[error("message is empty")]
    EmptyBody,
    #[error("message is longer than {MAX_BODY_CHARS} characters")]
    BodyTooLong,
    #[error("message is longer than {MAX_BODY_BYTES} bytes")]
    BodyTooManyBytes,
    #[error("name must be 1 to {MAX_NAME_CHARS} characters")]
    BadName,
    #[error("name must not contain control characters")]
    NameControlChars,
    #[error("name must not contain invisible or text-direction characters")]
    NameInvisibleChars,
    #[error("message id must be 1 to {MAX_ID_CHARS} letters, digits, '-' or '_'")]
    BadId,
    #[error("via must be 1 to {MAX_VIA_CHARS} lower-case letters, digits or '-'")]
    BadVia,
    #[error("color must be #rrggbb, and is only for a message relayed with via")]
    BadColor,
}

impl MessageRuleError {
    /// A short, stable name for the rule, e.g. for a page's URL.
    pub fn code(&self) -> &'static str {
        match self {
            MessageRuleError::EmptyBody => "empty_body",
            MessageRuleError::BodyTooLong => "body_too_long",
            MessageRuleError::BodyTooManyBytes => "body_too_many_bytes",
            MessageRuleError::BadName => "bad_name",
            MessageRuleError::NameControlChars => "name_control_chars",
            MessageRuleError::NameInvisibleChars => "name_invisible_chars",
            MessageRuleError::BadId => "bad_id",
            MessageRuleError::BadVia => "bad_via",
            MessageRuleError::BadColor => "bad_color",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            MessageRuleError::EmptyBody,
            MessageRuleError::BodyTooLong,
            MessageRuleError::BodyTooManyBytes,
            MessageRuleError::BadName,
            MessageRuleError::NameControlChars,
            MessageRuleError::NameInvisibleChars,
            MessageRuleError::BadId,
            MessageRuleError::BadVia,
            MessageRuleError::BadColor,
        ]
        .into_iter()
        .find(|rule| rule.code() == code)
    }
}

/// Whether `c` is a control character a body may not carry: C0 and C1
/// controls other than newline and tab (ANSI escapes start with one), and
/// the bidi embeddings, overrides and isolates that reorder text on screen.
pub fn is_forbidden_in_text(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// Characters a room's topic or a moderator's reason may not hold: those
/// that reorder the text around them (bidirectional overrides and
/// isolates) and those that draw nothing and join nothing (zero-width
/// space, word joiner, byte-order mark). The zero-width (non-)joiners stay
/// allowed: emoji sequences and Persian need them.
pub fn is_hidden_in_text(c: char) -> bool {
    is_bidi_control(c)
        || matches!(
            c,
            '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{2060}'
                ..='\u{2064}' | '\u{FEFF}' | '\u{180E}'
        )
}

/// Characters that draw nothing (or only steer direction): a name holding
/// one can look exactly like another name.
pub fn is_invisible(c: char) -> bool {
    is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// The body to store: control characters (see [`is_forbidden_in_text`])
/// removed, trimmed, and within the limits in characters and in bytes.
pub fn checked_body(body: &str) -> Result<String, MessageRuleError> {
    let cleaned: String = body.chars().filter(|c| !is_forbidden_in_text(*c)).collect();
    let body = cleaned.trim();
    if body.is_empty() {
        return Err(MessageRuleError::EmptyBody);
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(MessageRuleError::BodyTooLong);
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(MessageRuleError::BodyTooManyBytes);
    }
    Ok(body.to_owned())
}

/// Trims a display name and checks it; returns the name to store.
pub fn checked_name(name: &str) -> Result<&str, MessageRuleError> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 || len > MAX_NAME_CHARS {
        return Err(MessageRuleError::BadName);
    }
    if name.chars().any(char::is_control) {
        return Err(MessageRuleError::NameControlChars);
    }
    if name.chars().any(is_invisible) {
        return Err(MessageRuleError::NameInvisibleChars);
    }
    Ok(name)
}

/// Client-made message ids become part of the JetStream dedup key, so they
/// are kept to a plain alphabet.
pub fn checked_id(id: &str) -> Result<&str, MessageRuleError> {
    if crate::alphabet::is_plain(id, 1, MAX_ID_CHARS) {
        Ok(id)
    } else {
        Err(MessageRuleError::BadId)
    }
}

/// Characters of a `via` label (the network a relayed message came from).
pub const MAX_VIA_CHARS: usize = 16;

/// The network a relayed message came from, e.g. `twitch` or `irc`.
pub fn checked_via(via: &str) -> Result<&str, MessageRuleError> {
    let ok = (1..=MAX_VIA_CHARS).contains(&via.len())
        && via
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(via)
    } else {
        Err(MessageRuleError::BadVia)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_trimmed_and_bounded() {
        assert_eq!(checked_body("  hi \n").as_deref(), Ok("hi"));
        assert_eq!(checked_body(" \n\t "), Err(MessageRuleError::EmptyBody));
        assert!(checked_body(&"é".repeat(MAX_BODY_CHARS)).is_ok());
        assert_eq!(
            checked_body(&"x".repeat(MAX_BODY_CHARS + 1)),
            Err(MessageRuleError::BodyTooLong)
        );
        assert_eq!(
            checked_body(&"😀".repeat(MAX_BODY_CHARS)),
            Err(MessageRuleError::BodyTooManyBytes)
        );
    }

    #[test]
    fn body_control_characters_are_removed() {
        assert_eq!(
            checked_body("\u{1b}[31mred\u{0}\u{202E}txet\r\nline\ttab\u{9b}").as_deref(),
            Ok("[31mredtxet\nline\ttab")
        );
        assert_eq!(
            checked_body("\u{1b}\u{7}"),
            Err(MessageRuleError::EmptyBody)
        );
    }

    #[test]
    fn names_are_bounded_and_printable() {
        assert_eq!(checked_name(" alice "), Ok("alice"));
        assert_eq!(checked_name(""), Err(MessageRuleError::BadName));
        assert_eq!(
            checked_name(&"n".repeat(33)),
            Err(MessageRuleError::BadName)
        );
        assert_eq!(
            checked_name("a\u{7}b"),
            Err(MessageRuleError::NameControlChars)
        );
        for sneaky in [
            "alice\u{200B}",
            "\u{202E}ecila",
            "al\u{00AD}ice",
            "a\u{FEFF}",
        ] {
            assert_eq!(
                checked_name(sneaky),
                Err(MessageRuleError::NameInvisibleChars),
                "{sneaky:?}"
            );
        }
        assert_eq!(checked_name("Zoë 🦀"), Ok("Zoë 🦀"));
    }

    #[test]
    fn mentions_are_words_starting_with_at() {
        let (names, room) = mentioned_names("hi @Ada and @bo, mail a@b.c @Ada @room @x");
        assert_eq!(names, ["Ada", "bo"]);
        assert!(room);
        assert_eq!(mentioned_names("no one").0, Vec::<String>::new());
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("  two\n lines  "), "two lines");
        let long = excerpt(&"x".repeat(300));
        assert_eq!(long.chars().count(), EXCERPT_CHARS);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn ids_use_a_plain_alphabet() {
        assert!(checked_id("abc-DEF_123").is_ok());
        assert!(checked_id("").is_err());
        assert!(checked_id("a.b").is_err());
        assert!(checked_id(&"a".repeat(65)).is_err());
    }
}
