//! "Today" for an account: the calendar date in the account's time zone.
//!
//! Personio dates are calendar dates in the company's zone, so eligibility must be judged
//! against the account's local date, never UTC's. The zone was checked when it entered
//! (a [`TimeZoneName`]), so this cannot fail. This module must never read the clock
//! implicitly for callers that pass a fixed date (tests inject "today").

pub use staffsync_core::{TimeZoneName, UnknownTimeZone};
use time::{Date, OffsetDateTime};

/// The calendar date at instant `now` in time zone `zone`.
pub fn date_in(zone: &TimeZoneName, now: OffsetDateTime) -> Date {
    zone.date_at(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn berlin_is_already_tomorrow_at_23_30_utc() {
        let now = datetime!(2026-11-30 23:30 UTC);
        let zone = |n: &str| TimeZoneName::parse(n).unwrap();
        assert_eq!(date_in(&zone("Europe/Berlin"), now), date!(2026 - 12 - 01));
        assert_eq!(date_in(&zone("UTC"), now), date!(2026 - 11 - 30));
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
    }
}
