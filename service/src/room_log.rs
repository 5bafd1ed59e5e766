//! The room log: a room's messages stored in the JetStream stream `CHAT`
//! and read back by sequence. Everything that touches NATS for the chat's
//! messages goes through here; the subjects are this module's business.

use crate::accounts::Account;
use crate::answer_gate::AnswerGate;
use crate::error::BoxError;
use async_nats::jetstream::{self, stream};
use async_nats::{Client, HeaderMap, Subscriber};
use futures::StreamExt;
use model::account::Appearance;
use model::history::HistoryPage;
use model::message::{
    ChatMessage, MAX_BODY_BYTES, MAX_BODY_CHARS, MessageRuleError, checked_body, checked_id,
    checked_name, is_forbidden_in_text,
};
use model::room::RoomName;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const STREAM_NAME: &str = "CHAT";
/// Messages of room `R` are stored on subject `chat.room.R`.
const ROOM_SUBJECT_PREFIX: &str = "chat.room.";
/// JetStream republishes every stored room message here, with its stream
/// sequence and the room's previous sequence in the headers. Live fan-out
/// reads this instead of a consumer, so a burst that the retention limit
/// evicts from the stream still reaches every connected tab.
const LIVE_SUBJECT_PREFIX: &str = "chat_live.room.";
/// The largest payload (plus headers) the stream keeps.
pub const MAX_STORED_MESSAGE_BYTES: i32 = 64 * 1024;
/// Largest batch one direct-get request asks for.
const READ_BATCH: usize = 256;
const READ_TIMEOUT: Duration = Duration::from_secs(5);
const STREAM_SETUP_PATIENCE: Duration = Duration::from_secs(60);

/// Retention and placement of the `CHAT` stream.
#[derive(Clone, Debug)]
pub struct StreamSettings {
    pub max_msgs_per_room: i64,
    /// The whole stream's size; the oldest messages go first. -1: no limit.
    pub max_bytes: i64,
    pub max_age: Duration,
    pub replicas: usize,
    pub duplicate_window: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            max_msgs_per_room: 1000,
            max_bytes: 1 << 30,
            max_age: Duration::from_secs(24 * 3600),
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
        }
    }
}

/// What a message is stored as; room and sequence come from the stream.
#[derive(Serialize, Deserialize)]
struct StoredMessage {
    id: String,
    from: String,
    body: String,
    ts: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    emoji: Option<String>,
}

impl StoredMessage {
    fn into_message(self, room: &str, seq: u64) -> ChatMessage {
        ChatMessage {
            seq,
            id: self.id,
            room: room.to_owned(),
            from: self.from,
            body: self.body,
            ts: self.ts,
            verified: self.verified,
            color: self.color,
            emoji: self.emoji,
        }
    }
}

/// A message that has not been stored yet.
#[derive(Clone, Debug)]
pub struct Draft<'a> {
    pub id: &'a str,
    pub author: Author<'a>,
    pub body: &'a str,
}

/// Who a message is from: a logged-in account (name and looks set by the
/// server) or a guest's self-chosen name.
#[derive(Clone, Copy, Debug)]
pub enum Author<'a> {
    Account(&'a Account),
    Guest(&'a str),
}

/// Why the room log could not do what was asked. The cause is kept.
#[derive(Debug, thiserror::Error)]
pub enum RoomLogError {
    #[error("the message store is unavailable ({doing})")]
    Unavailable {
        doing: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("stored message {seq} is unreadable: {reason}")]
    Unreadable { seq: u64, reason: String },
    /// JetStream has no room left for the message (its storage limit).
    #[error("the message store is full")]
    Full(#[source] BoxError),
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Rejected(#[from] MessageRuleError),
    /// The id was already used in this room for a different message: a
    /// retry must be the same sender with the same text.
    #[error(
        "message id \"{0}\" is already used in this room by another message; send yours with a new id"
    )]
    IdTaken(String),
    #[error(transparent)]
    Log(#[from] RoomLogError),
}

impl From<RoomLogError> for crate::Error {
    fn from(e: RoomLogError) -> Self {
        match e {
            RoomLogError::Unavailable { .. } => {
                crate::Error::unavailable("the chat store is unavailable, please retry", e)
            }
            RoomLogError::Full(_) => crate::Error::new(
                model::ErrorKind::InsufficientStorage,
                "the message store is full; nothing was stored",
            )
            .with_source(e),
            // Not transient: retrying will not make it readable.
            RoomLogError::Unreadable { .. } => crate::Error::new(
                model::ErrorKind::Internal,
                "a stored message could not be read",
            )
            .with_source(e),
        }
    }
}

impl From<PublishError> for crate::Error {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Rejected(rule) => rule.into(),
            PublishError::IdTaken(_) => {
                crate::Error::new(model::ErrorKind::Conflict, e.to_string())
            }
            PublishError::Log(e) => e.into(),
        }
    }
}

