//! What an API handler takes from a request, each with the API error as
//! its rejection: the caller (a Bearer token's account, else the
//! session's, else a guest), the room (and name) of the path, a query and
//! a JSON body.

use super::error::{ApiError, bad_json, bad_path, bad_query};
use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use model::room::RoomName;
use serde::de::DeserializeOwned;
use service::access::Identity;

/// The caller of a request, as [`service::Chat::identify_request`] finds it.
pub struct Caller(pub Identity);

impl FromRequestParts<crate::AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, ApiError> {
        Ok(Caller(state.chat.identify_request(parts).await?))
    }
}

/// The room a request is about: the path's `{room}`, a valid room name.
pub struct RoomPath(pub RoomName);

impl<S: Send + Sync> FromRequestParts<S> for RoomPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(room) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(bad_path)?;
        Ok(RoomPath(RoomName::parse(&room)?))
    }
}

/// The room and the second segment of the path (an account's name, a
/// message id) a request is about.
pub struct RoomAnd(pub RoomName, pub String);

impl<S: Send + Sync> FromRequestParts<S> for RoomAnd {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path((room, second)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(bad_path)?;
        Ok(RoomAnd(RoomName::parse(&room)?, second))
    }
}

/// Path parameters of any other shape.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(value) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(bad_path)?;
        Ok(ApiPath(value))
    }
}

/// A query string.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(bad_query)?;
        Ok(ApiQuery(value))
    }
}

/// A JSON body.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(request, state)
            .await
            .map_err(bad_json)?;
        Ok(ApiJson(value))
    }
}
