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
use model::account::Viewer;
use serde::Deserialize;
use service::session::Session;

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
