//! What happens to a message after it is sent: its author edits or deletes
//! it, people react to it; and the checks a reply and its mentions pass.
//! Every change is an event in the room's log and a change of the
//! message's state (see `message_state`), made once however often a client
//! retries.

use crate::Error;
use crate::access::{Action, Caller, Identity};
use crate::chat::Chat;
use crate::fold::{apply_state, reaction_counts};
use crate::message_state::{Reactor, StoredReaction, Tombstone};
use crate::room_log::{LoggedMessage, StoredEvent, now};
use model::ErrorKind;
use model::api::{EditHistory, MessageVersion, ReactionList, ReactionUsers};
use model::message::{ChatMessage, checked_body, mentioned_names};
use model::reaction::{MAX_EMOJI_PER_MESSAGE, ReactionRuleError, checked_reaction};
use model::room::RoomName;
use model::room_policy::{ModAction, ModActionKind};

impl From<ReactionRuleError> for Error {
    fn from(e: ReactionRuleError) -> Self {
        Error::bad_input(e.to_string()).with_code("bad_reaction")
    }
}

fn no_such_message(seq: u64) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("there is no message {seq} in this room"),
    )
    .with_code("no_such_message")
}

/// How a moderation entry names who acted.
pub(crate) fn actor_name(identity: &Identity) -> String {
    match &identity.caller {
        Caller::Account(account) => account.name.clone(),
        Caller::Guest => "guest".into(),
    }
}

impl Chat {
    /// Counts a change against the caller's send budget.
    pub(crate) fn spend_send_budget(&self, identity: &Identity) -> Result<(), Error> {
        self.inner.limits.send(&identity.sender).map_err(|retry| {
            Error::new(
                ErrorKind::TooFast {
                    retry_after_s: retry.seconds(),
                },
                format!("too many messages; try again in {} s", retry.seconds()),
            )
        })
    }

    /// Whether `room` is there: it has messages or rules, or is a default
    /// room.
    pub(crate) fn room_exists(&self, room: &RoomName) -> bool {
        let inner = &self.inner;
        inner.rooms.count_of(room.as_str()) > 0
            || inner.policies.get(room.as_str()).is_some()
            || inner.default_rooms.contains(room)
    }

    /// Counts a room the caller starts (`CHAT_NEW_ROOMS_PER_HOUR`): no one
    /// fills everyone's room list with junk.
    pub(crate) fn spend_new_room(&self, identity: &Identity) -> Result<(), Error> {
        self.inner
            .limits
            .new_room(&identity.sender)
            .map_err(|retry| {
                Error::new(
                ErrorKind::TooFast {
                    retry_after_s: retry.seconds(),
                },
                format!(
                    "too many new rooms from you; try again in {} s, or post in a room that exists",
                    retry.seconds()
                ),
            )
            .with_code("too_many_rooms")
            })
    }

    /// The author of the message a reply answers; 400 when the room has no
    /// such message (a reply to a deleted one is refused too).
    pub(crate) async fn original_of_reply(
        &self,
        room: &RoomName,
        seq: u64,
    ) -> Result<String, Error> {
        match self.inner.log.room_message(room, seq).await? {
            Some(original) => Ok(original.message.from),
            None => Err(Error::bad_input(format!(
                "reply_to: there is no message {seq} in this room"
            ))
            .with_code("no_such_reply_target")),
        }
    }

    /// The account names `body` mentions that are registered (as they are
    /// spelt there), and whether it says `@room`, which only accounts may.
    pub(crate) fn checked_mentions(&self, identity: &Identity, body: &str) -> (Vec<String>, bool) {
        let (names, room) = mentioned_names(body);
        let names = names
            .iter()
            .filter_map(|name| self.inner.accounts.registered_name(name))
            .collect();
        (names, room && identity.account().is_some())
    }

