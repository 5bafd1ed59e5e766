//! Reading a room's log: one entry by sequence, the newest of a room, a
//! forward batch, the moderation entries, and how many messages each room
//! holds. Single reads use async-nats' direct gets (any replica answers);
//! batches go through [`crate::store::direct_batch`].

use super::RoomLog;
use super::stored::{LoggedMessage, StoredEvent, decode_entry};
use super::subjects::{
    MODLOG_STREAM, event_subject, every_room_subject, everything_subject, legacy_mod_subject,
    mod_subject, room_of_subject, room_subject,
};
use crate::store::{BatchQuery, READ_BATCH, StoreError, direct_batch, unavailable};
use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::stream::{DirectGetError, DirectGetErrorKind, RawMessageErrorKind};
use futures::StreamExt;
use model::event::RoomEvent;
use model::message::ChatMessage;
use model::room::RoomName;
use model::room_policy::ModAction;

/// Which of a room's entries a read wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Messages,
    /// Only the events (edits, deletes, reactions).
    Events,
    /// Messages and the events that change them, in one order.
    Everything,
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

/// A single direct get's entry; `None` when the stream has none there.
fn found(
    read: Result<StreamMessage, DirectGetError>,
    doing: &'static str,
) -> Result<Option<StreamMessage>, StoreError> {
    match read {
        Ok(entry) => Ok(Some(entry)),
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
        Err(e) => Err(unavailable(doing)(e)),
    }
}

impl RoomLog {
    /// A stored entry as a message (with its author key) or an event.
    fn decode(&self, entry: &StreamMessage) -> Option<(RoomEvent, Option<String>)> {
        let is_registered = |name: &str| self.registered.get().is_some_and(|check| check(name));
        decode_entry(
            &is_registered,
            entry.subject.as_str(),
            entry.sequence,
            &entry.headers,
            &entry.payload,
        )
    }

    /// The entry at stream sequence `seq`, decoded.
    async fn entry_at(&self, seq: u64) -> Result<Option<(RoomEvent, Option<String>)>, StoreError> {
        let entry = found(self.stream.direct_get(seq).await, "reading a message")?;
        Ok(entry.and_then(|entry| self.decode(&entry)))
    }

    /// The message stored at stream sequence `seq`.
    pub async fn message_at(&self, seq: u64) -> Result<LoggedMessage, StoreError> {
        match self.entry_at(seq).await? {
            Some((RoomEvent::Message(message), author)) => Ok(LoggedMessage { message, author }),
            _ => Err(StoreError::Unreadable {
                seq,
                reason: "not found".into(),
            }),
        }
    }

