//! The bridge's flags (each also an environment variable): which chat,
//! which IRC network, and which channel goes to which room.

use clap::Parser;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[derive(Parser, Clone, Debug)]
#[command(
    name = "chat-bridge",
    version,
    about = "Relays IRC (and Twitch) channels to chat rooms and back"
)]
pub struct Settings {
    /// The chat server's URL.
    #[arg(long, env = "CHAT_SERVER", default_value = "http://127.0.0.1:3000")]
    pub server: String,
    /// API token of the bridge's account on the chat (without one the
    /// bridge relays as a guest).
    #[arg(long, env = "CHAT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The IRC server, `HOST:PORT` (Twitch: `irc.chat.twitch.tv:6697` with `--irc-tls`).
    #[arg(long, env = "IRC_SERVER")]
    pub irc_server: String,
    /// Connect with TLS.
    #[arg(long, env = "IRC_TLS")]
    pub irc_tls: bool,
    /// The bridge's nick (Twitch: the bot account's login). Default:
    /// `chatbridge`, or on Twitch without a token an anonymous read-only
    /// `justinfan<digits>`.
    #[arg(long, env = "IRC_NICK")]
    pub nick: Option<String>,
    /// The IRC server's password (PASS), if it wants one.
    #[arg(long, env = "IRC_PASSWORD", hide_env_values = true)]
    pub irc_password: Option<String>,
    /// Twitch: the bot's OAuth token (`oauth:…`), sent as the password.
    #[arg(long, env = "TWITCH_OAUTH", hide_env_values = true)]
    pub twitch_oauth: Option<String>,
    /// `#channel=room`; repeat for more (in the environment: comma-separated).
    #[arg(
        long = "map",
        env = "BRIDGE_MAP",
        value_delimiter = ',',
        required = true
    )]
    pub maps: Vec<ChannelMap>,
    /// Where the bridge keeps the last sequence it relayed to IRC, per
    /// channel, so a restart neither loses nor repeats a message.
    #[arg(long, env = "BRIDGE_STATE_DIR", default_value = "data/bridge")]
    pub state_dir: PathBuf,
    /// At most LINES sent to IRC per SECONDS (Twitch allows 20/30).
    #[arg(long, env = "BRIDGE_RATE", default_value = "20/30")]
    pub rate: Rate,
    /// How relayed messages are marked in the chat (`via`); default
    /// `twitch` on Twitch, else `irc`.
    #[arg(long, env = "BRIDGE_VIA")]
    pub via: Option<String>,
}

/// One IRC channel and the room it is relayed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelMap {
    pub channel: String,
    pub room: String,
}

impl FromStr for ChannelMap {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (channel, room) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?}: expected #channel=room"))?;
        let channel = channel.trim();
        if !channel.starts_with(['#', '&'])
            || channel.len() < 2
            || channel.contains([' ', ',', '\u{7}'])
        {
            return Err(format!("{channel:?} is not an IRC channel (#name)"));
        }
        let room =
            model::room::RoomName::parse(room.trim()).map_err(|e| format!("{room:?}: {e}"))?;
        Ok(ChannelMap {
            channel: channel.to_owned(),
            room: room.as_str().to_owned(),
        })
    }
}

/// A rate limit: `lines` per `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub lines: usize,
    pub per: Duration,
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?}: expected LINES/SECONDS, e.g. 20/30");
        let (lines, seconds) = text.split_once('/').ok_or_else(bad)?;
        let lines: usize = lines.trim().parse().map_err(|_| bad())?;
        let seconds: f64 = seconds.trim().parse().map_err(|_| bad())?;
        if lines == 0 || !(seconds > 0.0 && seconds < 86_400.0) {
            return Err(bad());
        }
        Ok(Rate {
            lines,
            per: Duration::from_secs_f64(seconds),
        })
    }
}

impl Settings {
    pub fn is_twitch(&self) -> bool {
        self.twitch_oauth.is_some()
            || self
                .irc_server
                .split(':')
                .next()
                .is_some_and(|host| host.ends_with("twitch.tv"))
    }

    pub fn via(&self) -> String {
        self.via
            .clone()
            .unwrap_or_else(|| if self.is_twitch() { "twitch" } else { "irc" }.into())
    }

    /// The password to send (PASS): Twitch's `oauth:` token, or the IRC one.
    pub fn password(&self) -> Option<String> {
        match &self.twitch_oauth {
            Some(token) if token.starts_with("oauth:") => Some(token.clone()),
            Some(token) => Some(format!("oauth:{token}")),
            None => self.irc_password.clone(),
        }
    }

    /// Twitch without a token: anonymous, reading only.
    pub fn read_only(&self) -> bool {
        self.is_twitch() && self.twitch_oauth.is_none()
    }

    pub fn nick(&self) -> String {
        match &self.nick {
            Some(nick) => nick.clone(),
            None if self.read_only() => {
                let digits = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos())
                    % 100_000;
                format!("justinfan{digits}")
            }
            None => "chatbridge".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_rates_parse_or_say_why_not() {
        assert_eq!(
            "#rust=general".parse::<ChannelMap>().unwrap(),
            ChannelMap {
                channel: "#rust".into(),
                room: "general".into()
            }
        );
        assert!("rust=general".parse::<ChannelMap>().is_err());
        assert!("#rust=no room".parse::<ChannelMap>().is_err());
        assert_eq!(
            "20/30".parse::<Rate>().unwrap(),
            Rate {
                lines: 20,
                per: Duration::from_secs(30)
            }
        );
        assert!("0/30".parse::<Rate>().is_err());
        assert!("20".parse::<Rate>().is_err());
    }

    #[test]
    fn twitch_without_a_token_reads_anonymously() {
        let settings = Settings::parse_from([
            "chat-bridge",
            "--irc-server",
            "irc.chat.twitch.tv:6697",
            "--map",
            "#dallas=stream",
        ]);
        assert!(settings.read_only());
        assert!(settings.nick().starts_with("justinfan"));
        assert_eq!(settings.via(), "twitch");
        assert_eq!(settings.password(), None);
        let with_token = Settings::parse_from([
            "chat-bridge",
            "--irc-server",
            "irc.chat.twitch.tv:6697",
            "--twitch-oauth",
            "abc",
            "--nick",
            "mybot",
            "--map",
            "#dallas=stream",
        ]);
        assert!(!with_token.read_only());
        assert_eq!(with_token.password().as_deref(), Some("oauth:abc"));
    }
}
