//! Who is calling the API: the account of a Bearer token, else the
//! session cookie's account, else a guest.

use super::error::ApiError;
use axum::http::{HeaderMap, header};
use service::Chat;
use service::access::Identity;
use service::session::Session;
use std::net::IpAddr;

pub async fn identify(
    chat: &Chat,
    headers: &HeaderMap,
    session: &Session,
    address: IpAddr,
) -> Result<Identity, ApiError> {
    // A header that is not text is no Bearer token: the service says so.
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or("?"));
    let guest_key = crate::middleware::guest_key::of(headers);
    Ok(chat
        .identify(authorization, Some(session), address, guest_key)
        .await?)
}

/// The caller of an API request, as [`identify`] finds it: for handlers
/// that need nothing else of the request's parts.
pub struct Caller(pub Identity);

impl axum::extract::FromRequestParts<crate::AppState> for Caller {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        identify(&state.chat, &parts.headers, &session, peer)
            .await
            .map(Caller)
            .map_err(IntoResponse::into_response)
    }
}
