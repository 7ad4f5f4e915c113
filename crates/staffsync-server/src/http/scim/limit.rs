//! The request-rate limit per SCIM token: a token bucket of [`BURST`] requests refilled at
//! [`PER_SECOND`], in each process's memory, keyed by the token's digest. A token over it
//! is answered 429 with `Retry-After` (Entra and Okta wait and retry), so one identity
//! provider cannot crowd out the others. This module must never keep a token itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests a token may make at once.
pub const BURST: f64 = 1000.0;
/// Requests per second a token may make on average.
pub const PER_SECOND: f64 = 200.0;
/// Buckets idle this long are forgotten (they are full again by then anyway).
const IDLE: Duration = Duration::from_secs(600);

/// The buckets of the tokens seen lately.
#[derive(Debug, Default)]
pub struct Limiter(Mutex<HashMap<String, (f64, Instant)>>);

impl Limiter {
    /// Takes one request of the token with `digest` at `now`: `Err(wait)` when its bucket
    /// is empty (how long until it holds one again).
    pub fn take(&self, digest: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, (_, at)| now.duration_since(*at) < IDLE);
        }
        let (level, at) = buckets.entry(digest.to_owned()).or_insert((BURST, now));
        let elapsed = now.saturating_duration_since(*at).as_secs_f64();
        *level = (*level + elapsed * PER_SECOND).min(BURST);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *level) / PER_SECOND))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_its_burst_then_its_rate_and_others_are_not_affected() {
        let limiter = Limiter::default();
        let start = Instant::now();
        for _ in 0..BURST as usize {
            assert!(limiter.take("a", start).is_ok());
        }
        let wait = limiter.take("a", start).unwrap_err();
        assert!(wait <= Duration::from_millis(10), "{wait:?}");
        assert!(
            limiter.take("b", start).is_ok(),
            "another token has its own bucket"
        );
        // A second later a hundred more.
        let later = start + Duration::from_secs(1);
        for _ in 0..PER_SECOND as usize {
            assert!(limiter.take("a", later).is_ok());
        }
        assert!(limiter.take("a", later).is_err());
    }
}
