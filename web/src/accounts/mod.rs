//! The account pages and their forms: register, log in, log out, settings.
//! Each form answers with a redirect and a flash message, so they work the
//! same with or without JavaScript.

pub mod extract;
pub mod login;
pub mod logout;
pub mod register;
pub mod respond;
pub mod settings;

use crate::AppState;
use axum::response::Response;
use model::account::Viewer;
use respond::{see_other, unavailable};
use serde::Deserialize;
use service::accounts::Account;
use service::session::{LoggedIn, Session, log_in, set_flash};

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct Credentials {
    name: String,
    password: String,
    /// Where to go afterwards (the page that asked for a login).
    #[serde(default)]
    next: String,
}

/// Who is looking; a guest when the account store cannot say.
pub async fn viewer(state: &AppState, session: &Session) -> Viewer {
    state.chat.viewer(Some(session)).await.unwrap_or_else(|e| {
        tracing::error!(error = %e.report(), "viewer unknown");
        Viewer {
            require_login: state.chat.require_login(),
            ..Viewer::default()
        }
    })
}

/// Logs the session in as `account` (a new session id) and goes to `next`
/// greeted by `welcome`; a login that cannot be saved goes back to
/// `retry_at` saying so.
async fn enter(
    state: &AppState,
    session: &Session,
    account: &Account,
    welcome: String,
    next: &str,
    retry_at: &str,
) -> Response {
    if let Err(e) = log_in(session, LoggedIn::new(account, state.session_ttl)).await {
        tracing::error!(error = %e, "login not saved");
        return unavailable(session, retry_at).await;
    }
    set_flash(session, welcome).await;
    see_other(next)
}
