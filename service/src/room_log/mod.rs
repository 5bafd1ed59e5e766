//! The room log: a room's messages, and the events that change them (edits,
//! deletes, reactions), stored in the JetStream stream `CHAT` in one order
//! and read back by sequence. Everything that touches NATS for the chat's
//! messages goes through here; the subjects are [`subjects`]' business.

mod history;
mod live;
mod publish;
mod read;
mod stored;
mod subjects;

pub use live::{LiveEntry, chain_of};
pub(crate) use publish::message_key;
pub use publish::{Author, Draft, PublishError};
pub use read::{ReadBatch, Scope};
pub(crate) use stored::now;
pub use stored::{FOREIGN_SENDER, LoggedMessage, StoredEvent, UNREADABLE};
pub(crate) use subjects::room_of_live_subject;
pub use subjects::{MODLOG_STREAM, STREAM_NAME};

use crate::answer_gate::AnswerGate;
use crate::store::{StoreError, unavailable};
use async_nats::Client;
use async_nats::jetstream::{self, stream};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The largest payload (plus headers) the stream keeps.
pub const MAX_STORED_MESSAGE_BYTES: i32 = 64 * 1024;
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

#[derive(Clone)]
pub struct RoomLog {
    client: Client,
    js: jetstream::Context,
    /// The `CHAT` stream, for async-nats' typed reads and deletes.
    stream: stream::Stream<()>,
    states: crate::message_state::MessageStates,
    answer_gate: AnswerGate,
    /// Whether a name is (or looks like) a registered account's: a name
    /// that another NATS client puts in `Chat-From` must not pass for one.
    registered: Arc<OnceLock<NameCheck>>,
}

type NameCheck = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// Moderation entries kept per room, whatever the messages' retention: a
/// room's log outlives a flood of messages (and of joins, which are
/// limited apart).
pub const MODLOG_KEPT_PER_ROOM: i64 = 10_000;

fn modlog_config(replicas: usize) -> stream::Config {
    stream::Config {
        name: MODLOG_STREAM.into(),
        description: Some("each room's moderation log, kept apart from its messages".into()),
        subjects: vec!["chat_modlog.>".into()],
        max_messages_per_subject: MODLOG_KEPT_PER_ROOM,
        max_message_size: 4096,
        num_replicas: replicas,
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::Old,
        allow_direct: true,
        ..Default::default()
    }
}

impl RoomLog {
    /// Connects the bus and creates or updates the `CHAT` stream so that its
    /// settings match `settings`.
    pub async fn open(client: Client, settings: &StreamSettings) -> Result<Self, StoreError> {
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
                    let stream = js
                        .get_stream_no_info(STREAM_NAME)
                        .await
                        .map_err(unavailable("opening the CHAT stream"))?;
                    js.create_or_update_stream(modlog_config(settings.replicas))
                        .await
                        .map_err(unavailable("setting up the moderation log"))?;
                    return Ok(Self {
                        stream,
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
}

/// A room log on a nats-server of the test's own.
#[cfg(test)]
pub(super) async fn test_log() -> (testkit::NatsServer, RoomLog) {
    let nats = testkit::NatsServer::start();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let log = RoomLog::open(client, &StreamSettings::default())
        .await
        .unwrap();
    (nats, log)
}

/// A guest's message with client id `id`.
#[cfg(test)]
pub(super) fn guest_draft<'a>(id: &'a str, from: &'a str, body: &'a str) -> Draft<'a> {
    Draft {
        id,
        author: Author::Guest(from),
        author_key: None,
        body,
        format: Default::default(),
        rich: None,
        reply_to: None,
        mentions: (Vec::new(), false),
    }
}
