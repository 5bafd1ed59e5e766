//! A page of a room's history, as the room page and the API return it,
//! and how a client merges pages and live messages into one list.

use crate::message::ChatMessage;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 200;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    /// Oldest first.
    pub messages: Vec<ChatMessage>,
    /// True when the room holds messages older than the first one here.
    pub has_older: bool,
    /// For an account, on the newest page: the sequence it had read up to
    /// when the page was read (where a "new messages" divider goes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_seq: Option<u64>,
}

/// Where the "new messages" divider goes: the first message after `read`
/// that someone else wrote.
pub fn first_unread(list: &[ChatMessage], read: u64, me: Option<&str>) -> Option<u64> {
    let me = me.unwrap_or_default();
    list.iter()
        .find(|m| m.seq > read && !m.mine && !m.is_by_account(me))
        .map(|m| m.seq)
}

/// Adds `incoming` to a room's list, keeping sequence order and each
/// sequence once (a message may come from a send, the live feed and a
/// history page). Returns true when a message landed after the previous
/// newest one.
pub fn merge(list: &mut Vec<ChatMessage>, incoming: impl IntoIterator<Item = ChatMessage>) -> bool {
    let mut appended = false;
    for message in incoming {
        match list.last() {
            None => {
                appended = true;
                list.push(message);
            }
            Some(last) if message.seq > last.seq => {
                appended = true;
                list.push(message);
            }
            _ => {
                if let Err(at) = list.binary_search_by_key(&message.seq, |m| m.seq) {
                    list.insert(at, message);
                }
            }
        }
    }
    appended
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: u64) -> ChatMessage {
        ChatMessage {
            seq,
            id: format!("m{seq}"),
            room: "r".into(),
            from: "a".into(),
            body: "b".into(),
            ts: "2026-01-01T00:00:00.000Z".into(),
            ..ChatMessage::default()
        }
    }

    fn seqs(list: &[ChatMessage]) -> Vec<u64> {
        list.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn merge_keeps_order_and_drops_duplicates() {
        let mut list = vec![msg(2), msg(5)];
        assert!(merge(&mut list, [msg(7), msg(5), msg(3), msg(1), msg(7)]));
        assert_eq!(seqs(&list), [1, 2, 3, 5, 7]);
        assert!(!merge(&mut list, [msg(4)]));
        assert_eq!(seqs(&list), [1, 2, 3, 4, 5, 7]);
    }
}