/// A stored message as the live feed sees it: `prev_seq` is the sequence of
/// the room's message before it (0 if none), which reveals any gap.
#[derive(Clone, Debug)]
pub struct LiveMessage {
    pub message: ChatMessage,
    pub prev_seq: u64,
}

/// One batch of a forward read.
pub struct ReadBatch {
    pub messages: Vec<ChatMessage>,
    /// True when the room has more messages after the last one returned.
    pub more: bool,
}

#[derive(Clone)]
pub struct RoomLog {
    client: Client,
    js: jetstream::Context,
    answer_gate: AnswerGate,
    /// Whether a name is (or looks like) a registered account's: a name
    /// that another NATS client puts in `Chat-From` must not pass for one.
    registered: Arc<OnceLock<NameCheck>>,
}

type NameCheck = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// Who a message that another NATS client published is from, without a
/// usable `Chat-From` header.
pub const FOREIGN_SENDER: &str = "nats";
/// What is shown for a stored payload that is not text.
pub const UNREADABLE: &str = "unreadable message";

/// A failed NATS call, with what the log was doing when it failed.
fn unavailable<E: std::error::Error + Send + Sync + 'static>(
    doing: &'static str,
) -> impl FnOnce(E) -> RoomLogError {
    move |source| RoomLogError::Unavailable {
        doing,
        source: Box::new(source),
    }
}

fn failed(doing: &'static str, what: impl Into<String>) -> RoomLogError {
    RoomLogError::Unavailable {
        doing,
        source: what.into().into(),
    }
}

