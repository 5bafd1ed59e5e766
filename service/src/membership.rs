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
    INVITE_DEFAULT_S, Invite, InviteSummary, MAX_INVITE_S, MAX_INVITE_USES, MAX_INVITES_PER_ROOM,
    Member, ModActionKind, NewInvite, RoomInfo, Visibility,
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
        if leaving {
            self.spend_membership_change(account.id, room)?;
        }
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
                    policy.removed.remove(&account.id);
                } else {
                    if policy.is_owner(account.id) {
                        return Err(Error::bad_input("the owner cannot be removed"));
                    }
                    policy.members.remove(&account.id);
                    policy.moderators.remove(&account.id);
                    // Leaving on one's own is no removal: an invite may
                    // bring them back.
                    if !leaving {
                        policy
                            .removed
                            .insert(account.id, chrono::Utc::now().timestamp_millis());
                    }
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

    /// Counts joining or leaving of one's own accord (`429` past it).
    fn spend_membership_change(&self, account: i64, room: &RoomName) -> Result<(), Error> {
        self.inner
            .limits
            .membership_change(account, room.as_str())
            .map_err(|retry| {
                Error::new(
                    ErrorKind::TooFast {
                        retry_after_s: retry.seconds(),
                    },
                    format!(
                        "you joined and left #{room} too often; try again in {} s",
                        retry.seconds()
                    ),
                )
            })
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
        let uses = new.uses.unwrap_or(1);
        if uses > MAX_INVITE_USES {
            return Err(Error::bad_input(format!(
                "uses is 1 to {MAX_INVITE_USES}, or 0 for no limit"
            )));
        }
        let uses_left = (uses > 0).then_some(uses);
        let now = chrono::Utc::now().timestamp();
        let expires = now + lasts as i64;
        let made = chrono::Utc::now().timestamp_millis();
        let by = actor_name(identity);
        let digest = token_digest(&token);
        let invite = StoredInvite {
            digest,
            expires,
            by,
            uses_left,
            made,
        };
        let id = invite.id().to_owned();
        self.inner
            .policies
            .modify(room, |policy| {
                policy.forget_ended(now);
                if policy.invites.len() >= MAX_INVITES_PER_ROOM {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "#{room} has {MAX_INVITES_PER_ROOM} invite links already: revoke one first"
                        ),
                    )
                    .with_code("too_many_invites"));
                }
                policy.invites.push(invite.clone());
                Ok(())
            })
            .await?;
        Ok(Invite {
            room: room.to_string(),
            id,
            url: format!("/invite/{token}"),
            token,
            expires_at: rfc3339(expires),
            uses_left,
        })
    }

    /// The room's invite links that still work (moderators).
    pub fn invites(
        &self,
        identity: &Identity,
        room: &RoomName,
    ) -> Result<Vec<InviteSummary>, Error> {
        let standing = self.check(identity, Action::Moderate, room)?;
        let now = chrono::Utc::now().timestamp();
        Ok(standing
            .policy
            .iter()
            .flat_map(|policy| policy.invites.iter())
            .filter(|i| i.expires > now && i.uses_left != Some(0))
            .map(|i| InviteSummary {
                id: i.id().to_owned(),
                by: i.by.clone(),
                expires_at: rfc3339(i.expires),
                uses_left: i.uses_left,
            })
            .collect())
    }

    /// Ends an invite link (moderators); ending one that is gone is fine.
    pub async fn revoke_invite(
        &self,
        identity: &Identity,
        room: &RoomName,
        id: &str,
    ) -> Result<(), Error> {
        self.check(identity, Action::Moderate, room)?;
        self.inner
            .policies
            .modify(room, |policy| {
                policy.invites.retain(|i| i.id() != id);
                Ok(())
            })
            .await
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
        self.spend_membership_change(account.id, &room)?;
        let digest = token_digest(token);
        self.inner
            .policies
            .modify(&room, |policy| {
                let now = chrono::Utc::now().timestamp();
                let Some(invite) = policy.live_invite(&digest, now) else {
                    return Err(invalid_invite());
                };
                if let Some(ban) = policy.bans.get(&account.id) {
                    return Err(Error::new(
                        ErrorKind::Forbidden,
                        format!("you are banned from #{room}"),
                    )
                    .with_code("banned")
                    .with_sanction(ban.reason.clone(), None));
                }
                if policy.members.contains_key(&account.id) {
                    return Ok(());
                }
                // A removal beats any invite made before it.
                if policy
                    .removed
                    .get(&account.id)
                    .is_some_and(|removed| invite.made <= *removed)
                {
                    return Err(Error::new(
                        ErrorKind::Forbidden,
                        format!("you were removed from #{room}; this link no longer lets you in"),
                    )
                    .with_code("removed"));
                }
                if let Some(invite) = policy.invites.iter_mut().find(|i| i.digest == digest)
                    && let Some(left) = invite.uses_left.as_mut()
                {
                    *left = left.saturating_sub(1);
                }
                policy.invites.retain(|i| i.uses_left != Some(0));
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