    /// The message of `room` at `seq`, `None` when there is none (never
    /// was, deleted, or out of retention).
    pub async fn room_message(
        &self,
        room: &RoomName,
        seq: u64,
    ) -> Result<Option<LoggedMessage>, StoreError> {
        match self.entry_at(seq).await? {
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
    ) -> Result<Option<StoredEvent>, StoreError> {
        let entry = found(self.stream.direct_get(seq).await, "reading an event")?;
        Ok(entry
            .filter(|entry| entry.subject.as_str() == event_subject(room))
            .and_then(|entry| serde_json::from_slice(&entry.payload).ok()))
    }

    /// The sequence of `room`'s oldest message still kept, if any.
    pub async fn first_seq(&self, room: &RoomName) -> Result<Option<u64>, StoreError> {
        let first = self
            .stream
            .direct_get_next_for_subject(room_subject(room), Some(1))
            .await;
        Ok(found(first, "reading a message")?.map(|entry| entry.sequence))
    }

    /// The newest entry on `subject`.
    async fn last_on(&self, subject: String) -> Result<Option<StreamMessage>, StoreError> {
        found(
            self.stream.direct_get_last_for_subject(subject).await,
            "reading a message",
        )
    }

    /// The newest message of `room`, if it has any.
    pub async fn last_message(&self, room: &RoomName) -> Result<Option<ChatMessage>, StoreError> {
        let last = self.last_on(room_subject(room)).await?;
        Ok(match last.and_then(|entry| self.decode(&entry)) {
            Some((RoomEvent::Message(message), _)) => Some(message),
            _ => None,
        })
    }

    /// The newest sequence on `room`'s chain of `event`'s kind (see
    /// [`super::chain_of`]), 0 when it has none.
    pub(crate) async fn last_seq_of_chain(
        &self,
        room: &RoomName,
        chain: usize,
    ) -> Result<u64, StoreError> {
        let subject = if chain == 0 {
            room_subject(room)
        } else {
            event_subject(room)
        };
        Ok(self
            .last_on(subject)
            .await?
            .map_or(0, |entry| entry.sequence))
    }

    /// Whether the stream's leader holds a message of `room` at `seq`:
    /// `None` when it cannot say (the store is away). Asked of the leader
    /// (a plain get, not a direct one), as a replica that lags would call a
    /// just-stored message missing.
    pub(crate) async fn leader_holds(&self, room: &RoomName, seq: u64) -> Option<bool> {
        match self.stream.get_raw_message(seq).await {
            Ok(entry) => {
                let subject = entry.subject.as_str();
                Some(subject == room_subject(room) || subject == event_subject(room))
            }
            Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Some(false),
            // The store's trouble, not the frame's.
            Err(_) => None,
        }
    }

    /// The newest sequence in `room`, 0 when it has no messages.
    pub async fn last_seq(&self, room: &RoomName) -> Result<u64, StoreError> {
        Ok(self.last_message(room).await?.map_or(0, |m| m.seq))
    }

    /// Up to `max` entries of `room` with sequence > `after`, oldest first,
    /// in one batched direct get.
    pub async fn read_after(
        &self,
        room: &RoomName,
        scope: Scope,
        after: u64,
        max: usize,
    ) -> Result<ReadBatch, StoreError> {
        let subject = match scope {
            Scope::Messages => room_subject(room),
            Scope::Events => event_subject(room),
            Scope::Everything => everything_subject(room),
        };
        let query = BatchQuery::After {
            subject: &subject,
            after,
            max: max.clamp(1, READ_BATCH),
        };
        let batch =
            direct_batch(&self.client, super::STREAM_NAME, query, "reading history").await?;
        let mut entries = Vec::new();
        let mut authors = std::collections::HashMap::new();
        for entry in &batch.entries {
            if let Some((event, author)) = self.decode(entry) {
                if let Some(author) = author {
                    authors.insert(event.seq(), author);
                }
                entries.push(event);
            }
        }
        Ok(ReadBatch {
            entries,
            authors,
            through: batch.through,
            more: batch.remaining > 0,
            remaining: batch.remaining,
        })
    }

    /// The room's moderation entries, newest first (the stream keeps as
    /// many per room as messages).
    pub async fn mod_actions(&self, room: &RoomName) -> Result<Vec<ModAction>, StoreError> {
        // The older entries are in CHAT, from before the log had a stream of
        // its own: all of them come before the newer ones.
        let mut actions = self
            .read_mod_actions(super::STREAM_NAME, &legacy_mod_subject(room))
            .await?;
        actions.extend(
            self.read_mod_actions(MODLOG_STREAM, &mod_subject(room))
                .await?,
        );
        actions.reverse();
        Ok(actions)
    }

    /// Every moderation entry on `subject` of `stream`, oldest first.
    async fn read_mod_actions(
        &self,
        stream: &str,
        subject: &str,
    ) -> Result<Vec<ModAction>, StoreError> {
        let mut actions = Vec::new();
        let mut after = 0;
        loop {
            let query = BatchQuery::After {
                subject,
                after,
                max: READ_BATCH,
            };
            let batch = direct_batch(&self.client, stream, query, "reading the modlog").await?;
            for entry in &batch.entries {
                if let Ok(mut action) = serde_json::from_slice::<ModAction>(&entry.payload) {
                    action.seq = entry.sequence;
                    actions.push(action);
                }
            }
            if batch.remaining == 0 || batch.through == after {
                break;
            }
            after = batch.through;
        }
        Ok(actions)
    }

    /// How many messages each room holds, and the stream's last sequence
    /// when they were counted: one request, however many rooms.
    pub(crate) async fn room_counts(&self) -> Result<(Vec<(RoomName, u64)>, u64), StoreError> {
        let mut subjects = self
            .stream
            .info_with_subjects(every_room_subject())
            .await
            .map_err(unavailable("listing rooms"))?;
        let mut counts = Vec::new();
        while let Some(entry) = subjects.next().await {
            let (subject, count) = entry.map_err(unavailable("listing rooms"))?;
            if let Some(room) = room_of_subject(&subject) {
                counts.push((room, count as u64));
            }
        }
        let last_seq = subjects.info.state.last_sequence;
        Ok((counts, last_seq))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{guest_draft, test_log};
    use super::*;

    #[tokio::test]
    async fn single_reads_find_a_rooms_entries_and_only_that_rooms() {
        let (_nats, log) = test_log().await;
        let (hall, lobby) = (
            RoomName::parse("hall").unwrap(),
            RoomName::parse("lobby").unwrap(),
        );
        assert_eq!(log.first_seq(&hall).await.unwrap(), None);
        assert_eq!(log.last_seq(&hall).await.unwrap(), 0);
        let a = log
            .publish(&hall, guest_draft("a", "ada", "one"))
            .await
            .unwrap();
        let b = log
            .publish(&lobby, guest_draft("b", "bo", "two"))
            .await
            .unwrap();
        let c = log
            .publish(&hall, guest_draft("c", "ada", "three"))
            .await
            .unwrap();
        assert_eq!(log.first_seq(&hall).await.unwrap(), Some(a.seq));
        assert_eq!(
            log.last_message(&hall).await.unwrap().unwrap().body,
            "three"
        );
        assert_eq!(log.last_seq_of_chain(&hall, 0).await.unwrap(), c.seq);
        assert_eq!(log.last_seq_of_chain(&hall, 1).await.unwrap(), 0);
        assert_eq!(log.message_at(b.seq).await.unwrap().message.room, "lobby");
        assert!(log.room_message(&hall, b.seq).await.unwrap().is_none());
        assert!(log.room_message(&hall, 9_999).await.unwrap().is_none());
        assert!(log.message_at(9_999).await.is_err());
        assert!(log.event_at(&hall, a.seq).await.unwrap().is_none());
        assert_eq!(log.leader_holds(&hall, c.seq).await, Some(true));
        assert_eq!(log.leader_holds(&hall, b.seq).await, Some(false));
        assert_eq!(log.leader_holds(&hall, 9_999).await, Some(false));
    }

    #[tokio::test]
    async fn a_forward_read_covers_messages_and_events_in_one_order() {
        let (_nats, log) = test_log().await;
        let hall = RoomName::parse("hall").unwrap();
        let mut seqs = Vec::new();
        for i in 0..5 {
            let id = format!("m{i}");
            seqs.push(
                log.publish(&hall, guest_draft(&id, "ada", "hi"))
                    .await
                    .unwrap()
                    .seq,
            );
        }
        let reaction = crate::room_log::StoredEvent::Reaction {
            target: seqs[0],
            emoji: "👍".into(),
            on: true,
            from: "bo".into(),
            verified: false,
            count: 1,
        };
        let event_seq = log.publish_event(&hall, &reaction).await.unwrap();
        let first = log.read_after(&hall, Scope::Messages, 0, 3).await.unwrap();
        assert_eq!(
            first.entries.iter().map(|e| e.seq()).collect::<Vec<_>>(),
            seqs[..3]
        );
        assert!(first.more);
        assert_eq!(first.remaining, 2);
        let rest = log
            .read_after(&hall, Scope::Messages, first.through, 10)
            .await
            .unwrap();
        assert_eq!(rest.entries.len(), 2);
        assert!(!rest.more);
        let everything = log
            .read_after(&hall, Scope::Everything, 0, 10)
            .await
            .unwrap();
        assert_eq!(everything.entries.len(), 6);
        assert_eq!(everything.entries.last().unwrap().seq(), event_seq);
        let events = log.read_after(&hall, Scope::Events, 0, 10).await.unwrap();
        assert_eq!(events.entries.len(), 1);
        let (counts, last) = log.room_counts().await.unwrap();
        assert_eq!(counts, [(hall.clone(), 5)]);
        assert_eq!(last, event_seq);
    }
}
