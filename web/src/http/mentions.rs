//! The messages that mention the caller or answer it, across rooms, newest
//! first (accounts only): `GET /api/mentions?before=&limit=` and the
//! `/mentions` page.

use super::error::ApiError;
use super::identity::{ApiQuery, Caller};
use crate::AppState;
use crate::accounts::respond::{page as html_page, see_other};
use crate::accounts::viewer;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use model::api::{MentionsPage, PageQuery};
use model::history::{MAX_PAGE_SIZE, PAGE_SIZE};
use service::session::Session;

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PageQuery>,
    Caller(identity): Caller,
) -> Result<Json<MentionsPage>, ApiError> {
    let limit = query.limit.unwrap_or(PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError(service::Error::bad_input(format!(
            "limit must be 1 to {MAX_PAGE_SIZE}"
        ))));
    }
    Ok(Json(
        state.chat.mentions(&identity, query.before, limit).await?,
    ))
}

#[derive(serde::Deserialize)]
pub struct MentionsPageQuery {
    before: Option<u64>,
}

/// `GET /mentions?before=`: the same list as a page, without JavaScript;
/// a guest is sent to log in.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    query: Result<ApiQuery<MentionsPageQuery>, ApiError>,
    caller: Result<Caller, ApiError>,
) -> Response {
    let before = query.ok().and_then(|ApiQuery(q)| q.before);
    let identity = match caller {
        Ok(Caller(identity)) if identity.account().is_some() => identity,
        Ok(_) => return see_other("/login?next=%2Fmentions"),
        Err(e) => return e.into_response(),
    };
    let viewer = viewer(&state, &session).await;
    match state.chat.mentions(&identity, before, PAGE_SIZE).await {
        Ok(mentions) => html_page(state.ui.mentions_page(viewer, mentions, before.is_some())),
        Err(e) => ApiError(e).into_response(),
    }
}
