//! Rate limits against abuse: login attempts per account and per client
//! address, and messages per sender.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Guessing one account's password: 5 tries, then one every 12 s.
const LOGIN_PER_ACCOUNT_BURST: u32 = 5;
const LOGIN_PER_ACCOUNT_PERIOD: Duration = Duration::from_secs(12);
/// Trying many accounts from one address: 20 tries, then one every 3 s.
const LOGIN_PER_ADDRESS_BURST: u32 = 20;
const LOGIN_PER_ADDRESS_PERIOD: Duration = Duration::from_secs(3);

/// How long to wait before the next attempt may succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up, for `Retry-After` and for people.
    pub fn seconds(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

/// Who a message is counted against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SenderKey {
    /// An account, whether it sends from a browser session or an API
    /// token: more sessions or tokens do not multiply its budget.
    Account(i64),
    /// A guest, counted by client address: a made-up session cookie does
    /// not buy a fresh budget.
    Address(IpAddr),
}

/// `@room` from one account in one room: once per 10 minutes (moderators
/// are not counted).
const ROOM_MENTION_PERIOD: Duration = Duration::from_secs(600);

/// Typing notices from one sender in one room: one a second, two at once
/// (a tab says it every 3 s); more are dropped, as a notice lapses anyway.
const TYPING_PERIOD: Duration = Duration::from_secs(1);
const TYPING_BURST: u32 = 2;

/// Joining and leaving one room: 6 times an hour per account, so no one
/// fills its moderation log with comings and goings.
const MEMBERSHIP_PERIOD: Duration = Duration::from_secs(600);
const MEMBERSHIP_BURST: u32 = 6;

pub struct Limits {
    login_per_account: DefaultKeyedRateLimiter<String>,
    membership: DefaultKeyedRateLimiter<(i64, String)>,
    typing: DefaultKeyedRateLimiter<(SenderKey, String)>,
    room_mentions: DefaultKeyedRateLimiter<(i64, String)>,
    login_per_address: DefaultKeyedRateLimiter<IpAddr>,
    /// `None`: sending is not limited (`CHAT_SEND_RATE=0`).
    sends: Option<DefaultKeyedRateLimiter<SenderKey>>,
    /// Rooms one sender may start (by posting or making one) per hour;
    /// `None`: no limit (`CHAT_NEW_ROOMS_PER_HOUR=0`).
    new_rooms: Option<DefaultKeyedRateLimiter<SenderKey>>,
}

