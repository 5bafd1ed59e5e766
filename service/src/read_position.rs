//! Where each account has read to, per room: KV bucket `CHAT_READ`, key
//! `<account id>.<room>`, the sequence of the newest message it has seen.
//! In NATS, so every instance shares it and it survives restarts. It only
//! moves forward (two tabs racing cannot move it back), unless the reader
//! marks a message unread. `<account id>.=since` is where an account
//! started: rooms it never opened are unread only after that (`=` is in
//! no room name, so no room's position can overwrite it; accounts from
//! before kept it in `<account id>._since`, which a room named `_since`
//! could overwrite, and it is read from there once).
//!
//! A move is told on core NATS, `chat_read.<account id>`, as the events
//! socket's `read` frame, so the account's tabs on every instance follow.

use crate::compare_and_set::put_if_unchanged;
use crate::store::{BatchQuery, StoreError, direct_batch, failed, is_kv_removal, unavailable};
use async_nats::jetstream::{self, kv};
use futures::StreamExt;
use model::presence::AwarenessFrame;
use model::room::RoomName;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

const READ_BUCKET: &str = "CHAT_READ";
/// The most readers of one room an `@room` reaches.
pub(crate) const MAX_ROOM_READERS: usize = 5000;
const SINCE_KEY: &str = "=since";
const OLD_SINCE_KEY: &str = "_since";
const UPDATE_ROUNDS: usize = 16;

/// How often a follow with no tab left notices it (moves come rarely).
const FOLLOW_CHECK: Duration = Duration::from_secs(30);

/// A read position moved: the room and the `read` frame to pass on.
pub type ReadMoved = Arc<(String, Arc<str>)>;

#[derive(Clone)]
pub(crate) struct ReadPositions {
    kv: kv::Store,
    client: async_nats::Client,
    /// Accounts with tabs on this instance, each followed once.
    followers: Arc<Mutex<HashMap<i64, broadcast::Sender<ReadMoved>>>>,
}

/// An account's read positions.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReadMap {
    pub rooms: HashMap<String, u64>,
    /// Rooms without a position count as read up to here.
    pub since: u64,
}

impl ReadMap {
    pub fn of(&self, room: &str) -> u64 {
        self.rooms.get(room).copied().unwrap_or(self.since)
    }
}

impl ReadPositions {
    /// The accounts that have a read position in `room`: the people who
    /// opened it (at most [`MAX_ROOM_READERS`]).
    pub async fn readers_of(&self, room: &str) -> Result<Vec<i64>, StoreError> {
        let subjects = [format!("$KV.{READ_BUCKET}.*.{room}")];
        let query = BatchQuery::LastOf {
            subjects: &subjects,
            max: MAX_ROOM_READERS,
        };
        let stream = format!("KV_{READ_BUCKET}");
        let batch = direct_batch(&self.client, &stream, query, "reading a room's readers").await?;
        Ok(batch
            .entries
            .iter()
            .filter(|entry| !is_kv_removal(entry))
            .filter_map(|entry| entry.subject.as_str().split('.').nth(2)?.parse().ok())
            .collect())
    }

    pub async fn open(
        js: &jetstream::Context,
        client: async_nats::Client,
        replicas: usize,
    ) -> Result<Self, StoreError> {
        let kv = js
            .create_or_update_key_value(kv::Config {
                bucket: READ_BUCKET.into(),
                description: "each account's read position per room".into(),
                history: 1,
                num_replicas: replicas,
                storage: jetstream::stream::StorageType::File,
                max_value_size: 64,
                ..Default::default()
            })
            .await
            .map_err(unavailable("setting up the read positions bucket"))?;
        Ok(ReadPositions {
            kv,
            client,
            followers: Arc::default(),
        })
    }

