//! The login guard: pages and forms under a protected prefix need a
//! logged-in session; others are sent to the login page and come back.

use crate::AppState;
use crate::accounts::respond::see_other;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use model::url::percent_encode;
use service::session;
use tower_sessions::Session;

/// Everything under these paths needs a login.
const PROTECTED: &[&str] = &["/settings"];

fn is_protected(path: &str) -> bool {
    PROTECTED.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

pub async fn require_login(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !is_protected(path) {
        return next.run(request).await;
    }
    // A login that has ended (its time, a password change, "log out
    // everywhere") is no login; an unreadable account store is the
    // handler's to report.
    if !matches!(
        session::account(&session, state.chat.accounts()).await,
        Ok(None)
    ) {
        return next.run(request).await;
    }
    // A form post cannot be replayed after login; its page can.
    let back = if request.method() == Method::GET {
        request
            .uri()
            .path_and_query()
            .map_or(path, |p| p.as_str())
            .to_owned()
    } else {
        PROTECTED
            .iter()
            .find(|prefix| path.starts_with(*prefix))
            .map_or("/", |prefix| *prefix)
            .to_owned()
    };
    // No flash here: an anonymous visit must not write a session row. The
    // login page says "Please log in first" when it has somewhere to return.
    see_other(&format!("/login?next={}", percent_encode(&back)))
}

#[cfg(test)]
mod tests {
    use super::is_protected;

    #[test]
    fn protects_the_prefix_and_below_only() {
        assert!(is_protected("/settings"));
        assert!(is_protected("/settings/tokens"));
        assert!(!is_protected("/settingsx"));
        assert!(!is_protected("/r/settings"));
        assert!(!is_protected("/"));
    }
}
