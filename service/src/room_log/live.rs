//! The room log as it grows: JetStream republishes each stored entry on a
//! live subject, which the hub follows instead of a consumer.

use super::RoomLog;
use super::stored::{StoredEvent, decode_payload};
use super::subjects::{LIVE_EVENT_SUBJECT_PREFIX, every_live_room_subject, live_subject};
use crate::store::StoreError;
use async_nats::Subscriber;
use model::event::RoomEvent;
use model::room::RoomName;

/// A stored message or event as the live feed sees it: `prev_seq` is the
/// sequence of the room's previous entry of the same kind (0 if none),
/// which reveals any gap.
#[derive(Clone, Debug)]
pub struct LiveEntry {
    pub event: RoomEvent,
    pub prev_seq: u64,
}

/// Messages (index 0) and events (index 1) are two chains in a room, each
/// with its own previous-sequence header.
pub fn chain_of(event: &RoomEvent) -> usize {
    match event {
        RoomEvent::Message(_) => 0,
        _ => 1,
    }
}

impl RoomLog {
    /// Every message and event stored in `room` from now on, as JetStream
    /// republishes it: the live feed of one room in this process.
    pub(crate) async fn follow_live(
        &self,
        room: &RoomName,
    ) -> Result<Subscriber, async_nats::SubscribeError> {
        self.client.subscribe(live_subject(room)).await
    }

    /// Every message stored in any room from now on, as JetStream
    /// republishes it (the room index's feed).
    pub(crate) async fn follow_all_live(&self) -> Result<Subscriber, async_nats::SubscribeError> {
        self.client.subscribe(every_live_room_subject()).await
    }

    /// Decodes a message or event JetStream republished on the live
    /// subjects.
    pub(crate) fn decode_live(
        &self,
        room: &RoomName,
        msg: &async_nats::Message,
    ) -> Result<LiveEntry, StoreError> {
        let seq = header_u64(msg, "Nats-Sequence").ok_or_else(|| StoreError::Unreadable {
            seq: 0,
            reason: "live message without Nats-Sequence".into(),
        })?;
        let prev_seq = header_u64(msg, "Nats-Last-Sequence").unwrap_or(0);
        let event = if msg.subject.starts_with(LIVE_EVENT_SUBJECT_PREFIX) {
            serde_json::from_slice::<StoredEvent>(&msg.payload)
                .map_err(|e| StoreError::Unreadable {
                    seq,
                    reason: format!("event: {e}"),
                })?
                .into_event(seq)
        } else {
            let is_registered = |name: &str| self.registered.get().is_some_and(|check| check(name));
            let headers = msg.headers.as_ref();
            RoomEvent::Message(
                decode_payload(&is_registered, room.as_str(), seq, headers, &msg.payload).0,
            )
        };
        Ok(LiveEntry { event, prev_seq })
    }
}

fn header_u64(msg: &async_nats::Message, name: &str) -> Option<u64> {
    msg.headers.as_ref()?.get(name)?.as_str().parse().ok()
}
