//! `GET /api/rooms/{room}/live?after=N`: a tab's WebSocket. The service's
//! room follow gives the room's messages in order, each once (replay, then
//! live); this module only writes them to the socket, pings, and closes.

use super::error::ApiError;
use super::identity::{ApiQuery, RoomPath};
use super::presence::Here;
use crate::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use model::ErrorKind;
use model::api::LiveQuery;
use model::room::RoomName;
use model::room_policy::StandingFrame;
use service::access::{Action, Identity};
use service::follow::RoomFollow;
use service::hub::LiveFrame;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// Live sockets per client address, and how far behind one may stay.
pub struct LiveLimits {
    per_address: u32,
    held: Mutex<HashMap<IpAddr, u32>>,
    slow_tab_timeout: Duration,
    /// Presence and typing on events sockets (`CHAT_NO_AWARENESS` turns
    /// them off).
    awareness: bool,
}

/// One admitted live socket; dropping it frees its place.
pub struct LivePlace {
    limits: Arc<LiveLimits>,
    address: IpAddr,
}

impl LiveLimits {
    pub fn new(per_address: u32, slow_tab_timeout: Duration, awareness: bool) -> Self {
        Self {
            per_address,
            held: Mutex::default(),
            slow_tab_timeout,
            awareness,
        }
    }

    fn admit(self: &Arc<Self>, address: IpAddr) -> Result<LivePlace, ApiError> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let count = held.entry(address).or_default();
        if self.per_address != 0 && *count >= self.per_address {
            return Err(ApiError(service::Error::new(
                ErrorKind::TooFast { retry_after_s: 5 },
                format!(
                    "too many live connections from your address (at most {}); close some tabs",
                    self.per_address
                ),
            )));
        }
        *count += 1;
        Ok(LivePlace {
            limits: Arc::clone(self),
            address,
        })
    }
}

impl Drop for LivePlace {
    fn drop(&mut self) {
        let mut held = self.limits.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = held.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.address);
            }
        }
    }
}

/// What a socket sends: message objects (`/live`, as bots know it) or
/// typed event frames (`/events`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frames {
    Messages,
    Events,
}

/// The caller of a socket, with the ends of credentials heard from before
/// it was identified: an end of its login or token comes either before
/// (identifying sees it) or after (heard).
pub struct SocketCaller(Identity, tokio::sync::broadcast::Receiver<i64>);

impl axum::extract::FromRequestParts<AppState> for SocketCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let credential_ends = state.chat.credential_ends();
        let identity = state.chat.identify_request(parts).await?;
        Ok(SocketCaller(identity, credential_ends))
    }
}

/// `GET /api/rooms/{room}/live`: new messages as message objects.
pub async fn live(
    state: State<AppState>,
    peer: ConnectInfo<SocketAddr>,
    RoomPath(room): RoomPath,
    ApiQuery(query): ApiQuery<LiveQuery>,
    caller: SocketCaller,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    open(state, peer, room, query, upgrade, Frames::Messages, caller).await
}

/// `GET /api/rooms/{room}/events`: messages, edits, deletes and reactions
/// as typed frames, and who is here and typing. The tab counts as present
/// while the socket is open.
pub async fn events(
    state: State<AppState>,
    peer: ConnectInfo<SocketAddr>,
    RoomPath(room): RoomPath,
    ApiQuery(query): ApiQuery<LiveQuery>,
    caller: SocketCaller,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    open(state, peer, room, query, upgrade, Frames::Events, caller).await
}

async fn open(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    room: RoomName,
    query: LiveQuery,
    upgrade: WebSocketUpgrade,
    frames: Frames,
    SocketCaller(identity, credential_ends): SocketCaller,
) -> Result<Response, ApiError> {
    let chat = state.chat.clone();
    let place = state.live.admit(peer.ip())?;
    // Heard from before the access check below: a removal either comes
    // before it (refused) or after (heard, and the socket closes).
    let changes = chat.room_changes();
    // Joined before the upgrade is answered: "only new messages" means new
    // from the moment the client sees the upgrade.
    let follow = state
        .chat
        .follow_room(&identity, &room, query.after)
        .await?;
    let refusal = chat.check(&identity, Action::Write, &room).err();
    let admission = Admission {
        changes,
        credential_ends,
        login_ends: identity
            .credential
            .time_left()
            .map(|left| tokio::time::Instant::now() + left),
        ends: ends_of(refusal.as_ref()),
        posting: refusal.map(|e| e.message().to_owned()),
        standing_frames: frames == Frames::Events,
        chat: chat.clone(),
        identity: identity.clone(),
        room: room.clone(),
    };
    let shutdown = state.shutdown.clone();
    let slow_tab_timeout = state.live.slow_tab_timeout;
    let identity = Some(identity).filter(|_| state.live.awareness && frames == Frames::Events);
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
            let _place = place;
            let here = identity.map(|identity| {
                Here::arrive(&chat, &room, identity, query.name.unwrap_or_default())
            });
            let relayed = relay(
                follow,
                socket,
                shutdown,
                slow_tab_timeout,
                frames,
                here,
                admission,
            )
            .await;
            if let Err(e) = relayed {
                tracing::debug!(%room, error = %e, "live connection ended");
            }
        }))
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error("tab went away: {0}")]
    Tab(String),
    #[error(transparent)]
    Log(#[from] service::store::StoreError),
}

