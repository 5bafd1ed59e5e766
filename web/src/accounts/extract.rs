//! Extractors the account forms share: a well-formed form body, and the
//! logged-in member behind the session.

use super::respond::{bad_form, see_other};
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use service::session::{LoggedIn, Session, logged_in};

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

/// The logged-in account; without one the request goes to the login page.
pub struct Member(pub LoggedIn);

impl<S: Send + Sync> FromRequestParts<S> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        logged_in(&session)
            .await
            .map(Member)
            .ok_or_else(|| see_other("/login"))
    }
}
