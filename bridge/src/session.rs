//! The connection to the IRC server: registers (capabilities, password,
//! nick), joins the mapped channels, answers PING, hands what is said to
//! the inbound relay, writes the outbound relay's lines at the allowed
//! pace, and reconnects with backoff whenever the link is lost.

use crate::irc_line::{IrcLine, one_line};
use crate::pace::Pacer;
use crate::settings::Settings;
use crate::transport;
use chat_client::Backoff;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, WriteHalf};
use tokio::sync::{mpsc, oneshot};

/// Capabilities asked for when the server offers them: Twitch's tags
/// (display names, colours, message ids) and moderation commands, and the
/// standard tags with the server's time.
const WANTED_CAPS: &[&str] = &[
    "twitch.tv/tags",
    "twitch.tv/commands",
    "message-tags",
    "server-time",
];
/// Without a line from the server for this long, it is pinged; without
/// one for twice as long, the link is taken as dead.
const QUIET: Duration = Duration::from_secs(150);

/// Lines for a channel; `done` is answered once all were written.
pub struct Outgoing {
    pub channel: String,
    pub lines: Vec<String>,
    pub done: oneshot::Sender<()>,
}

/// What the IRC side tells the inbound relay.
#[derive(Debug)]
pub enum Heard {
    /// Someone spoke in a channel (a PRIVMSG).
    Said(IrcLine),
    /// Twitch CLEARMSG: one message removed.
    ClearMessage { channel: String, target_id: String },
    /// Twitch CLEARCHAT: one user's messages (or, without one, all) removed.
    ClearChat {
        channel: String,
        user: Option<String>,
    },
}

pub struct Session {
    pub settings: Settings,
    pub outgoing: mpsc::Receiver<Outgoing>,
    pub heard: mpsc::Sender<Heard>,
}

impl Session {
    pub async fn run(mut self) {
        let nick = self.settings.nick();
        let mut pacer = Pacer::new(self.settings.rate);
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        loop {
            let mut registered = false;
            let why = self.serve(&nick, &mut pacer, &mut registered).await;
            if registered {
                backoff.reset();
            }
            let pause = backoff.next_pause();
            tracing::warn!(
                "IRC {}: {why}; reconnecting in {:.1} s",
                self.settings.irc_server,
                pause.as_secs_f64()
            );
            tokio::time::sleep(pause).await;
        }
    }

    /// One connection, until it ends; returns why.
    async fn serve(&mut self, nick: &str, pacer: &mut Pacer, registered: &mut bool) -> String {
        let settings = &self.settings;
        let stream = match transport::connect(&settings.irc_server, settings.irc_tls).await {
            Ok(stream) => stream,
            Err(e) => return e,
        };
        let (read, write) = tokio::io::split(stream);
        let mut reader = BufReader::new(read);
        let mut irc = Writer { write };
        let mut nick = nick.to_owned();
        let mut hello = vec!["CAP LS 302".to_owned()];
        if let Some(password) = settings.password() {
            hello.push(format!("PASS {}", one_line(&password)));
        }
        hello.push(format!("NICK {nick}"));
        hello.push(format!("USER {nick} 0 * :chat bridge"));
        for line in hello {
            if let Err(e) = irc.send(&line).await {
                return e;
            }
        }
        let mut offered: Vec<String> = Vec::new();
        let mut pending: Option<(String, VecDeque<String>, oneshot::Sender<()>)> = None;
        let mut pinged = false;
        let mut buffer = Vec::new();
        loop {
            let may_take = *registered && pending.is_none() && !settings.read_only();
            let ready_at = pacer.ready_at();
            tokio::select! {
                read = tokio::time::timeout(QUIET, reader.read_until(b'\n', &mut buffer)) => {
                    let line = match read {
                        Err(_) if pinged => return "no answer to PING".into(),
                        Err(_) => {
                            pinged = true;
                            if let Err(e) = irc.send("PING :keepalive").await {
                                return e;
                            }
                            continue;
                        }
                        Ok(Ok(0)) => return "closed by the server".into(),
                        Ok(Err(e)) => return e.to_string(),
                        Ok(Ok(_)) => String::from_utf8_lossy(&buffer).into_owned(),
                    };
                    buffer.clear();
                    pinged = false;
                    let Some(line) = IrcLine::parse(&line) else { continue };
                    let outcome = self.heard_line(line, &mut irc, &mut nick, &mut offered, registered).await;
                    if let Err(why) = outcome {
                        return why;
                    }
                }
                Some(out) = self.outgoing.recv(), if may_take => {
                    let lines = out.lines.into_iter().collect();
                    pending = Some((out.channel, lines, out.done));
                }
                _ = tokio::time::sleep_until(ready_at), if pending.is_some() => {
                    let (channel, lines, _) = pending.as_mut().expect("pending lines");
                    if let Some(text) = lines.pop_front() {
                        let line = format!("PRIVMSG {channel} :{}", one_line(&text));
                        if let Err(e) = irc.send(&line).await {
                            return e;
                        }
                        pacer.record();
                    }
                    if lines.is_empty() {
                        let (_, _, done) = pending.take().expect("pending lines");
                        let _ = done.send(());
                    }
                }
            }
        }
    }