async fn send(socket: &mut WebSocket, message: Message) -> Result<(), RelayError> {
    if matches!(&message, Message::Text(text) if text.is_empty()) {
        return Ok(());
    }
    match tokio::time::timeout(WRITE_TIMEOUT, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(RelayError::Tab(e.to_string())),
        Err(_) => Err(RelayError::Tab("write timed out".into())),
    }
}

/// The frame's text for this socket; empty (sent as nothing) for an
/// event on a socket of message objects.
fn text_of(frame: &LiveFrame, frames: Frames) -> Message {
    let json = match frames {
        Frames::Messages => frame.message_json.clone().unwrap_or_default(),
        Frames::Events => frame.event_json().clone(),
    };
    Message::Text(Utf8Bytes::try_from(json).expect("the service encodes frames as UTF-8 JSON"))
}

async fn next_signal(here: &mut Option<Here>) -> Option<Arc<str>> {
    match here {
        Some(here) => here.next().await,
        None => std::future::pending().await,
    }
}

/// A socket's right to its room, asked again whenever the room's rules
/// change (on any instance): a removed member's socket closes at once, and
/// an events tab hears when its right to post changes. Its caller's
/// credential is asked again when the account's logins or tokens end (on
/// any instance) and when its login's time is up.
struct Admission {
    chat: service::Chat,
    identity: Identity,
    room: RoomName,
    changes: tokio::sync::broadcast::Receiver<RoomName>,
    credential_ends: tokio::sync::broadcast::Receiver<i64>,
    login_ends: Option<tokio::time::Instant>,
    /// Why the caller cannot post, as last told.
    posting: Option<String>,
    /// When a timeout that stops the caller posting ends by itself.
    ends: Option<tokio::time::Instant>,
    standing_frames: bool,
}

/// When a refusal to post ends by itself (a timeout), just after its end.
fn ends_of(refusal: Option<&service::Error>) -> Option<tokio::time::Instant> {
    let left = service::room_policy::time_left(refusal?.sanction_until()?)?;
    Some(tokio::time::Instant::now() + left + Duration::from_millis(50))
}

