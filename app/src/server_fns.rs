//! Server functions the pages call: send a message, read history, list
//! rooms, and who is looking.

use crate::account::Viewer;
use crate::history::HistoryPage;
use crate::message::ChatMessage;
use crate::room::RoomSummary;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// The error a page shows. Internal causes are logged on the server and
/// never sent to the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ChatError {
    #[error("{0}")]
    Rejected(String),
    #[error("the chat is unavailable right now, please try again")]
    Unavailable,
    #[error("request failed: {0}")]
    Request(String),
}

impl FromServerFnError for ChatError {
    type Encoder = JsonEncoding;
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ChatError::Request(value.to_string())
    }
}

/// The first page of a room, plus a fresh id for the next message, made on
/// the server so that the form works without JavaScript and the first
/// client render matches the server's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomOpening {
    pub page: HistoryPage,
    pub next_id: String,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::ChatError;
    use crate::access::{Access, Caller, SendRefusal};
    use crate::accounts::AccountError;
    use crate::bus::{BusError, ChatBus, SendError};
    use crate::limits::SenderKey;
    use crate::room::RoomName;
    use crate::url::percent_encode;
    use leptos::prelude::*;
    use tower_sessions::Session;

    pub fn access() -> Result<Access, ChatError> {
        use_context::<Access>().ok_or_else(|| {
            tracing::error!("Access missing from the server function context");
            ChatError::Unavailable
        })
    }

    fn request_parts() -> Option<http::request::Parts> {
        use_context::<http::request::Parts>()
    }

    /// The browser session, when the session layer is in front.
    pub fn session() -> Option<Session> {
        request_parts()?.extensions.get::<Session>().cloned()
    }

    /// Who is calling, and what their messages are counted against.
    pub async fn caller(access: &Access) -> Result<(Caller, SenderKey), ChatError> {
        Ok(access
            .session_caller(session().as_ref(), client_address())
            .await?)
    }

    pub fn client_address() -> std::net::IpAddr {
        request_parts()
            .and_then(|parts| {
                parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|info| info.0.ip())
            })
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    pub fn set_status(status: http::StatusCode) {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status);
        }
    }

    impl From<AccountError> for ChatError {
        fn from(e: AccountError) -> Self {
            if e.is_users_fault() {
                ChatError::Rejected(e.to_string())
            } else {
                tracing::error!(error = %e, "account store error");
                ChatError::Unavailable
            }
        }
    }

    impl From<SendRefusal> for ChatError {
        fn from(e: SendRefusal) -> Self {
            let status = match &e {
                SendRefusal::LoginRequired => http::StatusCode::UNAUTHORIZED,
                SendRefusal::NameTaken(_) => http::StatusCode::CONFLICT,
                SendRefusal::TooFast(_) => http::StatusCode::TOO_MANY_REQUESTS,
                SendRefusal::Send(SendError::Rejected(_)) => http::StatusCode::BAD_REQUEST,
                SendRefusal::Send(SendError::Bus(_)) => http::StatusCode::SERVICE_UNAVAILABLE,
            };
            set_status(status);
            match e {
                SendRefusal::Send(e) => e.into(),
                other => ChatError::Rejected(other.to_string()),
            }
        }
    }

    pub fn bus() -> Result<ChatBus, ChatError> {
        use_context::<ChatBus>().ok_or_else(|| {
            tracing::error!("ChatBus missing from the server function context");
            ChatError::Unavailable
        })
    }

    pub fn room(name: &str) -> Result<RoomName, ChatError> {
        RoomName::parse(name).map_err(|e| ChatError::Rejected(e.to_string()))
    }

    impl From<BusError> for ChatError {
        fn from(e: BusError) -> Self {
            tracing::warn!(error = %e, "chat bus error");
            ChatError::Unavailable
        }
    }

    impl From<SendError> for ChatError {
        fn from(e: SendError) -> Self {
            match e {
                SendError::Rejected(rule) => ChatError::Rejected(rule.to_string()),
                SendError::Bus(e) => e.into(),
            }
        }
    }

    /// A plain form post (no JavaScript) sees errors only after a redirect,
    /// so it goes back to the room with the error in the query.
    pub fn redirect_form_error(room: &str, error: &ChatError) {
        let plain_form = use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
            .and_then(|v| v.to_str().ok().map(|v| v.contains("text/html")))
            .unwrap_or(false);
        if plain_form {
            // An invalid room lands on the room page's own "invalid room name".
            let (room, text) = (percent_encode(room), percent_encode(&error.to_string()));
            leptos_axum::redirect(&format!("/r/{room}?error={text}"));
        }
    }
}

#[server(prefix = "/fn", endpoint = "send_message")]
pub async fn send_message(
    room: String,
    id: String,
    from: String,
    body: String,
) -> Result<ChatMessage, ChatError> {
    use crate::access::Outgoing;
    let result: Result<ChatMessage, ChatError> = async {
        let room_name = ssr::room(&room)?;
        let access = ssr::access()?;
        let (caller, sender) = ssr::caller(&access).await?;
        let outgoing = Outgoing {
            room: &room_name,
            id: &id,
            from: &from,
            body: &body,
        };
        Ok(access
            .send(&ssr::bus()?, &caller, &sender, outgoing)
            .await?)
    }
    .await;
    if let Err(e) = &result {
        ssr::redirect_form_error(&room, e);
    }
    result
}

#[server(prefix = "/fn", endpoint = "open_room")]
pub async fn open_room(room: String) -> Result<RoomOpening, ChatError> {
    let room = ssr::room(&room)?;
    let page = ssr::bus()?
        .history(&room, None, crate::history::PAGE_SIZE)
        .await?;
    Ok(RoomOpening {
        page,
        next_id: uuid::Uuid::new_v4().simple().to_string(),
    })
}

#[server(prefix = "/fn", endpoint = "older_messages")]
pub async fn older_messages(room: String, before: u64) -> Result<HistoryPage, ChatError> {
    let room = ssr::room(&room)?;
    Ok(ssr::bus()?
        .history(&room, Some(before), crate::history::PAGE_SIZE)
        .await?)
}

#[server(prefix = "/fn", endpoint = "list_rooms")]
pub async fn list_rooms() -> Result<Vec<RoomSummary>, ChatError> {
    let bus = ssr::bus()?;
    let mut rooms = bus.rooms().await?;
    if let Some(defaults) = use_context::<DefaultRooms>() {
        for name in defaults.0 {
            if !rooms.iter().any(|r| r.name == name) {
                rooms.push(RoomSummary {
                    name,
                    last_seq: 0,
                    count: 0,
                    last_ts: None,
                });
            }
        }
    }
    Ok(rooms)
}

/// Who is looking at the page; takes the session's flash message, which is
/// therefore shown once.
#[server(prefix = "/fn", endpoint = "viewer")]
pub async fn load_viewer() -> Result<Viewer, ChatError> {
    let access = ssr::access()?;
    Ok(access.viewer(ssr::session().as_ref()).await?)
}

/// Rooms the lobby lists even before anyone has written in them.
#[derive(Clone, Debug)]
pub struct DefaultRooms(pub Vec<String>);
