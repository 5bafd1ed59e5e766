//! The room log: a room's messages, and the events that change them (edits,
//! deletes, reactions), stored in the JetStream stream `CHAT` in one order
//! and read back by sequence. Everything that touches NATS for the chat's
//! messages goes through here; the subjects are this module's business.

use crate::accounts::Account;
use crate::answer_gate::AnswerGate;
use crate::error::BoxError;
use crate::fold::RawPage;
use async_nats::jetstream::{self, stream};
use async_nats::{Client, HeaderMap, Subscriber};
use futures::StreamExt;
use model::account::{Appearance, checked_color};
use model::event::{MessageDelete, MessageEdit, ReactionChange, RoomEvent};
use model::message::{
    ChatMessage, MAX_BODY_BYTES, MAX_BODY_CHARS, MessageRuleError, ReplyQuote, checked_body,
    checked_id, checked_name, checked_via, is_forbidden_in_text,
};
use model::room::RoomName;
use model::room_policy::ModAction;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const STREAM_NAME: &str = "CHAT";
/// Messages of room `R` are stored on subject `chat.room.R`.
const ROOM_SUBJECT_PREFIX: &str = "chat.room.";
/// Edits, deletes and reactions of room `R`, on a subject of their own:
/// the per-subject retention counts messages, so an emoji party does not
/// push messages out of history.
const EVENT_SUBJECT_PREFIX: &str = "chat.event.";
/// JetStream republishes every stored room message here, with its stream
/// sequence and the room's previous sequence in the headers. Live fan-out
/// reads this instead of a consumer, so a burst that the retention limit
/// evicts from the stream still reaches every connected tab.
const LIVE_SUBJECT_PREFIX: &str = "chat_live.room.";
/// Where JetStream republishes events (`chat_live.event.R`).
const LIVE_EVENT_SUBJECT_PREFIX: &str = "chat_live.event.";
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    via: Option<String>,
    /// Who may edit and delete it: `a:<account id>`, or `g:<digest of the
    /// guest's key>`; none for a guest without a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reply_to: Option<u64>,
    /// The replied-to message's author, kept so that the quote can say
    /// whose message is gone once it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reply_from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    mentions: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    mentions_room: bool,
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
            via: self.via,
            reply_to: self.reply_to.map(|seq| ReplyQuote {
                seq,
                from: self.reply_from.unwrap_or_default(),
                ..ReplyQuote::default()
            }),
            mentions: self.mentions,
            mentions_room: self.mentions_room,
            ..ChatMessage::default()
        }
    }
}

/// A stored message with who may change it, as the room log read it.
#[derive(Clone, Debug)]
pub struct LoggedMessage {
    pub message: ChatMessage,
    pub author: Option<String>,
}

/// What an event is stored as, on the room's event subject.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum StoredEvent {
    Edit {
        target: u64,
        body: String,
        ts: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        mentions_room: bool,
    },
    Delete {
        target: u64,
        ts: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        by_moderator: bool,
    },
    Reaction {
        target: u64,
        emoji: String,
        on: bool,
        from: String,
        #[serde(default)]
        verified: bool,
        count: u32,
    },
}

impl StoredEvent {
    fn into_event(self, seq: u64) -> RoomEvent {
        match self {
            StoredEvent::Edit {
                target,
                body,
                ts,
                mentions,
                mentions_room,
            } => RoomEvent::Edit(MessageEdit {
                seq,
                target,
                body,
                edited_at: ts,
                mentions,
                mentions_room,
            }),
            StoredEvent::Delete {
                target,
                ts,
                by_moderator,
            } => RoomEvent::Delete(MessageDelete {
                seq,
                target,
                ts,
                by_moderator,
            }),
            StoredEvent::Reaction {
                target,
                emoji,
                on,
                from,
                verified,
                count,
            } => RoomEvent::Reaction(ReactionChange {
                seq,
                target,
                emoji,
                on,
                from,
                verified,
                count,
            }),
        }
    }
}

