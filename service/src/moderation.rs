//! A room's moderators at work: timeouts, bans (with the removal of the
//! banned member's recent messages), and the log of what they did.

use crate::Error;
use crate::access::{Action, Caller, Identity, Role, role_of};
use crate::chat::Chat;
use crate::conversation::actor_name;
use crate::room_log::{Scope, now};
use crate::room_policy::{StoredSanction, rfc3339};
use crate::room_settings::checked_reason;
use model::ErrorKind;
use model::event::RoomEvent;
use model::room::RoomName;
use model::room_policy::{
    MAX_PURGE_S, MAX_TIMEOUT_S, MIN_TIMEOUT_S, ModAction, ModActionKind, ModLog, NewBan,
    NewTimeout, RoomAdmin, Sanction,
};

/// Refuses an act on `target` unless the actor is above them: the owner
/// (and an admin) are in charge of a room, and a moderator acts only on
/// those below moderators.
pub(crate) fn check_outranks(
    room: &RoomName,
    actor: Role,
    target: &str,
    target_role: Role,
    what: &str,
) -> Result<(), Error> {
    if target_role >= Role::Owner {
        return Err(Error::new(
            ErrorKind::Forbidden,
            format!("{target} is in charge of #{room} and cannot be {what}"),
        )
        .with_code("outranked"));
    }
    if target_role >= actor {
        return Err(Error::new(
            ErrorKind::Forbidden,
            format!("{target} is a moderator of #{room}; only its owner can do this"),
        )
        .with_code("outranked"));
    }
    Ok(())
}

impl Chat {
    /// `account`'s role in the room `standing` describes.
    pub(crate) fn role_in(
        &self,
        standing: &crate::access::Standing,
        account: &crate::accounts::Account,
    ) -> Role {
        let as_caller = Caller::Account(account.clone());
        role_of(
            standing.policy.as_deref(),
            &as_caller,
            self.inner.access.is_admin(&as_caller),
        )
    }

    /// The account a moderator wants to sanction, if they may: not
    /// themselves, and a moderator only by the owner or an admin.
    async fn sanctionable(
        &self,
        identity: &Identity,
        room: &RoomName,
        name: &str,
    ) -> Result<crate::accounts::Account, Error> {
        let standing = self.check(identity, Action::Moderate, room)?;
        let target = self.named_account(name).await?;
        if identity.account().is_some_and(|me| me.id == target.id) {
            return Err(Error::bad_input("you cannot sanction yourself"));
        }
        let target_role = self.role_in(&standing, &target);
        check_outranks(room, standing.role, &target.name, target_role, "sanctioned")?;
        Ok(target)
    }

    /// Keeps `name` from posting in the room for `seconds` (10 s to 28 d).
    pub async fn timeout(
        &self,
        identity: &Identity,
        room: &RoomName,
        new: &NewTimeout,
    ) -> Result<Sanction, Error> {
        if !(MIN_TIMEOUT_S..=MAX_TIMEOUT_S).contains(&new.seconds) {
            return Err(Error::bad_input(format!(
                "seconds is {MIN_TIMEOUT_S} to {MAX_TIMEOUT_S} (28 days)"
            )));
        }
        let reason = checked_reason(new.reason.as_deref())?;
        let target = self.sanctionable(identity, room, &new.name).await?;
        let until = chrono::Utc::now().timestamp() + new.seconds as i64;
        let by = actor_name(identity);
        self.inner
            .policies
            .modify(room, |policy| {
                policy.timeouts.insert(
                    target.id,
                    StoredSanction {
                        name: target.name.clone(),
                        until: Some(until),
                        reason: reason.clone(),
                        by: by.clone(),
                    },
                );
                Ok(())
            })
            .await?;
        self.log_action(
            room,
            identity,
            ModActionKind::Timeout,
            Some(target.name.clone()),
            |a| {
                a.reason = reason.clone();
                a.until = Some(rfc3339(until));
            },
        )
        .await;
        Ok(Sanction {
            name: target.name,
            kind: "timeout".into(),
            until: Some(rfc3339(until)),
            reason,
            by,
            purged: None,
        })
    }

    /// Ends a timeout early.
    pub async fn end_timeout(
        &self,
        identity: &Identity,
        room: &RoomName,
        name: &str,
    ) -> Result<(), Error> {
        let target = self.sanctionable(identity, room, name).await?;
        self.inner
            .policies
            .modify(room, |policy| {
                policy.timeouts.remove(&target.id);
                Ok(())
            })
            .await?;
        self.log_action(
            room,
            identity,
            ModActionKind::EndTimeout,
            Some(target.name),
            |_| {},
        )
        .await;
        Ok(())
    }