    /// The formatting of `body` (none when sent as plain text): mentions
    /// link only to the accounts it mentions, room links only to public
    /// rooms that exist.
    pub(crate) fn rich_text(
        &self,
        body: &str,
        format: model::message::TextFormat,
        mentions: &(Vec<String>, bool),
    ) -> Option<model::rich::RichText> {
        if format == model::message::TextFormat::Plain {
            return None;
        }
        let is_room = |name: &str| {
            RoomName::parse(name).is_ok_and(|room| {
                self.room_exists(&room)
                    && self.inner.policies.get(room.as_str()).is_none_or(|policy| {
                        policy.visibility == model::room_policy::Visibility::Public
                    })
            })
        };
        let context = markup::Context {
            mentions: &mentions.0,
            mentions_room: mentions.1,
            is_room: &is_room,
        };
        markup::parse(body, &context)
    }

    /// Registered names starting with `prefix`, for the `@` autocomplete.
    pub fn names_starting(&self, prefix: &str) -> Vec<String> {
        self.inner.accounts.names_starting(prefix, 8)
    }

    /// A message of the room that is still there; 404 otherwise.
    async fn live_message(&self, room: &RoomName, seq: u64) -> Result<LoggedMessage, Error> {
        self.inner
            .log
            .room_message(room, seq)
            .await?
            .ok_or_else(|| no_such_message(seq))
    }

