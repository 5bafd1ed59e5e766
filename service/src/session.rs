//! What a browser session holds: the logged-in account and a read-once
//! flash message. Logging in or out renews the session id.

use serde::{Deserialize, Serialize};
pub use tower_sessions::Session;

const ACCOUNT_KEY: &str = "account";
const FLASH_KEY: &str = "flash";

/// The account a session is logged in as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedIn {
    pub id: i64,
    pub name: String,
}

pub async fn logged_in(session: &Session) -> Option<LoggedIn> {
    match session.get::<LoggedIn>(ACCOUNT_KEY).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable session");
            None
        }
    }
}

/// A new session id for the logged-in session: an id an attacker planted
/// before login is worth nothing after it.
pub async fn log_in(
    session: &Session,
    account: LoggedIn,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(ACCOUNT_KEY, account).await
}

/// A new id for the same session, e.g. after a password change.
pub async fn renew_id(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await
}

/// Drops everything the session held, and its id: whatever is stored
/// next (the "Logged out" flash) lives under a new one.
pub async fn log_out(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.flush().await?;
    // flush keeps the old id for the next save; the store would reuse it.
    session.cycle_id().await
}

pub async fn set_flash(session: &Session, text: impl Into<String>) {
    if let Err(e) = session.insert(FLASH_KEY, text.into()).await {
        tracing::warn!(error = %e, "flash message not kept");
    }
}

/// The flash message, removed: it is shown once.
pub async fn take_flash(session: &Session) -> Option<String> {
    session.remove::<String>(FLASH_KEY).await.ok().flatten()
}

/// The session the session layer put in front of a request, for code that
/// sees only the request's parts (a server function).
pub fn of_request(parts: &http::request::Parts) -> Option<Session> {
    parts.extensions.get::<Session>().cloned()
}
