//! Serving the pages and their server functions over axum (server only).
//!
//! The view tree is rendered by generic code; instantiating it here rather
//! than in the server crate means an edit to a page recompiles this crate
//! only, and the server crate's build is reused (a shorter edit loop).

use crate::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use leptos_axum::{
    LeptosRoutes, file_and_error_handler, generate_route_list, handle_server_fns_with_context,
};
use service::Chat;

/// The pages (`/`, `/r/{room}`), the static site and the 404 page.
pub fn pages(options: LeptosOptions, chat: Chat) -> Router {
    let routes = generate_route_list(App);
    let context = move || provide_context(chat.clone());
    let render_shell = {
        let options = options.clone();
        move || shell(options.clone())
    };
    Router::new()
        .leptos_routes_with_context(&options, routes, context, render_shell)
        .fallback(file_and_error_handler::<LeptosOptions, _>(shell))
        .with_state(options)
}

/// One call of a server function, with the chat in its context.
pub async fn server_fn(chat: Chat, request: Request<Body>) -> Response {
    handle_server_fns_with_context(move || provide_context(chat.clone()), request)
        .await
        .into_response()
}
