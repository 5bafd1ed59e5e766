//! What an account has not read yet: its read position per room (see
//! `read_position.rs`), and per room the messages from others after it and
//! how many of them are for it (a mention, `@room`, or a reply to it).

use crate::Error;
use crate::access::Identity;
use crate::chat::Chat;
use crate::room_log::Scope;
use futures::StreamExt;
use model::ErrorKind;
use model::event::RoomEvent;
use model::room::{RoomName, RoomSummary};
use std::sync::Arc;

/// Unread messages read per room to count the mentions among them; beyond
/// them only the number is known.
const MENTIONS_SCANNED: usize = 200;
/// Rooms counted at once.
const COUNT_CONCURRENCY: usize = 8;

pub const READ_NEEDS_ACCOUNT: &str =
    "log in to keep read positions (a guest's stay in the browser)";

impl Chat {
    /// Moves the caller's read position in `room` to `seq`, forward only;
    /// with `unread`, back to just before `seq` ("mark unread from here").
    /// Returns the position after the change.
    pub async fn mark_read(
        &self,
        identity: &Identity,
        room: &RoomName,
        seq: u64,
        unread: bool,
    ) -> Result<u64, Error> {
        let account = identity
            .account()
            .ok_or_else(|| Error::new(ErrorKind::LoginRequired, READ_NEEDS_ACCOUNT))?;
        if seq == 0 {
            return Err(Error::bad_input(
                "seq must be a message's sequence, at least 1",
            ));
        }
        self.inner
            .access
            .check(&identity.caller, crate::access::Action::Read, room)?;
        // A position in a room that is not there would be a key for nothing.
        if !self.room_exists(room) {
            return Err(
                Error::new(ErrorKind::NotFound, format!("there is no room #{room}"))
                    .with_code("no_such_room"),
            );
        }
        let (position, back) = if unread {
            (seq - 1, true)
        } else {
            (seq, false)
        };
        let inner = &self.inner;
        Ok(inner
            .reads
            .mark(account.id, room, position, back, inner.rooms.newest_seq())
            .await?)
    }

    /// The moves of the caller's read positions, from any of its tabs on
    /// any instance (accounts only).
    pub fn read_moves(
        &self,
        identity: &Identity,
    ) -> Option<tokio::sync::broadcast::Receiver<crate::read_position::ReadMoved>> {
        Some(self.inner.reads.follow(identity.account()?.id))
    }

    /// The caller's read position in `room` (accounts only).
    pub async fn read_position(
        &self,
        identity: &Identity,
        room: &RoomName,
    ) -> Result<Option<u64>, Error> {
        let Some(account) = identity.account() else {
            return Ok(None);
        };
        let inner = &self.inner;
        let map = inner
            .reads
            .all(account.id, inner.rooms.newest_seq())
            .await?;
        Ok(Some(map.of(room.as_str())))
    }

    /// Fills in `unread`, `mentions` and `read_seq` of each room for an
    /// account (guests' counts stay in their browsers).
    pub async fn count_unread(
        &self,
        identity: &Identity,
        rooms: &mut [RoomSummary],
    ) -> Result<(), Error> {
        let Some(account) = identity.account() else {
            return Ok(());
        };
        let inner = &self.inner;
        let reads = inner
            .reads
            .all(account.id, inner.rooms.newest_seq())
            .await?;
        let me = format!("a:{}", account.id);
        // Owned jobs: the counting futures run concurrently off `self`.
        let jobs: Vec<(usize, RoomName, u64)> = rooms
            .iter()
            .enumerate()
            .filter(|(_, room)| room.last_seq > reads.of(&room.name))
            .filter_map(|(at, room)| {
                Some((at, RoomName::parse(&room.name).ok()?, reads.of(&room.name)))
            })
            .collect();
        let counts: Vec<Result<(usize, u64, u64), Error>> = futures::stream::iter(jobs)
            .map(|(at, room, read)| {
                let (inner, me, name) = (Arc::clone(&self.inner), me.clone(), account.name.clone());
                async move {
                    let batch = inner
                        .log
                        .read_after(&room, Scope::Messages, read, MENTIONS_SCANNED)
                        .await?;
                    let mut unread = batch.remaining;
                    let mut mentions = 0;
                    for entry in &batch.entries {
                        let RoomEvent::Message(message) = entry else {
                            continue;
                        };
                        if batch.authors.get(&message.seq) == Some(&me) {
                            continue;
                        }
                        unread += 1;
                        if message.is_for(&name) {
                            mentions += 1;
                        }
                    }
                    Ok((at, unread, mentions))
                }
            })
            .buffer_unordered(COUNT_CONCURRENCY)
            .collect()
            .await;
        for room in rooms.iter_mut() {
            room.unread = Some(0);
            room.mentions = Some(0);
            room.read_seq = Some(reads.of(&room.name));
        }
        for count in counts {
            let (at, unread, mentions) = count?;
            rooms[at].unread = Some(unread);
            rooms[at].mentions = Some(mentions);
        }
        Ok(())
    }
}
