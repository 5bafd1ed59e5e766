//! The facade every transport calls: send, read history, list rooms,
//! follow a room live, and say who is asking.

use crate::Error;
use crate::access::{Access, Action, Caller, Credential, Identity};
use crate::accounts::{AccountError, Accounts};
use crate::credentials::CredentialEnds;
use crate::follow::RoomFollow;
use crate::hub::Hub;
use crate::limits::{Limits, SenderKey};
use crate::presence::Awareness;
use crate::read_position::ReadPositions;
use crate::room_index::RoomIndex;
use crate::room_log::{Draft, RoomLog, StreamSettings};
use crate::room_policy::RoomPolicies;
use crate::session::{self, Session};
use crate::slow_mode::SlowMode;
use crate::store::StoreError;
use model::ErrorKind;
use model::account::Viewer;
use model::api::Health;
use model::history::HistoryPage;
use model::message::ChatMessage;
use model::room::{MAX_ROOM_PAGE, RoomName, RoomPage, RoomSummary};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The oldest nats-server the chat works with: batched direct get (2.11).
pub const MIN_NATS_VERSION: (u32, u32) = (2, 11);

/// What the chat needs to start.
#[derive(Clone, Debug)]
pub struct ChatSettings {
    /// NATS server or cluster: comma-separated seed URLs.
    pub nats_urls: String,
    /// Credentials for NATS, when it needs them (user, password).
    pub nats_user: Option<(String, String)>,
    pub stream: StreamSettings,
    /// The SQLite file for accounts and sessions.
    pub db_path: PathBuf,
    pub require_login: bool,
    /// Messages per second per sender; 0 turns the limit off.
    pub send_rate: u32,
    pub send_burst: u32,
    /// Rooms one sender may start per hour; 0: no limit.
    pub new_rooms_per_hour: u32,
    /// Rooms the lobby lists before they have messages.
    pub default_rooms: Vec<RoomName>,
    /// How long after sending its author may edit a message.
    pub edit_window: Duration,
    /// How long people stay present without a heartbeat.
    pub presence_expires: Duration,
    /// Account names of the server admins (`CHAT_ADMINS`).
    pub admins: Vec<String>,
}

/// Why the chat could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot connect to NATS at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
    #[error(
        "NATS at {url} is version {version}; the chat needs nats-server >= 2.11 (JetStream batched direct get)"
    )]
    NatsTooOld { url: String, version: String },
    #[error("cannot set up the CHAT stream: {0}")]
    Stream(#[from] StoreError),
    #[error("cannot open the account database {path}: {source}")]
    Accounts {
        path: PathBuf,
        #[source]
        source: AccountError,
    },
    #[error("cannot read the accounts CHAT_ADMINS names: {0}")]
    Admins(#[source] AccountError),
}

/// The chat: cheap to clone, one per process.
#[derive(Clone)]
pub struct Chat {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: async_nats::Client,
    pub(crate) log: RoomLog,
    pub(crate) reads: ReadPositions,
    pub(crate) mentions: crate::mentions::MentionIndex,
    pub(crate) awareness: Awareness,
    hub: Arc<Hub>,
    pub(crate) rooms: Arc<RoomIndex>,
    pub(crate) accounts: Accounts,
    pub(crate) limits: Arc<Limits>,
    pub(crate) access: Access,
    pub(crate) policies: Arc<RoomPolicies>,
    pub(crate) slow_mode: SlowMode,
    pub(crate) default_rooms: Vec<RoomName>,
    pub(crate) edit_window: Duration,
    pub(crate) credential_ends: CredentialEnds,
}

/// What a sender asked for.
pub struct Outgoing<'a> {
    pub room: &'a RoomName,
    pub id: &'a str,
    /// The guest's display name; ignored for an account.
    pub from: &'a str,
    pub body: &'a str,
    /// Markdown (parsed into `rich`) or plain text.
    pub format: model::message::TextFormat,
    /// The message it answers, in the same room.
    pub reply_to: Option<u64>,
    /// A bridge relaying `from` of another network: that network, and the
    /// author's colour there.
    pub relay: Option<Relay<'a>>,
}

