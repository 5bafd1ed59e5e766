//! Posting a message so that a lost answer never makes a second copy: the
//! id is made once and every retry sends the same one (the server stores
//! an id once per room).

use crate::api::{ApiClient, RequestError, RequestErrorKind, stored};
use crate::backoff::Backoff;
use model::api::NewMessage;
use model::message::ChatMessage;
use reqwest::Method;
use std::time::{Duration, Instant};

/// A fresh client-made message id.
pub fn new_message_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl ApiClient {
    /// Posts `message` to `room`, retrying what may succeed later (no
    /// answer, 503, 429 after its `Retry-After`) until `give_up_after` has
    /// passed. A refusal (4xx) is returned at once.
    pub async fn send(
        &self,
        room: &str,
        message: &NewMessage,
        give_up_after: Duration,
    ) -> Result<ChatMessage, RequestError> {
        let deadline = Instant::now() + give_up_after;
        let mut backoff = Backoff::for_chat();
        let path = format!("/api/rooms/{room}/messages");
        loop {
            let request = self.request(Method::POST, &path).json(message);
            let error = match self.call(request, "sending").await {
                Ok(response) => match stored(response).await {
                    Ok(message) => return Ok(message),
                    Err(e) => e,
                },
                Err(e) => e,
            };
            let wait = match error.kind() {
                RequestErrorKind::Refused(_) => return Err(error),
                RequestErrorKind::TooFast(wait) => wait,
                RequestErrorKind::Unreachable => backoff.next_pause(),
            };
            if Instant::now() + wait > deadline {
                return Err(error);
            }
            tokio::time::sleep(wait).await;
        }
    }
}
