//! Server functions the pages call. Each is thin: it asks the service and
//! maps its error; the rules live in the service.

mod messages;
mod rooms;
mod viewer;

pub use messages::{
    OlderMessages, OpenRoom, RoomOpening, SendMessage, older_messages, open_room, send_message,
};
pub use rooms::{ListRooms, list_rooms};
pub use viewer::{LoadViewer, load_viewer};

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// The error a page shows: a code for what went wrong and a text meant for
/// people. It is made from the service's error, whose kind has already set
/// the response's status on the server; internal causes are logged there
/// and never sent to the browser.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ChatError {
    /// A short, stable name (see `model::error::form_error_text`).
    pub code: String,
    pub message: String,
}

/// On the wire it is one string, `code message`: the WASM already decodes
/// strings, and a struct decoder of its own cost bundle budget.
impl Serialize for ChatError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{} {}", self.code, self.message))
    }
}

impl<'de> Deserialize<'de> for ChatError {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let (code, message) = text.split_once(' ').unwrap_or((&text, ""));
        Ok(ChatError {
            code: code.to_owned(),
            message: message.to_owned(),
        })
    }
}

impl FromServerFnError for ChatError {
    type Encoder = JsonEncoding;
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Said for people: what happened to their words and what to do.
        let message = match value {
            ServerFnErrorErr::Request(_) => {
                "Not sent: the chat cannot be reached (are you offline?). Your text is kept; press Enter to try again.".to_owned()
            }
            other => {
                format!("Not sent: something went wrong on the way ({other}). Please try again.")
            }
        };
        ChatError {
            code: "unavailable".into(),
            message,
        }
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::ChatError;
    use leptos::prelude::*;
    use model::ErrorKind;
    use model::room::RoomName;
    use model::url::percent_encode;
    use service::Chat;
    use service::access::Identity;
    use service::session::Session;

    /// The one place a service error becomes a page's error: the HTTP status
    /// from its kind, the text a person reads.
    impl From<service::Error> for ChatError {
        fn from(e: service::Error) -> Self {
            let kind = e.kind();
            if matches!(
                kind,
                ErrorKind::Unavailable | ErrorKind::Internal | ErrorKind::InsufficientStorage
            ) {
                tracing::warn!(error = %e.report(), "server function failed");
            }
            set_status(kind.http_status());
            let message = match kind {
                ErrorKind::Unavailable => {
                    "the chat is unavailable right now, please try again".into()
                }
                _ => e.message().to_owned(),
            };
            ChatError {
                code: e.code().to_owned(),
                message,
            }
        }
    }

    pub fn chat() -> Result<Chat, ChatError> {
        use_context::<Chat>().ok_or_else(|| {
            tracing::error!("Chat missing from the server function context");
            ChatError {
                code: "unavailable".into(),
                message: "the chat is unavailable right now, please try again".into(),
            }
        })
    }

    fn request_parts() -> Option<http::request::Parts> {
        use_context::<http::request::Parts>()
    }

    /// The browser session, when the session layer is in front.
    pub fn session() -> Option<Session> {
        service::session::of_request(&request_parts()?)
    }

    /// Who is calling, and what their messages are counted against: as
    /// every other way in finds it.
    pub async fn identity(chat: &Chat) -> Result<Identity, ChatError> {
        let parts = request_parts().unwrap_or_else(|| http::Request::new(()).into_parts().0);
        Ok(chat.identify_request(&parts).await?)
    }

    fn set_status(status: u16) {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = http::StatusCode::from_u16(status)
        {
            response.set_status(status);
        }
    }

    pub fn room(name: &str) -> Result<RoomName, ChatError> {
        RoomName::parse(name).map_err(|e| service::Error::from(e).into())
    }

    /// A plain form post (no JavaScript) sees errors only after a redirect,
    /// so it goes back to the room with the error's code in the query; the
    /// page shows the text it knows for that code.
    pub fn redirect_form_error(room: &str, error: &ChatError) {
        let plain_form = request_parts()
            .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
            .and_then(|v| v.to_str().ok().map(|v| v.contains("text/html")))
            .unwrap_or(false);
        if plain_form {
            // An invalid room lands on the room page's own "invalid room name".
            let (room, code) = (percent_encode(room), percent_encode(&error.code));
            leptos_axum::redirect(&format!("/r/{room}?error={code}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ChatError;

    #[test]
    fn chat_error_travels_as_code_and_text() {
        let error = ChatError {
            code: "too_fast".into(),
            message: "too many messages; wait a few seconds".into(),
        };
        let json = serde_json::to_string(&error).unwrap();
        assert_eq!(json, r#""too_fast too many messages; wait a few seconds""#);
        assert_eq!(serde_json::from_str::<ChatError>(&json).unwrap(), error);
    }
}
