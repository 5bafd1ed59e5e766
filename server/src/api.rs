//! The public JSON API for bots, CLI clients and load tests (docs/API.md).

use crate::AppState;
use app::access::{Outgoing, SendRefusal};
use app::accounts::AccountError;
use app::bus::{BusError, SendError};
use app::history::{MAX_PAGE_SIZE, PAGE_SIZE};
use app::limits::RetryAfter;
use app::message::ChatMessage;
use app::room::{InvalidRoomName, RoomName, RoomSummary};
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use tower_sessions::Session;

/// Every API error: a status and `{"error": "..."}`. Internal causes are
/// logged here and never shown to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Rejected { status: StatusCode, message: String },
    #[error("the chat store is unavailable, please retry")]
    Unavailable(#[source] BusError),
    #[error("the account store is unavailable, please retry")]
    AccountsUnavailable(#[source] AccountError),
    #[error("too many messages; try again in {} s", .0.seconds())]
    TooFast(RetryAfter),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Rejected { status, .. } => *status,
            ApiError::Unavailable(source) => {
                tracing::warn!(error = %source, "API request failed");
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::AccountsUnavailable(source) => {
                tracing::error!(error = %source, "API request failed");
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::TooFast(_) => StatusCode::TOO_MANY_REQUESTS,
        };
        let body = Json(ErrorBody {
            error: self.to_string(),
        });
        match self {
            ApiError::TooFast(retry) => (
                status,
                [(header::RETRY_AFTER, retry.seconds().to_string())],
                body,
            )
                .into_response(),
            ApiError::Rejected { status, .. } if status == StatusCode::UNAUTHORIZED => {
                (status, [(header::WWW_AUTHENTICATE, "Bearer")], body).into_response()
            }
            _ => (status, body).into_response(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

impl From<InvalidRoomName> for ApiError {
    fn from(e: InvalidRoomName) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

impl From<BusError> for ApiError {
    fn from(e: BusError) -> Self {
        ApiError::Unavailable(e)
    }
}

impl From<SendError> for ApiError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Rejected(rule) => ApiError::BadRequest(rule.to_string()),
            SendError::Bus(e) => e.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        if e.is_users_fault() {
            ApiError::BadRequest(e.to_string())
        } else {
            ApiError::AccountsUnavailable(e)
        }
    }
}

impl From<SendRefusal> for ApiError {
    fn from(e: SendRefusal) -> Self {
        let rejected = |status| ApiError::Rejected {
            status,
            message: e.to_string(),
        };
        match e {
            SendRefusal::LoginRequired => rejected(StatusCode::UNAUTHORIZED),
            SendRefusal::NameTaken(_) => rejected(StatusCode::CONFLICT),
            SendRefusal::TooFast(retry) => ApiError::TooFast(retry),
            SendRefusal::Send(e) => e.into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::Rejected {
            status: e.status(),
            message: e.body_text(),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

/// `GET /api/rooms`
pub async fn rooms(State(state): State<AppState>) -> Result<Json<Vec<RoomSummary>>, ApiError> {
    Ok(Json(state.bus.rooms().await?))
}

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<u64>,
    limit: Option<usize>,
}

#[derive(Serialize)]
pub struct MessagesBody {
    messages: Vec<ChatMessage>,
    has_older: bool,
}

/// `GET /api/rooms/{room}/messages?before=&limit=`
pub async fn messages(
    State(state): State<AppState>,
    Path(room): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<MessagesBody>, ApiError> {
    let room = RoomName::parse(&room)?;
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_PAGE_SIZE}"
        )));
    }
    if query.before == Some(0) {
        return Err(ApiError::BadRequest(
            "before must be a sequence >= 1".into(),
        ));
    }
    let page = state.bus.history(&room, query.before, limit).await?;
    Ok(Json(MessagesBody {
        messages: page.messages,
        has_older: page.has_older,
    }))
}

#[derive(Deserialize)]
pub struct NewMessage {
    id: String,
    /// A guest's display name; ignored when the caller is an account.
    #[serde(default)]
    from: String,
    body: String,
}

/// `POST /api/rooms/{room}/messages`: 201 with the stored message, also
/// for a retry of the same `id`, which stores nothing new. With
/// `Authorization: Bearer <token>` (or a logged-in session cookie) it posts
/// as that account.
pub async fn post_message(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    Path(room): Path<String>,
    body: Result<Json<NewMessage>, JsonRejection>,
) -> Result<(StatusCode, Json<ChatMessage>), ApiError> {
    let room = RoomName::parse(&room)?;
    let Json(new) = body?;
    let access = &state.access;
    let (caller, sender) = match bearer_token(&headers)? {
        Some(secret) => access
            .token_caller(secret)
            .await?
            .ok_or_else(|| ApiError::Rejected {
                status: StatusCode::UNAUTHORIZED,
                message: "invalid or revoked API token".into(),
            })?,
        None => access.session_caller(Some(&session), peer.ip()).await?,
    };
    let outgoing = Outgoing {
        room: &room,
        id: &new.id,
        from: &new.from,
        body: &new.body,
    };
    let stored = access.send(&state.bus, &caller, &sender, outgoing).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// The secret of `Authorization: Bearer <token>`; any other scheme is an
/// error rather than a silent guest post.
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|token| Some(token.trim()))
        .ok_or_else(|| ApiError::Rejected {
            status: StatusCode::UNAUTHORIZED,
            message: "Authorization must be 'Bearer <token>'".into(),
        })
}

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    nats: String,
    active_rooms: usize,
}

/// `GET /healthz`: 200 when the server and its NATS connection are up.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let nats = state.bus.client().connection_state();
    let up = matches!(nats, async_nats::connection::State::Connected);
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if up { "ok" } else { "degraded" },
            nats: nats.to_string(),
            active_rooms: state.hub.active_rooms(),
        }),
    )
}

#[derive(Deserialize)]
pub struct GoQuery {
    room: Option<String>,
}

/// `GET /go?room=NAME`: the lobby's "open a room" form lands here and is
/// sent on to the room page, which explains an invalid name.
pub async fn go(Query(query): Query<GoQuery>) -> Response {
    let name = query.room.unwrap_or_default();
    let encoded = app::url::percent_encode(name.trim());
    let target = if encoded.is_empty() {
        "/".to_string()
    } else {
        format!("/r/{encoded}")
    };
    (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, target)],
    )
        .into_response()
}
