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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub seq: u64,
    pub id: String,
    pub room: String,
    pub from: String,
    pub body: String,
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
}

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
    fn ids_use_a_plain_alphabet() {
        assert!(checked_id("abc-DEF_123").is_ok());
        assert!(checked_id("").is_err());
        assert!(checked_id("a.b").is_err());
        assert!(checked_id(&"a".repeat(65)).is_err());
    }
}
