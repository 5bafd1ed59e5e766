//! Each room's rules and people in charge (KV bucket `CHAT_ROOMS`, a key
//! per room that has any), held in memory on every instance and kept
//! current by watching the bucket: the access rule reads memory, so a send
//! or a live frame costs no request, and a change made on one instance
//! applies on the others as soon as the watch delivers it.

use crate::Error;
use crate::compare_and_set::put_if_unchanged;
use crate::store::{StoreError, failed, unavailable};
use async_nats::jetstream::{self, kv};
use futures::StreamExt;
use model::room::RoomName;
use model::room_policy::{PostPolicy, Visibility};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

const ROOMS_BUCKET: &str = "CHAT_ROOMS";
const UPDATE_ROUNDS: usize = 16;

/// A room's stored rules. A room without one is public, ownerless and open
/// to everyone: every room from before owners existed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoomPolicy {
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub topic: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Person>,
    /// By account id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub moderators: BTreeMap<i64, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub members: BTreeMap<i64, String>,
    #[serde(default)]
    pub post: PostPolicy,
    #[serde(default)]
    pub slow_mode_s: u64,
    #[serde(default)]
    pub locked: bool,
    #[serde(default = "yes")]
    pub guests_read: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timeouts: BTreeMap<i64, StoredSanction>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bans: BTreeMap<i64, StoredSanction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invites: Vec<StoredInvite>,
    /// Accounts removed from the members (or banned), and when (unix
    /// milliseconds): an invite made before brings them back no more.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub removed: BTreeMap<i64, i64>,
}

fn yes() -> bool {
    true
}

