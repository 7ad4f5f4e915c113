//! An account's time zone: an IANA name checked against the tz database once, where it
//! enters (the CLI, the store reading a row), so "today" in that zone can never fail later.
//!
//! This module must never read the clock: callers pass the instant.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::{Date, OffsetDateTime};
use time_tz::{OffsetDateTimeExt, Tz, timezones};

/// A time zone name the tz database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?} (use an IANA name such as Europe/Berlin)")]
pub struct UnknownTimeZone(pub String);

/// A known IANA time zone, with the name as it was given (shown and stored as such).
#[derive(Clone, PartialEq, Eq)]
pub struct TimeZoneName {
    name: String,
    tz: &'static Tz,
}

impl TimeZoneName {
    /// `name` if the tz database knows it.
    pub fn parse(name: &str) -> Result<Self, UnknownTimeZone> {
        let tz = timezones::get_by_name(name).ok_or_else(|| UnknownTimeZone(name.to_owned()))?;
        Ok(TimeZoneName {
            name: name.to_owned(),
            tz,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// Instant `at` as wall-clock time in this zone.
    pub fn local(&self, at: OffsetDateTime) -> OffsetDateTime {
        at.to_timezone(self.tz)
    }

    /// The calendar date at instant `now` in this zone.
    pub fn date_at(&self, now: OffsetDateTime) -> Date {
        self.local(now).date()
    }
}

/// Europe/Berlin, the zone of an account created without one.
impl Default for TimeZoneName {
    fn default() -> Self {
        TimeZoneName {
            name: "Europe/Berlin".to_owned(),
            tz: timezones::db::europe::BERLIN,
        }
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZoneName({:?})", self.name)
    }
}

impl std::str::FromStr for TimeZoneName {
    type Err = UnknownTimeZone;
    fn from_str(s: &str) -> Result<Self, UnknownTimeZone> {
        TimeZoneName::parse(s)
    }
}

impl Serialize for TimeZoneName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZoneName::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn berlin_is_already_tomorrow_at_23_30_utc() {
        let now = datetime!(2026-11-30 23:30 UTC);
        let berlin = TimeZoneName::parse("Europe/Berlin").unwrap();
        assert_eq!(berlin.date_at(now), date!(2026 - 12 - 01));
        assert_eq!(TimeZoneName::default(), berlin);
        assert_eq!(
            TimeZoneName::parse("UTC").unwrap().date_at(now),
            date!(2026 - 11 - 30)
        );
    }

    #[test]
    fn unknown_names_are_refused_naming_them() {
        let e = TimeZoneName::parse("Mars/Olympus").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"unknown time zone "Mars/Olympus" (use an IANA name such as Europe/Berlin)"#
        );
        assert!(serde_json::from_str::<TimeZoneName>(r#""Mars/Olympus""#).is_err());
        let tz: TimeZoneName = serde_json::from_str(r#""Europe/Vienna""#).unwrap();
        assert_eq!(serde_json::to_string(&tz).unwrap(), r#""Europe/Vienna""#);
    }
}
