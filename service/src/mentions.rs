//! Where each account was mentioned or answered, across rooms: stream
//! `CHAT_MENTIONS`, one small entry `{"room","seq"}` per message on
//! `chat_mention.to.<name>` (a mention of the name, or a reply to its
//! message) and `chat_mention.id.<account id>` (an `@room` of a room the
//! account is one of the people of: its members, or those who opened it).
//! Each account's lists are its own, so no one can flush another's. (Before,
//! `@room` went to one shared `chat_mention.room`, still read.) The
//! entries only point into the `CHAT` stream, so `GET /api/mentions` shows
//! each message as it is now (edited, deleted, out of retention) and never
//! lists what no longer mentions the reader.

use crate::Error;
use crate::access::Identity;
use crate::chat::Chat;
use crate::fold::RawPage;
use crate::store::{BatchQuery, StoreError, direct_batch, unavailable};
use async_nats::jetstream::{self, stream};
use futures::StreamExt;
use model::ErrorKind;
use model::api::MentionsPage;
use model::message::ChatMessage;
use model::room::RoomName;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

const STREAM: &str = "CHAT_MENTIONS";
/// Pointers kept per account (and for `@room`); older ones fall out.
const KEPT_PER_SUBJECT: i64 = 1000;
/// Messages read at once while filling a page.
const LOAD_CONCURRENCY: usize = 8;

#[derive(Clone)]
pub(crate) struct MentionIndex {
    js: jetstream::Context,
    client: async_nats::Client,
}

#[derive(Serialize, Deserialize)]
struct Pointer {
    room: String,
    seq: u64,
}

fn subject_of(name: &str) -> String {
    format!("chat_mention.to.{}", name.to_ascii_lowercase())
}

/// Where the `@room`s an account is told of go.
fn people_subject(account: i64) -> String {
    format!("chat_mention.id.{account}")
}

/// Where every `@room` once went, for every account; read, no longer
/// written.
const LEGACY_ROOM_SUBJECT: &str = "chat_mention.room";
/// An `@room` in a room of more people than this is for its moderators
/// (and owner) to say.
pub const ROOM_MENTION_CROWD: usize = 50;

pub const MENTIONS_NEED_ACCOUNT: &str = "log in to see your mentions (guests have none)";

impl MentionIndex {
    pub async fn open(
        js: &jetstream::Context,
        client: async_nats::Client,
        replicas: usize,
        max_age: Duration,
    ) -> Result<Self, StoreError> {
        js.create_or_update_stream(stream::Config {
            name: STREAM.into(),
            description: Some("which messages mention or answer whom (pointers into CHAT)".into()),
            subjects: vec!["chat_mention.>".into()],
            max_messages_per_subject: KEPT_PER_SUBJECT,
            max_age,
            max_message_size: 1024,
            num_replicas: replicas,
            storage: stream::StorageType::File,
            discard: stream::DiscardPolicy::Old,
            allow_direct: true,
            ..Default::default()
        })
        .await
        .map_err(unavailable("setting up the mentions stream"))?;
        Ok(MentionIndex {
            js: js.clone(),
            client,
        })
    }

    /// Points each of `names`, and each account of `people` (an `@room`),
    /// at `message`.
    pub async fn record(
        &self,
        message: &ChatMessage,
        names: impl IntoIterator<Item = String>,
        people: &[i64],
    ) -> Result<(), StoreError> {
        let pointer = serde_json::to_vec(&Pointer {
            room: message.room.clone(),
            seq: message.seq,
        })
        .expect("a pointer serialises");
        let mut subjects: Vec<String> = names.into_iter().map(|n| subject_of(&n)).collect();
        subjects.extend(people.iter().map(|id| people_subject(*id)));
        subjects.sort();
        subjects.dedup();
        // An @room may point hundreds of accounts at the message, on the
        // sender's path: publish them all, then wait for the acks together.
        let mut acks = Vec::with_capacity(subjects.len());
        for subject in subjects {
            acks.push(
                self.js
                    .publish(subject, pointer.clone().into())
                    .await
                    .map_err(unavailable("recording a mention"))?,
            );
        }
        // All are on the wire already: these come back together.
        for ack in acks {
            ack.await.map_err(unavailable("recording a mention"))?;
        }
        Ok(())
    }

