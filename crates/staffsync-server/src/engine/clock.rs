//! "Today" for an account: the calendar date in the account's time zone.
//!
//! Personio dates are calendar dates in the company's zone, so eligibility must be judged
//! against the account's local date, never UTC's. This module must never read the clock
//! implicitly for callers that pass a fixed date (tests inject "today").

use time::{Date, OffsetDateTime};
use time_tz::{OffsetDateTimeExt, timezones};

/// The error for a time zone name that the tz database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?} (use an IANA name such as Europe/Berlin)")]
pub struct UnknownTimeZone(pub String);

/// Checks that `name` is an IANA time zone name.
pub fn validate_time_zone(name: &str) -> Result<(), UnknownTimeZone> {
    timezones::get_by_name(name)
        .map(|_| ())
        .ok_or_else(|| UnknownTimeZone(name.to_owned()))
}

/// The calendar date at instant `now` in time zone `name`.
pub fn date_in(name: &str, now: OffsetDateTime) -> Result<Date, UnknownTimeZone> {
    let tz = timezones::get_by_name(name).ok_or_else(|| UnknownTimeZone(name.to_owned()))?;
    Ok(now.to_timezone(tz).date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn berlin_is_already_tomorrow_at_23_30_utc() {
        let now = datetime!(2026-11-30 23:30 UTC);
        assert_eq!(date_in("Europe/Berlin", now), Ok(date!(2026 - 12 - 01)));
        assert_eq!(date_in("UTC", now), Ok(date!(2026 - 11 - 30)));
        assert!(date_in("Mars/Olympus", now).is_err());
    }
}
