//! The public JSON API (docs/API.md), called from the page for what
//! happens to messages after they are sent: the page is one more client of
//! the endpoints bots use, and one small fetch helper weighs less on the
//! bundle than a server function per action.

use model::api::{ErrorBody, MessageChange, ReactionList};
use model::message::ChatMessage;
use model::url::percent_encode;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// What went wrong, as a person reads it.
pub type ApiFailure = String;

async fn call(method: &str, path: &str, body: Option<String>) -> Result<String, ApiFailure> {
    let unreachable = |_| "the chat is unreachable right now, please try again".to_owned();
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(unreachable)?;
    if body.is_some() {
        let _ = request.headers().set("content-type", "application/json");
    }
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .and_then(|r| r.dyn_into())
        .map_err(unreachable)?;
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if response.ok() {
        Ok(text)
    } else {
        Err(serde_json::from_str::<ErrorBody>(&text)
            .map(|e| e.error)
            .unwrap_or_else(|_| format!("request failed ({})", response.status())))
    }
}

fn message_path(room: &str, seq: u64) -> String {
    format!("/api/rooms/{}/messages/{seq}", percent_encode(room))
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiFailure> {
    serde_json::from_str(text).map_err(|e| format!("unreadable answer: {e}"))
}

pub async fn edit(room: &str, seq: u64, body: String) -> Result<ChatMessage, ApiFailure> {
    let change = serde_json::to_string(&MessageChange { body }).unwrap_or_default();
    decode(&call("PATCH", &message_path(room, seq), Some(change)).await?)
}

/// Moves the account's read position in `room` up to `seq`.
/// Moves the read position to `seq`, or with `unread` back to before it.
pub async fn mark_read(room: &str, seq: u64, unread: bool) -> Result<(), ApiFailure> {
    let path = format!("/api/rooms/{}/read", percent_encode(room));
    let mark = serde_json::to_string(&model::api::ReadMark { seq, unread }).unwrap_or_default();
    call("POST", &path, Some(mark)).await.map(|_| ())
}

pub async fn delete(room: &str, seq: u64) -> Result<(), ApiFailure> {
    call("DELETE", &message_path(room, seq), None)
        .await
        .map(|_| ())
}

pub async fn react(room: &str, seq: u64, emoji: &str, on: bool) -> Result<ChatMessage, ApiFailure> {
    let path = format!(
        "{}/reactions/{}",
        message_path(room, seq),
        percent_encode(emoji)
    );
    decode(&call(if on { "PUT" } else { "DELETE" }, &path, None).await?)
}

pub async fn who_reacted(room: &str, seq: u64) -> Result<ReactionList, ApiFailure> {
    decode(
        &call(
            "GET",
            &format!("{}/reactions", message_path(room, seq)),
            None,
        )
        .await?,
    )
}

pub async fn names(prefix: &str) -> Result<Vec<String>, ApiFailure> {
    decode(
        &call(
            "GET",
            &format!("/api/names?prefix={}", percent_encode(prefix)),
            None,
        )
        .await?,
    )
}

pub async fn emoji_choices() -> Result<Vec<String>, ApiFailure> {
    decode(&call("GET", "/api/emoji", None).await?)
}