    /// Every pointer for the account (its mentions and `@room`s), newest
    /// message first.
    async fn pointers(&self, id: i64, name: &str) -> Result<Vec<Pointer>, StoreError> {
        let mut all = self.read_subject(&subject_of(name)).await?;
        all.extend(self.read_subject(&people_subject(id)).await?);
        all.extend(self.read_subject(LEGACY_ROOM_SUBJECT).await?);
        all.sort_by(|a, b| b.seq.cmp(&a.seq).then_with(|| a.room.cmp(&b.room)));
        all.dedup_by(|a, b| a.seq == b.seq && a.room == b.room);
        Ok(all)
    }

    /// The whole of one subject (at most [`KEPT_PER_SUBJECT`] entries), in
    /// one batched direct get.
    async fn read_subject(&self, subject: &str) -> Result<Vec<Pointer>, StoreError> {
        let query = BatchQuery::After {
            subject,
            after: 0,
            max: KEPT_PER_SUBJECT as usize,
        };
        let batch = direct_batch(&self.client, STREAM, query, "reading mentions").await?;
        Ok(batch
            .entries
            .iter()
            .filter_map(|entry| serde_json::from_slice::<Pointer>(&entry.payload).ok())
            .collect())
    }
}

impl Chat {
    /// Points the accounts a new (or edited) message is for at it: the
    /// names it mentions, `@room`, and the author of the message it
    /// answers. Best effort: the message itself is already stored.
    pub(crate) async fn index_mentions(&self, identity: &Identity, message: &ChatMessage) {
        let me = identity.account().map(|a| a.name.to_ascii_lowercase());
        let mut names: Vec<String> = message.mentions.clone();
        if let Some(quote) = &message.reply_to
            && let Some(name) = self.inner.accounts.registered_name(&quote.from)
        {
            names.push(name);
        }
        names.retain(|n| Some(n.to_ascii_lowercase()) != me);
        if names.is_empty() && !message.mentions_room {
            return;
        }
        let mut people = Vec::new();
        if message.mentions_room
            && let Ok(room) = RoomName::parse(&message.room)
        {
            match self.room_people(&room).await {
                Ok(found) => people = found,
                Err(e) => tracing::warn!(error = %e, %room, "@room not told to the room's people"),
            }
            let author = identity.account().map(|a| a.id);
            people.retain(|id| Some(*id) != author);
        }
        let mut told = people.clone();
        for name in &names {
            if let Ok(Some(account)) = self.inner.accounts.by_name(name).await {
                told.push(account.id);
            }
        }
        if let Err(e) = self.inner.mentions.record(message, names, &people).await {
            tracing::warn!(error = %e, room = %message.room, seq = message.seq, "mention not indexed");
        }
        // Their tabs in other rooms badge it at once, not at the next poll.
        told.sort_unstable();
        told.dedup();
        for account in told {
            self.inner
                .reads
                .tell_mention(account, &message.room, message.seq)
                .await;
        }
    }

    /// The people of `room` an `@room` is for: its members where it has
    /// them, else the accounts that opened it.
    pub(crate) async fn room_people(&self, room: &RoomName) -> Result<Vec<i64>, Error> {
        if let Some(policy) = self.inner.policies.get(room.as_str())
            && !policy.members.is_empty()
        {
            return Ok(policy.members.keys().copied().collect());
        }
        Ok(self.inner.reads.readers_of(room.as_str()).await?)
    }

    /// Whether the caller's `@room` in `room` tells its people: always for
    /// its moderators (and owner, and admins); for anyone else with an
    /// account, in a room of at most [`ROOM_MENTION_CROWD`] people, once
    /// per 10 minutes. Never for a relayed message (a bridge's speakers
    /// are no accounts here). Else the message is posted without it.
    pub(crate) async fn may_mention_room(
        &self,
        identity: &Identity,
        standing: &crate::access::Standing,
        room: &RoomName,
        relayed: bool,
    ) -> bool {
        let Some(account) = identity.account() else {
            return false;
        };
        if relayed {
            return false;
        }
        if standing.is_moderator() {
            return true;
        }
        match self.room_people(room).await {
            Ok(people) if people.len() <= ROOM_MENTION_CROWD => {}
            _ => return false,
        }
        self.inner
            .limits
            .room_mention(account.id, room.as_str())
            .is_ok()
    }