impl Default for RoomPolicy {
    /// An open public room, as every room without a policy is.
    fn default() -> Self {
        Self {
            visibility: Visibility::Public,
            topic: String::new(),
            owner: None,
            moderators: BTreeMap::new(),
            members: BTreeMap::new(),
            post: PostPolicy::Everyone,
            slow_mode_s: 0,
            locked: false,
            guests_read: true,
            timeouts: BTreeMap::new(),
            bans: BTreeMap::new(),
            invites: Vec::new(),
            removed: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredSanction {
    pub name: String,
    /// Unix seconds; none for a ban.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub by: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredInvite {
    /// SHA-256 of the token, hex: the link itself is not stored.
    pub digest: String,
    pub expires: i64,
    pub by: String,
    /// Joins left; `None`: no limit (also invites from before counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses_left: Option<u32>,
    /// When it was made (unix milliseconds); 0 for invites from before.
    #[serde(default)]
    pub made: i64,
}

impl StoredInvite {
    /// The invite's public name, for listing and revoking: the start of its
    /// digest (which says nothing of the token).
    pub fn id(&self) -> &str {
        self.digest.get(..12).unwrap_or(&self.digest)
    }
}

/// Unix seconds as the API writes times of sanctions and invites.
pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// How long until an RFC 3339 time (a sanction's end); `None` once past.
pub fn time_left(until: &str) -> Option<std::time::Duration> {
    let until = chrono::DateTime::parse_from_rfc3339(until).ok()?;
    (until.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

impl RoomPolicy {
    pub fn is_hidden(&self) -> bool {
        self.visibility != Visibility::Public
    }

    pub fn is_owner(&self, id: i64) -> bool {
        self.owner.as_ref().is_some_and(|o| o.id == id)
    }

    /// Timeouts that have ended are dropped when the policy is next saved.
    pub fn timeout_of(&self, id: i64, now: i64) -> Option<&StoredSanction> {
        self.timeouts
            .get(&id)
            .filter(|t| t.until.is_some_and(|until| until > now))
    }

    /// Whether an invite with this token digest lasts at unix time `now`.
    pub fn has_invite(&self, digest: &str, now: i64) -> bool {
        self.live_invite(digest, now).is_some()
    }

    /// The invite with this token digest, while it lasts and has uses left.
    pub fn live_invite(&self, digest: &str, now: i64) -> Option<&StoredInvite> {
        self.invites
            .iter()
            .find(|i| i.digest == digest && i.expires > now && i.uses_left != Some(0))
    }

    /// In a DM, the account that is not `me`.
    pub fn dm_partner(&self, me: Option<i64>) -> Option<&str> {
        (self.visibility == Visibility::Dm)
            .then(|| self.members.iter().find(|(id, _)| Some(**id) != me))
            .flatten()
            .map(|(_, name)| name.as_str())
    }

    pub fn forget_ended(&mut self, now: i64) {
        self.timeouts
            .retain(|_, t| t.until.is_some_and(|until| until > now));
        self.invites.retain(|i| i.expires > now);
    }
}

/// Every room's policy, as this instance knows it.
pub(crate) struct RoomPolicies {
    kv: kv::Store,
    known: RwLock<HashMap<String, (u64, Arc<RoomPolicy>)>>,
    changed: broadcast::Sender<RoomName>,
}

impl RoomPolicies {
    /// Opens the bucket, loads every policy and keeps following changes.
    pub async fn open(js: &jetstream::Context, replicas: usize) -> Result<Arc<Self>, StoreError> {
        let kv = js
            .create_or_update_key_value(kv::Config {
                bucket: ROOMS_BUCKET.into(),
                description: "each room's owner, moderators, members, settings and sanctions"
                    .into(),
                history: 1,
                num_replicas: replicas,
                storage: jetstream::stream::StorageType::File,
                max_value_size: 1 << 20,
                ..Default::default()
            })
            .await
            .map_err(unavailable("setting up the rooms bucket"))?;
        let (changed, _) = broadcast::channel(256);
        let policies = Arc::new(Self {
            kv,
            known: RwLock::default(),
            changed,
        });
        // Watching first, loading second: a change made between the two is
        // seen either way, and revisions keep the newer one.
        let watch = policies
            .kv
            .watch_all()
            .await
            .map_err(unavailable("watching the rooms bucket"))?;
        policies.load_all().await?;
        tokio::spawn(Arc::clone(&policies).follow(watch));
        Ok(policies)
    }

    async fn load_all(&self) -> Result<(), StoreError> {
        let keys: Vec<String> = self
            .kv
            .keys()
            .await
            .map_err(unavailable("listing rooms"))?
            .filter_map(|key| async move { key.ok() })
            .collect()
            .await;
        for key in keys {
            if let Some(entry) = self
                .kv
                .entry(&key)
                .await
                .map_err(unavailable("reading a room's policy"))?
            {
                self.learn(&entry);
            }
        }
        Ok(())
    }

    async fn follow(self: Arc<Self>, mut watch: kv::Watch) {
        loop {
            while let Some(entry) = watch.next().await {
                match entry {
                    Ok(entry) => self.learn(&entry),
                    // A watch that failed must not be polled again.
                    Err(e) => {
                        tracing::debug!(error = %e, "rooms bucket watch ended");
                        break;
                    }
                }
            }
            // The watch ends when NATS goes away; start again and catch up.
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                if let Ok(again) = self.kv.watch_all().await {
                    watch = again;
                    if let Err(e) = self.load_all().await {
                        tracing::warn!(error = %e, "reloading room policies");
                    }
                    break;
                }
            }
        }
    }

    fn learn(&self, entry: &kv::Entry) {
        let policy = match entry.operation {
            kv::Operation::Put => match serde_json::from_slice::<RoomPolicy>(&entry.value) {
                Ok(policy) => Some(Arc::new(policy)),
                Err(e) => {
                    tracing::warn!(room = %entry.key, error = %e, "unreadable room policy");
                    return;
                }
            },
            kv::Operation::Delete | kv::Operation::Purge => None,
        };
        self.keep(&entry.key, entry.revision, policy);
    }

    fn keep(&self, room: &str, revision: u64, policy: Option<Arc<RoomPolicy>>) {
        {
            let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
            if known.get(room).is_some_and(|(seen, _)| *seen >= revision) {
                return;
            }
            match policy {
                Some(policy) => known.insert(room.to_owned(), (revision, policy)),
                None => known.remove(room),
            };
        }
        if let Ok(room) = RoomName::parse(room) {
            let _ = self.changed.send(room);
        }
    }

    /// The room's policy as this instance knows it: memory only.
    pub fn get(&self, room: &str) -> Option<Arc<RoomPolicy>> {
        self.known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(room)
            .map(|(_, policy)| Arc::clone(policy))
    }

    /// Every room with a policy, for the room list and invites.
    pub fn all(&self) -> Vec<(String, Arc<RoomPolicy>)> {
        self.known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(room, (_, policy))| (room.clone(), Arc::clone(policy)))
            .collect()
    }

    /// Rooms whose policy changed, on any instance.
    pub fn changes(&self) -> broadcast::Receiver<RoomName> {
        self.changed.subscribe()
    }

    /// Makes the room's policy; false when the room has one already.
    pub async fn create(&self, room: &RoomName, policy: RoomPolicy) -> Result<bool, Error> {
        let value = serde_json::to_vec(&policy).expect("a policy always serialises");
        let made = put_if_unchanged(&self.kv, room.as_str(), value.into(), None)
            .await
            .map_err(|e| Error::unavailable("the chat store is unavailable, please retry", e))?;
        if let Some(revision) = made {
            self.keep(room.as_str(), revision, Some(Arc::new(policy)));
        }
        Ok(made.is_some())
    }

    /// Changes the room's policy with `change` (on the stored one, never a
    /// stale copy: compare-and-set); a room without one starts from the
    /// default. `change` may refuse, and then nothing is stored.
    pub async fn modify(
        &self,
        room: &RoomName,
        mut change: impl FnMut(&mut RoomPolicy) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let store_error = |e| Error::unavailable("the chat store is unavailable, please retry", e);
        for _ in 0..UPDATE_ROUNDS {
            let entry = self
                .kv
                .entry(room.as_str())
                .await
                .map_err(|e| store_error(Box::new(e) as crate::error::BoxError))?;
            let (mut policy, revision) = match &entry {
                Some(entry) if entry.operation == kv::Operation::Put => (
                    serde_json::from_slice::<RoomPolicy>(&entry.value).map_err(|e| {
                        Error::from(failed("reading a room's policy", e.to_string()))
                    })?,
                    Some(entry.revision),
                ),
                Some(entry) => (RoomPolicy::default(), Some(entry.revision)),
                None => (RoomPolicy::default(), None),
            };
            change(&mut policy)?;
            policy.forget_ended(chrono::Utc::now().timestamp());
            let value = serde_json::to_vec(&policy).expect("a policy always serialises");
            let written = put_if_unchanged(&self.kv, room.as_str(), value.into(), revision)
                .await
                .map_err(store_error)?;
            if let Some(revision) = written {
                // This instance knows at once; the others by the watch.
                self.keep(room.as_str(), revision, Some(Arc::new(policy)));
                return Ok(());
            }
        }
        Err(Error::unavailable(
            "the room is changing too often, please retry",
            failed("changing a room's policy", "too many concurrent changes"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_lasts_until_it_expires_and_is_then_forgotten() {
        let mut policy = RoomPolicy {
            invites: vec![StoredInvite {
                digest: "d1".into(),
                expires: 100,
                by: "ada".into(),
                uses_left: None,
                made: 0,
            }],
            ..RoomPolicy::default()
        };
        assert!(policy.has_invite("d1", 99));
        assert!(!policy.has_invite("d1", 100), "expired at its time");
        assert!(!policy.has_invite("d2", 0), "another token");
        policy.forget_ended(100);
        assert!(policy.invites.is_empty());
    }

    #[test]
    fn a_dm_partner_is_the_other_account() {
        let dm = RoomPolicy {
            visibility: Visibility::Dm,
            members: [(1, "ada".to_owned()), (2, "bo".to_owned())].into(),
            ..RoomPolicy::default()
        };
        assert_eq!(dm.dm_partner(Some(1)), Some("bo"));
        assert_eq!(dm.dm_partner(Some(2)), Some("ada"));
        let private = RoomPolicy {
            visibility: Visibility::Private,
            ..dm
        };
        assert_eq!(private.dm_partner(Some(1)), None);
    }
}
