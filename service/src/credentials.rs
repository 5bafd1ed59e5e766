//! When what an identity was established by ends: a login past its time,
//! a password change or "log out everywhere" (the account's session epoch
//! moves on), a revoked API token. Every instance hears such an end on core
//! NATS, `chat_account.<account id>`, so the open sockets of that account
//! ask again whether theirs still holds, wherever they are.

use crate::Chat;
use crate::access::Identity;
use crate::accounts::AccountError;
use futures::StreamExt;
use std::time::Duration;
use tokio::sync::broadcast;

/// What an identity rests on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A guest: nothing that can end.
    Guest,
    /// An API token, by its id.
    Token { id: i64 },
    /// A session's login: the account's session epoch when it logged in,
    /// and when the login ends (Unix seconds).
    Login { epoch: i64, until: i64 },
}

/// Accounts whose logins or tokens ended, as every instance hears them.
pub(crate) struct CredentialEnds {
    ended: broadcast::Sender<i64>,
}

fn subject(account: i64) -> String {
    format!("chat_account.{account}")
}

impl CredentialEnds {
    /// Follows `chat_account.*` for as long as the process runs: one
    /// subscription per instance, fanned out in memory.
    pub(crate) async fn follow(
        client: &async_nats::Client,
    ) -> Result<Self, async_nats::SubscribeError> {
        let mut heard = client.subscribe("chat_account.*").await?;
        let (ended, _) = broadcast::channel(256);
        let tell = ended.clone();
        tokio::spawn(async move {
            while let Some(message) = heard.next().await {
                let account = message
                    .subject
                    .strip_prefix("chat_account.")
                    .and_then(|id| id.parse::<i64>().ok());
                if let Some(account) = account {
                    let _ = tell.send(account);
                }
            }
        });
        Ok(Self { ended })
    }
}

impl Chat {
    /// Accounts whose logins or tokens ended, on any instance: a socket
    /// checks its own credential when its account is named (or when it
    /// missed some).
    pub fn credential_ends(&self) -> broadcast::Receiver<i64> {
        self.inner.credential_ends.ended.subscribe()
    }

    /// Whether what `identity` was established by still holds: the token
    /// is not revoked; the login is within its time and its account's
    /// session epoch has not moved on.
    pub async fn credential_holds(&self, identity: &Identity) -> Result<bool, AccountError> {
        let Some(account) = identity.account() else {
            return Ok(true);
        };
        Ok(match identity.credential {
            Credential::Guest => true,
            Credential::Token { id } => self.inner.accounts.token_exists(id).await?,
            Credential::Login { epoch, until } => {
                login_time_left(until).is_some()
                    && self
                        .inner
                        .accounts
                        .by_id(account.id)
                        .await?
                        .is_some_and(|now| now.session_epoch == epoch)
            }
        })
    }

    /// Tells every instance that `account`'s logins or tokens changed.
    async fn tell_credentials_ended(&self, account: i64) {
        let client = &self.inner.client;
        // Not stored: a socket opened after this checks the store anyway.
        if let Err(e) = client.publish(subject(account), "ended".into()).await {
            tracing::warn!(error = %e, account, "end of credentials not told");
        }
        let _ = client.flush().await;
    }

    /// Sets a new password and ends the account's other logins everywhere;
    /// the new session epoch (the caller's own session takes it on).
    pub async fn change_password(
        &self,
        account: i64,
        current: &str,
        new: &str,
    ) -> Result<i64, AccountError> {
        let epoch = self
            .inner
            .accounts
            .change_password(account, current, new)
            .await?;
        self.tell_credentials_ended(account).await;
        Ok(epoch)
    }

    /// "Log out everywhere".
    pub async fn end_sessions(&self, account: i64) -> Result<(), AccountError> {
        self.inner.accounts.end_sessions(account).await?;
        self.tell_credentials_ended(account).await;
        Ok(())
    }

    /// Revokes every API token of the account; how many there were.
    pub async fn revoke_all_tokens(&self, account: i64) -> Result<u64, AccountError> {
        let revoked = self.inner.accounts.revoke_all_tokens(account).await?;
        self.tell_credentials_ended(account).await;
        Ok(revoked)
    }

    /// True when the account had that token.
    pub async fn revoke_token(&self, account: i64, token: i64) -> Result<bool, AccountError> {
        let found = self.inner.accounts.revoke_token(account, token).await?;
        if found {
            self.tell_credentials_ended(account).await;
        }
        Ok(found)
    }
}

/// How long a login that ends at `until` (Unix seconds) has left.
pub fn login_time_left(until: i64) -> Option<Duration> {
    let now = time::OffsetDateTime::now_utc();
    let until = time::OffsetDateTime::from_unix_timestamp(until).ok()?;
    let left = until - now;
    left.is_positive().then(|| left.unsigned_abs())
}

impl Credential {
    /// How long until this credential ends by itself (a login's time).
    pub fn time_left(&self) -> Option<Duration> {
        match self {
            Credential::Login { until, .. } => Some(login_time_left(*until).unwrap_or_default()),
            Credential::Guest | Credential::Token { .. } => None,
        }
    }
}
