//! Rooms with owners: making a room, reading and changing its settings,
//! giving it an owner; and the access rule as the transports ask it.

use crate::Error;
use crate::access::{Action, Identity, Standing};
use crate::accounts::Account;
use crate::chat::Chat;
use crate::room_policy::{Person, RoomPolicy};
use model::ErrorKind;
use model::room::RoomName;
use model::room_policy::{
    DM_PREFIX, MAX_REASON_CHARS, MAX_SLOW_MODE_S, MAX_TOPIC_CHARS, ModActionKind, NewRoom,
    RoomChanges, RoomInfo, Visibility, YourStanding,
};

fn login_needed(what: &str) -> Error {
    Error::new(ErrorKind::LoginRequired, format!("log in to {what}"))
}

/// A short text of at most `max` characters without control characters.
pub(crate) fn checked_text(field: &str, text: &str, max: usize) -> Result<String, Error> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(Error::bad_input(format!(
            "{field} is at most {max} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::bad_input(format!(
            "{field} cannot hold control characters"
        )));
    }
    // Shown to everyone beside other text: nothing in it may reorder what
    // surrounds it or hide itself.
    if let Some(c) = text.chars().find(|c| model::message::is_hidden_in_text(*c)) {
        return Err(Error::bad_input(format!(
            "{field} cannot hold invisible or direction-changing characters (U+{:04X})",
            c as u32
        ))
        .with_code("invisible_chars"));
    }
    Ok(text.to_owned())
}

pub(crate) fn checked_reason(reason: Option<&str>) -> Result<Option<String>, Error> {
    reason
        .map(|r| checked_text("reason", r, MAX_REASON_CHARS))
        .transpose()
        .map(|r| r.filter(|r| !r.is_empty()))
}

