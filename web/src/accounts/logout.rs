//! `POST /logout`.

use super::respond::{see_other, unavailable_page};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use service::session::{Session, log_out, logged_in, set_flash};

/// `POST /logout`: ends the session; the flash lives in a fresh one.
pub async fn submit(State(state): State<AppState>, session: Session) -> Response {
    // Nobody to log out: nothing to write (a session row would live 24 h).
    if logged_in(&session).await.is_none() {
        return see_other("/");
    }
    if let Err(e) = log_out(&session).await {
        tracing::error!(error = %e, "logout failed");
        return unavailable_page(state.ui.as_ref(), "Logging out is", "/");
    }
    set_flash(&session, "Logged out").await;
    see_other("/")
}
