//! `/login`: the page and its form.

use super::extract::ValidForm;
use super::respond::{form_url, page as html_page, see_other, too_many_attempts, unavailable};
use super::{Credentials, NextQuery, enter, viewer};
use crate::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::response::Response;
use model::account::safe_return_path;
use service::session::{Session, set_flash};
use std::net::SocketAddr;

/// `GET /login`
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<NextQuery>,
) -> Response {
    let mut viewer = viewer(&state, &session).await;
    let next = safe_return_path(&query.next);
    // Sent here from a page that needs a login (the guard writes no flash).
    if viewer.flash.is_none() && viewer.account.is_none() && next != "/" {
        viewer.flash = Some("Please log in first".into());
    }
    html_page(state.ui.login_page(viewer, next))
}

/// `POST /login`
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    ValidForm(form): ValidForm<Credentials>,
) -> Response {
    let next = safe_return_path(&form.next);
    if let Err(retry) = state.chat.limits().login_attempt(&form.name, peer.ip()) {
        return too_many_attempts(state.ui.as_ref(), retry, &form_url("/login", next));
    }
    match state
        .chat
        .accounts()
        .authenticate(&form.name, &form.password)
        .await
    {
        Ok(Some(account)) => {
            let welcome = format!("Welcome back, {}", account.name);
            let retry_at = form_url("/login", next);
            enter(&state, &session, &account, welcome, next, &retry_at).await
        }
        Ok(None) => {
            set_flash(&session, "Invalid name or password").await;
            see_other(&form_url("/login", next))
        }
        Err(e) => {
            tracing::error!(error = %e, "login failed");
            unavailable(&session, &form_url("/login", next)).await
        }
    }
}
