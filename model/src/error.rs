//! What kind of failure a request met: the one list every transport maps to
//! its own status (HTTP, a server function's error, a terminal message).

use serde::{Deserialize, Serialize};

/// The kind of a refused or failed request. The HTTP status of each kind
/// is decided here, and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input breaks a rule (bad room name, empty body, bad JSON).
    BadInput,
    /// A request body larger than the server accepts.
    TooLarge,
    /// A request body in a format the endpoint does not read.
    UnsupportedMediaType,
    /// Well-formed JSON without a field the endpoint needs.
    Unprocessable,
    /// Only accounts may do this; the caller is a guest.
    LoginRequired,
    /// The credentials (API token, Authorization header) are not valid.
    Unauthorized,
    /// The caller is known but may not do this.
    Forbidden,
    NotFound,
    /// The request collides with what exists (a name that is taken).
    Conflict,
    /// Too many requests; the caller may retry after this many seconds.
    TooFast {
        retry_after_s: u64,
    },
    /// The chat's store is full: nothing more can be stored until space is
    /// made.
    InsufficientStorage,
    /// The chat's store is away; retrying later may work.
    Unavailable,
    /// Something is wrong that retrying will not mend.
    Internal,
}

impl ErrorKind {
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::BadInput => 400,
            ErrorKind::LoginRequired | ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::TooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::Unprocessable => 422,
            ErrorKind::TooFast { .. } => 429,
            ErrorKind::InsufficientStorage => 507,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// The kind an HTTP status stands for, for clients of the API.
    pub fn from_http_status(status: u16, retry_after_s: Option<u64>) -> Self {
        match status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            413 => ErrorKind::TooLarge,
            415 => ErrorKind::UnsupportedMediaType,
            422 => ErrorKind::Unprocessable,
            429 => ErrorKind::TooFast {
                retry_after_s: retry_after_s.unwrap_or(1),
            },
            500 => ErrorKind::Internal,
            507 => ErrorKind::InsufficientStorage,
            501..=599 => ErrorKind::Unavailable,
            _ => ErrorKind::BadInput,
        }
    }

    /// Whether the same request may succeed later unchanged.
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorKind::TooFast { .. } | ErrorKind::Unavailable)
    }
}

/// Every `"code"` an error body may carry, with the kind (and so the
/// status) it always comes with: the one place a code's status is decided.
/// docs/API.md lists them; the server refuses (in debug builds, loudly) to
/// give a code another status.
pub const ERROR_CODES: &[(&str, ErrorKind)] = &[
    // The kinds' own codes, for errors with no more precise one.
    ("invalid", ErrorKind::BadInput),
    ("too_large", ErrorKind::TooLarge),
    ("unsupported_media_type", ErrorKind::UnsupportedMediaType),
    ("unprocessable", ErrorKind::Unprocessable),
    ("login_required", ErrorKind::LoginRequired),
    ("unauthorized", ErrorKind::Unauthorized),
    ("forbidden", ErrorKind::Forbidden),
    ("not_found", ErrorKind::NotFound),
    ("conflict", ErrorKind::Conflict),
    ("too_fast", TOO_FAST),
    ("storage_full", ErrorKind::InsufficientStorage),
    ("unavailable", ErrorKind::Unavailable),
    ("internal", ErrorKind::Internal),
    // Input.
    ("invalid_room", ErrorKind::BadInput),
    ("empty_body", ErrorKind::BadInput),
    ("body_too_long", ErrorKind::BadInput),
    ("body_too_many_bytes", ErrorKind::BadInput),
    ("bad_name", ErrorKind::BadInput),
    ("name_control_chars", ErrorKind::BadInput),
    ("name_invisible_chars", ErrorKind::BadInput),
    ("invisible_chars", ErrorKind::BadInput),
    ("bad_id", ErrorKind::BadInput),
    ("bad_via", ErrorKind::BadInput),
    ("bad_color", ErrorKind::BadInput),
    ("no_such_reply_target", ErrorKind::BadInput),
    ("bad_reaction", ErrorKind::BadInput),
    // Who the caller is.
    ("bad_authorization", ErrorKind::Unauthorized),
    ("invalid_token", ErrorKind::Unauthorized),
    // What the caller may do.
    ("not_author", ErrorKind::Forbidden),
    ("banned", ErrorKind::Forbidden),
    ("timed_out", ErrorKind::Forbidden),
    ("locked", ErrorKind::Forbidden),
    ("members_only", ErrorKind::Forbidden),
    ("cross_site", ErrorKind::Forbidden),
    ("outranked", ErrorKind::Forbidden),
    ("direct_message", ErrorKind::Forbidden),
    ("removed", ErrorKind::Forbidden),
    // What is not there.
    ("no_such_room", ErrorKind::NotFound),
    ("no_such_message", ErrorKind::NotFound),
    ("invalid_invite", ErrorKind::NotFound),
    // Collisions.
    ("name_taken", ErrorKind::Conflict),
    ("id_taken", ErrorKind::Conflict),
    ("edit_window_over", ErrorKind::Conflict),
    ("room_exists", ErrorKind::Conflict),
    ("too_many_invites", ErrorKind::Conflict),
    // Pace.
    ("slow_mode", TOO_FAST),
    ("too_many_rooms", TOO_FAST),
];

