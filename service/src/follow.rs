//! Following a room: one tab's cursor over the room's messages and events,
//! gap-free and without duplicates. It joins the room's live feed first,
//! replays from JetStream everything after the tab's last sequence, then
//! hands out live frames, dropping what the replay already gave. The same
//! path serves a tab's join, its resume (`after=N`), a lagging tab and a
//! NATS reconnect.
//!
//! Messages and events are two chains in one order, each frame naming the
//! previous sequence on its own chain: a chain's gap is noticed at its next
//! frame, and is then read from JetStream (arriving after later frames of
//! the other chain, once).

use crate::hub::{FeedEvent, LiveFrame, RoomFeed};
use crate::room_log::{RoomLog, Scope, chain_of};
use crate::store::StoreError;
use model::room::RoomName;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::Instant;

/// Messages read from JetStream per request while catching up.
const CATCH_UP_BATCH: usize = 256;
/// While JetStream is briefly away (a NATS restart, a cluster failover) a
/// catch-up retries this long before the follow fails.
const CATCH_UP_PATIENCE: Duration = Duration::from_secs(30);
/// How long a follower waits for JetStream to show a message that a live
/// frame says came before it; past that it was deleted or evicted.
const GAP_PATIENCE: Duration = Duration::from_secs(5);

pub struct RoomFollow {
    log: RoomLog,
    room: RoomName,
    /// Keeps the room's feed alive while this follow exists.
    _feed: Arc<RoomFeed>,
    live: broadcast::Receiver<FeedEvent>,
    /// Per chain (messages, events): every entry up to this sequence has
    /// been handed out or is queued in `replayed`.
    known: [u64; 2],
    /// Read from JetStream, not yet handed out.
    replayed: VecDeque<Arc<LiveFrame>>,
    /// JetStream holds messages after `last` that the live feed did not bring.
    behind: bool,
    /// A live frame that arrived before the gap in front of it was filled.
    held: Option<Arc<LiveFrame>>,
    /// When the current run of failed catch-up reads began.
    failing_since: Option<Instant>,
    /// Since when a catch-up has not yet found the message a held live
    /// frame follows.
    gap_since: Option<Instant>,
    retry_delay: Duration,
}

impl RoomFollow {
    pub(crate) fn new(
        log: RoomLog,
        room: RoomName,
        feed: Arc<RoomFeed>,
        live: broadcast::Receiver<FeedEvent>,
        after: u64,
    ) -> Self {
        Self {
            log,
            room,
            _feed: feed,
            live,
            known: [after; 2],
            replayed: VecDeque::new(),
            behind: true,
            held: None,
            failing_since: None,
            gap_since: None,
            retry_delay: Duration::from_millis(100),
        }
    }

    pub fn room(&self) -> &RoomName {
        &self.room
    }

    /// The newest sequence handed out (or the starting point).
    pub fn last_seq(&self) -> u64 {
        self.known[0].max(self.known[1])
    }

    /// Whether everything the room holds has been handed out, as of the
    /// moment [`RoomFollow::next_ready`] returned `None`: it drains what is
    /// replayed, held and queued live, and stops early only when behind.
    /// (Asking the live queue itself would lock the room's shared feed once
    /// per tab and message.)
    pub fn is_caught_up(&self) -> bool {
        !self.behind && self.replayed.is_empty() && self.held.is_none()
    }

    /// The next message of the room in sequence order, encoded once as a
    /// message object; `None` when the room's feed has ended (the hub is
    /// shutting down). Cancel-safe: dropping the future loses nothing, so it
    /// can sit in a `select!` beside a socket's reads.
    pub async fn next(&mut self) -> Result<Option<Arc<LiveFrame>>, StoreError> {
        loop {
            if let Some(frame) = self.next_ready() {
                return Ok(Some(frame));
            }
            if self.behind {
                self.read_missed().await?;
                if !self.behind && self.gap_before_held() {
                    // JetStream (a replica that lags) does not have the
                    // message the held frame follows yet: ask again, for a
                    // while, before skipping past it.
                    self.behind = true;
                    let since = *self.gap_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= GAP_PATIENCE {
                        // Skip past the missing entry.
                        if let Some(held) = &self.held {
                            let known = &mut self.known[held.chain];
                            *known = (*known).max(held.prev_seq);
                        }
                        self.behind = false;
                        self.gap_since = None;
                    } else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                } else {
                    self.gap_since = None;
                }
                continue;
            }
            match self.live.recv().await {
                Ok(FeedEvent::Message(frame)) => {
                    if let Some(frame) = self.accept_live(frame) {
                        return Ok(Some(frame));
                    }
                }
                // Fell behind the room's buffer, or NATS reconnected.
                Ok(FeedEvent::Resync) | Err(RecvError::Lagged(_)) => self.behind = true,
                Err(RecvError::Closed) => return Ok(None),
            }
        }
    }

