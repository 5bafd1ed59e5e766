//! The one place an error becomes an HTTP answer: the status comes from the
//! error's kind, the body is `{"error": "...", "code": "..."}`, internal causes go to the
//! log only.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use model::ErrorKind;
use model::api::ErrorBody;

#[derive(Debug)]
pub struct ApiError(pub service::Error);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = self.0.kind();
        if matches!(
            kind,
            ErrorKind::Unavailable | ErrorKind::Internal | ErrorKind::InsufficientStorage
        ) {
            tracing::warn!(error = %self.0.report(), "API request failed");
        }
        let status = axum::http::StatusCode::from_u16(kind.http_status())
            .expect("every kind has a valid status");
        let body = Json(ErrorBody {
            error: self.0.message().to_owned(),
            code: self.0.code().to_owned(),
            reason: self.0.sanction_reason().map(str::to_owned),
            until: self.0.sanction_until().map(str::to_owned),
        });
        match kind {
            ErrorKind::TooFast { retry_after_s } => (
                status,
                [(header::RETRY_AFTER, retry_after_s.to_string())],
                body,
            )
                .into_response(),
            ErrorKind::Unauthorized | ErrorKind::LoginRequired => {
                (status, [(header::WWW_AUTHENTICATE, "Bearer")], body).into_response()
            }
            _ => (status, body).into_response(),
        }
    }
}

impl<E: Into<service::Error>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

/// A body axum could not read, as the error of its kind.
pub fn bad_json(e: JsonRejection) -> ApiError {
    let kind = ErrorKind::from_http_status(e.status().as_u16(), None);
    ApiError(service::Error::new(kind, e.body_text()))
}

pub fn bad_query(e: QueryRejection) -> ApiError {
    ApiError(service::Error::bad_input(e.body_text()))
}

pub fn bad_path(e: PathRejection) -> ApiError {
    ApiError(service::Error::bad_input(e.body_text()))
}
