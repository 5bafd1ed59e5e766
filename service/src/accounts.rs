//! The account store: registered names, argon2id password hashes, display
//! settings and API tokens, in the SQLite file the sessions share.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use model::account::{
    AccountRuleError, Appearance, TokenSummary, checked_account_name, checked_color, checked_emoji,
    checked_password, checked_token_label,
};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    -- lower-cased name: 'Alice' and 'alice' are one account
    name_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    color TEXT,
    emoji TEXT,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    last_used TEXT
);
";

/// Tokens are long random secrets, so a fast hash is enough to keep a
/// stolen database from yielding usable tokens.
const TOKEN_PREFIX: &str = "chat_";
/// Each token is a door to the account; a handful is plenty for its bots.
pub const MAX_TOKENS_PER_ACCOUNT: i64 = 10;

/// A registered account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub appearance: Appearance,
    /// Moves on when the password changes or the member logs out
    /// everywhere: a session logged in under an older epoch has ended.
    pub session_epoch: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Rule(#[from] AccountRuleError),
    #[error("the name \"{0}\" is already taken")]
    NameTaken(String),
    #[error("the name \"{0}\" is already taken (or looks just like one that is)")]
    LooksTaken(String),
    #[error("the current password is not correct")]
    WrongPassword,
    #[error("an account may have at most {MAX_TOKENS_PER_ACCOUNT} API tokens; revoke one first")]
    TooManyTokens,
    #[error("the account store failed: {0}")]
    Store(#[from] sqlx::Error),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl AccountError {
    /// Whether the text may be shown to the user (the rest is logged only).
    pub fn is_users_fault(&self) -> bool {
        matches!(
            self,
            AccountError::Rule(_)
                | AccountError::NameTaken(_)
                | AccountError::LooksTaken(_)
                | AccountError::WrongPassword
                | AccountError::TooManyTokens
        )
    }
}

impl From<AccountError> for crate::Error {
    fn from(e: AccountError) -> Self {
        use model::ErrorKind;
        let kind = match &e {
            AccountError::Rule(_) => ErrorKind::BadInput,
            AccountError::NameTaken(_) | AccountError::LooksTaken(_) => ErrorKind::Conflict,
            AccountError::WrongPassword => ErrorKind::Forbidden,
            AccountError::TooManyTokens => ErrorKind::Conflict,
            AccountError::Store(_) | AccountError::Hashing(_) => {
                return crate::Error::unavailable(
                    "the account store is unavailable, please retry",
                    e,
                );
            }
        };
        crate::Error::new(kind, e.to_string())
    }
}

#[derive(Clone)]
pub struct Accounts {
    pool: SqlitePool,
    /// What every registered name looks like (its look-alike keys): a
    /// guest's send checks it on every message, which must not cost a
    /// database round trip.
    names: Arc<RegisteredNames>,
    /// Verified against when a name does not exist, so that a login for a
    /// missing account takes as long as one with a wrong password.
    decoy_hash: Arc<str>,
}

impl Accounts {
    /// Opens (creating if needed) the database file; the returned pool is
    /// also the session store's.
    pub async fn open(path: &Path) -> Result<Self, AccountError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| AccountError::Store(sqlx::Error::Io(e)))?;
        }
        keep_private(path).map_err(|e| AccountError::Store(sqlx::Error::Io(e)))?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        add_session_epoch(&pool).await?;
        let decoy_hash = hash_password("decoy password, never a real one".into()).await?;
        let accounts = Self {
            pool,
            names: Arc::default(),
            decoy_hash: decoy_hash.into(),
        };
        accounts.refresh_names().await?;
        Ok(accounts)
    }

    /// Picks up names other server processes sharing this database
    /// registered; call it periodically (see [`Accounts::follow_names`]).
    pub async fn refresh_names(&self) -> Result<(), AccountError> {
        let after = self.names.last_id.load(Ordering::Acquire);
        let rows = sqlx::query("SELECT id, name FROM accounts WHERE id > ? ORDER BY id")
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
        for row in rows {
            self.names.insert(row.get::<String, _>(1).as_str());
            self.names.last_id.fetch_max(row.get(0), Ordering::AcqRel);
        }
        Ok(())
    }

    /// Refreshes the registered names every second, for ever.
    pub async fn follow_names(self) {
        let mut every_second = tokio::time::interval(Duration::from_secs(1));
        loop {
            every_second.tick().await;
            if let Err(e) = self.refresh_names().await {
                tracing::warn!(error = %e, "registered names not refreshed");
            }
        }
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn register(&self, name: &str, password: &str) -> Result<Account, AccountError> {
        let name = checked_account_name(name)?;
        let password = checked_password(password)?;
        if self.names.contains(name) {
            return Err(AccountError::LooksTaken(name.to_owned()));
        }
        let hash = hash_password(password.to_owned()).await?;
        let inserted = sqlx::query(
            "INSERT INTO accounts (name, name_key, password_hash, created) VALUES (?, ?, ?, ?)
             ON CONFLICT(name_key) DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(name.to_ascii_lowercase())
        .bind(hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        match inserted {
            Some(row) => {
                let id = row.get(0);
                // Known at once here; `refresh_names` still reads it (and
                // any other process's rows with lower ids) by id later.
                self.names.insert(name);
                Ok(Account {
                    id,
                    name: name.to_owned(),
                    appearance: Appearance::default(),
                    session_epoch: 0,
                })
            }
            None => Err(AccountError::NameTaken(name.to_owned())),
        }
    }

    /// The account when the name and password match; `None` otherwise,
    /// without saying which of the two was wrong.
    pub async fn authenticate(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Option<Account>, AccountError> {
        let found = match checked_account_name(name) {
            Ok(name) => {
                self.find_row("name_key = ?", name.to_ascii_lowercase())
                    .await?
            }
            Err(_) => None,
        };
        let (account, hash) = match found {
            Some((account, hash)) => (Some(account), hash),
            None => (None, self.decoy_hash.to_string()),
        };
        let matches = password.len() <= model::account::MAX_PASSWORD_BYTES
            && verify_password(password.to_owned(), hash).await?;
        Ok(account.filter(|_| matches))
    }

    pub async fn by_id(&self, id: i64) -> Result<Option<Account>, AccountError> {
        Ok(self
            .find_row("id = ?", id)
            .await?
            .map(|(account, _)| account))
    }

    /// The account called `name` (any case).
    pub async fn by_name(&self, name: &str) -> Result<Option<Account>, AccountError> {
        Ok(self
            .find_row("name_key = ?", name.trim().to_ascii_lowercase())
            .await?
            .map(|(account, _)| account))
    }

    /// Whether a guest's display name is, or looks like, some account's
    /// name. Names registered through another server process on the same
    /// database are known within a second.
    pub fn is_registered(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// The registered spelling of account `name` (any case), if it is one.
    pub fn registered_name(&self, name: &str) -> Option<String> {
        self.names
            .exact
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&name.to_ascii_lowercase())
            .cloned()
    }

    /// Up to `max` registered names starting with `prefix` (any case), in
    /// order: the composer's `@` autocomplete.
    pub fn names_starting(&self, prefix: &str, max: usize) -> Vec<String> {
        let prefix = prefix.to_ascii_lowercase();
        self.names
            .exact
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .range(prefix.clone()..)
            .take_while(|(lower, _)| lower.starts_with(&prefix))
            .take(max)
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Sets a new password and ends the account's sessions (the caller
    /// keeps its own by taking on the returned epoch).
    pub(crate) async fn change_password(
        &self,
        id: i64,
        current: &str,
        new: &str,
    ) -> Result<i64, AccountError> {
        let new = checked_password(new)?;
        let Some((_, hash)) = self.find_row("id = ?", id).await? else {
            return Err(AccountError::WrongPassword);
        };
        if current.len() > model::account::MAX_PASSWORD_BYTES
            || !verify_password(current.to_owned(), hash).await?
        {
            return Err(AccountError::WrongPassword);
        }
        let hash = hash_password(new.to_owned()).await?;
        let row = sqlx::query(
            "UPDATE accounts SET password_hash = ?, session_epoch = session_epoch + 1
             WHERE id = ? RETURNING session_epoch",
        )
        .bind(hash)
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get(0))
    }

    /// Ends every session of the account ("log out everywhere").
    pub(crate) async fn end_sessions(&self, id: i64) -> Result<(), AccountError> {
        sqlx::query("UPDATE accounts SET session_epoch = session_epoch + 1 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes every API token of the account; how many there were.
    pub(crate) async fn revoke_all_tokens(&self, account_id: i64) -> Result<u64, AccountError> {
        Ok(sqlx::query("DELETE FROM api_tokens WHERE account_id = ?")
            .bind(account_id)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Empty fields clear that part of the appearance.
    pub async fn set_appearance(
        &self,
        id: i64,
        color: &str,
        emoji: &str,
    ) -> Result<Appearance, AccountError> {
        let appearance = Appearance {
            color: Some(color.trim())
                .filter(|c| !c.is_empty())
                .map(checked_color)
                .transpose()?,
            emoji: Some(emoji.trim())
                .filter(|e| !e.is_empty())
                .map(|e| checked_emoji(e).map(str::to_owned))
                .transpose()?,
        };
        sqlx::query("UPDATE accounts SET color = ?, emoji = ? WHERE id = ?")
            .bind(&appearance.color)
            .bind(&appearance.emoji)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(appearance)
    }

    /// A new token for the account: its summary and the secret, which is
    /// not stored and cannot be shown again.
    pub async fn create_token(
        &self,
        account_id: i64,
        label: &str,
    ) -> Result<(TokenSummary, String), AccountError> {
        let label = checked_token_label(label)?;
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE account_id = ?")
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?;
        if held >= MAX_TOKENS_PER_ACCOUNT {
            return Err(AccountError::TooManyTokens);
        }
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| AccountError::Hashing(e.to_string()))?;
        let secret = format!("{TOKEN_PREFIX}{}", hex(&random));
        let created = now();
        let row = sqlx::query(
            "INSERT INTO api_tokens (account_id, label, secret_sha256, created)
             VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(account_id)
        .bind(label)
        .bind(token_digest(&secret))
        .bind(&created)
        .fetch_one(&self.pool)
        .await?;
        let summary = TokenSummary {
            id: row.get(0),
            label: label.to_owned(),
            created,
            last_used: None,
        };
        Ok((summary, secret))
    }

    pub async fn tokens(&self, account_id: i64) -> Result<Vec<TokenSummary>, AccountError> {
        let rows = sqlx::query(
            "SELECT id, label, created, last_used FROM api_tokens WHERE account_id = ? ORDER BY id",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| TokenSummary {
                id: row.get(0),
                label: row.get(1),
                created: row.get(2),
                last_used: row.get(3),
            })
            .collect())
    }

    /// True when the account had that token.
    pub(crate) async fn revoke_token(
        &self,
        account_id: i64,
        token_id: i64,
    ) -> Result<bool, AccountError> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = ? AND account_id = ?")
            .bind(token_id)
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether the token is still there (not revoked).
    pub async fn token_exists(&self, token_id: i64) -> Result<bool, AccountError> {
        Ok(sqlx::query("SELECT 1 FROM api_tokens WHERE id = ?")
            .bind(token_id)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// The account and token id a bearer secret stands for.
    pub async fn token_account(
        &self,
        secret: &str,
    ) -> Result<Option<(Account, i64)>, AccountError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let row =
            sqlx::query("SELECT id, account_id, last_used FROM api_tokens WHERE secret_sha256 = ?")
                .bind(token_digest(secret))
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let (token_id, account_id): (i64, i64) = (row.get(0), row.get(1));
        // A bot posting every second must not write to the database every
        // second: "last used" is kept to the minute.
        let last_used: Option<String> = row.get(2);
        let stale = last_used
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .is_none_or(|t| {
                chrono::Utc::now().signed_duration_since(t) >= chrono::Duration::seconds(60)
            });
        if stale {
            sqlx::query("UPDATE api_tokens SET last_used = ? WHERE id = ?")
                .bind(now())
                .bind(token_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(self.by_id(account_id).await?.map(|a| (a, token_id)))
    }

    async fn find_row<T>(
        &self,
        condition: &str,
        value: T,
    ) -> Result<Option<(Account, String)>, AccountError>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send,
    {
        let row = sqlx::query(&format!(
            "SELECT id, name, password_hash, color, emoji, session_epoch FROM accounts WHERE {condition}"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| {
            (
                Account {
                    id: row.get(0),
                    name: row.get(1),
                    appearance: Appearance {
                        color: row.get(3),
                        emoji: row.get(4),
                    },
                    session_epoch: row.get(5),
                },
                row.get(2),
            )
        }))
    }
}

/// Databases made before sessions could be ended get the column.
async fn add_session_epoch(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let has_it =
        sqlx::query("SELECT 1 FROM pragma_table_info('accounts') WHERE name = 'session_epoch'")
            .fetch_optional(pool)
            .await?
            .is_some();
    if !has_it {
        sqlx::query("ALTER TABLE accounts ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0")
            .execute(pool)
            .await?;
    }
    Ok(())
}

#[derive(Default)]
struct RegisteredNames {
    keys: std::sync::RwLock<std::collections::HashSet<String>>,
    /// Each name as registered, by its lower case (mentions, autocomplete).
    exact: std::sync::RwLock<std::collections::BTreeMap<String, String>>,
    last_id: AtomicI64,
}

impl RegisteredNames {
    fn insert(&self, name: &str) {
        let mut keys = self
            .keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.extend(crate::look_alike::keys(name));
        self.exact
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(name.to_ascii_lowercase(), name.to_owned());
    }

    /// Whether `name` looks like a registered name.
    fn contains(&self, name: &str) -> bool {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        crate::look_alike::keys(name)
            .iter()
            .any(|key| keys.contains(key))
    }
}

/// The database holds password hashes and sessions: readable by this user
/// only, from its creation on (SQLite gives its -wal and -shm files the
/// database file's mode).
fn keep_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// argon2id with the crate's defaults (19 MiB, 2 passes: the OWASP
/// minimum), on a blocking thread: a hash costs tens of milliseconds.
/// At most this many argon2 runs at once (19 MiB each): a burst of logins
/// waits its turn instead of exhausting memory.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

async fn hash_password(password: String) -> Result<String, AccountError> {
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|e| AccountError::Hashing(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| AccountError::Hashing(e.to_string()))?
    .map_err(AccountError::Hashing)
}

async fn verify_password(password: String, hash: String) -> Result<bool, AccountError> {
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|e| AccountError::Hashing(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| e.to_string())?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| AccountError::Hashing(e.to_string()))?
    .map_err(AccountError::Hashing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_hashing_runs_at_most_four_at_once() {
        // Four hashes in progress: a fifth waits for one of them.
        let busy = HASHING.acquire_many(4).await.unwrap();
        let fifth = tokio::spawn(hash_password("a burst of logins".into()));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!fifth.is_finished(), "a fifth hash ran beside four");
        drop(busy);
        let hash = fifth.await.unwrap().unwrap();
        assert!(
            verify_password("a burst of logins".into(), hash)
                .await
                .unwrap()
        );
    }
}
