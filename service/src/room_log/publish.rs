//! Writing a room's log: messages (deduplicated by their client id),
//! events, moderation entries, and erasing an entry.

use super::RoomLog;
use super::stored::{StoredEvent, StoredMessage, now};
use super::subjects::{event_subject, mod_subject, room_subject};
use crate::accounts::Account;
use crate::store::{StoreError, failed, unavailable};
use async_nats::HeaderMap;
use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::stream::DeleteMessageErrorKind;
use model::account::{Appearance, checked_color};
use model::message::TextFormat;
use model::message::{
    ChatMessage, MessageRuleError, checked_body, checked_id, checked_name, checked_via,
};
use model::rich::RichText;
use model::room::RoomName;
use model::room_policy::ModAction;

/// A message that has not been stored yet.
#[derive(Clone, Debug)]
pub struct Draft<'a> {
    pub id: &'a str,
    pub author: Author<'a>,
    /// Who may change it later (see `StoredMessage::author`).
    pub author_key: Option<String>,
    pub body: &'a str,
    pub format: TextFormat,
    /// The body's formatting (see `ChatMessage::rich`).
    pub rich: Option<RichText>,
    /// The message it answers: its sequence and author.
    pub reply_to: Option<(u64, String)>,
    /// Checked account names, and `@room`.
    pub mentions: (Vec<String>, bool),
}

/// Who a message is from: a logged-in account (name and looks set by the
/// server) or a guest's self-chosen name.
#[derive(Clone, Copy, Debug)]
pub enum Author<'a> {
    Account(&'a Account),
    Guest(&'a str),
    /// A name of another network, relayed by a bridge.
    Relayed {
        name: &'a str,
        via: &'a str,
        color: Option<&'a str>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Rejected(#[from] MessageRuleError),
    /// The id was already used in this room for a different message: a
    /// retry must be the same sender with the same text.
    #[error(
        "message id \"{0}\" is already used in this room by another message; send yours with a new id"
    )]
    IdTaken(String),
    #[error(transparent)]
    Log(#[from] StoreError),
}

impl From<PublishError> for crate::Error {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Rejected(rule) => rule.into(),
            PublishError::IdTaken(_) => {
                crate::Error::new(model::ErrorKind::Conflict, e.to_string()).with_code("id_taken")
            }
            PublishError::Log(e) => e.into(),
        }
    }
}

impl RoomLog {
    /// Stores a message and waits for JetStream's ack. A retried `id` in the
    /// same room within the duplicate window returns the first stored copy.
    pub async fn publish(
        &self,
        room: &RoomName,
        draft: Draft<'_>,
    ) -> Result<ChatMessage, PublishError> {
        let id = checked_id(draft.id)?;
        let (from, verified, appearance, via) = match draft.author {
            Author::Account(account) => (
                account.name.as_str(),
                true,
                account.appearance.clone(),
                None,
            ),
            Author::Guest(name) => (checked_name(name)?, false, Appearance::default(), None),
            Author::Relayed { name, via, color } => {
                let color = color
                    .map(|color| checked_color(color).map_err(|_| MessageRuleError::BadColor))
                    .transpose()?;
                let appearance = Appearance { color, emoji: None };
                (
                    checked_name(name)?,
                    false,
                    appearance,
                    Some(checked_via(via)?),
                )
            }
        };
        let body = checked_body(draft.body)?;
        let (reply_to, reply_from) = draft.reply_to.unzip();
        let stored = StoredMessage {
            id: id.to_owned(),
            from: from.to_owned(),
            body,
            rich: draft.rich,
            format: draft.format,
            ts: now(),
            verified,
            color: appearance.color,
            emoji: appearance.emoji,
            via: via.map(str::to_owned),
            author: draft.author_key,
            reply_to,
            reply_from,
            mentions: draft.mentions.0,
            mentions_room: draft.mentions.1,
        };
        // While NATS is unreachable the client would queue the publish and
        // the request would hang until the ack timeout: refuse at once.
        if !self.is_connected() {
            return Err(failed("publishing", "not connected to NATS").into());
        }
        let payload = serde_json::to_vec(&stored).expect("a message always serialises");
        let mut headers = HeaderMap::new();
        let key = message_key(room.as_str(), id);
        headers.insert("Nats-Msg-Id", key.as_str());
        // Until this returns, the room's fan-out holds the message back, so
        // that the answer to this send goes out before the room's writes.
        let answering = self.answer_gate.begin(key);
        let ack = self
            .js
            .publish_with_headers(room_subject(room), headers, payload.into())
            .await
            .map_err(unavailable("publishing"))?
            .await
            .map_err(ack_failed)?;
        if ack.duplicate {
            let first = self.message_at(ack.sequence).await?.message;
            let same_sender = first.from == stored.from
                && first.verified == stored.verified
                && first.body == stored.body;
            if !same_sender {
                return Err(PublishError::IdTaken(stored.id));
            }
            return Ok(first);
        }
        answering.stored(ack.sequence);
        Ok(stored.into_message(room.as_str(), ack.sequence))
    }

    /// Stores an event of `room` and waits for JetStream's ack; returns its
    /// sequence.
    pub async fn publish_event(
        &self,
        room: &RoomName,
        event: &StoredEvent,
    ) -> Result<u64, StoreError> {
        if !self.is_connected() {
            return Err(failed("publishing", "not connected to NATS"));
        }
        let payload = serde_json::to_vec(event).expect("an event always serialises");
        self.publish_acked(event_subject(room), payload).await
    }

