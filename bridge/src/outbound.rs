//! Rooms → IRC: every message stored in a mapped room that this bridge did
//! not bring in goes to its channel as `<name> text`, in order, after the
//! previous one was written; the cursor moves only then.

use crate::cursor::Cursors;
use crate::session::Outgoing;
use crate::settings::ChannelMap;
use crate::text::to_irc;
use chat_client::{ApiClient, Backoff, Connection, Feed, FeedItem};
use model::event::RoomEvent;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Bytes of one PRIVMSG's text: IRC lines are 512 bytes with the command,
/// the channel and the sender's prefix the server adds when it passes the
/// line on.
pub const LINE_BYTES: usize = 350;
/// IRC lines one room message becomes at most; a longer one ends with a
/// link to the rest.
pub const MAX_LINES: usize = 4;

pub struct Outbound {
    pub client: ApiClient,
    pub map: ChannelMap,
    pub prefix: String,
    pub cursors: Cursors,
    pub to_irc: mpsc::Sender<Outgoing>,
}

impl Outbound {
    pub async fn run(self) {
        let key = format!("{}={}", self.map.channel, self.map.room);
        let after = match self.cursors.get(&key) {
            Some(seq) => seq,
            // First run: from now on, not the room's whole history.
            None => {
                let newest = self.newest().await;
                self.remember(&key, newest);
                newest
            }
        };
        let mut feed = Feed::open(&self.client, &self.map.room, Some(after));
        while let Some(item) = feed.next().await {
            match item {
                FeedItem::Event(event) => {
                    let seq = event.seq();
                    if let RoomEvent::Message(message) = *event
                        && !message.deleted
                        && !message.id.starts_with(&self.prefix)
                    {
                        let mut lines = to_irc(&message.from, &message.body, LINE_BYTES);
                        if lines.len() > MAX_LINES {
                            // A wall of text would hold every later message
                            // back for minutes at IRC's pace: the rest is a
                            // link away.
                            let more = lines.len() - (MAX_LINES - 1);
                            lines.truncate(MAX_LINES - 1);
                            let link = self
                                .client
                                .url(&format!("/r/{}#m-{}", self.map.room, message.seq));
                            lines.push(format!(
                                "<{}> … {more} more lines: {link}",
                                crate::irc_line::one_line(&message.from)
                            ));
                        }
                        if !self.write(lines).await {
                            return;
                        }
                    }
                    self.remember(&key, seq);
                }
                FeedItem::Connection(Connection::Lost { reason, .. }) => {
                    tracing::warn!("room {}: {reason}", self.map.room);
                }
                FeedItem::Connection(_) => {}
            }
        }
    }

    /// The room's newest sequence, asked until the chat answers.
    async fn newest(&self) -> u64 {
        // A refusal (no such room yet, no access) may end too: asked again.
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
        loop {
            match self.client.history(&self.map.room, None, 1).await {
                Ok(page) => return page.messages.last().map_or(0, |m| m.seq),
                Err(e) => {
                    tracing::warn!("room {}: {e}", self.map.room);
                    backoff.wait().await;
                }
            }
        }
    }

    /// Hands the lines to the IRC session and waits until they are
    /// written, again after each lost connection. False once the session
    /// is gone.
    async fn write(&self, lines: Vec<String>) -> bool {
        loop {
            let (done, written) = oneshot::channel();
            let out = Outgoing {
                channel: self.map.channel.clone(),
                lines: lines.clone(),
                done,
            };
            if self.to_irc.send(out).await.is_err() {
                return false;
            }
            if written.await.is_ok() {
                return true;
            }
        }
    }

    fn remember(&self, key: &str, seq: u64) {
        if let Err(e) = self.cursors.set(key, seq) {
            tracing::error!("the relay position cannot be kept: {e}");
        }
    }
}
