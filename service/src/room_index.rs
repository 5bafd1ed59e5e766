//! Every room's summary (message count, newest sequence and time) in
//! memory, kept current from the live subjects, so that listing rooms costs
//! no NATS request however many rooms there are.
//!
//! Each instance keeps its own index. It is loaded from JetStream at start
//! and after every reconnect (one request for the counts, one direct get
//! per room for its newest message), and counts are reconciled every
//! [`RECONCILE_EVERY`], because retention removes messages without a live
//! event.

use crate::room_log::RoomLog;
use crate::store::StoreError;
use futures::StreamExt;
use model::room::{RoomName, RoomPage, RoomSummary};
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, watch};

const RECONCILE_EVERY: Duration = Duration::from_secs(30);
/// Direct gets in flight while loading the rooms' newest messages.
const LOAD_CONCURRENCY: usize = 16;

#[derive(Default)]
struct Rooms {
    by_name: HashMap<String, Entry>,
    /// Newest activity first; sequences are unique across the stream.
    by_activity: BTreeSet<(Reverse<u64>, String)>,
    /// The stream's last sequence when the counts were last loaded: every
    /// message up to it is in an entry's `loaded_count`.
    counted_through: u64,
}

struct Entry {
    summary: RoomSummary,
    /// Messages counted by the last load.
    loaded_count: u64,
    /// Messages stored after it, each once whether a send's answer or the
    /// live subject told of it first.
    since_load: BTreeSet<u64>,
}

impl Rooms {
    fn put(&mut self, entry: Entry) {
        if let Some(old) = self.by_name.get(&entry.summary.name) {
            self.by_activity
                .remove(&(Reverse(old.summary.last_seq), old.summary.name.clone()));
        }
        self.by_activity
            .insert((Reverse(entry.summary.last_seq), entry.summary.name.clone()));
        self.by_name.insert(entry.summary.name.clone(), entry);
    }

    /// Takes a room out of both maps.
    fn remove(&mut self, name: &str) -> Option<Entry> {
        let old = self.by_name.remove(name)?;
        self.by_activity
            .remove(&(Reverse(old.summary.last_seq), old.summary.name.clone()));
        Some(old)
    }

    /// A stored message, counted once however often it is told.
    fn record(&mut self, room: &str, seq: u64, ts: &str) {
        if seq <= self.counted_through {
            return;
        }
        let mut entry = self.remove(room).unwrap_or_else(|| Entry {
            summary: RoomSummary {
                name: room.to_owned(),
                last_seq: 0,
                count: 0,
                last_ts: None,
                ..RoomSummary::default()
            },
            loaded_count: 0,
            since_load: BTreeSet::new(),
        });
        entry.since_load.insert(seq);
        entry.summary.count = entry.loaded_count + entry.since_load.len() as u64;
        if seq > entry.summary.last_seq {
            entry.summary.last_seq = seq;
            entry.summary.last_ts = Some(ts.to_owned());
        }
        self.put(entry);
    }
}

pub(crate) struct RoomIndex {
    rooms: RwLock<Rooms>,
    loaded: watch::Sender<bool>,
    reload: Notify,
}

impl RoomIndex {
    /// Starts following the live subjects and loading the index.
    pub(crate) fn start(log: RoomLog) -> Arc<Self> {
        let index = Arc::new(RoomIndex {
            rooms: RwLock::new(Rooms::default()),
            loaded: watch::Sender::new(false),
            reload: Notify::new(),
        });
        tokio::spawn(Arc::clone(&index).follow(log));
        index
    }

    /// Loads every room again from JetStream (after a reconnect, live
    /// messages may have been missed).
    pub(crate) fn reload(&self) {
        self.reload.notify_one();
    }