/// [`ErrorKind::TooFast`] as listed: the wait is the error's own.
const TOO_FAST: ErrorKind = ErrorKind::TooFast { retry_after_s: 0 };

/// The kind a listed code comes with; `None` for a code not listed.
pub fn kind_of_code(code: &str) -> Option<ErrorKind> {
    ERROR_CODES
        .iter()
        .find(|(listed, _)| *listed == code)
        .map(|(_, kind)| *kind)
}

impl ErrorKind {
    /// The code of an error of this kind that has no more precise one.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::BadInput => "invalid",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorKind::Unprocessable => "unprocessable",
            ErrorKind::LoginRequired => "login_required",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::TooFast { .. } => "too_fast",
            ErrorKind::InsufficientStorage => "storage_full",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    /// Whether `code` is listed with this kind's status.
    pub fn has_code(self, code: &str) -> bool {
        kind_of_code(code).is_some_and(|listed| listed.http_status() == self.http_status())
    }
}

/// The text a page shows for the code of a refused plain form post
/// (`/r/general?error=empty_body`); `None` for a code it does not know, so a
/// crafted link cannot put its own words in the page's alert.
pub fn form_error_text(code: &str) -> Option<String> {
    if let Some(rule) = crate::message::MessageRuleError::from_code(code) {
        return Some(rule.to_string());
    }
    let text = match code {
        "invalid_room" => "invalid room name",
        "login_required" => "log in to write in this chat",
        "name_taken" => {
            "that name belongs to a registered account; log in to use it, or pick another name"
        }
        "id_taken" => "that message id is already used by another message; send it again",
        "too_fast" => "too many messages; wait a few seconds and try again",
        "unavailable" => "the chat is unavailable right now, please try again",
        _ => return None,
    };
    Some(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_form_error_codes_have_a_text() {
        assert_eq!(
            form_error_text("empty_body").as_deref(),
            Some("message is empty")
        );
        assert!(form_error_text("too_fast").is_some());
        for crafted in ["Your account is suspended", "<script>", ""] {
            assert_eq!(form_error_text(crafted), None);
        }
    }

    #[test]
    fn every_kind_round_trips_through_its_status() {
        for kind in [
            ErrorKind::BadInput,
            ErrorKind::TooLarge,
            ErrorKind::UnsupportedMediaType,
            ErrorKind::Unprocessable,
            ErrorKind::Unauthorized,
            ErrorKind::Forbidden,
            ErrorKind::NotFound,
            ErrorKind::Conflict,
            ErrorKind::TooFast { retry_after_s: 3 },
            ErrorKind::Unavailable,
            ErrorKind::InsufficientStorage,
            ErrorKind::Internal,
        ] {
            assert_eq!(
                ErrorKind::from_http_status(kind.http_status(), Some(3)),
                kind
            );
        }
        assert_eq!(ErrorKind::LoginRequired.http_status(), 401);
    }

    #[test]
    fn every_code_is_listed_once_and_every_kind_has_its_own() {
        let mut seen = std::collections::HashSet::new();
        for (code, _) in ERROR_CODES {
            assert!(seen.insert(*code), "{code} listed twice");
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code} is not snake_case"
            );
        }
        for (code, kind) in ERROR_CODES {
            assert!(kind.has_code(code));
            assert!(kind.has_code(kind.code()), "{kind:?}");
        }
        // The message rules' codes are listed with their status.
        for code in ["empty_body", "bad_color", "bad_id"] {
            assert!(crate::message::MessageRuleError::from_code(code).is_some());
            assert!(ErrorKind::BadInput.has_code(code));
        }
        assert!(!ErrorKind::Conflict.has_code("not_found"));
        assert_eq!(kind_of_code("made_up"), None);
    }
}
