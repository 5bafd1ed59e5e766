//! Who is in each room, cluster-wide, and who is typing.
//!
//! Presence: each instance puts one key per person and room it holds tabs
//! for, `<room>.<person>.<instance>` in KV bucket `CHAT_PRESENCE`, and puts
//! it again every third of the expiry (`CHAT_PRESENCE_EXPIRES`, 45 s); the
//! bucket forgets a key that long after its last put, so the people of an instance that died without a goodbye
//! drop out, while a NATS restart (the bucket is on disk) changes nothing.
//! A person with tabs on two instances has two keys and shows once.
//!
//! Typing and presence changes travel on core NATS, `chat_signal.<room>`
//! (outside the `CHAT` stream, never stored). Each instance follows the
//! signals of the rooms its tabs have open and fans them out.

use crate::store::{BatchQuery, StoreError, direct_batch, is_kv_removal, unavailable};
use async_nats::jetstream::{self, kv};
use futures::StreamExt;
use model::presence::{AwarenessFrame, PresenceState, Present, TYPING_MAX_PRESENT};
use model::room::RoomName;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

const PRESENCE_BUCKET: &str = "CHAT_PRESENCE";
/// How often an instance reads a room's presence again (expired people
/// leave no signal): with the 45 s expiry, a vanished tab is gone from
/// every list within 55 s.
const REFRESH: Duration = Duration::from_secs(10);
/// Keys read at most per room.
const MAX_PRESENT_KEYS: usize = 10_000;
/// A room's presence frames go out at most this often: a thousand people
/// arriving at once make a frame a second, not a thousand.
const PRESENCE_EVERY: Duration = Duration::from_secs(1);
/// Heartbeat puts made at once.
const HEARTBEAT_CHUNK: usize = 20;

#[derive(Clone)]
pub(crate) struct Awareness {
    inner: Arc<Shared>,
}

struct Shared {
    client: async_nats::Client,
    kv: kv::Store,
    instance: String,
    /// This instance's people per room: their look and how many tabs
    /// (and how many of those idle).
    local: Mutex<HashMap<(String, String), Local>>,
    /// Rooms whose signals this instance follows, and the last presence
    /// frame sent in each (a new tab's first frame, without a read).
    rooms: Mutex<HashMap<String, Followed>>,
}

struct Followed {
    tx: broadcast::Sender<Arc<str>>,
    last: Option<Arc<str>>,
}

struct Local {
    present: Present,
    tabs: usize,
    idle: usize,
}

/// One tab in a room; leaving (drop) takes the person out when it was
/// their last tab here.
pub struct Visit {
    awareness: Awareness,
    room: String,
    who: String,
    idle: bool,
}

impl Awareness {
    pub async fn open(
        client: async_nats::Client,
        js: &jetstream::Context,
        replicas: usize,
        expires: Duration,
    ) -> Result<Self, StoreError> {
        let kv = js
            .create_or_update_key_value(kv::Config {
                bucket: PRESENCE_BUCKET.into(),
                description: "who is in which room, per instance, while it heartbeats".into(),
                history: 1,
                max_age: expires,
                num_replicas: replicas,
                storage: jetstream::stream::StorageType::File,
                max_value_size: 1024,
                ..Default::default()
            })
            .await
            .map_err(unavailable("setting up the presence bucket"))?;
        let awareness = Awareness {
            inner: Arc::new(Shared {
                client,
                kv,
                instance: uuid::Uuid::new_v4().simple().to_string(),
                local: Mutex::default(),
                rooms: Mutex::default(),
            }),
        };
        tokio::spawn(awareness.clone().heartbeat(expires / 3));
        Ok(awareness)
    }

    /// A tab of `who` (`a<account id>` or `g<guest key digest>`) opened `room`.
    pub fn arrive(&self, room: &RoomName, who: String, present: Present) -> Visit {
        let room = room.to_string();
        {
            let mut local = self.inner.local.lock().unwrap_or_else(|p| p.into_inner());
            let entry = local.entry((room.clone(), who.clone())).or_insert(Local {
                present,
                tabs: 0,
                idle: 0,
            });
            entry.tabs += 1;
        }
        self.announce(&room, &who, true);
        Visit {
            awareness: self.clone(),
            room,
            who,
            idle: false,
        }
    }

    /// Puts this instance's key of `who` in `room` (or deletes it when no
    /// tab is left) and, with `nudge`, tells the room's followers.
    fn announce(&self, room: &str, who: &str, nudge: bool) {
        let key = format!("{room}.{who}.{}", self.inner.instance);
        let value = {
            let local = self.inner.local.lock().unwrap_or_else(|p| p.into_inner());
            local.get(&(room.to_owned(), who.to_owned())).map(|l| {
                let mut present = l.present.clone();
                present.state = if l.idle >= l.tabs {
                    PresenceState::Idle
                } else {
                    PresenceState::Online
                };
                serde_json::to_vec(&present).expect("presence serialises")
            })
        };
        let (inner, room) = (Arc::clone(&self.inner), room.to_owned());
        tokio::spawn(async move {
            let written = match value {
                Some(value) => inner
                    .kv
                    .put(&key, value.into())
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string()),
                None => inner.kv.purge(&key).await.map_err(|e| e.to_string()),
            };
            if let Err(e) = written {
                tracing::debug!(error = %e, "presence not written");
            }
            if !nudge {
                return;
            }
            let _ = inner
                .client
                .publish(signal_subject(&room), r#"{"type":"presence"}"#.into())
                .await;
        });
    }