    /// The next message if it is at hand (replayed, or queued live)
    /// without waiting or reading JetStream: a socket writes a run of them
    /// in one go.
    pub fn next_ready(&mut self) -> Option<Arc<LiveFrame>> {
        loop {
            if let Some(frame) = self.replayed.pop_front() {
                return Some(frame);
            }
            if self.behind {
                return None;
            }
            if let Some(frame) = self.held.take() {
                if let Some(frame) = self.accept_live(frame) {
                    return Some(frame);
                }
                continue;
            }
            match self.live.try_recv() {
                Ok(FeedEvent::Message(frame)) => {
                    if let Some(frame) = self.accept_live(frame) {
                        return Some(frame);
                    }
                }
                Ok(FeedEvent::Resync) | Err(TryRecvError::Lagged(_)) => {
                    self.behind = true;
                    return None;
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return None,
            }
        }
    }

    /// Whether the held frame's predecessor is still missing after a
    /// catch-up.
    fn gap_before_held(&self) -> bool {
        self.replayed.is_empty()
            && self
                .held
                .as_ref()
                .is_some_and(|held| held.prev_seq > self.known[held.chain])
    }

    /// A live frame, unless this tab has it already or lacks the one
    /// before it (then the gap is read from JetStream first).
    fn accept_live(&mut self, frame: Arc<LiveFrame>) -> Option<Arc<LiveFrame>> {
        let known = &mut self.known[frame.chain];
        if frame.seq <= *known {
            return None;
        }
        if frame.prev_seq > *known {
            self.behind = true;
            self.held = Some(frame);
            return None;
        }
        *known = frame.seq;
        Some(frame)
    }

    /// One batch of what JetStream holds after `last`; retries a failing
    /// store for a while instead of failing the tab.
    async fn read_missed(&mut self) -> Result<(), StoreError> {
        // A gap on one chain is read on that chain from where it broke;
        // anything else (a join, a lag, a reconnect) lost only what came
        // after the newest entry handed out.
        let (chains, scope, from) = match &self.held {
            Some(held) if held.prev_seq > self.known[held.chain] => {
                let scope = if held.chain == 0 {
                    Scope::Messages
                } else {
                    Scope::Events
                };
                (held.chain..=held.chain, scope, self.known[held.chain])
            }
            _ => (0..=1, Scope::Everything, self.last_seq()),
        };
        match self
            .log
            .read_after(&self.room, scope, from, CATCH_UP_BATCH)
            .await
        {
            Ok(batch) => {
                self.failing_since = None;
                self.retry_delay = Duration::from_millis(100);
                for entry in batch.entries {
                    let chain = chain_of(&entry);
                    if entry.seq() <= self.known[chain] {
                        continue;
                    }
                    self.known[chain] = entry.seq();
                    self.replayed.push_back(Arc::new(
                        LiveFrame::encode(&self.log, &self.room, entry, 0).await,
                    ));
                }
                // The read covered its chains up to `through`.
                for chain in chains {
                    self.known[chain] = self.known[chain].max(batch.through);
                }
                if !batch.more {
                    self.behind = false;
                }
                Ok(())
            }
            Err(e) => {
                let since = *self.failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= CATCH_UP_PATIENCE {
                    return Err(e);
                }
                tracing::debug!(room = %self.room, error = %e, "catch-up failed; retrying");
                tokio::time::sleep(self.retry_delay).await;
                self.retry_delay = (self.retry_delay * 2).min(Duration::from_secs(2));
                Ok(())
            }
        }
    }
}