    /// The moves of `account`'s read positions, from any instance.
    pub fn follow(&self, account: i64) -> broadcast::Receiver<ReadMoved> {
        let mut followers = self.followers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = followers.get(&account) {
            return tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(16);
        followers.insert(account, tx.clone());
        tokio::spawn(self.clone().pass_on(account, tx));
        rx
    }

    async fn pass_on(self, account: i64, tx: broadcast::Sender<ReadMoved>) {
        if let Ok(mut moves) = self.client.subscribe(moves_subject(account)).await {
            let mut check = tokio::time::interval(FOLLOW_CHECK);
            loop {
                tokio::select! {
                    moved = moves.next() => {
                        let Some(moved) = moved else { break };
                        if let Ok(AwarenessFrame::Read { room, .. } | AwarenessFrame::Mention { room, .. }) =
                            serde_json::from_slice::<AwarenessFrame>(&moved.payload)
                            && let Ok(text) = std::str::from_utf8(&moved.payload)
                        {
                            let _ = tx.send(Arc::new((room, Arc::from(text))));
                        }
                    }
                    _ = check.tick() => {}
                }
                if tx.receiver_count() == 0 {
                    break;
                }
            }
        }
        let mut followers = self.followers.lock().unwrap_or_else(|p| p.into_inner());
        if followers.get(&account).is_some_and(|t| t.same_channel(&tx)) {
            followers.remove(&account);
        }
    }

    /// Every position of `account`; on its first call it records `now` (the
    /// stream's newest sequence) as where the account started.
    pub async fn all(&self, account: i64, now: u64) -> Result<ReadMap, StoreError> {
        let since = self.since(account, now).await?;
        let prefix = format!("{account}.");
        let mut map = ReadMap {
            since,
            ..ReadMap::default()
        };
        let mut entries = self
            .kv
            .watch_with_history(format!("{account}.>"))
            .await
            .map_err(unavailable("reading read positions"))?;
        // The watch first delivers each key's latest value (there is at
        // least `_since`); `delta` counts down the ones still to come.
        loop {
            let entry = tokio::time::timeout(std::time::Duration::from_secs(5), entries.next())
                .await
                .map_err(|_| failed("reading read positions", "timed out"))?
                .ok_or_else(|| failed("reading read positions", "watch closed"))?
                .map_err(unavailable("reading read positions"))?;
            if entry.operation == kv::Operation::Put
                && let Some(key) = entry.key.strip_prefix(&prefix)
                && key != SINCE_KEY
                && let Some(seq) = parse(&entry.value)
            {
                map.rooms.insert(key.to_owned(), seq);
            }
            if entry.delta == 0 {
                return Ok(map);
            }
        }
    }

    /// Records `now` as where a new account starts.
    pub async fn start(&self, account: i64, now: u64) -> Result<(), StoreError> {
        self.since(account, now).await.map(|_| ())
    }

    /// Where `account` started; set to `now` the first time it is asked.
    async fn since(&self, account: i64, now: u64) -> Result<u64, StoreError> {
        let key = format!("{account}.{SINCE_KEY}");
        if let Some(since) = self.read(&key).await? {
            return Ok(since);
        }
        let started = self.read(&format!("{account}.{OLD_SINCE_KEY}")).await?;
        self.set(&key, started.unwrap_or(now), false).await
    }

    async fn read(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let entry = self
            .kv
            .entry(key)
            .await
            .map_err(unavailable("reading a read position"))?;
        Ok(entry.and_then(|e| parse(&e.value)))
    }

    /// Moves `account`'s position in `room` to `seq`: forward only, unless
    /// `back` (mark unread). Returns the position after the change.
    pub async fn mark(
        &self,
        account: i64,
        room: &RoomName,
        seq: u64,
        back: bool,
        now: u64,
    ) -> Result<u64, StoreError> {
        self.since(account, now).await?;
        let position = self.set(&format!("{account}.{room}"), seq, back).await?;
        let frame = AwarenessFrame::Read {
            room: room.to_string(),
            seq: position,
        };
        let payload = serde_json::to_vec(&frame).expect("a frame serialises");
        // Told even when nothing moved: cheap, and a tab that missed the
        // move it made itself learns it from this.
        let _ = self
            .client
            .publish(moves_subject(account), payload.into())
            .await;
        Ok(position)
    }

    /// Tells `account`'s tabs, on every instance, that message `seq` of
    /// `room` is for it (a `mention` frame on its events sockets).
    pub async fn tell_mention(&self, account: i64, room: &str, seq: u64) {
        let frame = AwarenessFrame::Mention {
            room: room.to_owned(),
            seq,
        };
        let payload = serde_json::to_vec(&frame).expect("a frame serialises");
        let _ = self
            .client
            .publish(moves_subject(account), payload.into())
            .await;
    }

    async fn set(&self, key: &str, seq: u64, back: bool) -> Result<u64, StoreError> {
        for _ in 0..UPDATE_ROUNDS {
            let entry = self
                .kv
                .entry(key)
                .await
                .map_err(unavailable("reading a read position"))?;
            let current = entry
                .as_ref()
                .filter(|e| e.operation == kv::Operation::Put)
                .and_then(|e| parse(&e.value));
            if let Some(current) = current
                && (current == seq || (current > seq && !back))
            {
                return Ok(current);
            }
            let revision = entry.map(|e| e.revision);
            let written = put_if_unchanged(&self.kv, key, seq.to_string().into(), revision)
                .await
                .map_err(|source| StoreError::Unavailable {
                    doing: "writing a read position",
                    source,
                })?;
            if written.is_some() {
                return Ok(seq);
            }
            // Another tab or instance wrote first: read again.
        }
        Err(failed(
            "writing a read position",
            "too many concurrent changes",
        ))
    }
}

fn moves_subject(account: i64) -> String {
    format!("chat_read.{account}")
}

fn parse(value: &[u8]) -> Option<u64> {
    std::str::from_utf8(value).ok()?.parse().ok()
}
