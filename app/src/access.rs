//! Who may send as whom: the one place where a message gets its author,
//! for the page's server function and the public API alike.

use crate::account::Viewer;
use crate::accounts::{Account, AccountError, Accounts};
use crate::bus::{Author, ChatBus, Draft, SendError};
use crate::limits::{Limits, RetryAfter, SenderKey};
use crate::message::{ChatMessage, checked_name};
use crate::room::RoomName;
use std::net::IpAddr;
use std::sync::Arc;
use tower_sessions::Session;

/// The account and rate-limit rules every request shares.
#[derive(Clone)]
pub struct Access {
    pub accounts: Accounts,
    pub limits: Arc<Limits>,
    /// Guests may read but not write.
    pub require_login: bool,
}

/// Who is sending, as established by a session cookie or an API token.
#[derive(Clone, Debug)]
pub enum Caller {
    Account(Account),
    Guest,
}

/// What a sender asked for.
pub struct Outgoing<'a> {
    pub room: &'a RoomName,
    pub id: &'a str,
    /// The guest's display name; ignored for an account.
    pub from: &'a str,
    pub body: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum SendRefusal {
    #[error("log in to write in this chat")]
    LoginRequired,
    #[error(
        "the name \"{0}\" belongs to a registered account; log in to use it, or pick another name"
    )]
    NameTaken(String),
    #[error("too many messages; try again in {} s", .0.seconds())]
    TooFast(RetryAfter),
    #[error(transparent)]
    Send(#[from] SendError),
}

impl Access {
    /// The caller a browser session stands for: its account when logged
    /// in, else a guest counted by session or, without one, by address.
    pub async fn session_caller(
        &self,
        session: Option<&Session>,
        address: IpAddr,
    ) -> Result<(Caller, SenderKey), AccountError> {
        let session_key = session
            .and_then(Session::id)
            .map(|id| SenderKey::Session(id.to_string()));
        if let Some(session) = session
            && let Some(logged_in) = crate::session::logged_in(session).await
            && let Some(account) = self.accounts.by_id(logged_in.id).await?
        {
            let key = session_key.unwrap_or(SenderKey::Account(account.id));
            return Ok((Caller::Account(account), key));
        }
        Ok((
            Caller::Guest,
            session_key.unwrap_or(SenderKey::Address(address)),
        ))
    }

    /// Who is looking at a page; takes the session's flash message, which
    /// is therefore shown once.
    pub async fn viewer(&self, session: Option<&Session>) -> Result<Viewer, AccountError> {
        let mut viewer = Viewer {
            require_login: self.require_login,
            ..Viewer::default()
        };
        let Some(session) = session else {
            return Ok(viewer);
        };
        viewer.flash = crate::session::take_flash(session).await;
        if let Some(logged_in) = crate::session::logged_in(session).await
            && let Some(account) = self.accounts.by_id(logged_in.id).await?
        {
            viewer.account = Some(account.name);
            viewer.appearance = account.appearance;
        }
        Ok(viewer)
    }

    /// The caller an API token stands for; `None` for an unknown or
    /// revoked token.
    pub async fn token_caller(
        &self,
        secret: &str,
    ) -> Result<Option<(Caller, SenderKey)>, AccountError> {
        Ok(self
            .accounts
            .token_account(secret)
            .await?
            .map(|(account, token_id)| (Caller::Account(account), SenderKey::Token(token_id))))
    }

    pub async fn send(
        &self,
        bus: &ChatBus,
        caller: &Caller,
        sender: &SenderKey,
        message: Outgoing<'_>,
    ) -> Result<ChatMessage, SendRefusal> {
        let author = match caller {
            Caller::Account(account) => Author::Account(account),
            Caller::Guest if self.require_login => return Err(SendRefusal::LoginRequired),
            Caller::Guest => {
                // A bad name is the bus's error to explain; a good one must
                // not be somebody's account.
                if let Ok(name) = checked_name(message.from)
                    && self.accounts.is_registered(name)
                {
                    return Err(SendRefusal::NameTaken(name.to_owned()));
                }
                Author::Guest(message.from)
            }
        };
        self.limits.send(sender).map_err(SendRefusal::TooFast)?;
        let draft = Draft {
            id: message.id,
            author,
            body: message.body,
        };
        Ok(bus.publish(message.room, draft).await?)
    }
}
