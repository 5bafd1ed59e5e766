//! The room hub: one NATS subscription per active room in this process,
//! fanned out in-process to that room's tabs, each message encoded once.

use crate::answer_gate::AnswerGate;
use crate::room_log::{LiveEntry, RoomLog, chain_of, message_key};
use bytes::Bytes;
use futures::StreamExt;
use model::event::RoomEvent;
use model::room::RoomName;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

/// Live messages a room keeps for tabs that are a little behind; a tab
/// further behind catches up from JetStream instead.
const ROOM_BUFFER: usize = 1024;

/// What a room's tabs receive.
#[derive(Clone, Debug)]
pub enum FeedEvent {
    /// A stored message, already encoded once for every tab.
    Message(Arc<LiveFrame>),
    /// The NATS connection came back: live messages may have been missed,
    /// so every tab checks JetStream for what it lacks.
    Resync,
}

#[derive(Debug)]
pub struct LiveFrame {
    pub seq: u64,
    /// Which chain of the room it is on (see [`chain_of`]); `prev_seq` is
    /// the previous sequence on the same chain.
    pub chain: usize,
    pub prev_seq: u64,
    /// A new message as a message object (the `/live` socket's frame),
    /// UTF-8 JSON shared by every tab; `None` for the other events.
    pub message_json: Option<Bytes>,
    /// The typed event frame (the `/events` socket's): made on first use
    /// for a new message, so that a room followed only by `/live` sockets
    /// keeps one copy of each frame in its ring.
    event_json: std::sync::OnceLock<Bytes>,
}

pub struct Hub {
    log: RoomLog,
    rooms: Mutex<HashMap<RoomName, Weak<RoomFeed>>>,
}

/// A room's live feed; it lives while a tab holds it.
pub struct RoomFeed {
    room: RoomName,
    sender: broadcast::Sender<FeedEvent>,
    pump: AbortHandle,
    hub: Weak<Hub>,
}

impl Drop for RoomFeed {
    fn drop(&mut self) {
        self.pump.abort();
        if let Some(hub) = self.hub.upgrade()
            && let Ok(mut rooms) = hub.rooms.lock()
            && rooms.get(&self.room).is_some_and(|w| w.strong_count() == 0)
        {
            rooms.remove(&self.room);
        }
    }
}

impl Hub {
    pub fn new(log: RoomLog) -> Arc<Self> {
        Arc::new(Self {
            log,
            rooms: Mutex::new(HashMap::new()),
        })
    }

    fn active(&self, room: &RoomName) -> Option<Arc<RoomFeed>> {
        self.rooms.lock().ok()?.get(room)?.upgrade()
    }

    /// Joins a room's feed, starting it if this is its first tab. The
    /// returned receiver sees every message stored after this returns.
    pub async fn join(
        self: &Arc<Self>,
        room: &RoomName,
    ) -> Result<(Arc<RoomFeed>, broadcast::Receiver<FeedEvent>), async_nats::SubscribeError> {
        if let Some(feed) = self.active(room) {
            let receiver = feed.sender.subscribe();
            return Ok((feed, receiver));
        }
        let subscription = self.log.follow_live(room).await?;
        let mut rooms = self.rooms.lock().expect("room map poisoned");
        // Another tab may have started it while we subscribed.
        if let Some(feed) = rooms.get(room).and_then(Weak::upgrade) {
            let receiver = feed.sender.subscribe();
            return Ok((feed, receiver));
        }
        let (sender, receiver) = broadcast::channel(ROOM_BUFFER);
        let pump = tokio::spawn(pump(
            room.clone(),
            subscription,
            sender.clone(),
            self.log.clone(),
        ))
        .abort_handle();
        let feed = Arc::new(RoomFeed {
            room: room.clone(),
            sender,
            pump,
            hub: Arc::downgrade(self),
        });
        rooms.insert(room.clone(), Arc::downgrade(&feed));
        Ok((feed, receiver))
    }

    /// Tells every active room to check JetStream for missed messages.
    pub fn resync_all(&self) {
        let feeds: Vec<Arc<RoomFeed>> = match self.rooms.lock() {
            Ok(rooms) => rooms.values().filter_map(Weak::upgrade).collect(),
            Err(_) => return,
        };
        for feed in feeds {
            let _ = feed.sender.send(FeedEvent::Resync);
        }
    }