    async fn heartbeat(self, period: Duration) {
        let mut every = tokio::time::interval(period);
        loop {
            every.tick().await;
            let keys: Vec<(String, String)> = {
                let local = self.inner.local.lock().unwrap_or_else(|p| p.into_inner());
                local.keys().cloned().collect()
            };
            // A heartbeat changes nobody's presence: no nudge. The puts are
            // spread over half the period: a thousand at once would hold up
            // the messages being fanned out meanwhile.
            let chunks = keys.len().div_ceil(HEARTBEAT_CHUNK).max(1);
            let gap = period / 2 / chunks as u32;
            for chunk in keys.chunks(HEARTBEAT_CHUNK) {
                for (room, who) in chunk {
                    self.announce(room, who, false);
                }
                tokio::time::sleep(gap).await;
            }
        }
    }

    /// Everyone in `room` now, one entry per person, sorted by name.
    pub async fn present(&self, room: &RoomName) -> Result<Vec<Present>, StoreError> {
        let inner = &self.inner;
        let subjects = [format!("$KV.{PRESENCE_BUCKET}.{room}.>")];
        let query = BatchQuery::LastOf {
            subjects: &subjects,
            max: MAX_PRESENT_KEYS,
        };
        let stream = format!("KV_{PRESENCE_BUCKET}");
        let batch = direct_batch(&inner.client, &stream, query, "reading presence").await?;
        let mut people: BTreeMap<String, Present> = BTreeMap::new();
        for entry in batch.entries.iter().filter(|e| !is_kv_removal(e)) {
            // `$KV.CHAT_PRESENCE.<room>.<who>.<instance>`: one person, however many instances.
            let Some(who) = entry.subject.as_str().rsplit('.').nth(1).map(str::to_owned) else {
                continue;
            };
            let Ok(present) = serde_json::from_slice::<Present>(&entry.payload) else {
                continue;
            };
            people
                .entry(who)
                .and_modify(|known| {
                    if present.state == PresenceState::Online {
                        known.state = PresenceState::Online;
                    }
                })
                .or_insert(present);
        }
        let mut people: Vec<Present> = people.into_values().collect();
        people.sort_by_key(|p| p.name.to_lowercase());
        Ok(people)
    }

    /// Tells `room` that `from` started or stopped typing.
    pub async fn typing(&self, room: &RoomName, from: &str, verified: bool, on: bool) {
        let frame = AwarenessFrame::Typing {
            from: from.to_owned(),
            verified,
            on,
        };
        let payload = serde_json::to_vec(&frame).expect("a frame serialises");
        let _ = self
            .inner
            .client
            .publish(signal_subject(room.as_str()), payload.into())
            .await;
    }