/// Where a relayed message comes from (see [`Outgoing::relay`]).
#[derive(Clone, Copy, Debug)]
pub struct Relay<'a> {
    pub via: &'a str,
    pub color: Option<&'a str>,
}

impl Chat {
    /// Connects to NATS, sets up the `CHAT` stream and opens the account
    /// database; keeps following NATS reconnects and new accounts.
    pub async fn start(settings: ChatSettings) -> Result<Self, StartError> {
        let url = settings.nats_urls.clone();
        let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let mut options = async_nats::ConnectOptions::new();
        if let Some((user, password)) = &settings.nats_user {
            options =
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone());
        }
        let client = options
            .name("chat-server")
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(5))
            // Reconnect quickly to a restarted NATS child or another cluster node.
            .reconnect_delay_callback(|attempts| {
                Duration::from_millis((attempts as u64 * 100).min(2000))
            })
            .event_callback(move |event| {
                let events_tx = events_tx.clone();
                async move {
                    let _ = events_tx.send(event);
                }
            })
            .connect(url.split(',').map(str::trim).collect::<Vec<_>>())
            .await
            .map_err(|source| StartError::Connect {
                url: url.clone(),
                source,
            })?;
        let version = client.server_info().version;
        if !version_at_least(&version, MIN_NATS_VERSION) {
            return Err(StartError::NatsTooOld { url, version });
        }

        let log = RoomLog::open(client.clone(), &settings.stream).await?;
        let reads =
            ReadPositions::open(log.jetstream(), client.clone(), settings.stream.replicas).await?;
        let mentions = crate::mentions::MentionIndex::open(
            log.jetstream(),
            client.clone(),
            settings.stream.replicas,
            settings.stream.max_age,
        )
        .await?;
        let awareness = Awareness::open(
            client.clone(),
            log.jetstream(),
            settings.stream.replicas,
            settings.presence_expires,
        )
        .await?;
        let credential_ends = CredentialEnds::follow(&client).await.map_err(|e| {
            StartError::Stream(StoreError::Unavailable {
                doing: "following the ends of logins and tokens",
                source: e.into(),
            })
        })?;
        let policies = RoomPolicies::open(log.jetstream(), settings.stream.replicas).await?;
        let slow_mode = SlowMode::open(log.jetstream(), settings.stream.replicas).await?;
        let hub = Hub::new(log.clone());
        let rooms = RoomIndex::start(log.clone());
        {
            let hub = Arc::clone(&hub);
            let rooms = Arc::clone(&rooms);
            tokio::spawn(async move {
                while let Some(event) = events.recv().await {
                    match event {
                        async_nats::Event::Connected => {
                            tracing::info!("NATS connected");
                            hub.resync_all();
                            rooms.reload();
                        }
                        async_nats::Event::Disconnected => {
                            tracing::warn!("NATS disconnected; reconnecting")
                        }
                        other => tracing::info!(event = %other, "NATS event"),
                    }
                }
            });
        }

        let accounts =
            Accounts::open(&settings.db_path)
                .await
                .map_err(|source| StartError::Accounts {
                    path: settings.db_path.clone(),
                    source,
                })?;
        tokio::spawn(accounts.clone().follow_names());
        {
            let accounts = accounts.clone();
            log.check_names_with(move |name| accounts.is_registered(name));
        }
        let limits = Arc::new(Limits::new(
            settings.send_rate,
            settings.send_burst,
            settings.new_rooms_per_hour,
        ));
        {
            let limits = Arc::clone(&limits);
            tokio::spawn(async move {
                let mut every_minute = tokio::time::interval(Duration::from_secs(60));
                loop {
                    every_minute.tick().await;
                    limits.forget_idle();
                }
            });
        }
        let admins = bind_admins(&accounts, &settings.admins).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                log,
                reads,
                mentions,
                awareness,
                hub,
                rooms,
                accounts,
                limits,
                access: Access {
                    require_login: settings.require_login,
                    admins: Arc::new(admins),
                    policies: Some(Arc::clone(&policies)),
                },
                policies,
                slow_mode,
                default_rooms: settings.default_rooms,
                edit_window: settings.edit_window,
                credential_ends,
            }),
        })
    }

    /// Flushes what is in flight to NATS and closes the connection.
    pub async fn close(&self) {
        self.inner.client.drain().await.ok();
    }

    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    /// Registers an account; what is posted from now on is unread to it,
    /// however long it waits before it first asks for its rooms.
    pub async fn register(
        &self,
        name: &str,
        password: &str,
    ) -> Result<crate::accounts::Account, crate::accounts::AccountError> {
        let account = self.inner.accounts.register(name, password).await?;
        let now = self.inner.rooms.newest_seq();
        if let Err(e) = self.inner.reads.start(account.id, now).await {
            // Counted from its first look at the room list instead.
            tracing::warn!(error = %e, account = account.id, "unread start not recorded");
        }
        Ok(account)
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn require_login(&self) -> bool {
        self.inner.access.require_login
    }

    /// Stores a message once JetStream acknowledges it. A retried `id` in
    /// the same room (within the duplicate window) returns the first copy.
    pub async fn send(
        &self,
        identity: &Identity,
        message: Outgoing<'_>,
    ) -> Result<ChatMessage, Error> {
        let inner = &self.inner;
        let standing = inner
            .access
            .check(&identity.caller, Action::Write, message.room)?;
        let author =
            inner
                .access
                .author(&identity.caller, message.from, message.relay, |name| {
                    inner.accounts.is_registered(name)
                })?;
        self.spend_send_budget(identity)?;
        if !self.room_exists(message.room) {
            self.spend_new_room(identity)?;
        }
        // Only rooms in slow mode pay a request for it.
        if let Some(policy) = standing.policy.as_deref()
            && policy.slow_mode_s > 0
            && !standing.is_moderator()
        {
            inner
                .slow_mode
                .pass(message.room, identity, policy.slow_mode_s)
                .await?;
        }
        let reply_to = match message.reply_to {
            Some(seq) => Some((seq, self.original_of_reply(message.room, seq).await?)),
            None => None,
        };
        let mut mentions = self.checked_mentions(identity, message.body);
        if mentions.1 {
            mentions.1 = self
                .may_mention_room(identity, &standing, message.room, message.relay.is_some())
                .await;
        }
        let rich = self.rich_text(message.body, message.format, &mentions);
        let draft = Draft {
            id: message.id,
            author,
            author_key: identity.author_key(),
            body: message.body,
            format: message.format,
            rich,
            reply_to,
            mentions,
        };
        let mut stored = inner.log.publish(message.room, draft).await?;
        if let Some(quote) = &stored.reply_to {
            stored.reply_to =
                Some(crate::fold::quote(&inner.log, message.room, quote.seq, &quote.from).await);
        }
        inner
            .rooms
            .record(message.room.as_str(), stored.seq, &stored.ts);
        self.index_mentions(identity, &stored).await;
        if let Some(account) = identity.account() {
            // What one wrote is read; off the answer's path.
            let (reads, id, room, seq) = (
                inner.reads.clone(),
                account.id,
                message.room.clone(),
                stored.seq,
            );
            let now = inner.rooms.newest_seq();
            tokio::spawn(async move {
                if let Err(e) = reads.mark(id, &room, seq, false, now).await {
                    tracing::debug!(error = %e, "read position after a send");
                }
            });
        }
        Ok(stored)
    }

    /// The `limit` newest messages before `before` (or the newest), oldest
    /// first, each as it is now (edits, tombstones, reactions, quotes);
    /// `viewer` marks its own messages and reactions.
    pub async fn history(
        &self,
        room: &RoomName,
        before: Option<u64>,
        limit: usize,
        viewer: &Identity,
    ) -> Result<HistoryPage, Error> {
        self.inner
            .access
            .check(&viewer.caller, Action::Read, room)?;
        let log = &self.inner.log;
        let (raw, has_older) = log.history(room, before, limit).await?;
        let key = viewer.author_key();
        let messages = crate::fold::page(log, room, raw, key.as_deref()).await?;
        let read_seq = match before {
            None => self.read_position(viewer, room).await?,
            _ => None,
        };
        Ok(HistoryPage {
            messages,
            has_older,
            read_seq,
        })
    }

    /// The newest sequence of a room, 0 when it has none.
    pub async fn last_seq(&self, room: &RoomName) -> Result<u64, Error> {
        Ok(self.inner.log.last_seq(room).await?)
    }

    /// Rooms that hold messages, newest activity first: at most `limit`
    /// with `last_seq < after` (from the newest when `after` is `None`).
    /// Served from memory, so it costs the same with 20 rooms or 10,000.
    pub async fn rooms(
        &self,
        viewer: &Identity,
        after: Option<u64>,
        limit: usize,
    ) -> Result<RoomPage, Error> {
        if !(1..=MAX_ROOM_PAGE).contains(&limit) {
            return Err(Error::bad_input(format!(
                "limit must be 1 to {MAX_ROOM_PAGE}"
            )));
        }
        if after == Some(0) {
            return Err(Error::bad_input(
                "after must be a room's last_seq, at least 1",
            ));
        }
        let page = self
            .inner
            .rooms
            .page(after, limit, |summary| self.describe(viewer, summary))
            .await?;
        Ok(page)
    }

    /// What the lobby lists: rooms with messages, then, after the last of
    /// them, the default rooms that have none yet.
    pub async fn lobby_rooms(
        &self,
        viewer: &Identity,
        after: Option<u64>,
        limit: usize,
    ) -> Result<RoomPage, Error> {
        let mut page = self.rooms(viewer, after, limit).await?;
        if page.next_after.is_none() {
            self.add_quiet_rooms_of(viewer, &mut page);
            // A room with messages is listed on some page already.
            for room in &self.inner.default_rooms {
                if self.inner.rooms.count_of(room.as_str()) == 0 {
                    page.rooms.push(RoomSummary {
                        name: room.to_string(),
                        last_seq: 0,
                        count: 0,
                        last_ts: None,
                        ..RoomSummary::default()
                    });
                }
            }
        }
        Ok(page)
    }

    /// Follows a room from sequence `after` (or from now): its replay, then
    /// its live messages, in order, each once.
    pub async fn follow_room(
        &self,
        viewer: &Identity,
        room: &RoomName,
        after: Option<u64>,
    ) -> Result<RoomFollow, Error> {
        self.inner
            .access
            .check(&viewer.caller, Action::Read, room)?;
        if after == Some(u64::MAX) {
            return Err(Error::bad_input(
                "after must be a sequence below 18446744073709551615",
            ));
        }
        // "Only new messages" means new from the moment this returns.
        let after = match after {
            Some(after) => after,
            None => self.last_seq(room).await?,
        };
        let (feed, live) =
            self.inner.hub.join(room).await.map_err(|e| {
                Error::unavailable("the chat store is unavailable, please retry", e)
            })?;
        Ok(RoomFollow::new(
            self.inner.log.clone(),
            room.clone(),
            feed,
            live,
            after,
        ))
    }

    /// The identity a browser session stands for: its account when logged
    /// in, else a guest counted by address.
    pub async fn identify_session(
        &self,
        session: Option<&Session>,
        address: IpAddr,
    ) -> Result<Identity, Error> {
        if let Some(session) = session
            && let Some(account) = session::account(session, &self.inner.accounts).await?
        {
            let until = session::logged_in(session)
                .await
                .map_or(0, |login| login.until);
            return Ok(Identity {
                sender: SenderKey::Account(account.id),
                credential: Credential::Login {
                    epoch: account.session_epoch,
                    until,
                },
                caller: Caller::Account(account),
                guest_key: None,
            });
        }
        Ok(Identity {
            caller: Caller::Guest,
            sender: SenderKey::Address(address),
            guest_key: None,
            credential: Credential::Guest,
        })
    }

    /// Who is calling, from a request's parts: the account of
    /// `Authorization: Bearer <token>` (any other scheme is an error rather
    /// than a silent guest), else the session's account, else a guest
    /// counted by address; with the guest key when one is sent. Every
    /// transport (API, sockets, pages, server functions) asks this.
    pub async fn identify(
        &self,
        authorization: Option<&str>,
        session: Option<&Session>,
        address: IpAddr,
        guest_key: Option<&str>,
    ) -> Result<Identity, Error> {
        let identity = match authorization {
            Some(value) => {
                let secret = value.strip_prefix("Bearer ").ok_or_else(|| {
                    Error::new(
                        ErrorKind::Unauthorized,
                        "Authorization must be 'Bearer <token>'",
                    )
                    .with_code("bad_authorization")
                })?;
                self.identify_token(secret.trim()).await?
            }
            None => self.identify_session(session, address).await?,
        };
        Ok(identity.with_guest_key(guest_key))
    }

    /// The identity an API token stands for; 401 for an unknown or revoked
    /// token.
    pub async fn identify_token(&self, secret: &str) -> Result<Identity, Error> {
        match self.inner.accounts.token_account(secret).await? {
            Some((account, token)) => Ok(Identity {
                sender: SenderKey::Account(account.id),
                caller: Caller::Account(account),
                guest_key: None,
                credential: Credential::Token { id: token },
            }),
            None => Err(
                Error::new(ErrorKind::Unauthorized, "invalid or revoked API token")
                    .with_code("invalid_token"),
            ),
        }
    }

    /// Who is looking at a page; takes the session's flash message, which
    /// is therefore shown once.
    pub async fn viewer(&self, session: Option<&Session>) -> Result<Viewer, Error> {
        let mut viewer = Viewer {
            require_login: self.require_login(),
            ..Viewer::default()
        };
        let Some(session) = session else {
            return Ok(viewer);
        };
        viewer.flash = session::take_flash(session).await;
        if let Some(account) = session::account(session, &self.inner.accounts).await? {
            viewer.account = Some(account.name);
            viewer.appearance = account.appearance;
        }
        Ok(viewer)
    }

    /// A fresh id for the next message a page will send: made on the
    /// server, so a form works without JavaScript.
    pub fn new_message_id(&self) -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    pub fn health(&self) -> Health {
        let up = self.inner.log.is_connected();
        Health {
            status: if up { "ok" } else { "degraded" }.into(),
            nats: self.inner.log.connection_state(),
            active_rooms: self.inner.hub.active_rooms(),
            pid: std::process::id(),
        }
    }
}

