//! Who is calling the API: the account of a Bearer token, else the
//! session cookie's account, else a guest.

use super::error::ApiError;
use axum::http::{HeaderMap, header};
use model::ErrorKind;
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
    match bearer_token(headers)? {
        Some(secret) => Ok(chat.identify_token(secret).await?),
        None => Ok(chat.identify_session(Some(session), address).await?),
    }
}

/// The secret of `Authorization: Bearer <token>`; any other scheme is an
/// error rather than a silent guest post.
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|token| Some(token.trim()))
        .ok_or_else(|| {
            ApiError(service::Error::new(
                ErrorKind::Unauthorized,
                "Authorization must be 'Bearer <token>'",
            ))
        })
}