    /// Rooms with `last_seq < after` (all when `after` is `None`) that
    /// `shown` keeps (and may fill in), newest activity first, at most
    /// `limit`; the next page starts after the last room shown, so a room
    /// left out says nothing of itself. Waits for the first load.
    pub(crate) async fn page(
        &self,
        after: Option<u64>,
        limit: usize,
        mut shown: impl FnMut(&mut RoomSummary) -> bool,
    ) -> Result<RoomPage, StoreError> {
        let mut loaded = self.loaded.subscribe();
        match tokio::time::timeout(Duration::from_secs(10), loaded.wait_for(|l| *l)).await {
            Ok(Ok(_)) => {}
            _ => {
                return Err(StoreError::Unavailable {
                    doing: "loading the rooms",
                    source: "the room index is not loaded yet".into(),
                });
            }
        }
        let rooms = self.rooms.read().expect("room index lock");
        let start = (Reverse(after.unwrap_or(u64::MAX)), String::new());
        let mut page: Vec<RoomSummary> = rooms
            .by_activity
            .range(start..)
            .filter(|(Reverse(seq), _)| after.is_none_or(|after| *seq < after))
            .filter_map(|(_, name)| rooms.by_name.get(name).map(|e| e.summary.clone()))
            .filter_map(|mut summary| shown(&mut summary).then_some(summary))
            .take(limit + 1)
            .collect();
        let next_after = if page.len() > limit {
            page.truncate(limit);
            page.last().map(|room| room.last_seq)
        } else {
            None
        };
        Ok(RoomPage {
            rooms: page,
            next_after,
        })
    }

    /// The newest sequence this index knows of, in any room.
    pub(crate) fn newest_seq(&self) -> u64 {
        let rooms = self.rooms.read().expect("room index lock");
        let newest = rooms.by_activity.first().map_or(0, |(seq, _)| seq.0);
        newest.max(rooms.counted_through)
    }

    /// How many messages the index counts in `room`.
    pub(crate) fn count_of(&self, room: &str) -> u64 {
        let rooms = self.rooms.read().expect("room index lock");
        rooms.by_name.get(room).map_or(0, |e| e.summary.count)
    }

    /// A message the stream stored: from a send's answer here (so the
    /// sender's next listing shows it) or from the live subjects.
    pub(crate) fn record(&self, room: &str, seq: u64, ts: &str) {
        self.rooms
            .write()
            .expect("room index lock")
            .record(room, seq, ts);
    }

