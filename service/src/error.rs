//! The service's one error: a kind (which decides the status every
//! transport answers with), the text a person may read, and the cause, kept
//! for the logs.

use model::ErrorKind;
use std::fmt;

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub struct Error {
    kind: ErrorKind,
    /// A short, stable name for what went wrong (`empty_body`, `name_taken`).
    code: Option<&'static str>,
    /// Safe to show the caller: it never holds an internal cause.
    message: String,
    /// A moderator's sanction behind a refusal: why, and until when.
    sanction: Option<Box<(Option<String>, Option<String>)>>,
    source: Option<BoxError>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: None,
            message: message.into(),
            sanction: None,
            source: None,
        }
    }

    /// The refusal comes from a timeout or ban: its reason and end.
    pub fn with_sanction(mut self, reason: Option<String>, until: Option<String>) -> Self {
        self.sanction = Some(Box::new((reason, until)));
        self
    }

    pub fn sanction_reason(&self) -> Option<&str> {
        self.sanction.as_ref().and_then(|s| s.0.as_deref())
    }

    pub fn sanction_until(&self) -> Option<&str> {
        self.sanction.as_ref().and_then(|s| s.1.as_deref())
    }

    /// A failure of something the chat depends on (NATS, SQLite): the
    /// caller reads `message`, the log gets `source`.
    pub fn unavailable(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::new(ErrorKind::Unavailable, message).with_source(source)
    }

    pub fn bad_input(rule: impl fmt::Display) -> Self {
        Self::new(ErrorKind::BadInput, rule.to_string())
    }

    /// A more precise code than the kind's own; it must be listed with
    /// the kind's status (`model::error::ERROR_CODES`).
    pub fn with_code(mut self, code: &'static str) -> Self {
        debug_assert!(
            self.kind.has_code(code),
            "error code {code} is not listed with {:?}",
            self.kind
        );
        self.code = Some(code);
        self
    }

    /// The error's code: the one it was given, else its kind's.
    pub fn code(&self) -> &'static str {
        self.code.unwrap_or(self.kind.code())
    }

    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The message and, when there is one, the whole chain of causes: for
    /// the log, never for the caller.
    pub fn report(&self) -> String {
        let mut text = self.message.clone();
        let mut cause = std::error::Error::source(self);
        while let Some(e) = cause {
            text.push_str(": ");
            text.push_str(&e.to_string());
            cause = e.source();
        }
        text
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<model::message::MessageRuleError> for Error {
    fn from(e: model::message::MessageRuleError) -> Self {
        let code = e.code();
        Error::bad_input(e).with_code(code)
    }
}

impl From<model::room::InvalidRoomName> for Error {
    fn from(e: model::room::InvalidRoomName) -> Self {
        Error::bad_input(e).with_code("invalid_room")
    }
}

impl From<model::account::AccountRuleError> for Error {
    fn from(e: model::account::AccountRuleError) -> Self {
        Error::bad_input(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_kept_for_the_log_but_not_shown() {
        let io = std::io::Error::other("disk on fire");
        let e = Error::unavailable("the chat store is unavailable, please retry", io);
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(e.to_string(), "the chat store is unavailable, please retry");
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(
            e.report(),
            "the chat store is unavailable, please retry: disk on fire"
        );
    }

    #[test]
    fn a_permanent_decode_error_is_a_500_not_a_retry() {
        use crate::store::StoreError;
        let unreadable = Error::from(StoreError::Unreadable {
            seq: 7,
            reason: "not found".into(),
        });
        assert_eq!(unreadable.kind(), ErrorKind::Internal);
        assert_eq!(unreadable.kind().http_status(), 500);
        assert!(!unreadable.to_string().contains("retry"));
        // What is transient says so.
        let away = Error::from(StoreError::Unavailable {
            doing: "reading",
            source: "timed out".into(),
        });
        assert_eq!(away.kind().http_status(), 503);
    }
}