/// Whether a `major.minor.patch` version is at least `(major, minor)`.
pub fn version_at_least(version: &str, (major, minor): (u32, u32)) -> bool {
    let mut parts = version.trim_start_matches('v').split(['.', '-']);
    let parsed: Option<(u32, u32)> =
        (|| Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?)))();
    parsed.is_some_and(|found| found >= (major, minor))
}

/// The accounts `CHAT_ADMINS` names, bound at start to the accounts that
/// hold those names: a listed name that no one holds yet makes no admin,
/// so whoever registers it later is not one (and the log says so).
async fn bind_admins(
    accounts: &crate::accounts::Accounts,
    names: &[String],
) -> Result<std::collections::HashSet<i64>, StartError> {
    let mut admins = std::collections::HashSet::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match accounts.by_name(name).await.map_err(StartError::Admins)? {
            Some(account) => {
                tracing::info!(name = %account.name, id = account.id, "server admin");
                admins.insert(account.id);
            }
            None => tracing::warn!(
                name,
                "CHAT_ADMINS names no account: no admin until it is registered and the server restarted"
            ),
        }
    }
    Ok(admins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(version_at_least("2.15.1", (2, 11)));
        assert!(version_at_least("v2.11.0", (2, 11)));
        assert!(version_at_least("3.0.0-beta", (2, 11)));
        assert!(!version_at_least("2.9.10", (2, 11)));
        assert!(!version_at_least("2.10.22", (2, 11)));
        assert!(!version_at_least("", (2, 11)));
    }
}
