//! The messages that mention the caller or answer it, across rooms, newest
//! first (accounts only): `GET /api/mentions?before=&limit=` and the
//! `/mentions` page.

use super::error::{ApiError, bad_query};
use super::identity::identify;
use crate::AppState;
use crate::accounts::respond::{page as html_page, see_other};
use crate::accounts::viewer;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use model::api::{MentionsPage, PageQuery};
use model::history::{MAX_PAGE_SIZE, PAGE_SIZE};
use service::session::Session;
use std::net::SocketAddr;

pub async fn list(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<MentionsPage>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let limit = query.limit.unwrap_or(PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError(service::Error::bad_input(format!(
            "limit must be 1 to {MAX_PAGE_SIZE}"
        ))));
    }
    let identity = identify(&state.chat, &headers, &session, peer.ip()).await?;
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    query: Result<Query<MentionsPageQuery>, QueryRejection>,
) -> Response {
    let before = query.ok().and_then(|Query(q)| q.before);
    let identity = match identify(&state.chat, &headers, &session, peer.ip()).await {
        Ok(identity) if identity.account().is_some() => identity,
        Ok(_) => return see_other("/login?next=%2Fmentions"),
        Err(e) => return e.into_response(),
    };
    let viewer = viewer(&state, &session).await;
    match state.chat.mentions(&identity, before, PAGE_SIZE).await {
        Ok(mentions) => html_page(state.ui.mentions_page(viewer, mentions, before.is_some())),
        Err(e) => ApiError(e).into_response(),
    }
}
