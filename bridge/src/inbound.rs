//! IRC → rooms: each PRIVMSG becomes a room message from the speaker's
//! name there, marked with the network (`via`), posted in order through
//! the API; Twitch's CLEARMSG and CLEARCHAT take relayed messages back.

use crate::irc_line::IrcLine;
use crate::session::Heard;
use crate::text::from_irc;
use chat_client::ApiClient;
use model::api::NewMessage;
use model::message::{MAX_ID_CHARS, checked_name};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::sync::mpsc;

/// Relayed messages remembered for CLEARMSG and CLEARCHAT.
const REMEMBERED: usize = 10_000;
/// A message the chat does not take within this long is given up.
const PATIENCE: Duration = Duration::from_secs(600);

pub struct Inbound {
    pub client: ApiClient,
    /// Lower-cased channel → room.
    pub rooms: HashMap<String, String>,
    pub via: String,
    /// Starts every id this bridge makes (see [`id_prefix`]).
    pub prefix: String,
    pub irc_server: String,
    relayed: VecDeque<Relayed>,
}

/// A message this bridge posted: where, from whom, and under which id.
struct Relayed {
    room: String,
    seq: u64,
    /// The speaker's login (lower-cased nick).
    login: String,
    /// Twitch's id of the message.
    network_id: Option<String>,
}

/// What makes this bridge's ids its own, so that its relay to IRC skips
/// what it brought in (no echo) while relaying other bridges' messages.
pub fn id_prefix(irc_server: &str, nick: &str) -> String {
    let digest = Sha256::digest(format!("{irc_server}\n{nick}").as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("b{hex}-")
}

impl Inbound {
    pub fn new(
        client: ApiClient,
        rooms: HashMap<String, String>,
        via: String,
        prefix: String,
        irc_server: String,
    ) -> Self {
        Inbound {
            client,
            rooms,
            via,
            prefix,
            irc_server,
            relayed: VecDeque::new(),
        }
    }

    pub async fn run(mut self, mut heard: mpsc::Receiver<Heard>) {
        while let Some(heard) = heard.recv().await {
            match heard {
                Heard::Said(line) => self.relay(line).await,
                Heard::ClearMessage { channel, target_id } => {
                    let room = self.room_of(&channel);
                    self.take_back(|r| {
                        Some(&r.room) == room.as_ref()
                            && r.network_id.as_deref() == Some(&target_id)
                    })
                    .await;
                }
                Heard::ClearChat { channel, user } => {
                    let room = self.room_of(&channel);
                    let user = user.map(|u| u.to_ascii_lowercase());
                    self.take_back(|r| {
                        Some(&r.room) == room.as_ref()
                            && user.as_ref().is_none_or(|u| *u == r.login)
                    })
                    .await;
                }
            }
        }
    }

    fn room_of(&self, channel: &str) -> Option<String> {
        self.rooms.get(&channel.to_ascii_lowercase()).cloned()
    }

    async fn relay(&mut self, line: IrcLine) {
        let (Some(channel), Some(text), Some(nick)) = (line.param(0), line.param(1), line.nick())
        else {
            return;
        };
        let Some(room) = self.room_of(channel) else {
            return;
        };
        let Some(body) = from_irc(text) else {
            return;
        };
        let message = self.message(&line, channel, nick, body);
        let posted = match self.client.send(&room, &message, PATIENCE).await {
            // A taken message id is a 409 as well, and renaming would not
            // mend it: only the name's own code means rename.
            Err(e) if e.code() == Some("name_taken") => {
                // The name is (or looks like) an account here: keep it
                // apart by its network.
                let mut renamed = message.clone();
                renamed.from = format!("{}@{}", message.from, self.via);
                self.client.send(&room, &renamed, PATIENCE).await
            }
            other => other,
        };
        match posted {
            Ok(stored) => {
                if self.relayed.len() == REMEMBERED {
                    self.relayed.pop_front();
                }
                self.relayed.push_back(Relayed {
                    room,
                    seq: stored.seq,
                    login: nick.to_ascii_lowercase(),
                    network_id: line.tag_value("id").map(str::to_owned),
                });
            }
            Err(e) => tracing::warn!("not relayed from {channel} to {room}: {e}"),
        }
    }

    /// The room message for a PRIVMSG: the display name (Twitch) or nick,
    /// the speaker's colour, and an id that is the same when the same
    /// message is delivered again.
    fn message(&self, line: &IrcLine, channel: &str, nick: &str, body: String) -> NewMessage {
        let from = line
            .tag_value("display-name")
            .and_then(|name| checked_name(name).ok())
            .unwrap_or(nick)
            .to_owned();
        let color = line
            .tag_value("color")
            .filter(|c| {
                c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
            })
            .map(str::to_ascii_lowercase);
        let unique: String = match line.tag_value("id") {
            Some(id) => id
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect(),
            None => {
                // Without the network's id: the server's time when it
                // gives one, else the moment it arrived.
                let time = line
                    .tag_value("time")
                    .map(str::to_owned)
                    .unwrap_or_else(|| {
                        let now =
                            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
                        now.map_or(0, |d| d.as_nanos()).to_string()
                    });
                let digest = Sha256::digest(
                    format!("{}\n{channel}\n{nick}\n{time}\n{body}", self.irc_server).as_bytes(),
                );
                digest[..16].iter().map(|b| format!("{b:02x}")).collect()
            }
        };
        let mut id = format!("{}{unique}", self.prefix);
        id.truncate(MAX_ID_CHARS);
        NewMessage {
            id,
            from,
            body,
            format: Default::default(),
            reply_to: None,
            via: Some(self.via.clone()),
            color,
        }
    }

    /// Deletes the relayed messages `which` picks.
    async fn take_back(&mut self, which: impl Fn(&Relayed) -> bool) {
        let (gone, kept): (Vec<Relayed>, Vec<Relayed>) =
            self.relayed.drain(..).partition(|r| which(r));
        self.relayed = kept.into();
        for message in gone {
            if let Err(e) = self.client.delete(&message.room, message.seq).await
                // Gone already (or its room): nothing left to take back.
                && !matches!(e.code(), Some("no_such_message" | "no_such_room"))
            {
                tracing::warn!(
                    "could not remove message {} in {}: {e}",
                    message.seq,
                    message.room
                );
            }
        }
    }
}
