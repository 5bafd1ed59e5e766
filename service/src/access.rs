//! Who is asking and what they may do: the identity a session cookie or an
//! API token stands for, the author a message gets, and the one rule every
//! transport asks before it reads or writes a room.

use crate::Error;
use crate::accounts::Account;
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
}

impl Identity {
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
    /// guest under a name that no account has registered.
    pub fn author<'a>(
        &self,
        caller: &'a Caller,
        guest_name: &'a str,
        is_registered: impl Fn(&str) -> bool,
    ) -> Result<Author<'a>, Error> {
        match caller {
            Caller::Account(account) => Ok(Author::Account(account)),
            Caller::Guest => {
                // A bad name is the message rules' error to explain; a good
                // one must not be somebody's account.
                if let Ok(name) = checked_name(guest_name)
                    && is_registered(name)
                {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "the name \"{name}\" belongs to a registered account; log in to use it, or pick another name"
                        ),
                    )
                    .with_code("name_taken"));
                }
                Ok(Author::Guest(guest_name))
            }
        }
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
            .author(&Caller::Guest, " Alice ", |n| {
                n.eq_ignore_ascii_case("alice")
            })
            .unwrap_err();
        assert_eq!(taken.kind(), ErrorKind::Conflict);
        assert!(matches!(
            access.author(&Caller::Guest, "bob", |_| false),
            Ok(Author::Guest("bob"))
        ));
    }
}
