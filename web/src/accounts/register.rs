//! `/register`: the page and its form, which creates the account and logs
//! it in.

use super::extract::ValidForm;
use super::respond::{
    capitalised, form_url, page as html_page, see_other, too_many_attempts, unavailable,
};
use super::{Credentials, NextQuery, enter, viewer};
use crate::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::response::Response;
use model::account::safe_return_path;
use service::session::{Session, set_flash};
use std::net::SocketAddr;

/// `GET /register`
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<NextQuery>,
) -> Response {
    let viewer = viewer(&state, &session).await;
    html_page(
        state
            .ui
            .register_page(viewer, safe_return_path(&query.next)),
    )
}

/// `POST /register`: creates the account and logs it in.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    ValidForm(form): ValidForm<Credentials>,
) -> Response {
    let next = safe_return_path(&form.next);
    // Account creation counts as a login attempt from the address, so one
    // client cannot mass-register.
    if let Err(retry) = state.chat.limits().registration_attempt(peer.ip()) {
        return too_many_attempts(state.ui.as_ref(), retry, &form_url("/register", next));
    }
    match state.chat.register(&form.name, &form.password).await {
        Ok(account) => {
            let welcome = format!("Welcome, {}! Your account is ready.", account.name);
            enter(&state, &session, &account, welcome, next, "/login").await
        }
        Err(e) if e.is_users_fault() => {
            set_flash(&session, capitalised(&e.to_string())).await;
            see_other(&form_url("/register", next))
        }
        Err(e) => {
            tracing::error!(error = %e, "registration failed");
            unavailable(&session, &form_url("/register", next)).await
        }
    }
}
