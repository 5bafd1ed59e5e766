//! A page of a room's history before a sequence, read forward in windows
//! that widen until the page is full.

use super::RoomLog;
use super::read::Scope;
use crate::fold::RawPage;
use crate::store::{READ_BATCH, StoreError};
use model::message::ChatMessage;
use model::room::RoomName;
use std::collections::VecDeque;

impl RoomLog {
    /// The `limit` newest messages of `room` before sequence `before` (or the
    /// newest overall), oldest first. JetStream reads only forward, so this
    /// reads a window that ends at `before`, widening it until it holds a
    /// full page or reaches the start of the stream: the cost follows the
    /// page, not the size of the stream.
    pub async fn history(
        &self,
        room: &RoomName,
        before: Option<u64>,
        limit: usize,
    ) -> Result<(RawPage, bool), StoreError> {
        let limit = limit.max(1);
        let end = match before {
            Some(before) => before,
            None => self.last_seq(room).await? + 1,
        };
        let mut width = (limit as u64 + 1) * 2;
        loop {
            let start = end.saturating_sub(width);
            let mut window: VecDeque<ChatMessage> = VecDeque::with_capacity(limit + 1);
            let mut authors = std::collections::HashMap::new();
            let mut cursor = start;
            'read: loop {
                let mut batch = self
                    .read_after(room, Scope::Messages, cursor, READ_BATCH)
                    .await?;
                if batch.through == cursor {
                    break;
                }
                cursor = batch.through;
                let more = batch.more;
                authors.extend(batch.authors.drain());
                for message in batch.into_messages() {
                    if message.seq >= end {
                        break 'read;
                    }
                    if window.len() == limit + 1 {
                        window.pop_front();
                    }
                    window.push_back(message);
                }
                if !more {
                    break;
                }
            }
            if window.len() > limit || start == 0 {
                let has_older = window.len() > limit;
                if has_older {
                    window.pop_front();
                }
                let messages: Vec<ChatMessage> = window.into();
                let from = match messages.first() {
                    Some(first) if has_older => first.seq,
                    _ => 0,
                };
                authors.retain(|seq, _| messages.binary_search_by_key(seq, |m| m.seq).is_ok());
                let raw = RawPage {
                    messages,
                    authors,
                    from,
                    end: before,
                };
                return Ok((raw, has_older));
            }
            width = width.saturating_mul(4);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{guest_draft, test_log};
    use super::*;

    #[tokio::test]
    async fn pages_walk_back_through_a_room_among_other_rooms() {
        let (_nats, log) = test_log().await;
        let (hall, lobby) = (
            RoomName::parse("hall").unwrap(),
            RoomName::parse("lobby").unwrap(),
        );
        let mut hall_seqs = Vec::new();
        for i in 0..25 {
            let id = format!("m{i}");
            // Another room's chatter between, so the windows must widen.
            for j in 0..3 {
                let other = format!("o{i}-{j}");
                log.publish(&lobby, guest_draft(&other, "bo", "x"))
                    .await
                    .unwrap();
            }
            hall_seqs.push(
                log.publish(&hall, guest_draft(&id, "ada", "hi"))
                    .await
                    .unwrap()
                    .seq,
            );
        }
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let (page, has_older) = log.history(&hall, before, 10).await.unwrap();
            let seqs: Vec<u64> = page.messages.iter().map(|m| m.seq).collect();
            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "oldest first");
            seen.splice(0..0, seqs);
            if !has_older {
                break;
            }
            before = Some(page.from);
        }
        assert_eq!(seen, hall_seqs);
        let (empty, has_older) = log
            .history(&RoomName::parse("none").unwrap(), None, 10)
            .await
            .unwrap();
        assert!(empty.messages.is_empty() && !has_older);
    }
}