    /// Bans `name` from the room (no reading, no posting, no membership)
    /// and removes their messages of the last `purge_s` seconds from the
    /// store. Their open sockets close at once.
    pub async fn ban(
        &self,
        identity: &Identity,
        room: &RoomName,
        new: &NewBan,
    ) -> Result<Sanction, Error> {
        let purge_s = new.purge_s.unwrap_or(0);
        if purge_s > MAX_PURGE_S {
            return Err(Error::bad_input(format!(
                "purge_s is 0 to {MAX_PURGE_S} (7 days)"
            )));
        }
        let reason = checked_reason(new.reason.as_deref())?;
        let target = self.sanctionable(identity, room, &new.name).await?;
        let by = actor_name(identity);
        self.inner
            .policies
            .modify(room, |policy| {
                policy.members.remove(&target.id);
                policy
                    .removed
                    .insert(target.id, chrono::Utc::now().timestamp_millis());
                policy.moderators.remove(&target.id);
                policy.timeouts.remove(&target.id);
                policy.bans.insert(
                    target.id,
                    StoredSanction {
                        name: target.name.clone(),
                        until: None,
                        reason: reason.clone(),
                        by: by.clone(),
                    },
                );
                Ok(())
            })
            .await?;
        let purged = if purge_s > 0 {
            Some(
                self.purge(room, &format!("a:{}", target.id), purge_s)
                    .await?,
            )
        } else {
            None
        };
        self.log_action(
            room,
            identity,
            ModActionKind::Ban,
            Some(target.name.clone()),
            |a| {
                a.reason = reason.clone();
                a.purged = purged;
            },
        )
        .await;
        Ok(Sanction {
            name: target.name,
            kind: "ban".into(),
            until: None,
            reason,
            by,
            purged,
        })
    }

    /// Erases the messages by `author` (an author key) of the last
    /// `seconds` in the room, leaving tombstones; returns how many.
    async fn purge(&self, room: &RoomName, author: &str, seconds: u64) -> Result<u64, Error> {
        let since = chrono::Utc::now() - chrono::Duration::seconds(seconds as i64);
        let log = &self.inner.log;
        // Reads forward from the oldest message the room keeps: a room
        // holds at most its retention's worth.
        let mut theirs = Vec::new();
        let mut after = 0;
        loop {
            let batch = log.read_after(room, Scope::Messages, after, 256).await?;
            for entry in &batch.entries {
                if let RoomEvent::Message(message) = entry
                    && batch.authors.get(&message.seq).map(String::as_str) == Some(author)
                    && chrono::DateTime::parse_from_rfc3339(&message.ts).is_ok_and(|ts| ts >= since)
                {
                    theirs.push(message.seq);
                }
            }
            if !batch.more || batch.through == after {
                break;
            }
            after = batch.through;
        }
        for seq in &theirs {
            self.erase_message(room, *seq, true).await?;
        }
        Ok(theirs.len() as u64)
    }

    /// Lifts a ban (the account is not a member again until added).
    pub async fn unban(
        &self,
        identity: &Identity,
        room: &RoomName,
        name: &str,
    ) -> Result<(), Error> {
        self.check(identity, Action::Moderate, room)?;
        let target = self.named_account(name).await?;
        self.inner
            .policies
            .modify(room, |policy| match policy.bans.remove(&target.id) {
                Some(_) => Ok(()),
                None => Err(Error::new(
                    ErrorKind::NotFound,
                    format!("{} is not banned from #{room}", target.name),
                )),
            })
            .await?;
        self.log_action(
            room,
            identity,
            ModActionKind::Unban,
            Some(target.name),
            |_| {},
        )
        .await;
        Ok(())
    }

    /// Timeouts in force and bans (moderators).
    pub fn sanctions(&self, identity: &Identity, room: &RoomName) -> Result<Vec<Sanction>, Error> {
        let standing = self.check(identity, Action::Moderate, room)?;
        let Some(policy) = standing.policy else {
            return Ok(Vec::new());
        };
        let now = chrono::Utc::now().timestamp();
        let timeouts = policy
            .timeouts
            .keys()
            .filter_map(|id| policy.timeout_of(*id, now))
            .map(|t| (t, "timeout"));
        let bans = policy.bans.values().map(|b| (b, "ban"));
        Ok(timeouts
            .chain(bans)
            .map(|(s, kind)| Sanction {
                name: s.name.clone(),
                kind: kind.into(),
                until: s.until.map(rfc3339),
                reason: s.reason.clone(),
                by: s.by.clone(),
                purged: None,
            })
            .collect())
    }

    /// What the moderators did in the room, newest first (moderators).
    pub async fn modlog(&self, identity: &Identity, room: &RoomName) -> Result<ModLog, Error> {
        self.check(identity, Action::Moderate, room)?;
        Ok(ModLog {
            room: room.to_string(),
            actions: self.inner.log.mod_actions(room).await?,
        })
    }

    /// Everything the room settings page shows (moderators).
    pub fn room_admin(&self, identity: &Identity, room: &RoomName) -> Result<RoomAdmin, Error> {
        Ok(RoomAdmin {
            info: self.room_info(identity, room)?,
            sanctions: self.sanctions(identity, room)?,
            members: self.members(identity, room)?,
            invite: None,
            invites: self.invites(identity, room).unwrap_or_default(),
        })
    }

    /// Writes a moderation entry; the change it records is made already,
    /// so a failure here is logged, not returned.
    pub(crate) async fn log_action(
        &self,
        room: &RoomName,
        identity: &Identity,
        what: ModActionKind,
        target: Option<String>,
        fill: impl FnOnce(&mut ModAction),
    ) {
        let mut action = ModAction {
            action: what,
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