    /// Stores `payload` on `subject` and waits for JetStream's ack; its
    /// sequence.
    async fn publish_acked(&self, subject: String, payload: Vec<u8>) -> Result<u64, StoreError> {
        let ack = self
            .js
            .publish(subject, payload.into())
            .await
            .map_err(unavailable("publishing"))?
            .await
            .map_err(ack_failed)?;
        Ok(ack.sequence)
    }

    /// Removes the entry at `seq` from the stream, overwriting its bytes
    /// (JetStream's erase: async-nats' delete without `no_erase`): a
    /// deleted message's text is gone, not hidden. An entry already gone is
    /// fine.
    pub async fn erase(&self, seq: u64) -> Result<(), StoreError> {
        match self.stream.delete_message(seq).await {
            Ok(_) => Ok(()),
            Err(e) => match e.kind() {
                // JetStream's answer for a sequence it does not hold.
                DeleteMessageErrorKind::JetStream(error)
                    if error.error_code() == ErrorCode::STREAM_MESSAGE_DELETE_FAILED =>
                {
                    Ok(())
                }
                _ => Err(unavailable("erasing a message")(e)),
            },
        }
    }

    /// Stores a moderation entry in the room's log and returns its
    /// sequence.
    pub async fn publish_mod_action(
        &self,
        room: &RoomName,
        action: &ModAction,
    ) -> Result<u64, StoreError> {
        let payload = serde_json::to_vec(action).expect("a moderation entry always serialises");
        self.publish_acked(mod_subject(room), payload).await
    }
}

/// A message's identity in the stream's duplicate window: scoped by room,
/// so that equal client ids in two rooms are two messages.
pub(crate) fn message_key(room: &str, id: &str) -> String {
    format!("{room}/{id}")
}

/// Why a publish got no ack: a full store is said apart.
fn ack_failed(e: async_nats::jetstream::context::PublishError) -> StoreError {
    if is_store_full(&e) {
        StoreError::Full(Box::new(e))
    } else {
        unavailable("waiting for the publish ack")(e)
    }
}

/// Whether JetStream refused a publish for want of storage.
fn is_store_full(e: &async_nats::jetstream::context::PublishError) -> bool {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<async_nats::jetstream::Error>())
        .is_some_and(|e| {
            matches!(
                e.error_code(),
                ErrorCode::STORAGE_RESOURCES_EXCEEDED
                    | ErrorCode::INSUFFICIENT_RESOURCES
                    | ErrorCode::ACCOUNT_RESOURCES_EXCEEDED
            )
        })
}

#[cfg(test)]
mod tests {
    use super::super::{guest_draft, test_log};
    use super::*;

    #[tokio::test]
    async fn a_retried_id_is_the_first_message_and_anothers_id_is_refused() {
        let (_nats, log) = test_log().await;
        let hall = RoomName::parse("hall").unwrap();
        let first = log
            .publish(&hall, guest_draft("m1", "ada", "hi"))
            .await
            .unwrap();
        let again = log
            .publish(&hall, guest_draft("m1", "ada", "hi"))
            .await
            .unwrap();
        assert_eq!(again.seq, first.seq);
        assert_eq!(log.last_seq(&hall).await.unwrap(), first.seq);
        let taken = log.publish(&hall, guest_draft("m1", "bo", "hi")).await;
        assert!(matches!(taken, Err(PublishError::IdTaken(_))), "{taken:?}");
        // The same id in another room is another message.
        let lobby = RoomName::parse("lobby").unwrap();
        let other = log
            .publish(&lobby, guest_draft("m1", "bo", "hi"))
            .await
            .unwrap();
        assert_ne!(other.seq, first.seq);
        let bad = log.publish(&hall, guest_draft("m2", "ada", "  ")).await;
        assert!(matches!(bad, Err(PublishError::Rejected(_))), "{bad:?}");
        assert_eq!(log.last_seq(&hall).await.unwrap(), first.seq);
    }

    #[tokio::test]
    async fn an_erased_message_is_gone_and_erasing_it_again_is_fine() {
        let (_nats, log) = test_log().await;
        let hall = RoomName::parse("hall").unwrap();
        let message = log
            .publish(&hall, guest_draft("m1", "ada", "secret"))
            .await
            .unwrap();
        log.erase(message.seq).await.unwrap();
        assert!(
            log.room_message(&hall, message.seq)
                .await
                .unwrap()
                .is_none()
        );
        log.erase(message.seq).await.unwrap();
        log.erase(9_999).await.unwrap();
    }

    #[tokio::test]
    async fn events_and_moderation_entries_are_stored_apart_from_messages() {
        let (_nats, log) = test_log().await;
        let hall = RoomName::parse("hall").unwrap();
        let message = log
            .publish(&hall, guest_draft("m1", "ada", "hi"))
            .await
            .unwrap();
        let edit = StoredEvent::Edit {
            target: message.seq,
            body: "hey".into(),
            rich: None,
            ts: now(),
            mentions: Vec::new(),
            mentions_room: false,
        };
        let seq = log.publish_event(&hall, &edit).await.unwrap();
        let action = ModAction {
            action: model::room_policy::ModActionKind::Create,
            by: "ada".into(),
            ..ModAction::default()
        };
        let mod_seq = log.publish_mod_action(&hall, &action).await.unwrap();
        assert!(matches!(
            log.event_at(&hall, seq).await.unwrap(),
            Some(StoredEvent::Edit { target, .. }) if target == message.seq
        ));
        // Neither is the room's newest message.
        assert_eq!(log.last_seq(&hall).await.unwrap(), message.seq);
        let actions = log.mod_actions(&hall).await.unwrap();
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0].seq, mod_seq);
    }
}