    /// `GET /api/mentions`: the messages for the caller (a mention, `@room`,
    /// a reply to it) by others, newest first, `limit` of them older than
    /// `before`, each as it is now.
    pub async fn mentions(
        &self,
        identity: &Identity,
        before: Option<u64>,
        limit: usize,
    ) -> Result<MentionsPage, Error> {
        let account = identity
            .account()
            .ok_or_else(|| Error::new(ErrorKind::LoginRequired, MENTIONS_NEED_ACCOUNT))?;
        let limit = limit.clamp(1, model::history::MAX_PAGE_SIZE);
        let me = identity.author_key();
        let pointers: Vec<Pointer> = self
            .inner
            .mentions
            .pointers(account.id, &account.name)
            .await?
            .into_iter()
            .filter(|p| before.is_none_or(|before| p.seq < before))
            // Mentions from rooms the reader may no longer see are not
            // theirs to list.
            .filter(|p| {
                RoomName::parse(&p.room).is_ok_and(|room| {
                    self.inner
                        .access
                        .check(&identity.caller, crate::access::Action::Read, &room)
                        .is_ok()
                })
            })
            .collect();
        let mut messages = Vec::new();
        let mut seen = HashSet::new();
        let mut rest = pointers.as_slice();
        // Pointers whose message is gone or no longer for the reader are
        // skipped, so a page may need more than `limit` of them.
        while messages.len() < limit && !rest.is_empty() {
            let take = (limit - messages.len()).min(rest.len());
            let (chunk, after) = rest.split_at(take);
            rest = after;
            for message in self.load_for(chunk, me.as_deref()).await? {
                if message.is_for(&account.name)
                    && !message.mine
                    && seen.insert((message.room.clone(), message.seq))
                {
                    messages.push(message);
                }
            }
        }
        messages.sort_by_key(|m| std::cmp::Reverse(m.seq));
        Ok(MentionsPage {
            messages,
            has_older: !rest.is_empty(),
        })
    }

    /// The messages `pointers` name, as they are now (those gone skipped).
    async fn load_for(
        &self,
        pointers: &[Pointer],
        viewer: Option<&str>,
    ) -> Result<Vec<ChatMessage>, Error> {
        let log = &self.inner.log;
        let wanted: Vec<(String, u64)> = pointers.iter().map(|p| (p.room.clone(), p.seq)).collect();
        let loaded: Vec<Result<Option<(RoomName, crate::room_log::LoggedMessage)>, Error>> =
            futures::stream::iter(wanted)
                .map(|(room, seq)| async move {
                    let Ok(room) = RoomName::parse(&room) else {
                        return Ok(None);
                    };
                    Ok(log.room_message(&room, seq).await?.map(|m| (room, m)))
                })
                .buffered(LOAD_CONCURRENCY)
                .collect()
                .await;
        let mut by_room: BTreeMap<RoomName, RawPage> = BTreeMap::new();
        for found in loaded {
            let Some((room, logged)) = found? else {
                continue;
            };
            let page = by_room.entry(room).or_insert_with(|| RawPage {
                messages: Vec::new(),
                authors: Default::default(),
                from: u64::MAX,
                end: Some(0),
            });
            page.from = page.from.min(logged.message.seq);
            page.end = Some(page.end.unwrap_or(0).max(logged.message.seq + 1));
            if let Some(author) = logged.author {
                page.authors.insert(logged.message.seq, author);
            }
            page.messages.push(logged.message);
        }
        let mut out = Vec::new();
        for (room, mut page) in by_room {
            page.messages.sort_by_key(|m| m.seq);
            page.messages.dedup_by_key(|m| m.seq);
            out.extend(crate::fold::page(log, &room, page, viewer).await?);
        }
        Ok(out)
    }
}