/// A message that has not been stored yet.
#[derive(Clone, Debug)]
pub struct Draft<'a> {
    pub id: &'a str,
    pub author: Author<'a>,
    /// Who may change it later (see `StoredMessage::author`).
    pub author_key: Option<String>,
    pub body: &'a str,
    /// The message it answers: its sequence and author.
    pub reply_to: Option<(u64, String)>,
    /// Checked account names, and `@room`.
    pub mentions: (Vec<String>, bool),
}

/// Who a message is from: a logged-in account (name and looks set by the
/// server) or a guest's self-chosen name.
#[derive(Clone, Copy, Debug)]
pub enum Author<'a> {
    Account(&'a Account),
    Guest(&'a str),
    /// A name of another network, relayed by a bridge.
    Relayed {
        name: &'a str,
        via: &'a str,
        color: Option<&'a str>,
    },
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
                crate::Error::new(model::ErrorKind::Conflict, e.to_string()).with_code("id_taken")
            }
            PublishError::Log(e) => e.into(),
        }
    }
}

/// A stored message or event as the live feed sees it: `prev_seq` is the
/// sequence of the room's previous entry of the same kind (0 if none),
/// which reveals any gap.
#[derive(Clone, Debug)]
pub struct LiveEntry {
    pub event: RoomEvent,
    pub prev_seq: u64,
}

/// Which of a room's entries a read wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Messages,
    /// Only the events (edits, deletes, reactions).
    Events,
    /// Messages and the events that change them, in one order.
    Everything,
}

/// Messages (index 0) and events (index 1) are two chains in a room, each
/// with its own previous-sequence header.
pub fn chain_of(event: &RoomEvent) -> usize {
    match event {
        RoomEvent::Message(_) => 0,
        _ => 1,
    }
}

/// What one batched direct get brought.
struct RawBatch {
    replies: Vec<async_nats::Message>,
    through: u64,
    remaining: u64,
}

/// One batch of a forward read.
pub struct ReadBatch {
    pub entries: Vec<RoomEvent>,
    /// The author keys of the messages among them (see `StoredMessage`).
    pub authors: std::collections::HashMap<u64, String>,
    /// The last sequence the read covered (`entries` may skip unreadable
    /// ones).
    pub through: u64,
    /// True when the room has more after `through`.
    pub more: bool,
    /// How many more match after the batch.
    pub remaining: u64,
}

impl ReadBatch {
    pub fn into_messages(self) -> Vec<ChatMessage> {
        self.entries
            .into_iter()
            .filter_map(|entry| match entry {
                RoomEvent::Message(message) => Some(message),
                _ => None,
            })
            .collect()
    }
}

#[derive(Clone)]
pub struct RoomLog {
    client: Client,
    js: jetstream::Context,
    states: crate::message_state::MessageStates,
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
pub(crate) fn unavailable<E: std::error::Error + Send + Sync + 'static>(
    doing: &'static str,
) -> impl FnOnce(E) -> RoomLogError {
    move |source| RoomLogError::Unavailable {
        doing,
        source: Box::new(source),
    }
}

