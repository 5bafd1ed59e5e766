//! Each message's current state beside the room log: its edited text,
//! its reactions and who gave them, and the room's tombstones. Kept in the
//! KV bucket `CHAT_STATE` (key `<room>.<seq>`, and `<room>.deleted`), so a
//! history page reads the state of all its messages in one batched direct
//! get, however long the room's story is.

use crate::compare_and_set::put_if_unchanged;
use crate::store::{BatchQuery, StoreError, direct_batch, failed, is_kv_removal, unavailable};
use async_nats::jetstream::{self, kv};
use model::room::RoomName;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub const STATE_BUCKET: &str = "CHAT_STATE";
/// Compare-and-set rounds before an update gives up (another instance
/// changing the same message at the same moment).
const UPDATE_ROUNDS: usize = 10;
/// Updates of one message in this process run one at a time; messages are
/// spread over this many locks.
const LOCK_STRIPES: usize = 64;

/// A message's state other than what was stored with it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MessageState {
    /// The latest text, once edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The latest text's formatting, once edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rich: Option<model::rich::RichText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<String>,
    /// The stream sequences of the edit events, oldest first: each holds
    /// the text it set, so a delete can erase them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<u64>,
    /// Mentions of the latest text, once edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<(Vec<String>, bool)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<StoredReaction>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StoredReaction {
    pub emoji: String,
    pub by: Vec<Reactor>,
}

/// One reaction's giver: `key` tells people apart (an account's id, a
/// guest's key digest), `name` is what others see.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Reactor {
    pub key: String,
    pub name: String,
}

/// What remains of a deleted message: its place, not its text.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Tombstone {
    pub seq: u64,
    pub id: String,
    pub from: String,
    #[serde(default)]
    pub verified: bool,
    pub ts: String,
    /// Who may delete it (a retried delete finishes the erasing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Removed by a moderator rather than its author.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_moderator: bool,
}

/// A page's worth of states: by message sequence, and the room's tombstones.
#[derive(Debug, Default)]
pub struct PageStates {
    pub states: HashMap<u64, MessageState>,
    pub tombstones: Vec<Tombstone>,
}

#[derive(Clone)]
pub struct MessageStates {
    client: async_nats::Client,
    kv: kv::Store,
    locks: Arc<[tokio::sync::Mutex<()>]>,
    /// Tombstones a room keeps (its message retention).
    max_tombstones: usize,
}

impl MessageStates {
    pub async fn open(
        client: async_nats::Client,
        js: &jetstream::Context,
        max_age: Duration,
        replicas: usize,
        max_tombstones: usize,
    ) -> Result<Self, StoreError> {
        let kv = js
            .create_or_update_key_value(kv::Config {
                bucket: STATE_BUCKET.into(),
                description: "each chat message's edits, reactions; each room's tombstones".into(),
                history: 1,
                max_age,
                num_replicas: replicas,
                storage: jetstream::stream::StorageType::File,
                max_value_size: 256 * 1024,
                ..Default::default()
            })
            .await
            .map_err(unavailable("setting up the message state bucket"))?;
        Ok(Self {
            client,
            kv,
            locks: (0..LOCK_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            max_tombstones: max_tombstones.max(1),
        })
    }

    /// Holds this process's other updates of `room`'s message `seq` off
    /// until the guard drops.
    pub async fn lock(&self, room: &RoomName, seq: u64) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (room.as_str(), seq).hash(&mut hasher);
        self.locks[hasher.finish() as usize % LOCK_STRIPES]
            .lock()
            .await
    }

    pub async fn get(&self, room: &RoomName, seq: u64) -> Result<MessageState, StoreError> {
        Ok(self
            .read(&state_key(room, seq))
            .await?
            .map(|(state, _)| state)
            .unwrap_or_default())
    }

    /// Changes a message's state with `change` (which may run more than
    /// once, when another instance wrote in between); returns the new state.
    pub async fn update(
        &self,
        room: &RoomName,
        seq: u64,
        change: impl Fn(&mut MessageState),
    ) -> Result<MessageState, StoreError> {
        self.update_key(&state_key(room, seq), change).await
    }

    /// Forgets a message's state (its edits and reactions).
    pub async fn forget(&self, room: &RoomName, seq: u64) -> Result<(), StoreError> {
        self.kv
            .purge(state_key(room, seq))
            .await
            .map_err(unavailable("forgetting a message's state"))
    }

