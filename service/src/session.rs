//! What a browser session holds: the logged-in account and a read-once
//! flash message. Logging in or out renews the session id. A login lasts a
//! fixed time from the moment of logging in (no sliding), and ends early
//! when the account's session epoch moves on (password change, "log out
//! everywhere").

use crate::accounts::{Account, AccountError, Accounts};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;
use tower_sessions::Expiry;
pub use tower_sessions::Session;

const ACCOUNT_KEY: &str = "account";
const FLASH_KEY: &str = "flash";

/// The account a session is logged in as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedIn {
    pub id: i64,
    pub name: String,
    /// The account's session epoch at login.
    #[serde(default)]
    pub epoch: i64,
    /// When the login ends (Unix seconds), however active the session.
    #[serde(default)]
    pub until: i64,
}

impl LoggedIn {
    pub fn new(account: &Account, lifetime: Duration) -> Self {
        let until = OffsetDateTime::now_utc() + lifetime;
        LoggedIn {
            id: account.id,
            name: account.name.clone(),
            epoch: account.session_epoch,
            // Rounded up: a login lasts at least its lifetime.
            until: until.unix_timestamp() + i64::from(until.nanosecond() > 0),
        }
    }
}

/// The account the session is logged in as, while that login holds. A
/// login that no longer holds (past its time, or ended by the account) is
/// logged out here.
pub async fn account(
    session: &Session,
    accounts: &Accounts,
) -> Result<Option<Account>, AccountError> {
    let Some(logged_in) = logged_in(session).await else {
        return Ok(None);
    };
    let until = OffsetDateTime::from_unix_timestamp(logged_in.until).ok();
    let account = match until {
        Some(until) if until > OffsetDateTime::now_utc() => accounts.by_id(logged_in.id).await?,
        _ => None,
    };
    match (account, until) {
        (Some(account), Some(until)) if account.session_epoch == logged_in.epoch => {
            // Whatever this request saves keeps the login's own end.
            session.set_expiry(Some(Expiry::AtDateTime(until)));
            Ok(Some(account))
        }
        _ => {
            if let Err(e) = log_out(session).await {
                tracing::warn!(error = %e, "ended session not cleared");
            }
            Ok(None)
        }
    }
}

/// What the session says about its login, unchecked: see [`account`].
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
    if let Ok(until) = OffsetDateTime::from_unix_timestamp(account.until) {
        session.set_expiry(Some(Expiry::AtDateTime(until)));
    }
    session.cycle_id().await?;
    session.insert(ACCOUNT_KEY, account).await
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

/// Keeps this session logged in under the account's new epoch (after a
/// password change ended every other one), under a new id.
pub async fn take_on_epoch(
    session: &Session,
    epoch: i64,
) -> Result<(), tower_sessions::session::Error> {
    let Some(mut logged_in) = logged_in(session).await else {
        return Ok(());
    };
    logged_in.epoch = epoch;
    log_in(session, logged_in).await
}
