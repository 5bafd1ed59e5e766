//! The IRC server's rate limit, kept on our side: at most `lines` lines in
//! any window of `per` (Twitch counts 20 per 30 s and drops a bot that
//! sends more).

use crate::settings::Rate;
use std::collections::VecDeque;
use tokio::time::Instant;

pub struct Pacer {
    rate: Rate,
    sent: VecDeque<Instant>,
}

impl Pacer {
    pub fn new(rate: Rate) -> Self {
        Pacer {
            rate,
            sent: VecDeque::with_capacity(rate.lines),
        }
    }

    /// When the next line may go.
    pub fn ready_at(&self) -> Instant {
        match self.sent.front() {
            Some(oldest) if self.sent.len() >= self.rate.lines => *oldest + self.rate.per,
            _ => Instant::now(),
        }
    }

    pub fn record(&mut self) {
        let now = Instant::now();
        while self.sent.front().is_some_and(|t| *t + self.rate.per <= now) {
            self.sent.pop_front();
        }
        self.sent.push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn holds_back_the_line_over_the_limit_until_the_window_moves() {
        let mut pacer = Pacer::new(Rate {
            lines: 2,
            per: Duration::from_secs(30),
        });
        let start = Instant::now();
        for _ in 0..2 {
            assert!(pacer.ready_at() <= Instant::now());
            pacer.record();
        }
        assert_eq!(pacer.ready_at(), start + Duration::from_secs(30));
        tokio::time::sleep_until(pacer.ready_at()).await;
        pacer.record();
        assert_eq!(pacer.ready_at(), start + Duration::from_secs(30));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(pacer.ready_at() <= Instant::now());
    }
}