impl Limits {
    /// `send_rate` messages per second per sender with bursts of
    /// `send_burst`; a rate of 0 turns the send limit off.
    pub fn new(send_rate: u32, send_burst: u32, new_rooms_per_hour: u32) -> Self {
        let new_rooms = NonZeroU32::new(new_rooms_per_hour)
            .map(|per_hour| RateLimiter::keyed(Quota::per_hour(per_hour)));
        let sends = NonZeroU32::new(send_rate).map(|rate| {
            let burst = NonZeroU32::new(send_burst.max(send_rate)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Self {
            login_per_account: RateLimiter::keyed(quota(
                LOGIN_PER_ACCOUNT_PERIOD,
                LOGIN_PER_ACCOUNT_BURST,
            )),
            login_per_address: RateLimiter::keyed(quota(
                LOGIN_PER_ADDRESS_PERIOD,
                LOGIN_PER_ADDRESS_BURST,
            )),
            room_mentions: RateLimiter::keyed(quota(ROOM_MENTION_PERIOD, 1)),
            typing: RateLimiter::keyed(quota(TYPING_PERIOD, TYPING_BURST)),
            membership: RateLimiter::keyed(quota(MEMBERSHIP_PERIOD, MEMBERSHIP_BURST)),
            sends,
            new_rooms,
        }
    }

    /// Counts a room `sender` starts.
    pub fn new_room(&self, sender: &SenderKey) -> Result<(), RetryAfter> {
        match &self.new_rooms {
            Some(new_rooms) => check(new_rooms, sender),
            None => Ok(()),
        }
    }

    /// Counts `account` joining or leaving `room` of its own accord.
    pub fn membership_change(&self, account: i64, room: &str) -> Result<(), RetryAfter> {
        check(&self.membership, &(account, room.to_owned()))
    }

    /// Counts a typing notice of `sender` in `room`.
    pub fn typing(&self, sender: &SenderKey, room: &str) -> Result<(), RetryAfter> {
        check(&self.typing, &(sender.clone(), room.to_owned()))
    }

    /// Counts an `@room` of `account` in `room`.
    pub fn room_mention(&self, account: i64, room: &str) -> Result<(), RetryAfter> {
        check(&self.room_mentions, &(account, room.to_owned()))
    }

    /// Counts a login attempt for the name (case-insensitive) and address.
    pub fn login_attempt(&self, name: &str, address: IpAddr) -> Result<(), RetryAfter> {
        check(&self.login_per_address, &address)?;
        check(&self.login_per_account, &name.trim().to_ascii_lowercase())
    }

    /// Counts an account registration against the client address only.
    pub fn registration_attempt(&self, address: IpAddr) -> Result<(), RetryAfter> {
        check(&self.login_per_address, &address)
    }

    pub fn send(&self, sender: &SenderKey) -> Result<(), RetryAfter> {
        match &self.sends {
            Some(sends) => check(sends, sender),
            None => Ok(()),
        }
    }

    /// Forgets keys whose buckets are full again, so the maps stay small.
    pub fn forget_idle(&self) {
        self.login_per_account.retain_recent();
        self.login_per_address.retain_recent();
        self.room_mentions.retain_recent();
        self.typing.retain_recent();
        self.membership.retain_recent();
        if let Some(sends) = &self.sends {
            sends.retain_recent();
        }
        if let Some(new_rooms) = &self.new_rooms {
            new_rooms.retain_recent();
        }
    }
}

fn quota(period: Duration, burst: u32) -> Quota {
    Quota::with_period(period)
        .expect("a non-zero period")
        .allow_burst(NonZeroU32::new(burst).expect("a non-zero burst"))
}

fn check<K>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), RetryAfter>
where
    K: Clone + Eq + std::hash::Hash,
{
    limiter
        .check_key(key)
        .map_err(|not_until| RetryAfter(not_until.wait_time_from(DefaultClock::default().now())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_are_limited_per_sender_after_the_burst() {
        let limits = Limits::new(10, 20, 0);
        let alice = SenderKey::Account(1);
        let bob = SenderKey::Account(2);
        for _ in 0..20 {
            assert_eq!(limits.send(&alice), Ok(()));
        }
        let wait = limits.send(&alice).unwrap_err();
        assert!(wait.0 > Duration::ZERO && wait.0 <= Duration::from_millis(100));
        assert_eq!(wait.seconds(), 1);
        assert_eq!(limits.send(&bob), Ok(()));
    }

    #[test]
    fn a_zero_rate_turns_the_send_limit_off() {
        let limits = Limits::new(0, 0, 0);
        let key = SenderKey::Account(1);
        for _ in 0..1000 {
            assert_eq!(limits.send(&key), Ok(()));
        }
    }

    #[test]
    fn logins_are_limited_per_account_and_per_address() {
        let limits = Limits::new(10, 20, 0);
        let here: IpAddr = [127, 0, 0, 1].into();
        let there: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..5 {
            assert_eq!(limits.login_attempt("Alice", here), Ok(()));
        }
        // The same account from elsewhere, and in other letter case.
        let wait = limits.login_attempt("alice", there).unwrap_err();
        assert!(wait.seconds() >= 1 && wait.seconds() <= 12);
        // Another account from the first address still works...
        assert_eq!(limits.login_attempt("bob", here), Ok(()));
        // ...until the address has used its 20.
        for i in 0..14 {
            assert_eq!(limits.login_attempt(&format!("user{i}"), here), Ok(()));
        }
        assert!(limits.login_attempt("carol", here).is_err());
    }
}
