//! A guest's key: what makes a guest's messages and reactions theirs (to
//! edit, delete, take back) without a session row. A browser holds it in
//! the `chat_guest` cookie, given on its first write; an API client sends
//! `X-Chat-Guest-Key`. Handlers read the header either way.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

pub const COOKIE_NAME: &str = "chat_guest";
pub const HEADER: &str = service::caller::GUEST_KEY_HEADER;
/// A year: a guest's key outlives the edit window and the history.
const MAX_AGE_S: u64 = 365 * 24 * 3600;

/// The guest key the request carries, if any.
pub fn of(headers: &HeaderMap) -> Option<&str> {
    headers.get(HEADER).and_then(|v| v.to_str().ok())
}

fn from_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE_NAME).then(|| value.to_owned())
        })
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the cookie goes over HTTPS only (`CHAT_SECURE_COOKIES`, as the
/// session cookie).
#[derive(Clone, Copy)]
pub struct CookieSecurity {
    pub secure: bool,
}

pub async fn attach(
    axum::extract::State(security): axum::extract::State<CookieSecurity>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if headers.contains_key(HEADER) {
        return next.run(request).await;
    }
    let mut new_key = None;
    let key = match from_cookie(headers) {
        Some(key) => Some(key),
        // Only the pages' own writes get one made (their server functions,
        // and their API calls, which a browser sends with `Origin`): an API
        // client without a key would otherwise be a new person on every
        // request.
        None if is_write(request.method())
            && (request.uri().path().starts_with("/fn/")
                || headers.contains_key(header::ORIGIN)) =>
        {
            let key = uuid::Uuid::new_v4().simple().to_string();
            new_key = Some(key.clone());
            Some(key)
        }
        None => None,
    };
    if let Some(value) = key.and_then(|k| HeaderValue::from_str(&k).ok()) {
        request.headers_mut().insert(HEADER, value);
    }
    let mut response = next.run(request).await;
    if let Some(key) = new_key {
        let secure = if security.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{COOKIE_NAME}={key}; Path=/; Max-Age={MAX_AGE_S}; HttpOnly; SameSite=Lax{secure}"
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
