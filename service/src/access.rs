//! Who is asking and what they may do: the identity a session cookie or an
//! API token stands for, the author a message gets, and the one rule every
//! transport asks before it reads or writes a room.

use crate::Error;
use crate::accounts::Account;
use crate::chat::Relay;
pub use crate::credentials::Credential;
use crate::limits::SenderKey;
use crate::room_log::Author;
use crate::room_policy::{RoomPolicies, RoomPolicy};
use model::ErrorKind;
use model::message::checked_name;
use model::room::RoomName;
use model::room_policy::{DM_PREFIX, PostPolicy, Visibility};
use std::collections::HashSet;
use std::sync::Arc;

/// Who is asking, as established by a session cookie or an API token.
#[derive(Clone, Debug)]
pub enum Caller {
    Account(Account),
    Guest,
}

/// A caller, and what their messages are counted against.
#[derive(Clone, Debug)]
pub struct Identity {
    pub caller: Caller,
    pub sender: SenderKey,
    /// A guest's key digest (from the browser's guest cookie or the API's
    /// `X-Chat-Guest-Key`): what makes a guest's messages and reactions
    /// theirs without a session.
    pub guest_key: Option<String>,
    /// What it rests on: when that ends, so does every socket opened with it.
    pub credential: Credential,
}

/// Characters a guest key has (letters, digits, `-`, `_`).
pub const GUEST_KEY_CHARS: std::ops::RangeInclusive<usize> = 16..=64;

/// The first `bytes` bytes of SHA-256 of `text`, in hex: how a secret or
/// a key is kept without the thing itself (guest keys, invite tokens).
pub(crate) fn hex_digest(text: &str, bytes: usize) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())[..bytes]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Identity {
    /// The same identity, holding the guest key `raw` when it is one.
    pub fn with_guest_key(mut self, raw: Option<&str>) -> Self {
        self.guest_key = raw
            .filter(|raw| {
                model::alphabet::is_plain(raw, *GUEST_KEY_CHARS.start(), *GUEST_KEY_CHARS.end())
            })
            .map(|raw| hex_digest(raw, 16));
        self
    }

    /// Who this is to the messages and reactions it leaves: `a:<account
    /// id>`, `g:<guest key digest>`, or nobody in particular.
    pub fn author_key(&self) -> Option<String> {
        match (&self.caller, &self.guest_key) {
            (Caller::Account(account), _) => Some(format!("a:{}", account.id)),
            (Caller::Guest, Some(digest)) => Some(format!("g:{digest}")),
            (Caller::Guest, None) => None,
        }
    }

    pub fn account(&self) -> Option<&Account> {
        match &self.caller {
            Caller::Account(account) => Some(account),
            Caller::Guest => None,
        }
    }
}

/// What a caller wants to do in a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See it at all: its page, history, live sockets, presence, its place
    /// in the room list, mentions from it.
    Read,
    /// Post, edit, react, type.
    Write,
    /// Remove others' messages, time out, ban, manage members and settings.
    Moderate,
    /// Name moderators.
    Own,
}

/// A caller's place in a room, highest last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Guest,
    Account,
    Member,
    Moderator,
    Owner,
    /// A server admin (`CHAT_ADMINS`): acts as owner of every room.
    Admin,
}

impl Role {
    /// The role as the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest | Role::Account => "none",
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Owner | Role::Admin => "owner",
        }
    }
}

/// What the rule found out on the way to a yes: kept so the caller does
/// not look again.
#[derive(Clone, Debug)]
pub struct Standing {
    pub role: Role,
    pub policy: Option<Arc<RoomPolicy>>,
}

impl Standing {
    /// Moderators (and above) pass slow mode, locks and post rules.
    pub fn is_moderator(&self) -> bool {
        self.role >= Role::Moderator
    }
}

/// The access rules of this server.
#[derive(Clone)]
pub struct Access {
    /// Guests may read but not write.
    pub require_login: bool,
    /// Account ids of the server admins: `CHAT_ADMINS` names bound to the
    /// accounts that held them at start.
    pub admins: Arc<HashSet<i64>>,
    pub(crate) policies: Option<Arc<RoomPolicies>>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("require_login", &self.require_login)
            .field("admins", &self.admins)
            .finish()
    }
}

pub const LOGIN_REQUIRED: &str = "log in to write in this chat";

impl Access {
    pub fn is_admin(&self, caller: &Caller) -> bool {
        matches!(caller, Caller::Account(a) if self.admins.contains(&a.id))
    }