impl Chat {
    pub(crate) fn account_of<'a>(identity: &'a Identity, what: &str) -> Result<&'a Account, Error> {
        identity.account().ok_or_else(|| login_needed(what))
    }

    /// The account called `name`; 404 when there is none.
    pub(crate) async fn named_account(&self, name: &str) -> Result<Account, Error> {
        self.inner.accounts.by_name(name).await?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("there is no account named \"{}\"", name.trim()),
            )
        })
    }

    /// May the caller do `action` in `room`? The one rule, for transports
    /// that need the answer without doing anything else (a page, a socket
    /// that re-checks after a change).
    pub fn check(
        &self,
        identity: &Identity,
        action: Action,
        room: &RoomName,
    ) -> Result<Standing, Error> {
        self.inner.access.check(&identity.caller, action, room)
    }

    /// Rooms whose rules changed, on any instance: open sockets ask the
    /// rule again.
    pub fn room_changes(&self) -> tokio::sync::broadcast::Receiver<RoomName> {
        self.inner.policies.changes()
    }

    /// The room's settings and people in charge, and the caller's place.
    pub fn room_info(&self, identity: &Identity, room: &RoomName) -> Result<RoomInfo, Error> {
        let standing = self.check(identity, Action::Read, room)?;
        Ok(self.info_of(identity, room, &standing))
    }

    fn info_of(&self, identity: &Identity, room: &RoomName, standing: &Standing) -> RoomInfo {
        let policy = standing
            .policy
            .as_deref()
            .cloned()
            .unwrap_or_else(|| RoomPolicy {
                guests_read: true,
                ..RoomPolicy::default()
            });
        let me = identity.account().map(|a| a.id);
        let cannot_post = self.check(identity, Action::Write, room).err();
        RoomInfo {
            name: room.to_string(),
            visibility: policy.visibility,
            topic: policy.topic.clone(),
            owner: policy.owner.as_ref().map(|o| o.name.clone()),
            moderators: policy.moderators.values().cloned().collect(),
            post: policy.post,
            slow_mode_s: policy.slow_mode_s,
            locked: policy.locked,
            guests_read: policy.guests_read,
            dm_with: policy.dm_partner(me).map(str::to_owned),
            you: YourStanding {
                role: standing.role.as_str().into(),
                moderator: standing.is_moderator(),
                until: cannot_post
                    .as_ref()
                    .and_then(|e| e.sanction_until().map(str::to_owned)),
                cannot_post: cannot_post.map(|e| e.message().to_owned()),
            },
        }
    }

    /// Makes a room owned by the caller: 409 when the name is in use
    /// (a room with messages, a default room, a room made before).
    pub async fn create_room(&self, identity: &Identity, new: &NewRoom) -> Result<RoomInfo, Error> {
        let account = Self::account_of(identity, "make a room")?;
        let room = RoomName::parse(new.name.trim())?;
        if room.as_str().starts_with(DM_PREFIX) {
            return Err(Error::bad_input(format!(
                "room names starting with \"{DM_PREFIX}\" are kept for direct messages"
            )));
        }
        if new.visibility == Visibility::Dm {
            return Err(Error::bad_input(
                "a direct message is opened with POST /api/dms/{name}",
            ));
        }
        let topic = checked_text("topic", new.topic.as_deref().unwrap_or(""), MAX_TOPIC_CHARS)?;
        let taken = || {
            Error::new(
                ErrorKind::Conflict,
                format!("a room named #{room} exists already"),
            )
            .with_code("room_exists")
        };
        if self.inner.rooms.count_of(room.as_str()) > 0
            || self.inner.default_rooms.contains(&room)
            || self.inner.policies.get(room.as_str()).is_some()
        {
            return Err(taken());
        }
        // Counted once the name is known to be free: a refusal spends nothing.
        self.spend_new_room(identity)?;
        let me = Person {
            id: account.id,
            name: account.name.clone(),
        };
        let policy = RoomPolicy {
            visibility: new.visibility,
            topic,
            members: [(me.id, me.name.clone())].into(),
            owner: Some(me),
            guests_read: true,
            ..RoomPolicy::default()
        };
        if !self.inner.policies.create(&room, policy).await? {
            return Err(taken());
        }
        self.log_action(&room, identity, ModActionKind::Create, None, |_| {})
            .await;
        self.room_info(identity, &room)
    }

    /// Changes the room's settings (moderators).
    pub async fn change_room(
        &self,
        identity: &Identity,
        room: &RoomName,
        changes: &RoomChanges,
    ) -> Result<RoomInfo, Error> {
        self.check(identity, Action::Moderate, room)?;
        let topic = changes
            .topic
            .as_deref()
            .map(|t| checked_text("topic", t, MAX_TOPIC_CHARS))
            .transpose()?;
        if changes.slow_mode_s.is_some_and(|s| s > MAX_SLOW_MODE_S) {
            return Err(Error::bad_input(format!(
                "slow_mode_s is 0 (off) to {MAX_SLOW_MODE_S} (6 hours)"
            )));
        }
        if changes == &RoomChanges::default() {
            return Err(Error::new(
                ErrorKind::Unprocessable,
                "nothing to change: give topic, post, slow_mode_s, locked or guests_read",
            ));
        }
        self.inner
            .policies
            .modify(room, |policy| {
                if let Some(topic) = &topic {
                    policy.topic = topic.clone();
                }
                if let Some(post) = changes.post {
                    policy.post = post;
                }
                if let Some(slow) = changes.slow_mode_s {
                    policy.slow_mode_s = slow;
                }
                if let Some(locked) = changes.locked {
                    policy.locked = locked;
                }
                if let Some(guests_read) = changes.guests_read {
                    policy.guests_read = guests_read;
                }
                Ok(())
            })
            .await?;
        self.log_action(room, identity, ModActionKind::Settings, None, |action| {
            action.changes = Some(changes.clone());
        })
        .await;
        self.room_info(identity, room)
    }

    /// Gives the room to `name` (server admins: how a room from before
    /// owners, or made by a guest, gets one).
    pub async fn set_owner(
        &self,
        identity: &Identity,
        room: &RoomName,
        name: &str,
    ) -> Result<RoomInfo, Error> {
        if !self.inner.access.is_admin(&identity.caller) {
            self.check(identity, Action::Read, room)?;
            return Err(Error::new(
                ErrorKind::Forbidden,
                "only a server admin (CHAT_ADMINS) can give a room its owner",
            ));
        }
        // A DM is its two accounts' alone: no one owns it, and a DM's name
        // never becomes a room of its own.
        if room.as_str().starts_with(DM_PREFIX) {
            return Err(Error::new(
                ErrorKind::Forbidden,
                "a direct message has no owner and cannot be claimed",
            )
            .with_code("direct_message"));
        }
        let account = self.named_account(name).await?;
        self.inner
            .policies
            .modify(room, |policy| {
                policy.members.insert(account.id, account.name.clone());
                policy.owner = Some(Person {
                    id: account.id,
                    name: account.name.clone(),
                });
                Ok(())
            })
            .await?;
        self.log_action(
            room,
            identity,
            ModActionKind::Claim,
            Some(account.name),
            |_| {},
        )
        .await;
        self.room_info(identity, room)
    }
}