    /// Adds a tombstone to the room's list, dropping the oldest beyond the
    /// room's retention.
    pub async fn bury(&self, room: &RoomName, tombstone: Tombstone) -> Result<(), StoreError> {
        let max = self.max_tombstones;
        self.update_key(&tombstones_key(room), |list: &mut Vec<Tombstone>| {
            if !list.iter().any(|t| t.seq == tombstone.seq) {
                list.push(tombstone.clone());
                list.sort_by_key(|t| t.seq);
            }
            let excess = list.len().saturating_sub(max);
            list.drain(..excess);
        })
        .await
        .map(|_| ())
    }

    /// The tombstone of `room`'s message `seq`, if it was deleted.
    pub async fn tombstone(
        &self,
        room: &RoomName,
        seq: u64,
    ) -> Result<Option<Tombstone>, StoreError> {
        let list: Vec<Tombstone> = self
            .read(&tombstones_key(room))
            .await?
            .map(|(list, _)| list)
            .unwrap_or_default();
        Ok(list.into_iter().find(|t| t.seq == seq))
    }

    /// The states of `seqs` and the room's tombstones, in one batched
    /// direct get.
    pub async fn page(&self, room: &RoomName, seqs: &[u64]) -> Result<PageStates, StoreError> {
        let mut subjects: Vec<String> = seqs
            .iter()
            .map(|seq| kv_subject(&state_key(room, *seq)))
            .collect();
        subjects.push(kv_subject(&tombstones_key(room)));
        let mut page = PageStates::default();
        let query = BatchQuery::LastOf {
            subjects: &subjects,
            max: subjects.len(),
        };
        let stream = format!("KV_{STATE_BUCKET}");
        let batch = direct_batch(&self.client, &stream, query, "reading message states").await?;
        let tombstones_subject = kv_subject(&tombstones_key(room));
        for entry in batch.entries.iter().filter(|e| !is_kv_removal(e)) {
            let subject = entry.subject.as_str();
            if subject == tombstones_subject {
                page.tombstones = serde_json::from_slice(&entry.payload).unwrap_or_default();
            } else if let Some(seq) = subject.rsplit('.').next().and_then(|s| s.parse().ok())
                && let Ok(state) = serde_json::from_slice(&entry.payload)
            {
                page.states.insert(seq, state);
            }
        }
        Ok(page)
    }

    async fn read<T: for<'de> Deserialize<'de>>(
        &self,
        key: &str,
    ) -> Result<Option<(T, u64)>, StoreError> {
        let entry = self
            .kv
            .entry(key)
            .await
            .map_err(unavailable("reading a message's state"))?;
        Ok(entry.and_then(|entry| {
            (entry.operation == kv::Operation::Put)
                .then(|| serde_json::from_slice(&entry.value).ok())
                .flatten()
                .map(|value| (value, entry.revision))
        }))
    }

    async fn update_key<T>(&self, key: &str, change: impl Fn(&mut T)) -> Result<T, StoreError>
    where
        T: Default + Serialize + for<'de> Deserialize<'de>,
    {
        for _ in 0..UPDATE_ROUNDS {
            let entry = self
                .kv
                .entry(key)
                .await
                .map_err(unavailable("reading a message's state"))?;
            let (mut value, revision) = match &entry {
                Some(entry) if entry.operation == kv::Operation::Put => (
                    serde_json::from_slice(&entry.value).unwrap_or_default(),
                    Some(entry.revision),
                ),
                Some(entry) => (T::default(), Some(entry.revision)),
                None => (T::default(), None),
            };
            change(&mut value);
            let bytes: bytes::Bytes = serde_json::to_vec(&value)
                .expect("a state always serialises")
                .into();
            let written = put_if_unchanged(&self.kv, key, bytes, revision)
                .await
                .map_err(|source| StoreError::Unavailable {
                    doing: "writing a message's state",
                    source,
                })?;
            if written.is_some() {
                return Ok(value);
            }
            // Someone else wrote first: read again and redo the change.
        }
        Err(failed(
            "writing a message's state",
            "too many concurrent changes",
        ))
    }
}

fn state_key(room: &RoomName, seq: u64) -> String {
    format!("{room}.{seq}")
}

fn tombstones_key(room: &RoomName) -> String {
    format!("{room}.deleted")
}

fn kv_subject(key: &str) -> String {
    format!("$KV.{STATE_BUCKET}.{key}")
}