impl RoomLog {
    /// Connects the bus and creates or updates the `CHAT` stream so that its
    /// settings match `settings`.
    pub async fn open(client: Client, settings: &StreamSettings) -> Result<Self, RoomLogError> {
        let mut js = jetstream::new(client.clone());
        // A send must fail fast when NATS is away rather than hang the request.
        js.set_timeout(Duration::from_secs(5));
        let config = stream::Config {
            name: STREAM_NAME.into(),
            subjects: vec!["chat.>".into()],
            max_messages_per_subject: settings.max_msgs_per_room,
            max_bytes: settings.max_bytes,
            // A chat message is a few KiB at most (12,000-byte bodies); a
            // NATS client cannot store megabytes in a room.
            max_message_size: MAX_STORED_MESSAGE_BYTES,
            max_age: settings.max_age,
            num_replicas: settings.replicas,
            // JetStream refuses a duplicate window longer than the max age.
            duplicate_window: settings.duplicate_window.min(settings.max_age),
            storage: stream::StorageType::File,
            discard: stream::DiscardPolicy::Old,
            allow_direct: true,
            republish: Some(stream::Republish {
                source: format!("{ROOM_SUBJECT_PREFIX}>"),
                destination: format!("{LIVE_SUBJECT_PREFIX}>"),
                headers_only: false,
            }),
            ..Default::default()
        };
        // A cluster that is still electing its JetStream leader refuses
        // for a few seconds: wait for it rather than fail the start.
        let started = tokio::time::Instant::now();
        loop {
            match js.create_or_update_stream(config.clone()).await {
                Ok(_) => {
                    return Ok(Self {
                        client,
                        js,
                        answer_gate: AnswerGate::default(),
                        registered: Arc::default(),
                    });
                }
                Err(e) if started.elapsed() < STREAM_SETUP_PATIENCE => {
                    tracing::warn!(error = %e, "JetStream not ready for the CHAT stream yet; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => return Err(unavailable("setting up the CHAT stream")(e)),
            }
        }
    }

    /// How to tell a registered name, for the `Chat-From` of messages
    /// other NATS clients publish. Set once, when the accounts are open.
    pub fn check_names_with(&self, is_registered: impl Fn(&str) -> bool + Send + Sync + 'static) {
        let _ = self.registered.set(Box::new(is_registered));
    }

    /// Whether NATS is reachable right now.
    pub fn is_connected(&self) -> bool {
        matches!(
            self.client.connection_state(),
            async_nats::connection::State::Connected
        )
    }

    /// The NATS connection's state, as `/healthz` reports it.
    pub fn connection_state(&self) -> String {
        self.client.connection_state().to_string()
    }

    /// This process's sends that are stored but not answered yet; a room's
    /// fan-out waits for them.
    pub(crate) fn answer_gate(&self) -> &AnswerGate {
        &self.answer_gate
    }

    /// Every message stored in `room` from now on, as JetStream republishes
    /// it: the live feed of one room in this process.
    pub(crate) async fn follow_live(
        &self,
        room: &RoomName,
    ) -> Result<Subscriber, async_nats::SubscribeError> {
        self.client
            .subscribe(format!("{LIVE_SUBJECT_PREFIX}{room}"))
            .await
    }

    /// Stores a message and waits for JetStream's ack. A retried `id` in the
    /// same room within the duplicate window returns the first stored copy.
    pub async fn publish(
        &self,
        room: &RoomName,
        draft: Draft<'_>,
    ) -> Result<ChatMessage, PublishError> {
        let id = checked_id(draft.id)?;
        let (from, verified, appearance) = match draft.author {
            Author::Account(account) => (account.name.as_str(), true, account.appearance.clone()),
            Author::Guest(name) => (checked_name(name)?, false, Appearance::default()),
        };
        let body = checked_body(draft.body)?;
        let stored = StoredMessage {
            id: id.to_owned(),
            from: from.to_owned(),
            body,
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            verified,
            color: appearance.color,
            emoji: appearance.emoji,
        };
        // While NATS is unreachable the client would queue the publish and
        // the request would hang until the ack timeout: refuse at once.
        if !self.is_connected() {
            return Err(failed("publishing", "not connected to NATS").into());
        }
        let payload = serde_json::to_vec(&stored).expect("a message always serialises");
        let mut headers = HeaderMap::new();
        let key = message_key(room.as_str(), id);
        headers.insert("Nats-Msg-Id", key.as_str());
        // Until this returns, the room's fan-out holds the message back, so
        // that the answer to this send goes out before the room's writes.
        let answering = self.answer_gate.begin(key);
        let ack = self
            .js
            .publish_with_headers(room_subject(room), headers, payload.into())
            .await
            .map_err(unavailable("publishing"))?
            .await
            .map_err(|e| {
                if is_store_full(&e) {
                    RoomLogError::Full(Box::new(e))
                } else {
                    unavailable("waiting for the publish ack")(e)
                }
            })?;
        if ack.duplicate {
            let first = self.message_at(ack.sequence).await?;
            let same_sender = first.from == stored.from
                && first.verified == stored.verified
                && first.body == stored.body;
            if !same_sender {
                return Err(PublishError::IdTaken(stored.id));
            }
            return Ok(first);
        }
        answering.stored(ack.sequence);
        Ok(stored.into_message(room.as_str(), ack.sequence))
    }

    /// One direct-get request (a single message); `None` when not found.
    async fn direct_get(
        &self,
        request: serde_json::Value,
    ) -> Result<Option<ChatMessage>, RoomLogError> {
        let reply = self
            .client
            .request(direct_get_subject(), request.to_string().into())
            .await
            .map_err(unavailable("reading a message"))?;
        self.decode_direct(&reply)
    }

    /// The message stored at stream sequence `seq`.
    pub async fn message_at(&self, seq: u64) -> Result<ChatMessage, RoomLogError> {
        self.direct_get(serde_json::json!({ "seq": seq }))
            .await?
            .ok_or_else(|| RoomLogError::Unreadable {
                seq,
                reason: "not found".into(),
            })
    }

    /// The newest message of `room`, if it has any.
    pub async fn last_message(&self, room: &RoomName) -> Result<Option<ChatMessage>, RoomLogError> {
        self.direct_get(serde_json::json!({ "last_by_subj": room_subject(room) }))
            .await
    }

    /// Whether the stream's leader holds a message of `room` at `seq`:
    /// `None` when it cannot say (the store is away). Asked of the leader,
    /// as a replica that lags would call a just-stored message missing.
    pub(crate) async fn leader_holds(&self, room: &RoomName, seq: u64) -> Option<bool> {
        let reply = self
            .client
            .request(
                format!("$JS.API.STREAM.MSG.GET.{STREAM_NAME}"),
                serde_json::json!({ "seq": seq }).to_string().into(),
            )
            .await
            .ok()?;
        let answer: serde_json::Value = serde_json::from_slice(&reply.payload).ok()?;
        if let Some(subject) = answer["message"]["subject"].as_str() {
            return Some(subject == room_subject(room));
        }
        // "no message found" (10037); any other error is the store's
        // trouble, not the frame's.
        (answer["error"]["err_code"].as_u64() == Some(10037)).then_some(false)
    }

    /// The newest sequence in `room`, 0 when it has no messages.
    pub async fn last_seq(&self, room: &RoomName) -> Result<u64, RoomLogError> {
        Ok(self.last_message(room).await?.map_or(0, |m| m.seq))
    }

    /// Up to `max` messages of `room` with sequence > `after`, oldest first,
    /// in one batched direct get (nats-server ≥ 2.11).
    pub async fn read_after(
        &self,
        room: &RoomName,
        after: u64,
        max: usize,
    ) -> Result<ReadBatch, RoomLogError> {
        let max = max.clamp(1, READ_BATCH);
        let inbox = self.client.new_inbox();
        let mut replies: Subscriber = self
            .client
            .subscribe(inbox.clone())
            .await
            .map_err(unavailable("reading history"))?;
        let request = serde_json::json!({
            "seq": after.saturating_add(1),
            "next_by_subj": room_subject(room),
            "batch": max,
        });
        self.client
            .publish_with_reply(direct_get_subject(), inbox, request.to_string().into())
            .await
            .map_err(unavailable("reading history"))?;
        let mut messages = Vec::new();
        let mut more = false;
        loop {
            let reply = tokio::time::timeout(READ_TIMEOUT, replies.next())
                .await
                .map_err(|_| failed("reading history", "timed out"))?
                .ok_or_else(|| failed("reading history", "connection closed"))?;
            match reply.status.map(|s| s.as_u16()) {
                // End of batch: the server says how many remain after it.
                Some(204) => {
                    more = header_u64(&reply, "Nats-Num-Pending").unwrap_or(0) > 0;
                    break;
                }
                Some(404) => break,
                Some(code) if code >= 400 => {
                    return Err(failed(
                        "reading history",
                        format!(
                            "direct get failed: {code} {}",
                            reply.description.unwrap_or_default()
                        ),
                    ));
                }
                _ => {
                    if let Some(message) = self.decode_direct(&reply)? {
                        messages.push(message);
                    }
                }
            }
        }
        Ok(ReadBatch { messages, more })
    }

    /// The `limit` newest messages of `room` before sequence `before` (or the
    /// newest overall), oldest first. JetStream reads only forward, so this
    /// reads a window that ends at `before`, widening it until it holds a
    /// full page or reaches the start of the stream: the cost follows the
    /// page, not the size of the stream.
    pub async fn history(
        &self,
        room: &RoomName,
        before: Option<u64>,
        limit: usize,
    ) -> Result<HistoryPage, RoomLogError> {
        let limit = limit.max(1);
        let end = match before {
            Some(before) => before,
            None => self.last_seq(room).await? + 1,
        };
        let mut width = (limit as u64 + 1) * 2;
        loop {
            let start = end.saturating_sub(width);
            let mut window: VecDeque<ChatMessage> = VecDeque::with_capacity(limit + 1);
            let mut cursor = start;
            'read: loop {
                let batch = self.read_after(room, cursor, READ_BATCH).await?;
                let Some(last) = batch.messages.last().map(|m| m.seq) else {
                    break;
                };
                cursor = last;
                for message in batch.messages {
                    if message.seq >= end {
                        break 'read;
                    }
                    if window.len() == limit + 1 {
                        window.pop_front();
                    }
                    window.push_back(message);
                }
                if !batch.more {
                    break;
                }
            }
            if window.len() > limit || start == 0 {
                let has_older = window.len() > limit;
                if has_older {
                    window.pop_front();
                }
                return Ok(HistoryPage {
                    messages: window.into(),
                    has_older,
                });
            }
            width = width.saturating_mul(4);
        }
    }

    /// How many messages each room holds, and the stream's last sequence
    /// when they were counted: one request, however many rooms.
    pub(crate) async fn room_counts(&self) -> Result<(Vec<(RoomName, u64)>, u64), RoomLogError> {
        let stream = self
            .js
            .get_stream_no_info(STREAM_NAME)
            .await
            .map_err(unavailable("listing rooms"))?;
        let mut subjects = stream
            .info_with_subjects(format!("{ROOM_SUBJECT_PREFIX}*"))
            .await
            .map_err(unavailable("listing rooms"))?;
        let mut counts = Vec::new();
        while let Some(entry) = subjects.next().await {
            let (subject, count) = entry.map_err(unavailable("listing rooms"))?;
            if let Some(room) = room_from_subject(&subject) {
                counts.push((room, count as u64));
            }
        }
        let last_seq = subjects.info.state.last_sequence;
        Ok((counts, last_seq))
    }

    /// Every message stored in any room from now on, as JetStream
    /// republishes it (the room index's feed).
    pub(crate) async fn follow_all_live(&self) -> Result<Subscriber, async_nats::SubscribeError> {
        self.client
            .subscribe(format!("{LIVE_SUBJECT_PREFIX}*"))
            .await
    }

    /// Decodes a message JetStream republished on the live subject.
    pub(crate) fn decode_live(
        &self,
        room: &RoomName,
        msg: &async_nats::Message,
    ) -> Result<LiveMessage, RoomLogError> {
        let seq = header_u64(msg, "Nats-Sequence").ok_or_else(|| RoomLogError::Unreadable {
            seq: 0,
            reason: "live message without Nats-Sequence".into(),
        })?;
        let prev_seq = header_u64(msg, "Nats-Last-Sequence").unwrap_or(0);
        Ok(LiveMessage {
            message: self.decode_payload(room.as_str(), seq, msg.headers.as_ref(), &msg.payload),
            prev_seq,
        })
    }
}

/// A message's identity in the stream's duplicate window: scoped by room,
/// so that equal client ids in two rooms are two messages.
pub(crate) fn message_key(room: &str, id: &str) -> String {
    format!("{room}/{id}")
}

/// Whether JetStream refused a publish for want of storage.
fn is_store_full(e: &async_nats::jetstream::context::PublishError) -> bool {
    use async_nats::jetstream::ErrorCode;
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<async_nats::jetstream::Error>())
        .is_some_and(|e| {
            matches!(
                e.error_code(),
                ErrorCode::STORAGE_RESOURCES_EXCEEDED
                    | ErrorCode::INSUFFICIENT_RESOURCES
                    | ErrorCode::ACCOUNT_RESOURCES_EXCEEDED
            )
        })
}

