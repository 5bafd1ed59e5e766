//! How the account forms answer: a page that is never cached, a redirect,
//! a flash for what went wrong, and a readable 429.

use crate::web_ui::WebUi;
use axum::extract::rejection::FormRejection;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use model::url::percent_encode;
use service::limits::RetryAfter;
use service::session::{Session, set_flash};

/// An account page: never cached, as it holds a one-time flash.
pub fn page(html: String) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// A form page URL that keeps where to go afterwards.
pub fn form_url(page: &str, next: &str) -> String {
    if next == "/" {
        page.to_owned()
    } else {
        format!("{page}?next={}", percent_encode(next))
    }
}

pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

pub fn bad_form(e: FormRejection) -> Response {
    (e.status(), e.body_text()).into_response()
}

pub async fn unavailable(session: &Session, back_to: &str) -> Response {
    set_flash(session, "That did not work right now, please try again").await;
    see_other(back_to)
}

pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// 429 with `Retry-After`, as a page a person can read.
pub fn too_many_attempts(ui: &dyn WebUi, retry: RetryAfter, back_to: &str) -> Response {
    let seconds = retry.seconds();
    let page = ui.notice_page(
        "Too many attempts",
        format!("Please wait {seconds} s before trying again."),
        "retry-after",
        back_to.to_owned(),
    );
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, seconds.to_string())],
        Html(page),
    )
        .into_response()
}

/// 503 for a form or page whose store is away: the one way the pages say
/// so (the API's is its JSON error).
pub fn unavailable_page(ui: &dyn WebUi, what: &str, back_to: &str) -> Response {
    let page = ui.notice_page(
        "Please try again",
        format!("{what} unavailable right now, please retry."),
        "unavailable",
        back_to.to_owned(),
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "5".to_owned())],
        Html(page),
    )
        .into_response()
}
