//! The one way the chat changes a KV key that several writers share (read
//! positions, message states, room rules, slow mode): write only if the
//! key is still at the revision that was read, and say so when another
//! writer came first, so the caller reads again and redoes its change.

use crate::error::BoxError;
use async_nats::jetstream::kv;

/// Writes `value` at `key` if the key is still at `revision` (`None`: the
/// key did not exist) and returns the new revision; `Ok(None)`: another
/// writer came first.
pub(crate) async fn put_if_unchanged(
    kv: &kv::Store,
    key: &str,
    value: bytes::Bytes,
    revision: Option<u64>,
) -> Result<Option<u64>, BoxError> {
    match revision {
        Some(revision) => match kv.update(key, value, revision).await {
            Ok(revision) => Ok(Some(revision)),
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(None),
            Err(e) => Err(e.into()),
        },
        None => match kv.create(key, value).await {
            Ok(revision) => Ok(Some(revision)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e.into()),
        },
    }
}
