//! The chat message as it travels on the wire, and the rules a new one must meet.

use serde::{Deserialize, Serialize};

pub const MAX_BODY_CHARS: usize = 4000;
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
    #[error("name must be 1 to {MAX_NAME_CHARS} characters")]
    BadName,
    #[error("name must not contain control characters")]
    NameControlChars,
    #[error("message id must be 1 to {MAX_ID_CHARS} letters, digits, '-' or '_'")]
    BadId,
}

/// Trims the body and checks its length; returns the text to store.
pub fn checked_body(body: &str) -> Result<&str, MessageRuleError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(MessageRuleError::EmptyBody);
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(MessageRuleError::BodyTooLong);
    }
    Ok(body)
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
        assert_eq!(checked_body("  hi \n"), Ok("hi"));
        assert_eq!(checked_body(" \n\t "), Err(MessageRuleError::EmptyBody));
        assert!(checked_body(&"é".repeat(MAX_BODY_CHARS)).is_ok());
        assert_eq!(
            checked_body(&"x".repeat(MAX_BODY_CHARS + 1)),
            Err(MessageRuleError::BodyTooLong)
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
    }

    #[test]
    fn ids_use_a_plain_alphabet() {
        assert!(checked_id("abc-DEF_123").is_ok());
        assert!(checked_id("").is_err());
        assert!(checked_id("a.b").is_err());
        assert!(checked_id(&"a".repeat(65)).is_err());
    }
}
