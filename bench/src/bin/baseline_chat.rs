//! The baseline: a minimal in-memory chat as people hand-roll it with axum
//! and one `tokio::sync::broadcast` per room. No persistence, no replay; a
//! subscriber that lags simply skips what it missed. Same API shape as the
//! chat server, so one load generator drives both.

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

#[derive(Default)]
struct Rooms {
    channels: Mutex<HashMap<String, broadcast::Sender<Utf8Bytes>>>,
    seq: AtomicU64,
}

impl Rooms {
    fn channel(&self, room: &str) -> broadcast::Sender<Utf8Bytes> {
        let mut channels = self.channels.lock().unwrap();
        channels
            .entry(room.to_owned())
            .or_insert_with(|| broadcast::channel(1024).0)
            .clone()
    }
}

#[derive(Deserialize)]
struct NewMessage {
    id: String,
    from: String,
    body: String,
}

#[derive(Serialize)]
struct Stored {
    seq: u64,
    id: String,
    room: String,
    from: String,
    body: String,
    ts: String,
}

async fn post_message(
    State(rooms): State<Arc<Rooms>>,
    Path(room): Path<String>,
    Json(new): Json<NewMessage>,
) -> (StatusCode, Json<Stored>) {
    let stored = Stored {
        seq: rooms.seq.fetch_add(1, Ordering::Relaxed) + 1,
        id: new.id,
        room: room.clone(),
        from: new.from,
        body: new.body,
        ts: String::new(),
    };
    let frame = serde_json::to_string(&stored).unwrap();
    let _ = rooms.channel(&room).send(frame.into());
    (StatusCode::CREATED, Json(stored))
}

async fn live(
    State(rooms): State<Arc<Rooms>>,
    Path(room): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let receiver = rooms.channel(&room).subscribe();
    upgrade.on_upgrade(move |socket| relay(socket, receiver))
}

async fn relay(mut socket: WebSocket, mut receiver: broadcast::Receiver<Utf8Bytes>) {
    loop {
        tokio::select! {
            frame = receiver.recv() => match frame {
                Ok(frame) => if socket.send(Message::Text(frame)).await.is_err() { return },
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => if !matches!(incoming, Some(Ok(_))) { return },
        }
    }
}

#[tokio::main]
async fn main() {
    let addr = std::env::var("LEPTOS_SITE_ADDR").unwrap_or_else(|_| "127.0.0.1:3900".into());
    let app = Router::new()
        .route("/api/rooms/{room}/messages", post(post_message))
        .route("/api/rooms/{room}/live", get(live))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(Arc::new(Rooms::default()));
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