    /// The room's awareness frames (JSON text) as they happen on any
    /// instance: presence when it changes, typing as it is said.
    pub fn signals(&self, room: &RoomName) -> broadcast::Receiver<Arc<str>> {
        let mut rooms = self.inner.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(followed) = rooms.get(room.as_str()) {
            return followed.tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(64);
        rooms.insert(
            room.to_string(),
            Followed {
                tx: tx.clone(),
                last: None,
            },
        );
        tokio::spawn(self.clone().follow(room.clone(), tx));
        rx
    }

    /// The room's presence frame: the last one this instance sent, else
    /// read now.
    pub async fn presence_frame(&self, room: &RoomName) -> Result<Arc<str>, StoreError> {
        let sent = self
            .inner
            .rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(room.as_str())
            .and_then(|f| f.last.clone());
        if let Some(frame) = sent {
            return Ok(frame);
        }
        let frame = AwarenessFrame::presence(self.present(room).await?);
        Ok(Arc::from(
            serde_json::to_string(&frame).expect("a frame serialises"),
        ))
    }

    async fn follow(self, room: RoomName, tx: broadcast::Sender<Arc<str>>) {
        let subscribed = self
            .inner
            .client
            .subscribe(signal_subject(room.as_str()))
            .await;
        let Ok(mut signals) = subscribed else {
            self.inner
                .rooms
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(room.as_str());
            return;
        };
        let mut last: Vec<Present> = Vec::new();
        let mut refresh = tokio::time::interval(REFRESH);
        // A change waits for `next_frame`, so changes close together make
        // one frame.
        let mut pending = false;
        let mut next_frame = tokio::time::Instant::now();
        loop {
            tokio::select! {
                signal = signals.next() => match signal {
                    Some(signal) if signal.payload.as_ref() == br#"{"type":"presence"}"# => pending = true,
                    Some(signal) => {
                        // Typing: passed on unless the room is too full for it.
                        if last.len() <= TYPING_MAX_PRESENT
                            && let Ok(text) = std::str::from_utf8(&signal.payload)
                        {
                            let _ = tx.send(Arc::from(text));
                        }
                    }
                    None => break,
                },
                _ = refresh.tick() => pending = true,
                _ = tokio::time::sleep_until(next_frame), if pending => {
                    pending = false;
                    next_frame = tokio::time::Instant::now() + PRESENCE_EVERY;
                    if let Ok(people) = self.present(&room).await
                        && people != last
                    {
                        let frame: Arc<str> = Arc::from(
                            serde_json::to_string(&AwarenessFrame::presence(people.clone()))
                                .expect("a frame serialises"),
                        );
                        if let Some(followed) = self
                            .inner
                            .rooms
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_mut(room.as_str())
                            .filter(|f| f.tx.same_channel(&tx))
                        {
                            followed.last = Some(frame.clone());
                        }
                        let _ = tx.send(frame);
                        last = people;
                    }
                }
            }
            if tx.receiver_count() == 0 {
                break;
            }
        }
        let mut rooms = self.inner.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if rooms
            .get(room.as_str())
            .is_some_and(|f| f.tx.same_channel(&tx))
        {
            rooms.remove(room.as_str());
        }
    }
}

impl Visit {
    /// The tab went idle (no input for a while) or is back.
    pub fn set_idle(&mut self, idle: bool) {
        if idle == self.idle {
            return;
        }
        self.idle = idle;
        {
            let mut local = self
                .awareness
                .inner
                .local
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = local.get_mut(&(self.room.clone(), self.who.clone())) {
                if idle {
                    entry.idle += 1;
                } else {
                    entry.idle = entry.idle.saturating_sub(1);
                }
            }
        }
        self.awareness.announce(&self.room, &self.who, true);
    }
}

impl Drop for Visit {
    fn drop(&mut self) {
        {
            let mut local = self
                .awareness
                .inner
                .local
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let key = (self.room.clone(), self.who.clone());
            if let Some(entry) = local.get_mut(&key) {
                entry.tabs = entry.tabs.saturating_sub(1);
                if self.idle {
                    entry.idle = entry.idle.saturating_sub(1);
                }
                if entry.tabs == 0 {
                    local.remove(&key);
                }
            }
        }
        self.awareness.announce(&self.room, &self.who, true);
    }
}

fn signal_subject(room: &str) -> String {
    format!("chat_signal.{room}")
}

impl crate::chat::Chat {
    /// Who `identity` is to the room's people: its key and how it shows.
    fn person(&self, identity: &crate::access::Identity, guest_name: &str) -> (String, Present) {
        match identity.account() {
            Some(account) => (
                format!("a{}", account.id),
                Present {
                    name: account.name.clone(),
                    verified: true,
                    state: PresenceState::Online,
                    color: account.appearance.color.clone(),
                },
            ),
            None => {
                let name = model::message::checked_name(guest_name)
                    .ok()
                    .filter(|name| !self.inner.accounts.is_registered(name))
                    .unwrap_or("guest")
                    .to_owned();
                let who = match &identity.guest_key {
                    Some(digest) => format!("g{digest}"),
                    // Without a key each tab is its own guest.
                    None => format!("t{}", uuid::Uuid::new_v4().simple()),
                };
                (
                    who,
                    Present {
                        name,
                        ..Present::default()
                    },
                )
            }
        }
    }

    /// A tab of `identity` is in `room` until the visit drops.
    pub fn visit(
        &self,
        room: &RoomName,
        identity: &crate::access::Identity,
        guest_name: &str,
    ) -> Visit {
        let (who, present) = self.person(identity, guest_name);
        self.inner.awareness.arrive(room, who, present)
    }

    /// Everyone in `room` now.
    pub async fn presence(
        &self,
        viewer: &crate::access::Identity,
        room: &RoomName,
    ) -> Result<Vec<Present>, crate::Error> {
        self.inner
            .access
            .check(&viewer.caller, crate::access::Action::Read, room)?;
        Ok(self.inner.awareness.present(room).await?)
    }

    /// The room's current presence frame (JSON text).
    pub async fn presence_frame(&self, room: &RoomName) -> Result<Arc<str>, crate::Error> {
        Ok(self.inner.awareness.presence_frame(room).await?)
    }

    /// The room's presence and typing frames as they happen.
    pub fn room_signals(&self, room: &RoomName) -> broadcast::Receiver<Arc<str>> {
        self.inner.awareness.signals(room)
    }

    /// `identity` started or stopped typing in `room`.
    pub async fn typing(
        &self,
        room: &RoomName,
        identity: &crate::access::Identity,
        guest_name: &str,
        on: bool,
    ) -> Result<(), crate::Error> {
        self.inner
            .access
            .check(&identity.caller, crate::access::Action::Write, room)?;
        // Past the limit a notice is dropped, not refused: every tab of the
        // room would hear a flood of them.
        if self
            .inner
            .limits
            .typing(&identity.sender, room.as_str())
            .is_err()
        {
            return Ok(());
        }
        let (_, present) = self.person(identity, guest_name);
        self.inner
            .awareness
            .typing(room, &present.name, present.verified, on)
            .await;
        Ok(())
    }
}
