//! What every module that reads or writes JetStream shares: the one error
//! a store call fails with, and the one batched direct get that reads
//! many entries of a stream or key-value bucket in one request.

use crate::error::BoxError;
use async_nats::Client;
use async_nats::jetstream::message::StreamMessage;
use futures::StreamExt;
use std::time::Duration;

/// Largest batch the room log asks for at once.
pub(crate) const READ_BATCH: usize = 256;
/// How long a batched read waits for the next reply.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the store (JetStream, its key-value buckets) could not do what was
/// asked. The cause is kept.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the message store is unavailable ({doing})")]
    Unavailable {
        doing: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("stored message {seq} is unreadable: {reason}")]
    Unreadable { seq: u64, reason: String },
    /// JetStream has no room left for the message (its storage limit).
    #[error("the message store is full")]
    Full(#[source] BoxError),
}

impl From<StoreError> for crate::Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { .. } => {
                crate::Error::unavailable("the chat store is unavailable, please retry", e)
            }
            StoreError::Full(_) => crate::Error::new(
                model::ErrorKind::InsufficientStorage,
                "the message store is full; nothing was stored",
            )
            .with_source(e),
            // Not transient: retrying will not make it readable.
            StoreError::Unreadable { .. } => crate::Error::new(
                model::ErrorKind::Internal,
                "a stored message could not be read",
            )
            .with_source(e),
        }
    }
}

/// A failed NATS call, with what the store was doing when it failed.
pub(crate) fn unavailable<E: std::error::Error + Send + Sync + 'static>(
    doing: &'static str,
) -> impl FnOnce(E) -> StoreError {
    move |source| StoreError::Unavailable {
        doing,
        source: Box::new(source),
    }
}

pub(crate) fn failed(doing: &'static str, what: impl Into<String>) -> StoreError {
    StoreError::Unavailable {
        doing,
        source: what.into().into(),
    }
}

/// What one batched direct get asks for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BatchQuery<'a> {
    /// Entries on `subject` (wildcards allowed) after sequence `after`,
    /// oldest first, at most `max`.
    After {
        subject: &'a str,
        after: u64,
        max: usize,
    },
    /// The newest entry of each subject of `subjects` (wildcards allowed:
    /// one per matching subject), at most `max`.
    LastOf { subjects: &'a [String], max: usize },
}

/// What one batched direct get brought.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub entries: Vec<StreamMessage>,
    /// The highest sequence among `entries` (for [`BatchQuery::After`],
    /// at least its `after`).
    pub through: u64,
    /// How many more entries match after the batch.
    pub remaining: u64,
}

/// One batched direct get (nats-server ≥ 2.11) on `stream` (`CHAT`, or
/// `KV_<bucket>` for a key-value bucket). async-nats has no call for
/// batches, so the request is written here, once: JetStream answers with
/// one message per entry and ends the batch with status 204 (or 404 when
/// nothing matches); any other status is the store's failure.
pub(crate) async fn direct_batch(
    client: &Client,
    stream: &str,
    query: BatchQuery<'_>,
    doing: &'static str,
) -> Result<Batch, StoreError> {
    let (request, mut batch) = match query {
        BatchQuery::After {
            subject,
            after,
            max,
        } => (
            serde_json::json!({
                "seq": after.saturating_add(1),
                "next_by_subj": subject,
                "batch": max.max(1),
            }),
            Batch {
                through: after,
                ..Batch::default()
            },
        ),
        BatchQuery::LastOf { subjects, max } => (
            serde_json::json!({ "multi_last": subjects, "batch": max.max(1) }),
            Batch::default(),
        ),
    };
    let inbox = client.new_inbox();
    let mut replies = client
        .subscribe(inbox.clone())
        .await
        .map_err(unavailable(doing))?;
    client
        .publish_with_reply(
            format!("$JS.API.DIRECT.GET.{stream}"),
            inbox,
            request.to_string().into(),
        )
        .await
        .map_err(unavailable(doing))?;
    loop {
        let reply = tokio::time::timeout(READ_TIMEOUT, replies.next())
            .await
            .map_err(|_| failed(doing, "timed out"))?
            .ok_or_else(|| failed(doing, "connection closed"))?;
        match reply.status.map(|s| s.as_u16()) {
            Some(204) => {
                batch.remaining = reply
                    .headers
                    .as_ref()
                    .and_then(|h| h.get("Nats-Num-Pending"))
                    .and_then(|n| n.as_str().parse().ok())
                    .unwrap_or(0);
                return Ok(batch);
            }
            Some(404) => return Ok(batch),
            Some(code) => {
                return Err(failed(
                    doing,
                    format!(
                        "direct get failed: {code} {}",
                        reply.description.unwrap_or_default()
                    ),
                ));
            }
            None => {
                let entry =
                    StreamMessage::try_from(reply).map_err(|e| failed(doing, e.to_string()))?;
                batch.through = batch.through.max(entry.sequence);
                batch.entries.push(entry);
            }
        }
    }
}