/// What a change of the room's rules or of the caller's credential means
/// for one socket.
enum AccessChange {
    /// The caller's login or token ended: close, saying so.
    IdentityEnded(&'static str),
    /// No more reading: close, saying why.
    Revoked(String),
    /// A `standing` frame to send.
    Standing(Utf8Bytes),
}

impl Admission {
    /// Waits until the room's rules change what this socket's caller may
    /// do.
    async fn changed(&mut self) -> AccessChange {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            let ends = self.ends;
            let timeout_over = async move {
                match ends {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let login_ends = self.login_ends;
            let login_over = async move {
                match login_ends {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let account = self.identity.account().map(|account| account.id);
            tokio::select! {
                changed = self.changes.recv() => match changed {
                    Ok(room) if room != self.room => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => std::future::pending::<()>().await,
                },
                () = timeout_over => self.ends = None,
                ended = self.credential_ends.recv() => match ended {
                    Ok(id) if Some(id) != account => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        if let Some(why) = self.identity_ended().await {
                            return AccessChange::IdentityEnded(why);
                        }
                        continue;
                    }
                    Err(RecvError::Closed) => std::future::pending::<()>().await,
                },
                () = login_over => {
                    self.login_ends = None;
                    return AccessChange::IdentityEnded(LOGIN_ENDED);
                }
            }
            if let Err(e) = self.chat.check(&self.identity, Action::Read, &self.room) {
                // A close frame's reason is at most 123 bytes.
                let mut why = e.message().to_owned();
                while why.len() > 120 {
                    why.pop();
                }
                return AccessChange::Revoked(why);
            }
            if !self.standing_frames {
                continue;
            }
            let refusal = self
                .chat
                .check(&self.identity, Action::Write, &self.room)
                .err();
            let posting = refusal.as_ref().map(|e| e.message().to_owned());
            if posting != self.posting {
                self.posting = posting.clone();
                self.ends = ends_of(refusal.as_ref());
                let frame = StandingFrame {
                    cannot_post: posting,
                    until: refusal.and_then(|e| e.sanction_until().map(str::to_owned)),
                };
                let json = serde_json::to_string(&frame).expect("a frame serialises");
                return AccessChange::Standing(Utf8Bytes::from(json));
            }
        }
    }
}

/// Close code of a socket whose caller lost access to the room
/// (4000–4999 are the application's; 4403 mirrors HTTP 403).
const ACCESS_REVOKED: u16 = 4403;
/// Close code of a socket whose caller's login or API token ended (4401
/// mirrors HTTP 401: identify again).
const IDENTITY_ENDED: u16 = 4401;
const LOGIN_ENDED: &str = "your login ended; log in again";
const TOKEN_REVOKED: &str = "your API token was revoked";

impl Admission {
    /// Why the caller's credential no longer holds, if it does not. A
    /// store that cannot answer keeps the socket: the next end or change
    /// asks again.
    async fn identity_ended(&self) -> Option<&'static str> {
        match self.chat.credential_holds(&self.identity).await {
            Ok(true) => None,
            Ok(false) => Some(match self.identity.credential {
                service::access::Credential::Token { .. } => TOKEN_REVOKED,
                _ => LOGIN_ENDED,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "cannot check a socket's credential");
                None
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn relay(
    mut follow: RoomFollow,
    mut socket: WebSocket,
    mut shutdown: crate::shutdown::Shutdown,
    slow_tab_timeout: Duration,
    frames: Frames,
    mut here: Option<Here>,
    mut admission: Admission,
) -> Result<(), RelayError> {
    if let Some(now) = match &here {
        Some(here) => here.now().await,
        None => None,
    } {
        send(&mut socket, Message::Text(Utf8Bytes::from(&*now))).await?;
    }
    // Each write may progress (a reader that takes a frame now and then),
    // yet the tab falls ever further behind and holds its follow for ever:
    // what counts is how long it has been behind, not one write.
    let mut behind_since: Option<tokio::time::Instant> = None;
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.reset();
    // Made once: a future per loop would register with the shared shutdown
    // channel for every frame of every tab.
    let stop = shutdown.requested();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            // A right that ended is heard before any frame that came after
            // it: a removed member's tab gets nothing more of the room.
            biased;
            change = admission.changed() => match change {
                AccessChange::Revoked(why) => {
                    let _ = send(&mut socket, Message::Close(Some(CloseFrame {
                        code: ACCESS_REVOKED,
                        reason: why.into(),
                    })))
                    .await;
                    return Ok(());
                }
                AccessChange::IdentityEnded(why) => {
                    let _ = send(&mut socket, Message::Close(Some(CloseFrame {
                        code: IDENTITY_ENDED,
                        reason: why.into(),
                    })))
                    .await;
                    return Ok(());
                }
                AccessChange::Standing(frame) => send(&mut socket, Message::Text(frame)).await?,
            },
            frame = follow.next() => match frame? {
                Some(frame) => {
                    send(&mut socket, text_of(&frame, frames)).await?;
                    // The run of frames already at hand (a catch-up, a
                    // burst) goes out without a trip through the select.
                    while let Some(frame) = follow.next_ready() {
                        send(&mut socket, text_of(&frame, frames)).await?;
                    }
                    if follow.is_caught_up() {
                        behind_since = None;
                    } else if behind_since
                        .get_or_insert_with(tokio::time::Instant::now)
                        .elapsed()
                        >= slow_tab_timeout
                    {
                        let _ = send(&mut socket, Message::Close(Some(CloseFrame {
                            code: close_code::POLICY,
                            reason: "too slow to keep up; reconnect to catch up".into(),
                        })))
                        .await;
                        return Err(RelayError::Tab("too slow to keep up".into()));
                    }
                }
                None => return Ok(()),
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                // An events tab may say it is typing or idle; anything else
                // a tab sends is ignored.
                Some(Ok(Message::Text(text))) => {
                    if let Some(here) = here.as_mut() {
                        here.heard(text.as_str()).await;
                    }
                }
                Some(Ok(_)) => {}
            },
            Some(frame) = next_signal(&mut here) => {
                send(&mut socket, Message::Text(Utf8Bytes::from(&*frame))).await?;
            }
            _ = keepalive.tick() => send(&mut socket, Message::Ping(Default::default())).await?,
            // The tab reconnects, to this server once it is back or to another.
            _ = &mut stop => {
                let _ = send(&mut socket, Message::Close(Some(CloseFrame {
                    code: close_code::AWAY,
                    reason: "server restarting".into(),
                })))
                .await;
                return Ok(());
            }
        }
    }
}
