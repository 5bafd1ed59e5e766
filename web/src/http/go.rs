//! `GET /go?room=NAME`: the lobby's "open a room" form lands here and is
//! sent on to the room page, which explains an invalid name.

use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct GoQuery {
    room: Option<String>,
}

pub async fn go(Query(query): Query<GoQuery>) -> Response {
    let name = query.room.unwrap_or_default();
    let encoded = model::url::percent_encode(name.trim());
    let target = if encoded.is_empty() {
        "/".to_string()
    } else {
        format!("/r/{encoded}")
    };
    (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
}