fn room_subject(room: &RoomName) -> String {
    format!("{ROOM_SUBJECT_PREFIX}{room}")
}

/// The room of a live subject; `None` for subjects of no room.
pub(crate) fn room_of_live_subject(subject: &str) -> Option<RoomName> {
    subject
        .strip_prefix(LIVE_SUBJECT_PREFIX)
        .and_then(|name| RoomName::parse(name).ok())
}

/// Inverse of [`room_subject`]; `None` for subjects of no room.
fn room_from_subject(subject: &str) -> Option<RoomName> {
    subject
        .strip_prefix(ROOM_SUBJECT_PREFIX)
        .and_then(|name| RoomName::parse(name).ok())
}

fn direct_get_subject() -> String {
    format!("$JS.API.DIRECT.GET.{STREAM_NAME}")
}

fn header_u64(msg: &async_nats::Message, name: &str) -> Option<u64> {
    msg.headers.as_ref()?.get(name)?.as_str().parse().ok()
}

impl RoomLog {
    /// Decodes one direct-get reply: `None` for "not found".
    fn decode_direct(
        &self,
        reply: &async_nats::Message,
    ) -> Result<Option<ChatMessage>, RoomLogError> {
        match reply.status.map(|s| s.as_u16()) {
            Some(404) => return Ok(None),
            Some(code) if code >= 300 => {
                return Err(failed(
                    "reading a message",
                    format!(
                        "direct get failed: {code} {}",
                        reply.description.clone().unwrap_or_default()
                    ),
                ));
            }
            _ => {}
        }
        let seq = header_u64(reply, "Nats-Sequence").ok_or_else(|| RoomLogError::Unreadable {
            seq: 0,
            reason: "direct get reply without Nats-Sequence".into(),
        })?;
        let subject = reply
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Subject"))
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        let room = subject
            .strip_prefix(ROOM_SUBJECT_PREFIX)
            .unwrap_or(&subject);
        Ok(Some(self.decode_payload(
            room,
            seq,
            reply.headers.as_ref(),
            &reply.payload,
        )))
    }

