//! The server and who is asking: requests for history, rooms, and changes.

use model::api::ErrorBody;
use model::history::HistoryPage;
use model::message::ChatMessage;
use model::room::RoomSummary;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use std::time::Duration;

/// Who the client posts as.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// An API token made on the settings page: its account.
    Token(String),
    /// A guest under a self-chosen name; the key makes its messages its own
    /// (`X-Chat-Guest-Key`), so it can delete them later.
    Guest { name: String, key: String },
}

/// One chat server.
#[derive(Clone, Debug)]
pub struct ApiClient {
    base: String,
    credentials: Credentials,
    http: reqwest::Client,
}

/// Why a request did not succeed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    kind: RequestErrorKind,
    /// The error body's `code` (docs/API.md), when the server sent one.
    code: Option<String>,
    message: String,
    #[source]
    source: Option<reqwest::Error>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestErrorKind {
    /// The server answered no: the same request will be refused again.
    Refused(StatusCode),
    /// Too many requests: may be retried after the given time.
    TooFast(Duration),
    /// No answer, or the server is temporarily unable (503): retry.
    Unreachable,
}

impl RequestError {
    pub fn kind(&self) -> RequestErrorKind {
        self.kind
    }

    /// What the server said went wrong, as a program reads it
    /// (`name_taken`, `id_taken`, …): what to branch on, rather than the
    /// status, which several causes share.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        !matches!(self.kind, RequestErrorKind::Refused(_))
    }

    fn unreachable(what: &str, source: reqwest::Error) -> Self {
        RequestError {
            kind: RequestErrorKind::Unreachable,
            code: None,
            message: format!("{what}: {source}"),
            source: Some(source),
        }
    }
}

impl ApiClient {
    /// `server` is the chat's base URL, e.g. `http://127.0.0.1:3000`.
    pub fn new(server: &str, credentials: Credentials) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client without special settings");
        ApiClient {
            base: server.trim_end_matches('/').to_owned(),
            credentials,
            http,
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The name a guest posts under; `None` for a token's account.
    pub fn guest_name(&self) -> Option<&str> {
        match &self.credentials {
            Credentials::Guest { name, .. } => Some(name),
            Credentials::Token(_) => None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The WebSocket URL of `path` (`http` → `ws`, `https` → `wss`).
    pub fn ws_url(&self, path: &str) -> String {
        let base = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.base.clone()
        };
        format!("{base}{path}")
    }

    /// A request carrying the credentials.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match &self.credentials {
            Credentials::Token(token) => request.bearer_auth(token),
            Credentials::Guest { key, .. } => request.header("x-chat-guest-key", key),
        }
    }

    /// The `limit` newest messages before `before` (or the newest).
    pub async fn history(
        &self,
        room: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<HistoryPage, RequestError> {
        let mut path = format!("/api/rooms/{room}/messages?limit={limit}");
        if let Some(before) = before {
            path.push_str(&format!("&before={before}"));
        }
        let response = self
            .call(self.request(Method::GET, &path), "reading history")
            .await?;
        decode(response, "reading history").await
    }

    /// Rooms with messages, newest activity first (the first page).
    pub async fn rooms(&self) -> Result<Vec<RoomSummary>, RequestError> {
        let response = self
            .call(self.request(Method::GET, "/api/rooms"), "listing rooms")
            .await?;
        decode(response, "listing rooms").await
    }

    /// Takes back a message this client's account or guest key posted.
    pub async fn delete(&self, room: &str, seq: u64) -> Result<(), RequestError> {
        let path = format!("/api/rooms/{room}/messages/{seq}");
        self.call(self.request(Method::DELETE, &path), "deleting a message")
            .await
            .map(drop)
    }

    /// Sends `request`; a response other than 2xx becomes the error it
    /// names (`{"error": …}`).
    pub(crate) async fn call(
        &self,
        request: RequestBuilder,
        what: &str,
    ) -> Result<Response, RequestError> {
        let response = request
            .send()
            .await
            .map_err(|e| RequestError::unreachable(what, e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let text = response.text().await.unwrap_or_default();
        let (reason, code) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => (body.error, Some(body.code).filter(|code| !code.is_empty())),
            Err(_) => (text.trim().chars().take(200).collect(), None),
        };
        // What went wrong is the model's to say, from the code when the
        // server sent one (a proxy's error page has none), so that every
        // program agrees on what may be retried.
        let cause = code
            .as_deref()
            .and_then(model::error::kind_of_code)
            .unwrap_or_else(|| model::ErrorKind::from_http_status(status.as_u16(), retry_after));
        let kind = match cause {
            model::ErrorKind::TooFast { .. } => {
                RequestErrorKind::TooFast(Duration::from_secs(retry_after.unwrap_or(1)))
            }
            cause if cause.is_transient() => RequestErrorKind::Unreachable,
            _ => RequestErrorKind::Refused(status),
        };
        Err(RequestError {
            kind,
            code,
            message: format!("{what}: {status}: {reason}"),
            source: None,
        })
    }
}

pub(crate) async fn decode<T: serde::de::DeserializeOwned>(
    response: Response,
    what: &str,
) -> Result<T, RequestError> {
    response
        .json()
        .await
        .map_err(|e| RequestError::unreachable(what, e))
}

/// The stored message a `POST` answered with.
pub(crate) async fn stored(response: Response) -> Result<ChatMessage, RequestError> {
    decode(response, "sending").await
}
