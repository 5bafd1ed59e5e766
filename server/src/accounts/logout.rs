//! `POST /logout`.

use super::respond::see_other;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use service::session::{Session, log_out, set_flash};

/// `POST /logout`: ends the session; the flash lives in a fresh one.
pub async fn submit(session: Session) -> Response {
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
