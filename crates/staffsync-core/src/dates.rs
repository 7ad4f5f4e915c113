//! Calendar dates as `YYYY-MM-DD`, the only date form staffsync stores or prints.
//!
//! Personio sends local midnight with an offset (`2026-12-01T00:00:00+01:00`); the calendar
//! date is the part before `T`. Converting through UTC would move it to the day before, so
//! nothing here ever does.

use time::Date;
use time::macros::format_description;

const YMD: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

/// Parses `YYYY-MM-DD`, or the date part of `YYYY-MM-DDTHH:MM:SS±HH:MM` / `±HHMM` / `Z`.
/// Returns `None` for anything else (the caller names the field in its error).
pub fn parse_calendar_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let date_part = match s.split_once('T') {
        Some((d, _rest)) => d,
        None => s,
    };
    Date::parse(date_part, YMD).ok()
}

/// Formats as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    d.format(YMD).unwrap_or_else(|_| d.to_string())
}

/// Serde helpers for `Option<Date>` as `"YYYY-MM-DD"` or `null`.
pub mod opt_ymd {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_date(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        match v {
            None => Ok(None),
            Some(s) => super::parse_calendar_date(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("not a date: {s:?}"))),
        }
    }
}

/// Serde helpers for `Date` as `"YYYY-MM-DD"`.
pub mod ymd {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_date(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_calendar_date(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not a date: {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn keeps_the_calendar_date_whatever_the_offset() {
        assert_eq!(
            parse_calendar_date("2026-12-01T00:00:00+01:00"),
            Some(date!(2026 - 12 - 01))
        );
        assert_eq!(
            parse_calendar_date("2026-12-01T00:00:00+0100"),
            Some(date!(2026 - 12 - 01))
        );
        assert_eq!(
            parse_calendar_date("2026-12-01"),
            Some(date!(2026 - 12 - 01))
        );
        assert_eq!(parse_calendar_date("2026-13-01"), None);
        assert_eq!(parse_calendar_date(""), None);
    }
}
