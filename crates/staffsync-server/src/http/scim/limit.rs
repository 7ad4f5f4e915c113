//! The request-rate limit per SCIM token (governor's keyed limiter, keyed by the token's
//! digest, in each process's memory): `ServerConfig::scim_rate` requests a second on
//! average and twice that at once. A token over it is answered 429 with `Retry-After`
//! (Entra and Okta wait and retry), so one identity provider cannot crowd out the
//! others. This module must never keep a token itself.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// The limiter of every SCIM token of this process.
#[derive(Debug)]
pub struct Limiter {
    tokens: DefaultKeyedRateLimiter<String>,
    /// Requests a second on average, for the answer's words.
    pub per_second: u32,
}

impl Limiter {
    /// `per_second` requests a second per token (at least 1), twice that at once.
    pub fn new(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        Limiter {
            tokens: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            per_second: rate.get(),
        }
    }

    /// Takes one request of the token with `digest`: `Err(wait)` when it is over its rate
    /// (how long until it may ask again).
    pub fn take(&self, digest: &str) -> Result<(), Duration> {
        // Forget idle tokens now and then so the map stays small.
        if self.tokens.len() > 10_000 {
            self.tokens.retain_recent();
        }
        self.tokens
            .check_key(&digest.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_its_burst_then_waits_and_others_are_not_affected() {
        let limiter = Limiter::new(50);
        for _ in 0..100 {
            assert!(limiter.take("a").is_ok());
        }
        let wait = limiter.take("a").unwrap_err();
        assert!(wait <= Duration::from_millis(25), "{wait:?}");
        assert!(
            limiter.take("b").is_ok(),
            "another token has its own bucket"
        );
    }
}
