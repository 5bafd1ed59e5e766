//! The answer-first gate: sends that JetStream has stored but whose sender
//! has not been answered yet. A room's fan-out waits for them, briefly: with
//! a thousand tabs in the room, the ack would otherwise queue behind the
//! thousand socket writes of its own message (docs/PERFORMANCE.md).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// The longest a fan-out holds a message back for its sender's answer; a
/// stuck answer must not stall the room.
const PATIENCE: Duration = Duration::from_millis(25);

/// Keyed by `room_log::message_key`, the message's `Nats-Msg-Id`.
#[derive(Clone, Default)]
pub(crate) struct AnswerGate {
    waiting: Arc<Mutex<HashMap<String, oneshot::Receiver<u64>>>>,
}

/// Held while one send is being answered; dropping it lets the message's
/// fan-out go.
pub(crate) struct Answering {
    key: String,
    sends: AnswerGate,
    answered: Option<oneshot::Sender<u64>>,
}

impl Answering {
    /// The send is answered with the message JetStream stored at `seq`
    /// (which the fan-out then need not check).
    pub fn stored(mut self, seq: u64) {
        if let Some(answered) = self.answered.take() {
            let _ = answered.send(seq);
        }
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        // If no fan-out took the receiver (no tab in this room here, or a
        // duplicate that is not republished), it must not stay in the map.
        if let Ok(mut waiting) = self.sends.waiting.lock() {
            waiting.remove(&self.key);
        }
    }
}

impl AnswerGate {
    /// Marks a send as unanswered until the returned guard is dropped.
    pub fn begin(&self, key: String) -> Answering {
        let (answered, receiver) = oneshot::channel();
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.insert(key.clone(), receiver);
        }
        Answering {
            key,
            sends: self.clone(),
            answered: Some(answered),
        }
    }

    /// Waits until the send of this message, if this process is still
    /// answering it, has been answered; the stream sequence JetStream
    /// acknowledged for it, when the send said.
    pub async fn answered(&self, key: &str) -> Option<u64> {
        let receiver = match self.waiting.lock() {
            Ok(mut waiting) => waiting.remove(key),
            Err(_) => None,
        };
        // A guard dropped without `stored` closes the channel: an error is
        // the signal too.
        tokio::time::timeout(PATIENCE, receiver?).await.ok()?.ok()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.waiting.lock().map(|w| w.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_fan_out_learns_the_sequence_the_send_was_acked_with() {
        let sends = AnswerGate::default();
        let answering = sends.begin("lobby/m1".into());
        let waiter = tokio::spawn({
            let sends = sends.clone();
            async move { sends.answered("lobby/m1").await }
        });
        tokio::task::yield_now().await;
        answering.stored(42);
        assert_eq!(waiter.await.unwrap(), Some(42));
        // A send that ends without a stored message tells nothing.
        let answering = sends.begin("lobby/m2".into());
        let waiter = tokio::spawn({
            let sends = sends.clone();
            async move { sends.answered("lobby/m2").await }
        });
        tokio::task::yield_now().await;
        drop(answering);
        assert_eq!(waiter.await.unwrap(), None);
        assert_eq!(sends.len(), 0);
    }

    #[tokio::test]
    async fn a_fan_out_waits_until_the_sender_is_answered() {
        let sends = AnswerGate::default();
        let answering = sends.begin("lobby/m1".into());
        let waiter = tokio::spawn({
            let sends = sends.clone();
            async move { sends.answered("lobby/m1").await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(answering);
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("released when the answer is given")
            .unwrap();
        assert_eq!(sends.len(), 0);
    }

    #[tokio::test]
    async fn other_messages_and_answered_sends_do_not_wait() {
        let sends = AnswerGate::default();
        let _other_room = sends.begin("other/m1".into());
        drop(sends.begin("lobby/m1".into()));
        assert_eq!(sends.len(), 1, "an answered send leaves nothing behind");
        tokio::time::timeout(Duration::from_millis(5), sends.answered("lobby/m1"))
            .await
            .expect("nothing to wait for");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stuck_answer_holds_the_room_for_a_bounded_time() {
        let sends = AnswerGate::default();
        let _stuck = sends.begin("lobby/m1".into());
        let started = tokio::time::Instant::now();
        sends.answered("lobby/m1").await;
        assert_eq!(started.elapsed(), PATIENCE);
    }
}
