//! `/fn/*`: hands the pages' server-function calls to the Leptos app, with
//! the chat in their context.

use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;

pub async fn handle(State(state): State<AppState>, request: Request<Body>) -> Response {
    state.ui.server_fn(state.chat, request).await
}