    async fn follow(self: Arc<Self>, log: RoomLog) {
        let mut live = loop {
            match log.follow_all_live().await {
                Ok(live) => break live,
                Err(e) => {
                    tracing::warn!(error = %e, "room index: cannot follow the live subjects; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        let mut full_load = true;
        loop {
            let loading = self.load(&log, full_load);
            tokio::pin!(loading);
            // Live messages keep arriving while the load runs.
            let loaded = loop {
                tokio::select! {
                    result = &mut loading => break result,
                    Some(msg) = live.next() => self.on_live(&log, &msg),
                }
            };
            match loaded {
                Ok(()) => {
                    self.loaded.send_replace(true);
                    full_load = false;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "room index: load failed; retrying");
                    full_load = true;
                }
            }
            let next = tokio::time::sleep(if full_load {
                Duration::from_secs(1)
            } else {
                RECONCILE_EVERY
            });
            tokio::pin!(next);
            loop {
                tokio::select! {
                    _ = &mut next => break,
                    _ = self.reload.notified() => {
                        full_load = true;
                        break;
                    }
                    msg = live.next() => match msg {
                        Some(msg) => self.on_live(&log, &msg),
                        None => return,
                    },
                }
            }
        }
    }

    fn on_live(&self, log: &RoomLog, msg: &async_nats::Message) {
        let Some(room) = crate::room_log::room_of_live_subject(&msg.subject) else {
            return;
        };
        match log.decode_live(&room, msg) {
            Ok(crate::room_log::LiveEntry {
                event: model::event::RoomEvent::Message(message),
                ..
            }) => self.record(room.as_str(), message.seq, &message.ts),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "room index: live message without a sequence"),
        }
    }

    /// Counts from one stream request; each room's newest message for the
    /// rooms this index does not know (or all of them, on a full load).
    async fn load(&self, log: &RoomLog, full: bool) -> Result<(), StoreError> {
        let (counts, stream_last_seq) = log.room_counts().await?;
        let wanted: Vec<RoomName> = {
            let rooms = self.rooms.read().expect("room index lock");
            counts
                .iter()
                .filter(|(room, count)| {
                    full || rooms
                        .by_name
                        .get(room.as_str())
                        .is_none_or(|known| known.summary.count < *count)
                })
                .map(|(room, _)| room.clone())
                .collect()
        };
        let newest: Vec<(RoomName, Option<model::message::ChatMessage>)> =
            futures::stream::iter(wanted)
                .map(|room| async move {
                    let last = log.last_message(&room).await?;
                    Ok::<_, StoreError>((room, last))
                })
                .buffer_unordered(LOAD_CONCURRENCY)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<_, _>>()?;
        let newest: HashMap<String, Option<model::message::ChatMessage>> = newest
            .into_iter()
            .map(|(room, last)| (room.to_string(), last))
            .collect();

        let mut rooms = self.rooms.write().expect("room index lock");
        rooms.apply_load(counts, stream_last_seq, newest);
        Ok(())
    }
}

impl Rooms {
    /// Counts taken at `stream_last_seq`, and the newest message of the
    /// rooms that were fetched; what was recorded after it is kept.
    fn apply_load(
        &mut self,
        counts: Vec<(RoomName, u64)>,
        stream_last_seq: u64,
        mut newest: HashMap<String, Option<model::message::ChatMessage>>,
    ) {
        let counts: HashMap<String, u64> = counts
            .into_iter()
            .map(|(room, count)| (room.to_string(), count))
            .collect();
        let mut names: BTreeSet<String> = self.by_name.keys().cloned().collect();
        names.extend(counts.keys().cloned());
        for name in names {
            let known = self.by_name.get(&name);
            let since_load: BTreeSet<u64> = known
                .map(|e| e.since_load.range(stream_last_seq + 1..).copied().collect())
                .unwrap_or_default();
            let loaded_count = counts.get(&name).copied().unwrap_or(0);
            let (last_seq, last_ts) = match newest.remove(&name) {
                Some(Some(last)) => (last.seq, Some(last.ts)),
                Some(None) => (0, None),
                None => known.map_or((0, None), |e| {
                    (e.summary.last_seq, e.summary.last_ts.clone())
                }),
            };
            // Newer than the load: the recorded newest message stands.
            let (last_seq, last_ts) = match known {
                Some(e) if e.summary.last_seq > last_seq => {
                    (e.summary.last_seq, e.summary.last_ts.clone())
                }
                _ => (last_seq, last_ts),
            };
            let count = loaded_count + since_load.len() as u64;
            if count == 0 || last_seq == 0 {
                self.remove(&name);
                continue;
            }
            self.put(Entry {
                summary: RoomSummary {
                    name,
                    last_seq,
                    count,
                    last_ts,
                    ..RoomSummary::default()
                },
                loaded_count,
                since_load,
            });
        }
        self.counted_through = stream_last_seq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(rooms: &Rooms) -> Vec<&str> {
        rooms.by_activity.iter().map(|(_, n)| n.as_str()).collect()
    }

    #[test]
    fn a_message_counts_once_however_often_it_is_told() {
        let mut rooms = Rooms::default();
        rooms.record("a", 1, "t1");
        rooms.record("b", 2, "t2");
        // The live echo of a send already recorded from its answer.
        rooms.record("a", 1, "t1");
        rooms.record("a", 3, "t3");
        assert_eq!(names(&rooms), ["a", "b"]);
        let a = &rooms.by_name["a"].summary;
        assert_eq!(
            (a.count, a.last_seq, a.last_ts.as_deref()),
            (2, 3, Some("t3"))
        );
        // An older message told late counts but does not move the room.
        rooms.record("b", 1_000, "t9");
        rooms.record("a", 4, "t4");
        rooms.record("b", 999, "t8");
        assert_eq!(rooms.by_name["b"].summary.last_seq, 1_000);
        assert_eq!(rooms.by_name["b"].summary.count, 3);
    }

    #[test]
    fn a_load_keeps_what_was_recorded_after_its_counts() {
        let mut rooms = Rooms::default();
        rooms.record("a", 5, "t5");
        rooms.record("a", 7, "t7");
        rooms.record("gone", 3, "t3");
        // Counted at sequence 5: "a" held 4 then (retention removed some),
        // "gone" was evicted, and 7 came after the count.
        rooms.apply_load(vec![(RoomName::parse("a").unwrap(), 4)], 5, HashMap::new());
        let a = &rooms.by_name["a"].summary;
        assert_eq!((a.count, a.last_seq), (5, 7));
        assert!(!rooms.by_name.contains_key("gone"));
        assert_eq!(names(&rooms), ["a"]);
        // Told again after the load: already counted.
        rooms.record("a", 5, "t5");
        rooms.record("a", 7, "t7");
        assert_eq!(rooms.by_name["a"].summary.count, 5);
    }
}
