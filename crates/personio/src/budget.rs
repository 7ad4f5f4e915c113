//! The per-client-IP budget: Personio allows 2,000 requests a minute from one IP address
//! across all endpoints and all credentials, so every client of one process (one account
//! each) draws from one shared [`IpBudget`].
//!
//! Several processes behind one egress address each get their share (2,000 / N): the budget
//! is per process, and Personio's count is per address. This module only paces; it must
//! never drop or fail a request.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Personio's documented per-IP limit, requests per minute.
pub const PERSONIO_PER_IP_PER_MINUTE: u32 = 2000;

/// The budget a process takes when it is alone behind its address: 2.5% under
/// [`PERSONIO_PER_IP_PER_MINUTE`], the margin that keeps a well-paced fleet free of 429s.
pub const DEFAULT_PER_MINUTE: u32 = 1950;

/// A request budget shared by many clients (cheap to clone: the clones share it).
#[derive(Clone)]
pub struct IpBudget {
    limiter: Arc<DefaultDirectRateLimiter>,
    per_minute: u32,
}

impl std::fmt::Debug for IpBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpBudget")
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}

impl IpBudget {
    /// `per_minute` requests a minute, spread evenly, with bursts of half a second's worth.
    /// Personio documents no burst for this limit, so at most one second's worth is assumed
    /// there; the other half is slack for requests that bunch up on the way (a delayed
    /// request followed by one on time). Set the rate a little under the real limit too
    /// ([`DEFAULT_PER_MINUTE`]), so that slack keeps refilling. `None` for 0.
    pub fn per_minute(per_minute: u32) -> Option<IpBudget> {
        let rate = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new(per_minute / 120).unwrap_or(NonZeroU32::MIN);
        Some(IpBudget {
            limiter: Arc::new(RateLimiter::direct(
                Quota::per_minute(rate).allow_burst(burst),
            )),
            per_minute,
        })
    }

    /// Waits until one more request fits the budget.
    pub(crate) async fn wait(&self) {
        self.limiter.until_ready().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_no_budget_and_the_burst_is_one_second() {
        assert!(IpBudget::per_minute(0).is_none());
        let b = IpBudget::per_minute(120).unwrap_or_else(|| unreachable!());
        // Burst of 1 (120/min = 2/s, half a second's worth): the second must wait.
        assert!(b.limiter.check().is_ok());
        assert!(b.limiter.check().is_err());
        let shared = b.clone();
        assert!(shared.limiter.check().is_err(), "clones share one budget");
    }
}