    /// May this caller do `action` in `room`? Every transport asks this.
    /// Memory only: the policies are kept current by the rooms bucket.
    pub fn check(
        &self,
        caller: &Caller,
        action: Action,
        room: &RoomName,
    ) -> Result<Standing, Error> {
        let policy = self.policies.as_ref().and_then(|p| p.get(room.as_str()));
        let role = decide(
            policy.as_deref(),
            room,
            caller,
            self.is_admin(caller),
            action,
            chrono::Utc::now().timestamp(),
            self.require_login,
        )?;
        Ok(Standing { role, policy })
    }

    /// The author of a message: an account writes under its own name, a
    /// guest under a name that no account has registered, and a bridge
    /// (account or guest) relays a name of another network that, like a
    /// guest's, is nobody's account here.
    pub fn author<'a>(
        &self,
        caller: &'a Caller,
        guest_name: &'a str,
        relay: Option<Relay<'a>>,
        is_registered: impl Fn(&str) -> bool,
    ) -> Result<Author<'a>, Error> {
        match (caller, relay) {
            (_, Some(relay)) => {
                refuse_registered(guest_name, &is_registered)?;
                Ok(Author::Relayed {
                    name: guest_name,
                    via: relay.via,
                    color: relay.color,
                })
            }
            (Caller::Account(account), None) => Ok(Author::Account(account)),
            (Caller::Guest, None) => {
                refuse_registered(guest_name, &is_registered)?;
                Ok(Author::Guest(guest_name))
            }
        }
    }
}

/// The role of `caller` in a room with `policy`.
pub fn role_of(policy: Option<&RoomPolicy>, caller: &Caller, is_admin: bool) -> Role {
    let Caller::Account(account) = caller else {
        return Role::Guest;
    };
    // A DM is its two accounts' alone, admins' included.
    if is_admin && policy.is_none_or(|p| p.visibility != Visibility::Dm) {
        return Role::Admin;
    }
    let Some(policy) = policy else {
        return Role::Account;
    };
    if policy.is_owner(account.id) {
        Role::Owner
    } else if policy.moderators.contains_key(&account.id) {
        Role::Moderator
    } else if policy.members.contains_key(&account.id) {
        Role::Member
    } else {
        Role::Account
    }
}