    /// A stored payload as a message. The server's own JSON is read as is;
    /// anything else that another NATS client stored (plain text, as the
    /// NATS chat tutorial's CLI sends; JSON of another shape; bytes) never
    /// fails a read: text becomes a guest message, the rest a placeholder.
    fn decode_payload(
        &self,
        room: &str,
        seq: u64,
        headers: Option<&HeaderMap>,
        payload: &[u8],
    ) -> ChatMessage {
        if let Ok(stored) = serde_json::from_slice::<StoredMessage>(payload) {
            return stored.into_message(room, seq);
        }
        let header = |name: &str| {
            headers
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
        };
        let from = header("Chat-From")
            .and_then(|name| {
                let name = checked_name(&name).ok()?.to_owned();
                let registered = self.registered.get().is_some_and(|check| check(&name));
                (!registered).then_some(name)
            })
            .unwrap_or_else(|| FOREIGN_SENDER.to_owned());
        let body = std::str::from_utf8(payload)
            .ok()
            .and_then(foreign_text)
            .unwrap_or_else(|| UNREADABLE.to_owned());
        let ts = header("Nats-Time-Stamp")
            .and_then(|ts| chrono::DateTime::parse_from_rfc3339(&ts).ok())
            .map(|ts| {
                ts.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            })
            .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned());
        ChatMessage {
            seq,
            id: format!("nats-{seq}"),
            room: room.to_owned(),
            from,
            body,
            ts,
            verified: false,
            color: None,
            emoji: None,
        }
    }
}

/// Text from elsewhere, held to the rules of a body: control characters
/// removed, cut to the length limits; `None` when nothing is left.
fn foreign_text(text: &str) -> Option<String> {
    let mut body = String::new();
    for c in text.trim().chars().filter(|c| !is_forbidden_in_text(*c)) {
        if body.chars().count() >= MAX_BODY_CHARS || body.len() + c.len_utf8() > MAX_BODY_BYTES {
            break;
        }
        body.push(c);
    }
    let body = body.trim();
    (!body.is_empty()).then(|| body.to_owned())
}
