//! Rooms with owners: making a room (public, private, or a DM), its
//! settings, its members and moderators, invite links, and what the room
//! list shows of each room to whom.

use crate::Error;
use crate::access::{Action, Identity, Role, Standing, role_of};
use crate::accounts::Account;
use crate::chat::Chat;
use crate::conversation::actor_name;
use crate::room_log::now;
use crate::room_policy::{Person, RoomPolicy, StoredInvite, rfc3339};
use model::ErrorKind;
use model::room::{RoomName, RoomPage, RoomSummary};
use model::room_policy::{
    DM_PREFIX, INVITE_DEFAULT_S, Invite, MAX_INVITE_S, MAX_REASON_CHARS, MAX_SLOW_MODE_S,
    MAX_TOPIC_CHARS, Member, ModAction, NewInvite, NewRoom, RoomChanges, RoomInfo, Visibility,
    YourStanding,
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
    Ok(text.to_owned())
}

pub(crate) fn checked_reason(reason: Option<&str>) -> Result<Option<String>, Error> {
    reason
        .map(|r| checked_text("reason", r, MAX_REASON_CHARS))
        .transpose()
        .map(|r| r.filter(|r| !r.is_empty()))
}

fn token_digest(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Chat {
    fn account_of<'a>(identity: &'a Identity, what: &str) -> Result<&'a Account, Error> {
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
            dm_with: (policy.visibility == Visibility::Dm)
                .then(|| {
                    policy
                        .members
                        .iter()
                        .find(|(id, _)| Some(**id) != me)
                        .map(|(_, name)| name.clone())
                })
                .flatten(),
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
        if self.inner.policies.create(&room, policy).await?.is_none() {
            return Err(taken());
        }
        self.log_action(&room, identity, "create", None, |_| {})
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
        self.log_action(room, identity, "settings", None, |action| {
            action.changes = Some(changes.clone());
        })
        .await;
        self.room_info(identity, room)
    }

    /// The room's owner, moderators and members (for anyone who may read
    /// it).
    pub fn members(&self, identity: &Identity, room: &RoomName) -> Result<Vec<Member>, Error> {
        let standing = self.check(identity, Action::Read, room)?;
        let Some(policy) = standing.policy else {
            return Ok(Vec::new());
        };
        let mut people = Vec::new();
        if let Some(owner) = &policy.owner {
            people.push(Member {
                name: owner.name.clone(),
                role: "owner".into(),
            });
        }
        let owner_id = policy.owner.as_ref().map(|o| o.id);
        for (id, name) in &policy.moderators {
            if Some(*id) != owner_id {
                people.push(Member {
                    name: name.clone(),
                    role: "moderator".into(),
                });
            }
        }
        for (id, name) in &policy.members {
            if Some(*id) != owner_id && !policy.moderators.contains_key(id) {
                people.push(Member {
                    name: name.clone(),
                    role: "member".into(),
                });
            }
        }
        Ok(people)
    }

    /// Adds (`on`) or removes a member (moderators; anyone may leave).
    /// A removed member's open sockets close at once.
    pub async fn set_member(
        &self,
        identity: &Identity,
        room: &RoomName,
        name: &str,
        on: bool,
    ) -> Result<(), Error> {
        let leaving = !on
            && identity
                .account()
                .is_some_and(|a| a.name.eq_ignore_ascii_case(name.trim()));
        let standing = self.check(
            identity,
            if leaving {
                Action::Read
            } else {
                Action::Moderate
            },
            room,
        )?;
        if standing
            .policy
            .as_ref()
            .is_some_and(|p| p.visibility == Visibility::Dm)
        {
            return Err(Error::bad_input(
                "a direct message has its two accounts, no others",
            ));
        }
        let account = self.named_account(name).await?;
        let ((), _) = self
            .inner
            .policies
            .modify(room, |policy| {
                if on {
                    if policy.bans.contains_key(&account.id) {
                        return Err(Error::new(
                            ErrorKind::Conflict,
                            format!("{} is banned from #{room}; unban first", account.name),
                        ));
                    }
                    policy.members.insert(account.id, account.name.clone());
                } else {
                    if policy.is_owner(account.id) {
                        return Err(Error::bad_input("the owner cannot be removed"));
                    }
                    policy.members.remove(&account.id);
                    policy.moderators.remove(&account.id);
                }
                Ok(())
            })
            .await?;
        let what = if on { "add_member" } else { "remove_member" };
        self.log_action(room, identity, what, Some(account.name), |_| {})
            .await;
        Ok(())
    }

    /// Names (`on`) or un-names a moderator (the owner, or an admin).
    pub async fn set_moderator(
        &self,
        identity: &Identity,
        room: &RoomName,
        name: &str,
        on: bool,
    ) -> Result<(), Error> {
        self.check(identity, Action::Own, room)?;
        let account = self.named_account(name).await?;
        self.inner
            .policies
            .modify(room, |policy| {
                if on {
                    policy.bans.remove(&account.id);
                    policy.members.insert(account.id, account.name.clone());
                    policy.moderators.insert(account.id, account.name.clone());
                } else {
                    policy.moderators.remove(&account.id);
                }
                Ok(())
            })
            .await?;
        let what = if on {
            "add_moderator"
        } else {
            "remove_moderator"
        };
        self.log_action(room, identity, what, Some(account.name), |_| {})
            .await;
        Ok(())
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
        self.log_action(room, identity, "claim", Some(account.name), |_| {})
            .await;
        self.room_info(identity, room)
    }

    /// An invite link to the room (moderators).
    pub async fn create_invite(
        &self,
        identity: &Identity,
        room: &RoomName,
        new: &NewInvite,
    ) -> Result<Invite, Error> {
        self.check(identity, Action::Moderate, room)?;
        let lasts = new.expires_s.unwrap_or(INVITE_DEFAULT_S);
        if !(60..=MAX_INVITE_S).contains(&lasts) {
            return Err(Error::bad_input(format!(
                "expires_s is 60 to {MAX_INVITE_S} (30 days)"
            )));
        }
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let expires = chrono::Utc::now().timestamp() + lasts as i64;
        let by = actor_name(identity);
        let digest = token_digest(&token);
        self.inner
            .policies
            .modify(room, |policy| {
                policy.invites.push(StoredInvite {
                    digest: digest.clone(),
                    expires,
                    by: by.clone(),
                });
                Ok(())
            })
            .await?;
        Ok(Invite {
            room: room.to_string(),
            url: format!("/invite/{token}"),
            token,
            expires_at: rfc3339(expires),
        })
    }

    /// The room an invite token leads to, while it lasts.
    pub fn invite_room(&self, token: &str) -> Result<RoomName, Error> {
        let digest = token_digest(token);
        let now = chrono::Utc::now().timestamp();
        self.inner
            .policies
            .all()
            .into_iter()
            .find(|(_, policy)| {
                policy
                    .invites
                    .iter()
                    .any(|i| i.digest == digest && i.expires > now)
            })
            .and_then(|(room, _)| RoomName::parse(&room).ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    "this invite link is not valid (it may have expired)",
                )
            })
    }

    /// Joins the room of an invite link.
    pub async fn join(&self, identity: &Identity, token: &str) -> Result<RoomInfo, Error> {
        let account = Self::account_of(identity, "join a room")?;
        let room = self.invite_room(token)?;
        let digest = token_digest(token);
        self.inner
            .policies
            .modify(&room, |policy| {
                let now = chrono::Utc::now().timestamp();
                if !policy
                    .invites
                    .iter()
                    .any(|i| i.digest == digest && i.expires > now)
                {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        "this invite link is not valid (it may have expired)",
                    ));
                }
                if let Some(ban) = policy.bans.get(&account.id) {
                    return Err(Error::new(
                        ErrorKind::Forbidden,
                        format!("you are banned from #{room}"),
                    )
                    .with_sanction(ban.reason.clone(), None));
                }
                policy.members.insert(account.id, account.name.clone());
                Ok(())
            })
            .await?;
        self.log_action(&room, identity, "join", Some(account.name.clone()), |_| {})
            .await;
        self.room_info(identity, &room)
    }

    /// The DM room of the caller and `name`: made on the first call, the
    /// same room for both whoever calls first.
    pub async fn open_dm(&self, identity: &Identity, name: &str) -> Result<RoomInfo, Error> {
        let me = Self::account_of(identity, "send direct messages")?;
        let other = self.named_account(name).await?;
        if other.id == me.id {
            return Err(Error::bad_input("a direct message needs another account"));
        }
        let (low, high) = if me.id < other.id {
            (me, &other)
        } else {
            (&other, me)
        };
        let room = RoomName::parse(&format!("{DM_PREFIX}{}-{}", low.id, high.id))?;
        if self.inner.policies.get(room.as_str()).is_none() {
            let policy = RoomPolicy {
                visibility: Visibility::Dm,
                members: [(low.id, low.name.clone()), (high.id, high.name.clone())].into(),
                guests_read: false,
                ..RoomPolicy::default()
            };
            // Made by the other side meanwhile: theirs is the same room.
            self.inner.policies.create(&room, policy).await?;
        }
        self.room_info(identity, &room)
    }

    /// Keeps the rooms of a list page the viewer may see, marking private
    /// rooms and DMs. Memory only.
    pub(crate) fn list_for(&self, viewer: &Identity, page: &mut RoomPage) {
        page.rooms
            .retain_mut(|summary| self.describe(viewer, summary));
    }

    /// Whether the room list shows `summary` to the viewer, with what it
    /// is. A hidden room shows to the people in it (not to an admin who
    /// merely may enter).
    fn describe(&self, viewer: &Identity, summary: &mut RoomSummary) -> bool {
        let Ok(room) = RoomName::parse(&summary.name) else {
            return false;
        };
        let Ok(standing) = self.check(viewer, Action::Read, &room) else {
            return false;
        };
        let Some(policy) = standing.policy else {
            return true;
        };
        if policy.is_hidden() {
            let role = role_of(Some(&policy), &viewer.caller, false);
            if role < Role::Member {
                return false;
            }
            summary.visibility = Some(policy.visibility);
        }
        if policy.visibility == Visibility::Dm {
            let me = viewer.account().map(|a| a.id);
            summary.dm_with = policy
                .members
                .iter()
                .find(|(id, _)| Some(**id) != me)
                .map(|(_, name)| name.clone());
        }
        true
    }

    /// Rooms with rules but no messages yet (made, or a new DM) that the
    /// viewer would see: the lobby lists them after the rest.
    pub(crate) fn add_quiet_rooms_of(&self, viewer: &Identity, page: &mut RoomPage) {
        let mut quiet: Vec<RoomSummary> = self
            .inner
            .policies
            .all()
            .into_iter()
            .filter(|(room, _)| self.inner.rooms.count_of(room) == 0)
            .filter_map(|(room, _)| {
                let mut summary = RoomSummary {
                    name: room,
                    ..RoomSummary::default()
                };
                self.describe(viewer, &mut summary).then_some(summary)
            })
            .collect();
        quiet.sort_by(|a, b| a.name.cmp(&b.name));
        page.rooms.extend(quiet);
    }

    /// Writes a moderation entry; the change it records is made already,
    /// so a failure here is logged, not returned.
    pub(crate) async fn log_action(
        &self,
        room: &RoomName,
        identity: &Identity,
        what: &str,
        target: Option<String>,
        fill: impl FnOnce(&mut ModAction),
    ) {
        let mut action = ModAction {
            action: what.into(),
            by: actor_name(identity),
            target,
            ts: now(),
            ..ModAction::default()
        };
        fill(&mut action);
        if let Err(e) = self.inner.log.publish_mod_action(room, &action).await {
            tracing::warn!(%room, error = %e, "writing a moderation entry");
        }
    }
}
