//! Refuses cross-site writes and live sockets: a POST (or any other unsafe
//! method, or a WebSocket upgrade) whose `Origin` is not this site, so another site cannot make a visitor's
//! browser send messages or change settings with the visitor's cookie.

use crate::http::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Origins accepted besides the request's own host.
#[derive(Clone, Debug, Default)]
pub struct AllowedOrigins(pub Arc<Vec<String>>);

pub async fn refuse_cross_site(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    // A WebSocket upgrade is a GET, but a cross-site page could open one
    // with the visitor's cookie and read the room: check it like a write.
    let upgrade = request
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let safe = !upgrade
        && matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
    if safe || same_site(request.headers(), &allowed) {
        return next.run(request).await;
    }
    ApiError(
        service::Error::new(
            model::ErrorKind::Forbidden,
            "cross-site request refused: it did not come from this site's pages",
        )
        .with_code("cross_site"),
    )
    .into_response()
}

/// Browsers send `Origin` on every cross-site POST; a request without one
/// (curl, a bot with a token) is not a browser being abused.
fn same_site(headers: &HeaderMap, allowed: &AllowedOrigins) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return headers
            .get("sec-fetch-site")
            .is_none_or(|site| site != "cross-site");
    };
    if allowed.0.iter().any(|a| a.trim_end_matches('/') == origin) {
        return true;
    }
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn same_host_origins_pass_and_others_do_not() {
        let none = AllowedOrigins::default();
        let ok = headers(&[
            ("host", "chat.local:3000"),
            ("origin", "http://chat.local:3000"),
        ]);
        assert!(same_site(&ok, &none));
        let evil = headers(&[
            ("host", "chat.local:3000"),
            ("origin", "https://evil.example"),
        ]);
        assert!(!same_site(&evil, &none));
        let null = headers(&[("host", "chat.local:3000"), ("origin", "null")]);
        assert!(!same_site(&null, &none));
        let no_origin = headers(&[("host", "chat.local:3000")]);
        assert!(same_site(&no_origin, &none));
        let fetch_cross = headers(&[
            ("host", "chat.local:3000"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(!same_site(&fetch_cross, &none));
        let proxied = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://chat.example.com"),
        ]);
        let allowed = AllowedOrigins(Arc::new(vec!["https://chat.example.com/".into()]));
        assert!(same_site(&proxied, &allowed));
    }
}
