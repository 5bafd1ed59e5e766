//! Cookie sessions kept in the SQLite database, so that a restart keeps
//! everyone logged in; expired ones are deleted in the background.

use crate::settings::Settings;
use service::accounts::Accounts;
use std::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

pub const COOKIE_NAME: &str = "chat_session";

pub type SessionLayer = SessionManagerLayer<SqliteStore>;

pub async fn layer(accounts: &Accounts, settings: &Settings) -> Result<SessionLayer, sqlx::Error> {
    let store = SqliteStore::new(accounts.pool().clone());
    store.migrate().await?;
    // Often enough that an expired session does not linger much past its
    // lifetime, rarely enough to cost nothing.
    let sweep_every = settings.session_ttl.min(Duration::from_secs(300));
    tokio::spawn(store.clone().continuously_delete_expired(sweep_every));
    let lifetime =
        time::Duration::try_from(settings.session_ttl).unwrap_or(time::Duration::days(1));
    Ok(SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(lifetime)))
}
