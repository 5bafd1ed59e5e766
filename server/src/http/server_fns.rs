//! `/fn/*`: hands the pages' server-function calls to the Leptos app, with
//! the chat in their context.

use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::IntoResponse;
use leptos_axum::handle_server_fns_with_context;

/// What every server function and server-rendered page can use.
pub fn provide_context(state: &AppState) {
    leptos::prelude::provide_context(state.chat.clone());
}

pub async fn handle(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(&state), request).await
}
