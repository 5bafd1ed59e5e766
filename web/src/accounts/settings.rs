//! The settings page's forms: appearance, password, API tokens. All sit
//! under `/settings`, behind the login guard.

use super::extract::{Member, ValidForm};
use super::respond::{
    page as html_page, see_other, too_many_attempts, unavailable, unavailable_page,
};
use super::viewer;
use crate::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::Response;
use model::account::AccountSettings;
use serde::Deserialize;
use service::accounts::AccountError;
use service::session::{self, Session, set_flash};
use std::net::SocketAddr;

const SETTINGS: &str = "/settings";

/// `GET /settings`
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Member(account): Member,
) -> Response {
    let viewer = viewer(&state, &session).await;
    let accounts = state.chat.accounts();
    let loaded = async {
        let tokens = accounts.tokens(account.id).await?;
        Ok::<_, AccountError>(Some(AccountSettings {
            account: account.name,
            appearance: account.appearance,
            tokens,
        }))
    }
    .await;
    match loaded {
        Ok(Some(settings)) => html_page(state.ui.settings_page(viewer, settings)),
        Ok(None) => see_other("/login"),
        Err(e) => {
            tracing::error!(error = %e, "settings page failed");
            unavailable_page(state.ui.as_ref(), "Your settings are", "/settings")
        }
    }
}

#[derive(Deserialize)]
pub struct AppearanceForm {
    #[serde(default)]
    color: String,
    /// The colour picker always sends a colour; this box says whether to use it.
    #[serde(default)]
    use_color: Option<String>,
    #[serde(default)]
    emoji: String,
}

/// `POST /settings/appearance`
pub async fn appearance(
    State(state): State<AppState>,
    session: Session,
    Member(account): Member,
    ValidForm(form): ValidForm<AppearanceForm>,
) -> Response {
    let color = if form.use_color.is_some() {
        form.color.as_str()
    } else {
        ""
    };
    let saved = state
        .chat
        .accounts()
        .set_appearance(account.id, color, &form.emoji)
        .await;
    finish(&session, saved.map(|_| "Appearance saved".to_owned())).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    /// A checkbox: also revoke every API token.
    #[serde(default)]
    revoke_tokens: Option<String>,
}

/// `POST /settings/password`
pub async fn password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    Member(account): Member,
    ValidForm(form): ValidForm<PasswordForm>,
) -> Response {
    // Each try costs a full argon2 verify, and a stolen session could guess
    // the current password: limited like logins.
    if let Err(retry) = state.chat.limits().login_attempt(&account.name, peer.ip()) {
        return too_many_attempts(state.ui.as_ref(), retry, SETTINGS);
    }
    let chat = &state.chat;
    let changed = async {
        let epoch = chat
            .change_password(account.id, &form.current, &form.new)
            .await?;
        // Every other session has ended; this one carries on, under a new
        // id (one seen before the change is worth nothing after it).
        if let Err(e) = session::take_on_epoch(&session, epoch).await {
            tracing::error!(error = %e, "session not renewed after a password change");
        }
        if form.revoke_tokens.is_some() {
            let revoked = chat.revoke_all_tokens(account.id).await?;
            return Ok(format!(
                "Password changed; you were logged out everywhere else, and {revoked} API token(s) were revoked"
            ));
        }
        Ok("Password changed; you were logged out everywhere else".to_owned())
    }
    .await;
    finish(&session, changed).await
}

/// `POST /settings/sessions/end`: log out everywhere, this browser too.
pub async fn end_sessions(
    State(state): State<AppState>,
    session: Session,
    Member(account): Member,
) -> Response {
    if let Err(e) = state.chat.end_sessions(account.id).await {
        tracing::error!(error = %e, "sessions not ended");
        return unavailable(&session, SETTINGS).await;
    }
    if let Err(e) = session::log_out(&session).await {
        tracing::error!(error = %e, "session not cleared");
    }
    set_flash(&session, "Logged out everywhere").await;
    see_other("/login")
}

#[derive(Deserialize)]
pub struct NewToken {
    label: String,
}

/// `POST /settings/tokens`: the secret is shown once, in the flash.
pub async fn create_token(
    State(state): State<AppState>,
    session: Session,
    Member(account): Member,
    ValidForm(form): ValidForm<NewToken>,
) -> Response {
    let created = state
        .chat
        .accounts()
        .create_token(account.id, &form.label)
        .await;
    finish(
        &session,
        created.map(|(token, secret)| {
            format!(
                "New API token \"{}\": {secret} (copy it now, it will not be shown again)",
                token.label
            )
        }),
    )
    .await
}

/// `POST /settings/tokens/{id}/revoke`
pub async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    Member(account): Member,
    Path(token_id): Path<i64>,
) -> Response {
    let revoked = state.chat.revoke_token(account.id, token_id).await;
    finish(
        &session,
        revoked.map(|found| {
            if found {
                "Token revoked".to_owned()
            } else {
                "No such token".to_owned()
            }
        }),
    )
    .await
}

/// Back to the settings page with what happened.
async fn finish(session: &Session, outcome: Result<String, AccountError>) -> Response {
    match outcome {
        Ok(done) => {
            set_flash(session, done).await;
            see_other(SETTINGS)
        }
        Err(e) if e.is_users_fault() => {
            set_flash(session, format!("Not saved: {e}")).await;
            see_other(SETTINGS)
        }
        Err(e) => {
            tracing::error!(error = %e, "settings change failed");
            unavailable(session, SETTINGS).await
        }
    }
}