/// What the room says to `caller` wanting `action`, at unix time `now`:
/// its role when allowed. A hidden room (private, DM) is 404 to anyone
/// not in it, whatever they ask: its existence does not leak.
pub fn decide(
    policy: Option<&RoomPolicy>,
    room: &RoomName,
    caller: &Caller,
    is_admin: bool,
    action: Action,
    now: i64,
    require_login: bool,
) -> Result<Role, Error> {
    // A DM's name is reserved before the DM exists, and is no admin's
    // then either.
    let unborn_dm = policy.is_none() && room.as_str().starts_with(DM_PREFIX);
    let role = role_of(policy, caller, is_admin && !unborn_dm);
    let hidden = policy.map_or(room.as_str().starts_with(DM_PREFIX), RoomPolicy::is_hidden);
    if hidden && role < Role::Member {
        return Err(not_found(room));
    }
    let account_id = match caller {
        Caller::Account(a) => Some(a.id),
        Caller::Guest => None,
    };
    if let (Some(policy), Some(id)) = (policy, account_id)
        && role < Role::Owner
        && let Some(ban) = policy.bans.get(&id)
    {
        return Err(Error::new(
            ErrorKind::Forbidden,
            format!("you are banned from #{room}{}", because(&ban.reason)),
        )
        .with_code("banned")
        .with_sanction(ban.reason.clone(), None));
    }
    let policy_or_default = policy.cloned().unwrap_or_else(|| RoomPolicy {
        guests_read: true,
        ..RoomPolicy::default()
    });
    let policy = &policy_or_default;
    match action {
        Action::Read => {
            if role == Role::Guest && !policy.guests_read {
                return Err(Error::new(
                    ErrorKind::LoginRequired,
                    format!("log in to read #{room}"),
                ));
            }
        }
        Action::Write => {
            if role == Role::Guest && require_login {
                return Err(Error::new(ErrorKind::LoginRequired, LOGIN_REQUIRED));
            }
            // A timeout holds for moderators too: only those in charge
            // of the room (owner, admins) give them, and are above them.
            if role < Role::Owner
                && let Some(id) = account_id
                && let Some(timeout) = policy.timeout_of(id, now)
            {
                let until = timeout
                    .until
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .unwrap_or_default();
                return Err(Error::new(
                    ErrorKind::Forbidden,
                    format!(
                        "you are timed out in #{room} until {} UTC{}",
                        until.format("%Y-%m-%d %H:%M:%S"),
                        because(&timeout.reason)
                    ),
                )
                .with_code("timed_out")
                .with_sanction(
                    timeout.reason.clone(),
                    Some(until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                ));
            }
            if role >= Role::Moderator {
                return Ok(role);
            }
            if policy.locked {
                return Err(Error::new(
                    ErrorKind::Forbidden,
                    format!("#{room} is locked: only its moderators can post"),
                )
                .with_code("locked"));
            }
            match policy.post {
                PostPolicy::Everyone => {}
                PostPolicy::Accounts if role == Role::Guest => {
                    return Err(Error::new(
                        ErrorKind::LoginRequired,
                        format!("#{room} takes messages from accounts only: log in to post"),
                    ));
                }
                PostPolicy::Accounts => {}
                PostPolicy::Members if role < Role::Member => {
                    return Err(Error::new(
                        ErrorKind::Forbidden,
                        format!("only members of #{room} can post in it"),
                    )
                    .with_code("members_only"));
                }
                PostPolicy::Members => {}
            }
        }
        Action::Moderate if role < Role::Moderator => {
            return Err(Error::new(
                ErrorKind::Forbidden,
                format!("only the moderators of #{room} can do this"),
            ));
        }
        Action::Own if role < Role::Owner => {
            return Err(Error::new(
                ErrorKind::Forbidden,
                format!("only the owner of #{room} (or a server admin) can do this"),
            ));
        }
        Action::Moderate | Action::Own => {}
    }
    Ok(role)
}

fn because(reason: &Option<String>) -> String {
    match reason {
        Some(reason) if !reason.is_empty() => format!(": {reason}"),
        _ => String::new(),
    }
}

/// The answer for a room the caller may not know of; the same as for
/// anything else that is not there.
pub fn not_found(room: &RoomName) -> Error {
    Error::new(ErrorKind::NotFound, format!("there is no room #{room}")).with_code("no_such_room")
}

/// A name that is, or looks like, a registered one is refused to anyone
/// but its account.
fn refuse_registered(name: &str, is_registered: impl Fn(&str) -> bool) -> Result<(), Error> {
    // A bad name is the message rules' error to explain; a good one must
    // not be somebody's account.
    match checked_name(name) {
        Ok(name) if is_registered(name) => Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "the name \"{name}\" belongs to a registered account; log in to use it, or pick another name"
            ),
        )
        .with_code("name_taken")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room_policy::{Person, StoredSanction};

    fn account(id: i64, name: &str) -> Caller {
        Caller::Account(Account {
            id,
            name: name.into(),
            appearance: Default::default(),
            session_epoch: 0,
        })
    }

    fn open(require_login: bool) -> Access {
        Access {
            require_login,
            admins: Arc::default(),
            policies: None,
        }
    }

    #[test]
    fn guests_write_only_where_no_login_is_required() {
        let room = RoomName::parse("general").unwrap();
        assert!(
            open(false)
                .check(&Caller::Guest, Action::Write, &room)
                .is_ok()
        );
        let refused = open(true)
            .check(&Caller::Guest, Action::Write, &room)
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::LoginRequired);
        assert!(
            open(true)
                .check(&Caller::Guest, Action::Read, &room)
                .is_ok()
        );
    }

    /// (caller, action) → status, for each kind of room: the rule alone;
    /// the server's integration test asks the same through every path.
    #[test]
    fn the_rule_for_every_kind_of_caller_and_room() {
        let room = RoomName::parse("team").unwrap();
        let (owner, moderator, member, outsider) = (
            account(1, "olga"),
            account(2, "mo"),
            account(3, "mia"),
            account(4, "otto"),
        );
        let private = RoomPolicy {
            visibility: Visibility::Private,
            owner: Some(Person {
                id: 1,
                name: "olga".into(),
            }),
            moderators: [(2, "mo".to_owned())].into(),
            members: [(1, "olga".to_owned()), (3, "mia".to_owned())].into(),
            guests_read: true,
            ..RoomPolicy::default()
        };
        let status = |policy: Option<&RoomPolicy>, caller: &Caller, action| {
            decide(policy, &room, caller, false, action, 0, false)
                .map(|_| 200)
                .unwrap_or_else(|e| e.kind().http_status())
        };
        use Action::*;
        for (caller, expected) in [
            (&owner, [200, 200, 200, 200]),
            (&moderator, [200, 200, 200, 403]),
            (&member, [200, 200, 403, 403]),
            (&outsider, [404, 404, 404, 404]),
            (&Caller::Guest, [404, 404, 404, 404]),
        ] {
            let got = [Read, Write, Moderate, Own].map(|a| status(Some(&private), caller, a));
            assert_eq!(got, expected, "private room, {caller:?}");
        }
        let public = RoomPolicy {
            visibility: Visibility::Public,
            ..private.clone()
        };
        for (caller, expected) in [
            (&member, [200, 200, 403, 403]),
            (&outsider, [200, 200, 403, 403]),
            (&Caller::Guest, [200, 200, 403, 403]),
        ] {
            let got = [Read, Write, Moderate, Own].map(|a| status(Some(&public), caller, a));
            assert_eq!(got, expected, "public room, {caller:?}");
        }
        // No policy: a room from before owners; only admins are in charge.
        assert_eq!(status(None, &outsider, Moderate), 403);
        assert!(decide(None, &room, &outsider, true, Own, 0, false).is_ok());
        // A DM's name is not a public room before the DM exists.
        let dm = RoomName::parse("dm-1-2").unwrap();
        let unborn = decide(None, &dm, &outsider, false, Read, 0, false).unwrap_err();
        assert_eq!(unborn.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn settings_and_sanctions_limit_posting_but_not_moderators() {
        let room = RoomName::parse("stream").unwrap();
        let (moderator, member, outsider) =
            (account(2, "mo"), account(3, "mia"), account(4, "otto"));
        let base = RoomPolicy {
            moderators: [(2, "mo".to_owned())].into(),
            members: [(3, "mia".to_owned())].into(),
            guests_read: true,
            ..RoomPolicy::default()
        };
        let write = |policy: &RoomPolicy, caller: &Caller| {
            decide(
                Some(policy),
                &room,
                caller,
                false,
                Action::Write,
                100,
                false,
            )
        };
        let locked = RoomPolicy {
            locked: true,
            ..base.clone()
        };
        assert_eq!(
            write(&locked, &member).unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        assert!(write(&locked, &moderator).is_ok());
        let accounts_only = RoomPolicy {
            post: PostPolicy::Accounts,
            ..base.clone()
        };
        assert_eq!(
            write(&accounts_only, &Caller::Guest).unwrap_err().kind(),
            ErrorKind::LoginRequired
        );
        assert!(write(&accounts_only, &outsider).is_ok());
        let members_only = RoomPolicy {
            post: PostPolicy::Members,
            ..base.clone()
        };
        assert_eq!(
            write(&members_only, &outsider).unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        assert!(write(&members_only, &member).is_ok());
        let no_guests = RoomPolicy {
            guests_read: false,
            ..base.clone()
        };
        let read = decide(
            Some(&no_guests),
            &room,
            &Caller::Guest,
            false,
            Action::Read,
            0,
            false,
        );
        assert_eq!(read.unwrap_err().kind(), ErrorKind::LoginRequired);

        let sanction = |until| StoredSanction {
            name: "mia".into(),
            until,
            reason: Some("spam".into()),
            by: "mo".into(),
        };
        let timed_out = RoomPolicy {
            timeouts: [(3, sanction(Some(160)))].into(),
            ..base.clone()
        };
        let refused = write(&timed_out, &member).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
        assert_eq!(refused.sanction_reason(), Some("spam"));
        assert_eq!(refused.sanction_until(), Some("1970-01-01T00:02:40Z"));
        assert!(
            refused
                .message()
                .contains("until 1970-01-01 00:02:40 UTC: spam")
        );
        // Over by itself once the time has come.
        assert!(
            decide(
                Some(&timed_out),
                &room,
                &member,
                false,
                Action::Write,
                160,
                false
            )
            .is_ok()
        );
        let banned = RoomPolicy {
            bans: [(3, sanction(None))].into(),
            ..base
        };
        let read = decide(Some(&banned), &room, &member, false, Action::Read, 0, false);
        assert_eq!(read.unwrap_err().kind(), ErrorKind::Forbidden);
    }

    #[test]
    fn a_guest_cannot_take_a_registered_name() {
        let access = open(false);
        let taken = access
            .author(&Caller::Guest, " Alice ", None, |n| {
                n.eq_ignore_ascii_case("alice")
            })
            .unwrap_err();
        assert_eq!(taken.kind(), ErrorKind::Conflict);
        assert!(matches!(
            access.author(&Caller::Guest, "bob", None, |_| false),
            Ok(Author::Guest("bob"))
        ));
    }
}
