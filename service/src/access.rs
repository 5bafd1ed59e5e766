//! Who is asking and what they may do: the identity a session cookie or an
//! API token stands for, the author a message gets, and the one rule every
//! transport asks before it reads or writes a room.

use crate::Error;
use crate::accounts::Account;
use crate::chat::Relay;
use crate::limits::SenderKey;
use crate::room_log::Author;
use model::ErrorKind;
use model::message::checked_name;
use model::room::RoomName;

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
}

/// Characters a guest key has (letters, digits, `-`, `_`).
pub const GUEST_KEY_CHARS: std::ops::RangeInclusive<usize> = 16..=64;

impl Identity {
    /// The same identity, holding the guest key `raw` when it is one.
    pub fn with_guest_key(mut self, raw: Option<&str>) -> Self {
        use sha2::Digest;
        self.guest_key = raw
            .filter(|raw| {
                model::alphabet::is_plain(raw, *GUEST_KEY_CHARS.start(), *GUEST_KEY_CHARS.end())
            })
            .map(|raw| {
                sha2::Sha256::digest(raw.as_bytes())[..16]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            });
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
    Read,
    Write,
}

/// The access rules of this server.
#[derive(Clone, Debug)]
pub struct Access {
    /// Guests may read but not write.
    pub require_login: bool,
}

pub const LOGIN_REQUIRED: &str = "log in to write in this chat";

impl Access {
    /// May this caller do `action` in `room`? Every transport asks this.
    pub fn check(&self, caller: &Caller, action: Action, _room: &RoomName) -> Result<(), Error> {
        match (action, caller) {
            (Action::Write, Caller::Guest) if self.require_login => {
                Err(Error::new(ErrorKind::LoginRequired, LOGIN_REQUIRED))
            }
            _ => Ok(()),
        }
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

    #[test]
    fn guests_write_only_where_no_login_is_required() {
        let room = RoomName::parse("general").unwrap();
        let open = Access {
            require_login: false,
        };
        let closed = Access {
            require_login: true,
        };
        assert!(open.check(&Caller::Guest, Action::Write, &room).is_ok());
        let refused = closed
            .check(&Caller::Guest, Action::Write, &room)
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::LoginRequired);
        assert!(closed.check(&Caller::Guest, Action::Read, &room).is_ok());
    }

    #[test]
    fn a_guest_cannot_take_a_registered_name() {
        let access = Access {
            require_login: false,
        };
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
