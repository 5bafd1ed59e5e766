//! The real things the chat's tests and bench run against: a `nats-server`
//! with JetStream, a NATS cluster, the chat server binary, live-socket
//! clients, a cookie-keeping browser, and an IRC server with a client.
//! Every process runs on a loopback port of its own with its own temporary
//! data, and is stopped on `Drop`.

mod browser;
mod chat_server;
mod irc;
mod live;
mod nats;
mod process;

pub use browser::{
    Browser, MEMBER_PASSWORD, SESSION_COOKIE, app_db, app_db_writable, count, location,
};
pub use chat_server::{ChatServer, Launch, server_bin};
pub use irc::{IrcClient, IrcServer, command, privmsg_from};
pub use live::{
    LiveTab, Next, ResilientTab, SendOutcome, bodies, full_history, refused_upgrade,
    refused_upgrade_as, send_until_acked, seqs, upgrade_status,
};
pub use nats::{NatsCluster, NatsServer, nats_server_bin};
pub use process::{SIGKILL, SIGTERM, free_port, kill, pid_alive, rss_kib, tcp_state, wait_or_kill};

use std::time::{Duration, Instant};

/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(20);

/// Polls `check` until it gives `Some`, or panics with `what` after `within`:
/// the way to wait for an effect instead of sleeping a fixed time.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