/// Whether a key-value entry is a delete or purge marker, not a value.
pub(crate) fn is_kv_removal(entry: &StreamMessage) -> bool {
    entry
        .headers
        .get("KV-Operation")
        .is_some_and(|op| op.as_str() != "PUT")
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_nats::jetstream::{self, kv, stream};

    async fn stream_with(subjects: &[&str]) -> (testkit::NatsServer, Client, jetstream::Context) {
        let nats = testkit::NatsServer::start();
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = jetstream::new(client.clone());
        js.create_stream(stream::Config {
            name: "T".into(),
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            allow_direct: true,
            ..Default::default()
        })
        .await
        .unwrap();
        (nats, client, js)
    }

    #[tokio::test]
    async fn a_forward_read_pages_through_a_subject_and_says_what_remains() {
        let (_nats, client, js) = stream_with(&["t.>"]).await;
        for i in 0..5 {
            js.publish(format!("t.{}", i % 2), i.to_string().into())
                .await
                .unwrap()
                .await
                .unwrap();
        }
        let query = |after| BatchQuery::After {
            subject: "t.0",
            after,
            max: 2,
        };
        let first = direct_batch(&client, "T", query(0), "testing")
            .await
            .unwrap();
        let payloads: Vec<_> = first.entries.iter().map(|e| e.payload.clone()).collect();
        assert_eq!(payloads, ["0", "2"]);
        assert_eq!((first.through, first.remaining), (3, 1));
        assert_eq!(first.entries[1].subject.as_str(), "t.0");
        let second = direct_batch(&client, "T", query(first.through), "testing")
            .await
            .unwrap();
        assert_eq!(second.entries.len(), 1);
        assert_eq!((second.through, second.remaining), (5, 0));
        let past_end = direct_batch(&client, "T", query(5), "testing")
            .await
            .unwrap();
        assert!(past_end.entries.is_empty());
        assert_eq!(past_end.through, 5);
    }

    #[tokio::test]
    async fn newest_per_key_and_removals_are_told_apart() {
        let nats = testkit::NatsServer::start();
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = jetstream::new(client.clone());
        let bucket = js
            .create_key_value(kv::Config {
                bucket: "B".into(),
                history: 2,
                ..Default::default()
            })
            .await
            .unwrap();
        bucket.put("room.a", "1".into()).await.unwrap();
        bucket.put("room.a", "2".into()).await.unwrap();
        bucket.put("room.b", "3".into()).await.unwrap();
        bucket.delete("room.b").await.unwrap();
        let subjects = ["$KV.B.room.>".to_owned()];
        let query = BatchQuery::LastOf {
            subjects: &subjects,
            max: 10,
        };
        let batch = direct_batch(&client, "KV_B", query, "testing")
            .await
            .unwrap();
        let live: Vec<_> = batch
            .entries
            .iter()
            .filter(|e| !is_kv_removal(e))
            .map(|e| (e.subject.to_string(), e.payload.clone()))
            .collect();
        assert_eq!(live, [("$KV.B.room.a".to_owned(), "2".into())]);
        assert_eq!(batch.entries.len(), 2, "room.b's delete marker is read too");
    }

    #[tokio::test]
    async fn a_stream_that_is_not_there_is_an_error_not_an_empty_read() {
        let (_nats, client, _js) = stream_with(&["t.>"]).await;
        let query = BatchQuery::After {
            subject: "t.0",
            after: 0,
            max: 1,
        };
        // No responders for a stream that does not exist: the store's
        // failure, said as such.
        let missing = direct_batch(&client, "NOPE", query, "testing").await;
        assert!(
            matches!(missing, Err(StoreError::Unavailable { .. })),
            "{missing:?}"
        );
    }
}