    fn check_author(
        identity: &Identity,
        author: Option<&str>,
        message: &ChatMessage,
    ) -> Result<(), Error> {
        let key = identity.author_key();
        let by_key = key.is_some() && key.as_deref() == author;
        // Messages from before author keys: an account's by its name.
        let by_name = author.is_none()
            && message.verified
            && matches!(&identity.caller, Caller::Account(a) if a.name == message.from);
        if by_key || by_name {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Forbidden,
                "you can only change your own messages",
            )
            .with_code("not_author"))
        }
    }

    /// Replaces the text of the caller's own message, within the edit
    /// window; returns the message as it is now. Saving the same text again
    /// changes nothing.
    pub async fn edit(
        &self,
        identity: &Identity,
        room: &RoomName,
        seq: u64,
        body: &str,
    ) -> Result<ChatMessage, Error> {
        let inner = &self.inner;
        let standing = inner.access.check(&identity.caller, Action::Write, room)?;
        let body = checked_body(body)?;
        let logged = self.live_message(room, seq).await?;
        Self::check_author(identity, logged.author.as_deref(), &logged.message)?;
        let states = inner.log.states();
        let _one_at_a_time = states.lock(room, seq).await;
        let mut message = logged.message;
        let state = states.get(room, seq).await?;
        apply_state(&mut message, &state, identity.author_key().as_deref());
        if message.body == body {
            return Ok(message);
        }
        let sent = chrono::DateTime::parse_from_rfc3339(&message.ts)
            .map(|ts| ts.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        let window = chrono::Duration::from_std(inner.edit_window).unwrap_or_default();
        if chrono::Utc::now() > sent + window {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "the edit window is over: messages can be edited for {} after sending",
                    model::room_policy::duration_text(inner.edit_window.as_secs())
                ),
            )
            .with_code("edit_window_over"));
        }
        self.spend_send_budget(identity)?;
        let mut mentions = self.checked_mentions(identity, &body);
        // An @room the message had stays; a new one is asked for.
        if mentions.1 && !message.mentions_room {
            mentions.1 = self
                .may_mention_room(identity, &standing, room, message.via.is_some())
                .await;
        }
        let rich = self.rich_text(&body, message.format, &mentions);
        let ts = now();
        let event = StoredEvent::Edit {
            target: seq,
            body: body.clone(),
            rich: rich.clone(),
            ts: ts.clone(),
            mentions: mentions.0.clone(),
            mentions_room: mentions.1,
        };
        let event_seq = inner.log.publish_event(room, &event).await?;
        let state = states
            .update(room, seq, |state| {
                state.body = Some(body.clone());
                state.rich = rich.clone();
                state.edited_at = Some(ts.clone());
                state.mentions = Some(mentions.clone());
                if !state.edits.contains(&event_seq) {
                    state.edits.push(event_seq);
                }
            })
            .await?;
        apply_state(&mut message, &state, identity.author_key().as_deref());
        self.index_mentions(identity, &message).await;
        Ok(message)
    }

    /// Takes back the caller's own message, or, for a moderator of the
    /// room, anyone's (with a `reason` for the moderation log): its text and every edited text are erased from the
    /// stream, a tombstone keeps its place (saying who removed it). Deleting
    /// a deleted message again succeeds (and finishes what a failed try
    /// left).
    pub async fn delete(
        &self,
        identity: &Identity,
        room: &RoomName,
        seq: u64,
        reason: Option<&str>,
    ) -> Result<(), Error> {
        let inner = &self.inner;
        let standing = inner.access.check(&identity.caller, Action::Read, room)?;
        let reason = crate::room_settings::checked_reason(reason)?;
        let (author, from, verified) = match inner.log.room_message(room, seq).await? {
            Some(logged) => (logged.author, logged.message.from, logged.message.verified),
            None => {
                let buried = inner
                    .log
                    .states()
                    .tombstone(room, seq)
                    .await?
                    .ok_or_else(|| no_such_message(seq))?;
                (buried.author, buried.from, buried.verified)
            }
        };
        let stand_in = ChatMessage {
            from,
            verified,
            ..ChatMessage::default()
        };
        match Self::check_author(identity, author.as_deref(), &stand_in) {
            Ok(()) => {
                inner.access.check(&identity.caller, Action::Write, room)?;
                self.erase_message(room, seq, false).await
            }
            Err(not_yours) if standing.is_moderator() => {
                drop(not_yours);
                // The owner's messages are the owner's; a moderator's are
                // for those above moderators.
                if let Some(id) = author.as_deref().and_then(|a| a.strip_prefix("a:"))
                    && let Ok(id) = id.parse::<i64>()
                    && let Some(account) = inner.accounts.by_id(id).await?
                {
                    let role = self.role_in(&standing, &account);
                    crate::moderation::check_outranks(
                        room,
                        standing.role,
                        &account.name,
                        role,
                        "overruled",
                    )?;
                }
                self.erase_message(room, seq, true).await?;
                let action = ModAction {
                    action: ModActionKind::RemoveMessage,
                    by: actor_name(identity),
                    target: Some(stand_in.from),
                    message: Some(seq),
                    reason,
                    ts: now(),
                    ..ModAction::default()
                };
                inner.log.publish_mod_action(room, &action).await?;
                Ok(())
            }
            Err(not_yours) => Err(not_yours),
        }
    }

    /// Erases message `seq` of `room` (and its edits) and leaves its
    /// tombstone; the caller has checked who may.
    pub(crate) async fn erase_message(
        &self,
        room: &RoomName,
        seq: u64,
        by_moderator: bool,
    ) -> Result<(), Error> {
        let log = &self.inner.log;
        let states = log.states();
        let tombstone = match log.room_message(room, seq).await? {
            Some(logged) => Tombstone {
                seq,
                id: logged.message.id,
                from: logged.message.from,
                verified: logged.message.verified,
                ts: logged.message.ts,
                author: logged.author,
                by_moderator,
            },
            None => states
                .tombstone(room, seq)
                .await?
                .ok_or_else(|| no_such_message(seq))?,
        };
        let _one_at_a_time = states.lock(room, seq).await;
        // The tombstone first: whatever fails after it, the place shows.
        states.bury(room, tombstone).await?;
        log.erase(seq).await?;
        let state = states.get(room, seq).await?;
        for edit in &state.edits {
            log.erase(*edit).await?;
        }
        states.forget(room, seq).await?;
        log.publish_event(
            room,
            &StoredEvent::Delete {
                target: seq,
                ts: now(),
                by_moderator,
            },
        )
        .await?;
        Ok(())
    }

    /// Adds (`on`) or takes back the caller's `emoji` on a message; returns
    /// the message as it is now. Asking for what is already so changes
    /// nothing.
    pub async fn react(
        &self,
        identity: &Identity,
        room: &RoomName,
        seq: u64,
        emoji: &str,
        on: bool,
    ) -> Result<ChatMessage, Error> {
        let inner = &self.inner;
        inner.access.check(&identity.caller, Action::Write, room)?;
        let emoji = checked_reaction(emoji)?.to_owned();
        let Some(key) = identity.author_key() else {
            return Err(Error::bad_input(
                "a guest reacts with a guest key: send X-Chat-Guest-Key (16 to 64 letters, digits, '-' or '_')",
            ));
        };
        let logged = self.live_message(room, seq).await?;
        let states = inner.log.states();
        let _one_at_a_time = states.lock(room, seq).await;
        let mut message = logged.message;
        let state = states.get(room, seq).await?;
        let has = |state: &crate::message_state::MessageState| {
            state
                .reactions
                .iter()
                .any(|r| r.emoji == emoji && r.by.iter().any(|by| by.key == key))
        };
        if has(&state) == on {
            apply_state(&mut message, &state, Some(&key));
            return Ok(message);
        }
        let distinct = state.reactions.iter().filter(|r| !r.by.is_empty()).count();
        if on
            && distinct >= MAX_EMOJI_PER_MESSAGE
            && !state
                .reactions
                .iter()
                .any(|r| r.emoji == emoji && !r.by.is_empty())
        {
            return Err(ReactionRuleError::TooManyEmoji.into());
        }
        self.spend_send_budget(identity)?;
        let name = match &identity.caller {
            Caller::Account(account) => account.name.clone(),
            Caller::Guest => "guest".to_owned(),
        };
        let state = states
            .update(room, seq, |state| {
                let at = match state.reactions.iter().position(|r| r.emoji == emoji) {
                    Some(at) => at,
                    None => {
                        state.reactions.push(StoredReaction {
                            emoji: emoji.clone(),
                            by: Vec::new(),
                        });
                        state.reactions.len() - 1
                    }
                };
                let by = &mut state.reactions[at].by;
                by.retain(|r| r.key != key);
                if on {
                    by.push(Reactor {
                        key: key.clone(),
                        name: name.clone(),
                    });
                }
                state.reactions.retain(|r| !r.by.is_empty());
            })
            .await?;
        let count = state
            .reactions
            .iter()
            .find(|r| r.emoji == emoji)
            .map_or(0, |r| r.by.len() as u32);
        let event = StoredEvent::Reaction {
            target: seq,
            emoji,
            on,
            from: name,
            verified: identity.account().is_some(),
            count,
        };
        inner.log.publish_event(room, &event).await?;
        apply_state(&mut message, &state, Some(&key));
        Ok(message)
    }

    /// A message's texts, oldest first, ending with the current one; edits
    /// older than the room's event retention are no longer listed.
    pub async fn edits(
        &self,
        viewer: &Identity,
        room: &RoomName,
        seq: u64,
    ) -> Result<EditHistory, Error> {
        self.inner
            .access
            .check(&viewer.caller, Action::Read, room)?;
        let log = &self.inner.log;
        let logged = self.live_message(room, seq).await?;
        let state = log.states().get(room, seq).await?;
        let mut versions = vec![MessageVersion {
            body: logged.message.body,
            ts: logged.message.ts,
        }];
        for edit in &state.edits {
            if let Some(StoredEvent::Edit { body, ts, .. }) = log.event_at(room, *edit).await? {
                versions.push(MessageVersion { body, ts });
            }
        }
        Ok(EditHistory { seq, versions })
    }

    /// Who reacted to a message with what.
    pub async fn reactions(
        &self,
        viewer: &Identity,
        room: &RoomName,
        seq: u64,
    ) -> Result<ReactionList, Error> {
        self.inner
            .access
            .check(&viewer.caller, Action::Read, room)?;
        self.live_message(room, seq).await?;
        let state = self.inner.log.states().get(room, seq).await?;
        let counts = reaction_counts(&state, None);
        let reactions = state
            .reactions
            .into_iter()
            .zip(counts)
            .map(|(stored, count)| ReactionUsers {
                emoji: stored.emoji,
                count: count.count,
                names: stored.by.into_iter().map(|by| by.name).collect(),
            })
            .collect();
        Ok(ReactionList { seq, reactions })
    }
}
