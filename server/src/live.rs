//! `GET /api/rooms/{room}/live?after=N`: a tab's WebSocket. It replays what
//! the tab missed from JetStream, then relays the room's live feed, with no
//! gap and no duplicate.

use crate::AppState;
use crate::api::ApiError;
use crate::hub::FeedEvent;
use app::bus::{BusError, ChatBus};
use app::room::RoomName;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Chat frames are small: keep per-connection buffers small too (the
/// defaults reserve 128 KiB each way).
const READ_BUFFER: usize = 4 * 1024;
const WRITE_BUFFER: usize = 8 * 1024;
const MAX_WRITE_BUFFER: usize = 256 * 1024;
const MAX_INCOMING: usize = 4 * 1024;
/// A tab that does not take a frame for this long is cut off; it will
/// reconnect and resume from its last sequence.
const WRITE_TIMEOUT: Duration = Duration::from_secs(20);
const KEEPALIVE: Duration = Duration::from_secs(25);
const CATCH_UP_BATCH: usize = 256;
const CATCH_UP_PATIENCE: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
pub struct LiveQuery {
    after: Option<u64>,
}

pub async fn live(
    State(state): State<AppState>,
    Path(room): Path<String>,
    Query(query): Query<LiveQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let room = RoomName::parse(&room)?;
    // "Only new messages" means new from the moment this request is
    // answered: fix the cursor before the client sees the upgrade.
    let after = match query.after {
        Some(after) => after,
        None => state.bus.last_seq(&room).await?,
    };
    Ok(upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_INCOMING)
        .max_frame_size(MAX_INCOMING)
        // Live sockets share the runtime with sends on purpose: a fan-out on
        // a thread of its own let a 10,000-message burst outrun it until
        // tabs fell behind the retention limit (docs/PERFORMANCE.md).
        .on_upgrade(move |socket| async move {
            if let Err(e) = relay(state, room.clone(), after, socket).await {
                tracing::debug!(%room, error = %e, "live connection ended");
            }
        }))
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error("tab went away: {0}")]
    Tab(String),
    #[error(transparent)]
    Bus(#[from] BusError),
    #[error("cannot follow the room: {0}")]
    Subscribe(#[from] async_nats::SubscribeError),
}

struct Tab {
    socket: WebSocket,
    /// The newest sequence this tab has.
    last: u64,
}

impl Tab {
    async fn send(&mut self, message: Message) -> Result<(), RelayError> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.socket.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(RelayError::Tab(e.to_string())),
            Err(_) => Err(RelayError::Tab("write timed out".into())),
        }
    }

    /// Sends every stored message after `last`, up to the newest. While
    /// JetStream is briefly away (a NATS restart, a cluster failover) it
    /// retries instead of dropping the tab.
    async fn catch_up(&mut self, bus: &ChatBus, room: &RoomName) -> Result<(), RelayError> {
        let started = tokio::time::Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            match self.send_missed(bus, room).await {
                Err(RelayError::Bus(e)) if started.elapsed() < CATCH_UP_PATIENCE => {
                    tracing::debug!(%room, error = %e, "catch-up failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    async fn send_missed(&mut self, bus: &ChatBus, room: &RoomName) -> Result<(), RelayError> {
        loop {
            let batch = bus.read_after(room, self.last, CATCH_UP_BATCH).await?;
            for message in batch.messages {
                let json = serde_json::to_string(&message).expect("a message always serialises");
                self.send(Message::Text(json.into())).await?;
                self.last = message.seq;
            }
            if !batch.more {
                return Ok(());
            }
        }
    }
}

async fn relay(
    state: AppState,
    room: RoomName,
    after: u64,
    socket: WebSocket,
) -> Result<(), RelayError> {
    // Join the live feed first, so that nothing stored from now on is
    // missed; then replay from JetStream; then relay, skipping what the
    // replay already sent.
    let (_feed, mut live) = state.hub.join(&room).await?;
    let mut tab = Tab {
        socket,
        last: after,
    };
    tab.catch_up(&state.bus, &room).await?;
    let mut shutdown = state.shutdown.clone();
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.reset();
    loop {
        tokio::select! {
            event = live.recv() => match event {
                Ok(FeedEvent::Message(frame)) => {
                    if frame.seq <= tab.last {
                        continue;
                    }
                    // The room's previous message is one this tab lacks
                    // (a dropped live message): fetch the gap first.
                    if frame.prev_seq > tab.last {
                        tab.catch_up(&state.bus, &room).await?;
                    }
                    if frame.seq > tab.last {
                        tab.send(Message::Text(frame.json.clone())).await?;
                        tab.last = frame.seq;
                    }
                }
                // Fell behind the room's buffer, or NATS reconnected.
                Ok(FeedEvent::Resync) | Err(RecvError::Lagged(_)) => tab.catch_up(&state.bus, &room).await?,
                Err(RecvError::Closed) => return Ok(()),
            },
            incoming = tab.socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                // Tabs only listen; anything they send is ignored.
                Some(Ok(_)) => {}
            },
            _ = keepalive.tick() => tab.send(Message::Ping(Default::default())).await?,
            // The tab reconnects, to this server once it is back or to another.
            _ = shutdown.changed() => {
                let _ = tab.send(Message::Close(Some(axum::extract::ws::CloseFrame {
                    code: axum::extract::ws::close_code::AWAY,
                    reason: "server restarting".into(),
                })))
                .await;
                return Ok(());
            }
        }
    }
}
