//! Extractors the account forms share: a well-formed form body, and the
//! logged-in member behind the session.

use super::respond::{bad_form, see_other, unavailable_page};
use crate::AppState;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use service::accounts::Account;
use service::session::{self, Session};

/// A form body; a malformed one is answered with its status and reason.
pub struct ValidForm<T>(pub T);

impl<S, T> FromRequest<S> for ValidForm<T>
where
    Form<T>: FromRequest<S, Rejection = FormRejection>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        Form::<T>::from_request(request, state)
            .await
            .map(|Form(value)| ValidForm(value))
            .map_err(bad_form)
    }
}

/// The logged-in account, while its login holds; without one the request
/// goes to the login page.
pub struct Member(pub Account);

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match session::account(&session, state.chat.accounts()).await {
            Ok(Some(account)) => Ok(Member(account)),
            Ok(None) => Err(see_other("/login")),
            Err(e) => {
                tracing::error!(error = %e, "session's account not loaded");
                Err(unavailable_page(state.ui.as_ref(), "The accounts are", "/"))
            }
        }
    }
}
