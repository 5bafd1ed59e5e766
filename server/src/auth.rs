//! The register, login and logout forms' POST handlers. Each answers with a
//! redirect and a flash message, so they work the same with or without
//! JavaScript.

use crate::AppState;
use crate::extract::ValidForm;
use app::account::{Viewer, safe_return_path};
use app::limits::RetryAfter;
use app::session::{LoggedIn, log_in, log_out, set_flash};
use app::url::percent_encode;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// `GET /login`
pub async fn login_page(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<NextQuery>,
) -> Response {
    let viewer = viewer(&state, &session).await;
    page(app::account_pages::login_page(
        viewer,
        safe_return_path(&query.next),
    ))
}

/// `GET /register`
pub async fn register_page(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<NextQuery>,
) -> Response {
    let viewer = viewer(&state, &session).await;
    page(app::account_pages::register_page(
        viewer,
        safe_return_path(&query.next),
    ))
}

/// Who is looking; a guest when the account store cannot say.
pub async fn viewer(state: &AppState, session: &Session) -> Viewer {
    state
        .access
        .viewer(Some(session))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "viewer unknown");
            Viewer {
                require_login: state.access.require_login,
                ..Viewer::default()
            }
        })
}

/// An account page: never cached, as it holds a one-time flash.
pub fn page(html: String) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

#[derive(Deserialize)]
pub struct Credentials {
    name: String,
    password: String,
    /// Where to go afterwards (the page that asked for a login).
    #[serde(default)]
    next: String,
}

/// `POST /login`
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    ValidForm(form): ValidForm<Credentials>,
) -> Response {
    let next = safe_return_path(&form.next);
    if let Err(retry) = state.access.limits.login_attempt(&form.name, peer.ip()) {
        return too_many_attempts(retry, &form_url("/login", next));
    }
    match state
        .access
        .accounts
        .authenticate(&form.name, &form.password)
        .await
    {
        Ok(Some(account)) => {
            let name = account.name.clone();
            if let Err(e) = log_in(
                &session,
                LoggedIn {
                    id: account.id,
                    name: account.name,
                },
            )
            .await
            {
                tracing::error!(error = %e, "login not saved");
                return unavailable(&session, &form_url("/login", next)).await;
            }
            set_flash(&session, format!("Welcome back, {name}")).await;
            see_other(next)
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

/// `POST /register`: creates the account and logs it in.
pub async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    ValidForm(form): ValidForm<Credentials>,
) -> Response {
    let next = safe_return_path(&form.next);
    // Account creation counts as a login attempt from the address, so one
    // client cannot mass-register.
    if let Err(retry) = state.access.limits.registration_attempt(peer.ip()) {
        return too_many_attempts(retry, &form_url("/register", next));
    }
    match state
        .access
        .accounts
        .register(&form.name, &form.password)
        .await
    {
        Ok(account) => {
            let name = account.name.clone();
            if let Err(e) = log_in(
                &session,
                LoggedIn {
                    id: account.id,
                    name: account.name,
                },
            )
            .await
            {
                tracing::error!(error = %e, "login after registration not saved");
                return unavailable(&session, "/login").await;
            }
            set_flash(&session, format!("Welcome, {name}! Your account is ready.")).await;
            see_other(next)
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

/// `POST /logout`: ends the session; the flash lives in a fresh one.
pub async fn logout(session: Session) -> Response {
    if let Err(e) = log_out(&session).await {
        tracing::error!(error = %e, "logout failed");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "logout failed, please retry",
        )
            .into_response();
    }
    set_flash(&session, "Logged out").await;
    see_other("/")
}

/// A form page URL that keeps where to go afterwards.
pub fn form_url(page: &str, next: &str) -> String {
    if next == "/" {
        page.to_owned()
    } else {
        format!("{page}?next={}", percent_encode(next))
    }
}

pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

pub fn bad_form(e: FormRejection) -> Response {
    (e.status(), e.body_text()).into_response()
}

pub async fn unavailable(session: &Session, back_to: &str) -> Response {
    set_flash(session, "That did not work right now, please try again").await;
    see_other(back_to)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// 429 with `Retry-After`, as a page a person can read.
fn too_many_attempts(retry: RetryAfter, back_to: &str) -> Response {
    let seconds = retry.seconds();
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/pkg/chat.css\">\
         <title>Too many attempts</title></head><body><main class=\"page notice\">\
         <h1>Too many attempts</h1>\
         <p id=\"retry-after\">Please wait {seconds} s before trying again.</p>\
         <p><a href=\"{back_to}\">Back</a></p></main></body></html>"
    );
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, seconds.to_string())],
        Html(page),
    )
        .into_response()
}