    pub fn active_rooms(&self) -> usize {
        self.rooms.lock().map(|r| r.len()).unwrap_or(0)
    }
}

async fn pump(
    room: RoomName,
    mut subscription: async_nats::Subscriber,
    sender: broadcast::Sender<FeedEvent>,
    log: RoomLog,
) {
    let answer_gate: AnswerGate = log.answer_gate().clone();
    // Per chain (messages, events): the room's newest sequence JetStream
    // has shown (or acked to a send of this process). Frames up to it pass
    // at once, and one look at the chain's newest entry confirms every
    // frame that arrived meanwhile (a burst costs a request now and then,
    // not one per frame).
    let mut confirmed = [0u64; 2];
    while let Some(msg) = subscription.next().await {
        match log.decode_live(&room, &msg) {
            Ok(LiveEntry { event, prev_seq }) => {
                let chain = chain_of(&event);
                let seq = event.seq();
                if let RoomEvent::Message(message) = &event {
                    // The sender is answered first; the ack would otherwise
                    // wait behind this room's socket writes. A send of this
                    // process says which sequence JetStream acked for it.
                    let acked = answer_gate
                        .answered(&message_key(room.as_str(), &message.id))
                        .await;
                    if acked == Some(seq) {
                        confirmed[chain] = confirmed[chain].max(seq);
                    }
                }
                // Anyone who may publish on the live subject could claim a
                // sequence far ahead, and tabs would then skip every real
                // message up to it: only what JetStream holds goes out.
                if seq > confirmed[chain] {
                    match confirm(&log, &room, chain, seq).await {
                        Some(newest) => confirmed[chain] = confirmed[chain].max(newest),
                        None => {
                            tracing::warn!(%room, seq, "live entry JetStream does not hold; dropped");
                            continue;
                        }
                    }
                }
                let _ = sender.send(FeedEvent::Message(Arc::new(
                    LiveFrame::encode(&log, &room, event, prev_seq).await,
                )));
            }
            Err(e) => tracing::warn!(%room, error = %e, "skipping unreadable live message"),
        }
    }
}

impl LiveFrame {
    /// A room entry encoded once for every tab: a reply gets its quote
    /// first (one read of the original).
    pub(crate) async fn encode(
        log: &RoomLog,
        room: &RoomName,
        mut event: RoomEvent,
        prev_seq: u64,
    ) -> Self {
        if let RoomEvent::Message(message) = &mut event
            && let Some(quote) = &message.reply_to
        {
            message.reply_to = Some(crate::fold::quote(log, room, quote.seq, &quote.from).await);
        }
        let event_json = std::sync::OnceLock::new();
        let message_json = match &event {
            RoomEvent::Message(message) => Some(Bytes::from(
                serde_json::to_string(message).expect("a message always serialises"),
            )),
            _ => {
                let json = serde_json::to_string(&event).expect("an event always serialises");
                let _ = event_json.set(Bytes::from(json));
                None
            }
        };
        Self {
            seq: event.seq(),
            chain: chain_of(&event),
            prev_seq,
            message_json,
            event_json,
        }
    }

    /// The typed event frame (`{"type": …, "seq": …, …}`), UTF-8 JSON.
    pub fn event_json(&self) -> &Bytes {
        self.event_json.get_or_init(|| {
            let object = self.message_json.as_deref().unwrap_or(b"{}");
            Bytes::from(model::frame::message_frame(object))
        })
    }
}

/// A sequence JetStream holds for the room up to which frames may pass
/// (at least `seq`, or 0 when the store cannot say and the frame passes
/// unvouched), or `None` for a frame it does not hold. Usually one
/// direct get of the room's newest message, which any replica answers;
/// the leader is asked only when that shows less.
async fn confirm(log: &RoomLog, room: &RoomName, chain: usize, seq: u64) -> Option<u64> {
    if let Ok(newest) = log.last_seq_of_chain(room, chain).await
        && newest >= seq
    {
        return Some(newest);
    }
    match log.leader_holds(room, seq).await {
        Some(true) => Some(seq),
        Some(false) => None,
        // The store is away: let the frame through rather than stall the
        // room, without vouching for anything after it.
        None => Some(0),
    }
}
