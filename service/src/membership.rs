//! Who is in a room: its members and moderators, and the invite links
//! that let accounts join a private room.

use crate::Error;
use crate::access::{Action, Identity, Role, hex_digest};
use crate::chat::Chat;
use crate::conversation::actor_name;
use crate::room_policy::{StoredInvite, rfc3339};
use model::ErrorKind;
use model::room::RoomName;
use model::room_policy::{
    INVITE_DEFAULT_S, Invite, MAX_INVITE_S, Member, ModActionKind, NewInvite, RoomInfo, Visibility,
};

fn token_digest(token: &str) -> String {
    hex_digest(token, 32)
}

fn invalid_invite() -> Error {
    Error::new(
        ErrorKind::NotFound,
        "this invite link is not valid (it may have expired)",
    )
    .with_code("invalid_invite")
}

impl Chat {
    /// The room's owner, moderators and members (for anyone who may read
    /// it).
    pub fn members(&self, identity: &Identity, room: &RoomName) -> Result<Vec<Member>, Error> {
        let standing = self.check(identity, Action::Read, room)?;
        let Some(policy) = standing.policy else {
            return Ok(Vec::new());
        };
        // Each person once, under their highest role, highest first.
        let owner = policy.owner.iter().map(|o| (o.id, &o.name, Role::Owner));
        let moderators = policy
            .moderators
            .iter()
            .map(|(id, n)| (*id, n, Role::Moderator));
        let members = policy.members.iter().map(|(id, n)| (*id, n, Role::Member));
        let mut seen = std::collections::HashSet::new();
        Ok(owner
            .chain(moderators)
            .chain(members)
            .filter(|(id, _, _)| seen.insert(*id))
            .map(|(_, name, role)| Member {
                name: name.clone(),
                role: role.as_str().into(),
            })
            .collect())
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
        // Removing a moderator takes their rights: the owner's to do.
        let target_role = self.role_in(&standing, &account);
        if !on && !leaving && target_role != Role::Owner {
            crate::moderation::check_outranks(
                room,
                standing.role,
                &account.name,
                target_role,
                "removed",
            )?;
        }
        self.inner
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
        let what = if on {
            ModActionKind::AddMember
        } else {
            ModActionKind::RemoveMember
        };
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
            ModActionKind::AddModerator
        } else {
            ModActionKind::RemoveModerator
        };
        self.log_action(room, identity, what, Some(account.name), |_| {})
            .await;
        Ok(())
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
            .find(|(_, policy)| policy.has_invite(&digest, now))
            .and_then(|(room, _)| RoomName::parse(&room).ok())
            .ok_or_else(invalid_invite)
    }

    /// Joins the room of an invite link.
    pub async fn join(&self, identity: &Identity, token: &str) -> Result<RoomInfo, Error> {
        let account = Self::account_of(identity, "join a room")?;
        let room = self.invite_room(token)?;
        let digest = token_digest(token);
        self.inner
            .policies
            .modify(&room, |policy| {
                if !policy.has_invite(&digest, chrono::Utc::now().timestamp()) {
                    return Err(invalid_invite());
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
        self.log_action(
            &room,
            identity,
            ModActionKind::Join,
            Some(account.name.clone()),
            |_| {},
        )
        .await;
        self.room_info(identity, &room)
    }
}
