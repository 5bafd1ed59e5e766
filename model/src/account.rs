//! Accounts as the pages see them: the rules for names, passwords and
//! display settings, and who is looking at a page.

use serde::{Deserialize, Serialize};

pub const MIN_ACCOUNT_NAME_CHARS: usize = 2;
pub const MAX_ACCOUNT_NAME_CHARS: usize = 32;
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Bounds the work one login can cost the server.
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MAX_TOKEN_LABEL_CHARS: usize = 40;

/// Why a registration or a settings change was refused; shown as is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountRuleError {
    #[error(
        "account name must be {MIN_ACCOUNT_NAME_CHARS} to {MAX_ACCOUNT_NAME_CHARS} letters, digits, '-' or '_'"
    )]
    BadName,
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("password must be at most {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("colour must look like #1a2b3c")]
    BadColor,
    #[error("emoji must be one emoji, not letters or spaces")]
    BadEmoji,
    #[error("token label must be 1 to {MAX_TOKEN_LABEL_CHARS} characters")]
    BadTokenLabel,
}

/// Account names are also chat names, so they keep to ASCII: two accounts
/// cannot look the same on screen.
pub fn checked_account_name(name: &str) -> Result<&str, AccountRuleError> {
    let name = name.trim();
    if crate::alphabet::is_plain(name, MIN_ACCOUNT_NAME_CHARS, MAX_ACCOUNT_NAME_CHARS) {
        Ok(name)
    } else {
        Err(AccountRuleError::BadName)
    }
}

pub fn checked_password(password: &str) -> Result<&str, AccountRuleError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Err(AccountRuleError::PasswordTooShort)
    } else if password.len() > MAX_PASSWORD_BYTES {
        Err(AccountRuleError::PasswordTooLong)
    } else {
        Ok(password)
    }
}

/// `#rrggbb`, lower-cased.
pub fn checked_color(color: &str) -> Result<String, AccountRuleError> {
    let color = color.trim();
    let ok = color.len() == 7
        && color.starts_with('#')
        && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(color.to_ascii_lowercase())
    } else {
        Err(AccountRuleError::BadColor)
    }
}

/// One emoji, possibly a joined sequence (flags, skin tones, families):
/// short, no letters, digits, punctuation or spaces.
pub fn checked_emoji(emoji: &str) -> Result<&str, AccountRuleError> {
    let emoji = emoji.trim();
    let ok = !emoji.is_empty()
        && emoji.len() <= 32
        && emoji.chars().count() <= 8
        && emoji.chars().all(|c| {
            !c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control()
                // Joiners and emoji presentation are part of emoji; other
                // invisible or direction characters are not.
                && (c == '\u{200D}' || c == '\u{FE0F}' || !crate::message::is_invisible(c))
        });
    if ok {
        Ok(emoji)
    } else {
        Err(AccountRuleError::BadEmoji)
    }
}

pub fn checked_token_label(label: &str) -> Result<&str, AccountRuleError> {
    let label = label.trim();
    let len = label.chars().count();
    if len == 0 || len > MAX_TOKEN_LABEL_CHARS || label.chars().any(char::is_control) {
        Err(AccountRuleError::BadTokenLabel)
    } else {
        Ok(label)
    }
}

/// How an account's messages look: a name colour and/or an emoji.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appearance {
    pub color: Option<String>,
    pub emoji: Option<String>,
}

/// Who is looking at the page, and the one-time notice for them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// The account name when logged in; `None` for a guest.
    pub account: Option<String>,
    pub appearance: Appearance,
    /// A read-once message from the previous request ("Welcome back").
    pub flash: Option<String>,
    /// Guests may read but not write (`--require-login`).
    pub require_login: bool,
}

impl Viewer {
    pub fn may_write(&self) -> bool {
        self.account.is_some() || !self.require_login
    }
}

/// An API token as the settings page lists it; the secret itself is shown
/// once, when it is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: i64,
    pub label: String,
    /// RFC 3339.
    pub created: String,
    pub last_used: Option<String>,
}

/// Everything the settings page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub account: String,
    pub appearance: Appearance,
    pub tokens: Vec<TokenSummary>,
}

/// Only same-site paths are followed after login, so a crafted link
/// cannot send a user elsewhere.
pub fn safe_return_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if local { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names() {
        assert_eq!(checked_account_name(" alice "), Ok("alice"));
        assert_eq!(checked_account_name("a-b_9"), Ok("a-b_9"));
        for bad in ["a", "", "has space", "é-name", "a.b", &"x".repeat(33)] {
            assert_eq!(
                checked_account_name(bad),
                Err(AccountRuleError::BadName),
                "{bad}"
            );
        }
        assert!(checked_account_name(&"x".repeat(32)).is_ok());
    }

    #[test]
    fn passwords() {
        assert_eq!(
            checked_password("1234567"),
            Err(AccountRuleError::PasswordTooShort)
        );
        assert!(checked_password("12345678").is_ok());
        assert!(checked_password("pässwörd").is_ok());
        assert_eq!(
            checked_password(&"x".repeat(1025)),
            Err(AccountRuleError::PasswordTooLong)
        );
    }

    #[test]
    fn appearance_rules() {
        assert_eq!(checked_color("#A0b1C2").as_deref(), Ok("#a0b1c2"));
        for bad in ["a0b1c2", "#a0b1c", "#a0b1cg", "red"] {
            assert!(checked_color(bad).is_err(), "{bad}");
        }
        for good in ["🦀", "👍🏽", "🇳🇴", "👩‍💻"] {
            assert_eq!(checked_emoji(good), Ok(good));
        }
        for bad in [
            "",
            "a",
            "🦀a",
            "🦀 🦀",
            ":)",
            "é",
            "🦀\u{200B}",
            "\u{202E}🦀",
        ] {
            assert!(checked_emoji(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn return_paths_stay_on_site() {
        assert_eq!(safe_return_path("/settings"), "/settings");
        assert_eq!(safe_return_path("/r/general?x=1"), "/r/general?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "settings",
            "",
        ] {
            assert_eq!(safe_return_path(bad), "/", "{bad}");
        }
    }
}