pub(crate) fn failed(doing: &'static str, what: impl Into<String>) -> RoomLogError {
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
                source: "chat.>".into(),
                destination: "chat_live.>".into(),
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
                    let states = crate::message_state::MessageStates::open(
                        client.clone(),
                        &js,
                        settings.max_age,
                        settings.replicas,
                        settings.max_msgs_per_room.max(1) as usize,
                    )
                    .await?;
                    return Ok(Self {
                        js: js.clone(),
                        states,
                        client,
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

    /// Each message's state beside the log (edits, reactions, tombstones).
    pub(crate) fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    pub fn states(&self) -> &crate::message_state::MessageStates {
        &self.states
    }

    /// Every message and event stored in `room` from now on, as JetStream
    /// republishes it: the live feed of one room in this process.
    pub(crate) async fn follow_live(
        &self,
        room: &RoomName,
    ) -> Result<Subscriber, async_nats::SubscribeError> {
        self.client.subscribe(format!("chat_live.*.{room}")).await
    }

    /// Stores a message and waits for JetStream's ack. A retried `id` in the
    /// same room within the duplicate window returns the first stored copy.
    pub async fn publish(
        &self,
        room: &RoomName,
        draft: Draft<'_>,
    ) -> Result<ChatMessage, PublishError> {
        let id = checked_id(draft.id)?;
        let (from, verified, appearance, via) = match draft.author {
            Author::Account(account) => (
                account.name.as_str(),
                true,
                account.appearance.clone(),
                None,
            ),
            Author::Guest(name) => (checked_name(name)?, false, Appearance::default(), None),
            Author::Relayed { name, via, color } => {
                let color = color
                    .map(|color| checked_color(color).map_err(|_| MessageRuleError::BadColor))
                    .transpose()?;
                let appearance = Appearance { color, emoji: None };
                (
                    checked_name(name)?,
                    false,
                    appearance,
                    Some(checked_via(via)?),
                )
            }
        };
        let body = checked_body(draft.body)?;
        let (reply_to, reply_from) = draft.reply_to.unzip();
        let stored = StoredMessage {
            id: id.to_owned(),
            from: from.to_owned(),
            body,
            ts: now(),
            verified,
            color: appearance.color,
            emoji: appearance.emoji,
            via: via.map(str::to_owned),
            author: draft.author_key,
            reply_to,
            reply_from,
            mentions: draft.mentions.0,
            mentions_room: draft.mentions.1,
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
            .map_err(ack_failed)?;
        if ack.duplicate {
            let first = self.message_at(ack.sequence).await?.message;
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

    /// Stores an event of `room` and waits for JetStream's ack; returns its
    /// sequence.
    pub async fn publish_event(
        &self,
        room: &RoomName,
        event: &StoredEvent,
    ) -> Result<u64, RoomLogError> {
        if !self.is_connected() {
            return Err(failed("publishing", "not connected to NATS"));
        }
        let payload = serde_json::to_vec(event).expect("an event always serialises");
        let ack = self
            .js
            .publish(event_subject(room), payload.into())
            .await
            .map_err(unavailable("publishing"))?
            .await
            .map_err(ack_failed)?;
        Ok(ack.sequence)
    }

    /// Removes the entry at `seq` from the stream, overwriting its bytes
    /// (JetStream's erase): a deleted message's text is gone, not hidden.
    /// An entry already gone is fine.
    pub async fn erase(&self, seq: u64) -> Result<(), RoomLogError> {
        let reply = self
            .client
            .request(
                format!("$JS.API.STREAM.MSG.DELETE.{STREAM_NAME}"),
                serde_json::json!({ "seq": seq }).to_string().into(),
            )
            .await
            .map_err(unavailable("erasing a message"))?;
        let answer: serde_json::Value = serde_json::from_slice(&reply.payload)
            .map_err(|e| failed("erasing a message", e.to_string()))?;
        if answer["success"].as_bool() == Some(true)
            || answer["error"]["err_code"].as_u64() == Some(10057)
        {
            return Ok(());
        }
        Err(failed("erasing a message", answer.to_string()))
    }

    /// One direct-get request (a single entry); `None` when not found.
    async fn direct_get(
        &self,
        request: serde_json::Value,
    ) -> Result<Option<(RoomEvent, Option<String>)>, RoomLogError> {
        let reply = self
            .client
            .request(direct_get_subject(), request.to_string().into())
            .await
            .map_err(unavailable("reading a message"))?;
        self.decode_direct(&reply)
    }

    /// The message stored at stream sequence `seq`.
    pub async fn message_at(&self, seq: u64) -> Result<LoggedMessage, RoomLogError> {
        let not_found = || RoomLogError::Unreadable {
            seq,
            reason: "not found".into(),
        };
        match self.direct_get(serde_json::json!({ "seq": seq })).await? {
            Some((RoomEvent::Message(message), author)) => Ok(LoggedMessage { message, author }),
            _ => Err(not_found()),
        }
    }

    /// The message of `room` at `seq`, `None` when there is none (never
    /// was, deleted, or out of retention).
    pub async fn room_message(
        &self,
        room: &RoomName,
        seq: u64,
    ) -> Result<Option<LoggedMessage>, RoomLogError> {
        match self.direct_get(serde_json::json!({ "seq": seq })).await? {
            Some((RoomEvent::Message(message), author)) if message.room == room.as_str() => {
                Ok(Some(LoggedMessage { message, author }))
            }
            _ => Ok(None),
        }
    }

    /// The event stored at `seq` in `room`, if it is still there.
    pub async fn event_at(
        &self,
        room: &RoomName,
        seq: u64,
    ) -> Result<Option<StoredEvent>, RoomLogError> {
        let reply = self
            .client
            .request(
                direct_get_subject(),
                serde_json::json!({ "seq": seq }).to_string().into(),
            )
            .await
            .map_err(unavailable("reading an event"))?;
        if reply.status.is_some_and(|s| s.as_u16() >= 300) {
            return Ok(None);
        }
        let subject = reply
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Subject"))
            .map(|v| v.as_str().to_owned());
        if subject != Some(event_subject(room)) {
            return Ok(None);
        }
        Ok(serde_json::from_slice(&reply.payload).ok())
    }

    /// The sequence of `room`'s oldest message still kept, if any.
    pub async fn first_seq(&self, room: &RoomName) -> Result<Option<u64>, RoomLogError> {
        Ok(self
            .direct_get(serde_json::json!({ "seq": 1, "next_by_subj": room_subject(room) }))
            .await?
            .map(|(entry, _)| entry.seq()))
    }

    /// The newest message of `room`, if it has any.
    pub async fn last_message(&self, room: &RoomName) -> Result<Option<ChatMessage>, RoomLogError> {
        Ok(
            match self
                .direct_get(serde_json::json!({ "last_by_subj": room_subject(room) }))
                .await?
            {
                Some((RoomEvent::Message(message), _)) => Some(message),
                _ => None,
            },
        )
    }

    /// The newest sequence on `room`'s chain of `event`'s kind (see
    /// [`chain_of`]), 0 when it has none.
    pub(crate) async fn last_seq_of_chain(
        &self,
        room: &RoomName,
        chain: usize,
    ) -> Result<u64, RoomLogError> {
        let subject = if chain == 0 {
            room_subject(room)
        } else {
            event_subject(room)
        };
        Ok(self
            .direct_get(serde_json::json!({ "last_by_subj": subject }))
            .await?
            .map_or(0, |(entry, _)| entry.seq()))
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
            return Some(subject == room_subject(room) || subject == event_subject(room));
        }
        // "no message found" (10037); any other error is the store's
        // trouble, not the frame's.
        (answer["error"]["err_code"].as_u64() == Some(10037)).then_some(false)
    }

    /// The newest sequence in `room`, 0 when it has no messages.
    pub async fn last_seq(&self, room: &RoomName) -> Result<u64, RoomLogError> {
        Ok(self.last_message(room).await?.map_or(0, |m| m.seq))
    }

    /// Up to `max` entries of `room` with sequence > `after`, oldest first,
    /// in one batched direct get (nats-server ≥ 2.11).
    pub async fn read_after(
        &self,
        room: &RoomName,
        scope: Scope,
        after: u64,
        max: usize,
    ) -> Result<ReadBatch, RoomLogError> {
        let filter = match scope {
            Scope::Messages => room_subject(room),
            Scope::Events => event_subject(room),
            Scope::Everything => format!("chat.*.{room}"),
        };
        let raw = self.direct_batch(filter, after, max).await?;
        let mut entries = Vec::new();
        let mut authors = std::collections::HashMap::new();
        for reply in &raw.replies {
            if let Some((entry, author)) = self.decode_direct(reply)? {
                if let Some(author) = author {
                    authors.insert(entry.seq(), author);
                }
                entries.push(entry);
            }
        }
        Ok(ReadBatch {
            entries,
            authors,
            through: raw.through,
            more: raw.remaining > 0,
            remaining: raw.remaining,
        })
    }

    /// One batched direct get: up to `max` entries on `filter` after
    /// `after`, as JetStream sent them.
    async fn direct_batch(
        &self,
        filter: String,
        after: u64,
        max: usize,
    ) -> Result<RawBatch, RoomLogError> {
        let max = max.clamp(1, READ_BATCH);
        let inbox = self.client.new_inbox();
        let mut replies: Subscriber = self
            .client
            .subscribe(inbox.clone())
            .await
            .map_err(unavailable("reading history"))?;
        let request = serde_json::json!({
            "seq": after.saturating_add(1),
            "next_by_subj": filter,
            "batch": max,
        });
        self.client
            .publish_with_reply(direct_get_subject(), inbox, request.to_string().into())
            .await
            .map_err(unavailable("reading history"))?;
        let mut batch = RawBatch {
            replies: Vec::new(),
            through: after,
            remaining: 0,
        };
        loop {
            let reply = tokio::time::timeout(READ_TIMEOUT, replies.next())
                .await
                .map_err(|_| failed("reading history", "timed out"))?
                .ok_or_else(|| failed("reading history", "connection closed"))?;
            match reply.status.map(|s| s.as_u16()) {
                // End of batch: the server says how many remain after it.
                Some(204) => {
                    batch.remaining = header_u64(&reply, "Nats-Num-Pending").unwrap_or(0);
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
                    if let Some(seq) = header_u64(&reply, "Nats-Sequence") {
                        batch.through = batch.through.max(seq);
                    }
                    batch.replies.push(reply);
                }
            }
        }
        Ok(batch)
    }

    /// Stores a moderation entry in the room's log and returns its
    /// sequence.
    pub async fn publish_mod_action(
        &self,
        room: &RoomName,
        action: &ModAction,
    ) -> Result<u64, RoomLogError> {
        let payload = serde_json::to_vec(action).expect("a moderation entry always serialises");
        let ack = self
            .js
            .publish(mod_subject(room), payload.into())
            .await
            .map_err(unavailable("publishing"))?
            .await
            .map_err(ack_failed)?;
        Ok(ack.sequence)
    }

    /// The room's moderation entries, newest first (the stream keeps as
    /// many per room as messages).
    pub async fn mod_actions(&self, room: &RoomName) -> Result<Vec<ModAction>, RoomLogError> {
        let mut actions = Vec::new();
        let mut after = 0;
        loop {
            let batch = self
                .direct_batch(mod_subject(room), after, READ_BATCH)
                .await?;
            for reply in &batch.replies {
                if let (Some(seq), Ok(mut action)) = (
                    header_u64(reply, "Nats-Sequence"),
                    serde_json::from_slice::<ModAction>(&reply.payload),
                ) {
                    action.seq = seq;
                    actions.push(action);
                }
            }
            if batch.remaining == 0 || batch.through == after {
                break;
            }
            after = batch.through;
        }
        actions.reverse();
        Ok(actions)
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
    ) -> Result<(RawPage, bool), RoomLogError> {
        let limit = limit.max(1);
        let end = match before {
            Some(before) => before,
            None => self.last_seq(room).await? + 1,
        };
        let mut width = (limit as u64 + 1) * 2;
        loop {
            let start = end.saturating_sub(width);
            let mut window: VecDeque<ChatMessage> = VecDeque::with_capacity(limit + 1);
            let mut authors = std::collections::HashMap::new();
            let mut cursor = start;
            'read: loop {
                let mut batch = self
                    .read_after(room, Scope::Messages, cursor, READ_BATCH)
                    .await?;
                if batch.through == cursor {
                    break;
                }
                cursor = batch.through;
                let more = batch.more;
                authors.extend(batch.authors.drain());
                for message in batch.into_messages() {
                    if message.seq >= end {
                        break 'read;
                    }
                    if window.len() == limit + 1 {
                        window.pop_front();
                    }
                    window.push_back(message);
                }
                if !more {
                    break;
                }
            }
            if window.len() > limit || start == 0 {
                let has_older = window.len() > limit;
                if has_older {
                    window.pop_front();
                }
                let messages: Vec<ChatMessage> = window.into();
                let from = match messages.first() {
                    Some(first) if has_older => first.seq,
                    _ => 0,
                };
                authors.retain(|seq, _| messages.binary_search_by_key(seq, |m| m.seq).is_ok());
                let raw = RawPage {
                    messages,
                    authors,
                    from,
                    end: before,
                };
                return Ok((raw, has_older));
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

    /// Decodes a message or event JetStream republished on the live
    /// subjects.
    pub(crate) fn decode_live(
        &self,
        room: &RoomName,
        msg: &async_nats::Message,
    ) -> Result<LiveEntry, RoomLogError> {
        let seq = header_u64(msg, "Nats-Sequence").ok_or_else(|| RoomLogError::Unreadable {
            seq: 0,
            reason: "live message without Nats-Sequence".into(),
        })?;
        let prev_seq = header_u64(msg, "Nats-Last-Sequence").unwrap_or(0);
        let event = if msg.subject.starts_with(LIVE_EVENT_SUBJECT_PREFIX) {
            serde_json::from_slice::<StoredEvent>(&msg.payload)
                .map_err(|e| RoomLogError::Unreadable {
                    seq,
                    reason: format!("event: {e}"),
                })?
                .into_event(seq)
        } else {
            RoomEvent::Message(
                self.decode_payload(room.as_str(), seq, msg.headers.as_ref(), &msg.payload)
                    .0,
            )
        };
        Ok(LiveEntry { event, prev_seq })
    }
}

/// A message's identity in the stream's duplicate window: scoped by room,
/// so that equal client ids in two rooms are two messages.
pub(crate) fn message_key(room: &str, id: &str) -> String {
    format!("{room}/{id}")
}

/// Why a publish got no ack: a full store is said apart.
fn ack_failed(e: async_nats::jetstream::context::PublishError) -> RoomLogError {
    if is_store_full(&e) {
        RoomLogError::Full(Box::new(e))
    } else {
        unavailable("waiting for the publish ack")(e)
    }
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

/// Moderation entries: four tokens, so the room follows (`chat_live.*.R`)
/// and reads of everything (`chat.*.R`) pass them by.
fn mod_subject(room: &RoomName) -> String {
    format!("chat.modlog.{room}.actions")
}

fn event_subject(room: &RoomName) -> String {
    format!("{EVENT_SUBJECT_PREFIX}{room}")
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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
    /// Decodes one direct-get reply, with the message's author key: `None`
    /// for "not found" and for what is no chat entry.
    fn decode_direct(
        &self,
        reply: &async_nats::Message,
    ) -> Result<Option<(RoomEvent, Option<String>)>, RoomLogError> {
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
        if subject.starts_with(EVENT_SUBJECT_PREFIX) {
            return Ok(serde_json::from_slice::<StoredEvent>(&reply.payload)
                .ok()
                .map(|event| (event.into_event(seq), None)));
        }
        let Some(room) = subject.strip_prefix(ROOM_SUBJECT_PREFIX) else {
            return Ok(None);
        };
        let (message, author) =
            self.decode_payload(room, seq, reply.headers.as_ref(), &reply.payload);
        Ok(Some((RoomEvent::Message(message), author)))
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
    ) -> (ChatMessage, Option<String>) {
        if let Ok(mut stored) = serde_json::from_slice::<StoredMessage>(payload) {
            let author = stored.author.take();
            return (stored.into_message(room, seq), author);
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
        let message = ChatMessage {
            seq,
            id: format!("nats-{seq}"),
            room: room.to_owned(),
            from,
            body,
            ts,
            ..ChatMessage::default()
        };
        (message, None)
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
