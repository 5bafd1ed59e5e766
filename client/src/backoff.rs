//! How long to wait before trying the chat again: doubling pauses with
//! jitter, so a restarted server is not hit by every client at once.

use crate::RequestError;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Doubling pauses from `first` up to `most`, each drawn between half and
/// all of its nominal length.
#[derive(Clone, Debug)]
pub struct Backoff {
    first: Duration,
    most: Duration,
    nominal: Duration,
}

impl Backoff {
    pub fn new(first: Duration, most: Duration) -> Self {
        Self {
            first,
            most,
            nominal: first,
        }
    }

    /// For the chat's HTTP API and sockets: 250 ms doubling to 5 s.
    pub fn for_chat() -> Self {
        Self::new(Duration::from_millis(250), Duration::from_secs(5))
    }

    /// The next pause, and the one after it doubled.
    pub fn next_pause(&mut self) -> Duration {
        let nominal = self.nominal;
        self.nominal = (nominal * 2).min(self.most);
        nominal.mul_f64(0.5 + jitter() / 2.0)
    }

    /// Waits the next pause.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.next_pause()).await;
    }

    /// Back to the first pause, after a success.
    pub fn reset(&mut self) {
        self.nominal = self.first;
    }
}

/// A number in [0, 1) that differs between processes and calls; pauses
/// need spread, not secrecy.
fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let mixed = (u64::from(nanos) ^ u64::from(std::process::id()))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        >> 40;
    mixed as f64 / (1u64 << 24) as f64
}

/// Runs `attempt` until it succeeds or fails for good, waiting out
/// transient failures (server away, overloaded) with a [`Backoff`];
/// `on_retry` hears each of them.
pub async fn retry_transient<T, F, Fut>(
    mut attempt: F,
    mut on_retry: impl FnMut(&RequestError),
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut backoff = Backoff::for_chat();
    loop {
        match attempt().await {
            Err(e) if e.is_transient() => {
                on_retry(&e);
                backoff.wait().await;
            }
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_most_and_start_again_after_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
        let nominal = [100, 200, 400, 400];
        for ms in nominal {
            let pause = backoff.next_pause();
            let ms = Duration::from_millis(ms);
            assert!(pause >= ms / 2 && pause <= ms, "{pause:?} for {ms:?}");
        }
        backoff.reset();
        assert!(backoff.next_pause() <= Duration::from_millis(100));
    }
}