    /// Reacts to one line from the server. `Err` ends the connection.
    async fn heard_line(
        &self,
        line: IrcLine,
        irc: &mut Writer,
        nick: &mut String,
        offered: &mut Vec<String>,
        registered: &mut bool,
    ) -> Result<(), String> {
        let channels: Vec<&str> = self
            .settings
            .maps
            .iter()
            .map(|m| m.channel.as_str())
            .collect();
        let ours = |channel: Option<&str>| {
            channel.is_some_and(|c| channels.iter().any(|m| m.eq_ignore_ascii_case(c)))
        };
        match line.command.as_str() {
            "PING" => {
                irc.send(&format!("PONG :{}", line.param(0).unwrap_or("")))
                    .await?
            }
            "CAP" => match line.param(1) {
                Some("LS") => {
                    // `CAP * LS * :…` means more lines follow.
                    let more = line.params.len() > 3 && line.param(2) == Some("*");
                    if let Some(caps) = line.params.last() {
                        offered.extend(
                            caps.split(' ')
                                .map(|c| c.split('=').next().unwrap_or(c).to_owned()),
                        );
                    }
                    if !more {
                        let wanted: Vec<&str> = WANTED_CAPS
                            .iter()
                            .copied()
                            .filter(|w| offered.iter().any(|o| o == w))
                            .collect();
                        if wanted.is_empty() {
                            irc.send("CAP END").await?;
                        } else {
                            irc.send(&format!("CAP REQ :{}", wanted.join(" "))).await?;
                        }
                    }
                }
                Some("ACK" | "NAK") => irc.send("CAP END").await?,
                _ => {}
            },
            "001" => {
                *registered = true;
                if let Some(me) = line.param(0) {
                    *nick = me.to_owned();
                }
                tracing::info!("IRC {}: registered as {nick}", self.settings.irc_server);
                irc.send(&format!("JOIN {}", channels.join(","))).await?;
            }
            // Nick in use or refused before registration: try another.
            "433" | "432" | "436" if !*registered => {
                nick.push('_');
                irc.send(&format!("NICK {nick}")).await?;
            }
            "KICK" if line.param(1).is_some_and(|n| n.eq_ignore_ascii_case(nick)) => {
                if let Some(channel) = line.param(0) {
                    irc.send(&format!("JOIN {channel}")).await?;
                }
            }
            "PRIVMSG"
                if ours(line.param(0))
                    && !line.nick().is_some_and(|n| n.eq_ignore_ascii_case(nick)) =>
            {
                self.tell(Heard::Said(line)).await?;
            }
            "CLEARMSG" if ours(line.param(0)) => {
                if let (Some(channel), Some(target)) =
                    (line.param(0), line.tag_value("target-msg-id"))
                {
                    let heard = Heard::ClearMessage {
                        channel: channel.to_owned(),
                        target_id: target.to_owned(),
                    };
                    self.tell(heard).await?;
                }
            }
            "CLEARCHAT" if ours(line.param(0)) => {
                let heard = Heard::ClearChat {
                    channel: line.param(0).unwrap_or_default().to_owned(),
                    user: line.param(1).map(str::to_owned),
                };
                self.tell(heard).await?;
            }
            "RECONNECT" => return Err("the server asked to reconnect".into()),
            "ERROR" => return Err(format!("server error: {}", line.param(0).unwrap_or(""))),
            _ => {}
        }
        Ok(())
    }

    async fn tell(&self, heard: Heard) -> Result<(), String> {
        self.heard
            .send(heard)
            .await
            .map_err(|_| "the inbound relay stopped".to_owned())
    }
}

struct Writer {
    write: WriteHalf<Box<dyn transport::Stream>>,
}

impl Writer {
    async fn send(&mut self, line: &str) -> Result<(), String> {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .map_err(|e| e.to_string())
    }
}
