//! Slow mode: one message per person every N seconds in a room, on every
//! instance. KV bucket `CHAT_SLOW`, key `<room>.<who>`, the time of the
//! person's last message there; only rooms in slow mode touch it.

use crate::Error;
use crate::access::{Identity, hex_digest};
use crate::compare_and_set::put_if_unchanged;
use crate::limits::SenderKey;
use crate::store::{StoreError, unavailable};
use async_nats::jetstream::{self, kv};
use model::ErrorKind;
use model::room::RoomName;
use model::room_policy::MAX_SLOW_MODE_S;
use std::time::Duration;

const SLOW_BUCKET: &str = "CHAT_SLOW";

pub(crate) struct SlowMode {
    kv: kv::Store,
}

impl SlowMode {
    pub async fn open(js: &jetstream::Context, replicas: usize) -> Result<Self, StoreError> {
        let kv = js
            .create_or_update_key_value(kv::Config {
                bucket: SLOW_BUCKET.into(),
                description: "when each person last posted in a room in slow mode".into(),
                history: 1,
                num_replicas: replicas,
                // Older entries cannot hold anyone back.
                max_age: Duration::from_secs(MAX_SLOW_MODE_S + 60),
                storage: jetstream::stream::StorageType::File,
                max_value_size: 256,
                ..Default::default()
            })
            .await
            .map_err(unavailable("setting up the slow mode bucket"))?;
        Ok(Self { kv })
    }

    /// Lets the message through and starts the sender's wait, or refuses
    /// with 429 and how long is left. Two racing sends: one wins.
    pub async fn pass(
        &self,
        room: &RoomName,
        identity: &Identity,
        interval_s: u64,
    ) -> Result<(), Error> {
        let key = format!("{room}.{}", who(identity));
        let store_error = |e: crate::error::BoxError| {
            Error::unavailable("the chat store is unavailable, please retry", e)
        };
        let now = chrono::Utc::now().timestamp_millis();
        let entry = self
            .kv
            .entry(&key)
            .await
            .map_err(|e| store_error(Box::new(e)))?;
        let last = entry.as_ref().and_then(|e| {
            std::str::from_utf8(&e.value)
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
        });
        if let Some(last) = last {
            let wait_ms = last + (interval_s as i64) * 1000 - now;
            if wait_ms > 0 {
                return Err(refused((wait_ms as u64).div_ceil(1000), interval_s));
            }
        }
        let revision = entry.map(|e| e.revision);
        match put_if_unchanged(&self.kv, &key, now.to_string().into(), revision)
            .await
            .map_err(store_error)?
        {
            Some(_) => Ok(()),
            // Another of the sender's messages got there first.
            None => Err(refused(interval_s, interval_s)),
        }
    }
}

fn refused(retry_after_s: u64, interval_s: u64) -> Error {
    Error::new(
        ErrorKind::TooFast { retry_after_s },
        format!(
            "this room is in slow mode: one message every {}; try again in {retry_after_s} s",
            model::room_policy::duration_text(interval_s)
        ),
    )
    .with_code("slow_mode")
}

/// A key for the sender: its account, its guest key, or (a guest without
/// one) its address; hashed, as a KV key cannot hold `:` of an address.
/// Who waits: an account, or a guest by address (as the send limit
/// counts guests): a fresh guest key per message buys no fresh wait.
fn who(identity: &Identity) -> String {
    let raw = match &identity.sender {
        SenderKey::Account(id) => format!("a:{id}"),
        SenderKey::Address(address) => format!("ip:{address}"),
    };
    hex_digest(&raw, 12)
}
