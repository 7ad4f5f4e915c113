//! Date and time rendering the way Personio does it, plus parsing of the simulator's inputs.
//!
//! Personio sends local midnight in Europe/Berlin with an offset (`+01:00` in winter,
//! `+02:00` in summer, sometimes the compact `+0100` form). This file must never convert a
//! calendar date through UTC: the calendar date is what is rendered before the `T`.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let last = Date::from_calendar_date(year, month, 31).ok()?;
    let back = i64::from(last.weekday().number_days_from_sunday());
    last.checked_sub(Duration::days(back))
}

/// Europe/Berlin's UTC offset in hours at local midnight of `d` (1 or 2).
pub(crate) fn berlin_offset_hours(d: Date) -> i8 {
    match (
        last_sunday(d.year(), Month::March),
        last_sunday(d.year(), Month::October),
    ) {
        // At 00:00 on the switching Sunday the old offset still applies.
        (Some(start), Some(end)) if d > start && d <= end => 2,
        _ => 1,
    }
}

fn offset_text(hours: i8, compact: bool) -> String {
    if compact {
        format!("+{hours:02}00")
    } else {
        format!("+{hours:02}:00")
    }
}

/// `YYYY-MM-DD`.
pub(crate) fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `YYYY-MM-DDT00:00:00+01:00` (or `+0100` when `compact`).
pub(crate) fn personio_date(d: Date, compact: bool) -> String {
    format!(
        "{}T00:00:00{}",
        ymd(d),
        offset_text(berlin_offset_hours(d), compact)
    )
}

/// A point in time as Berlin local time with offset, e.g. `2024-05-02T14:03:11+02:00`.
pub(crate) fn personio_datetime(t: OffsetDateTime, compact: bool) -> String {
    let utc = t.to_offset(UtcOffset::UTC);
    let hours = berlin_offset_hours((utc + Duration::hours(1)).date());
    let local = utc + Duration::hours(i64::from(hours));
    format!(
        "{}T{:02}:{:02}:{:02}{}",
        ymd(local.date()),
        local.hour(),
        local.minute(),
        local.second(),
        offset_text(hours, compact)
    )
}

/// RFC 3339 in UTC, for the simulator's own JSON.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    let utc = t.to_offset(UtcOffset::UTC);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        ymd(utc.date()),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// Parses `YYYY-MM-DD`, or the date part of anything with a `T` after it.
pub(crate) fn parse_ymd(s: &str) -> Option<Date> {
    let s = s.trim();
    let date = s.split_once('T').map_or(s, |(d, _)| d);
    let mut it = date.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

/// Parses `updated_since`: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` (no zone), as a local
/// wall-clock reading.
pub(crate) fn parse_wall_clock(s: &str) -> Option<PrimitiveDateTime> {
    let s = s.trim();
    let date = parse_ymd(s)?;
    let time = match s.split_once('T') {
        None if s.len() == 10 => Time::MIDNIGHT,
        None => return None,
        Some((_, t)) => {
            let mut it = t.splitn(3, ':');
            let h: u8 = it.next()?.parse().ok()?;
            let m: u8 = it.next()?.parse().ok()?;
            let sec: u8 = it.next().unwrap_or("0").parse().ok()?;
            Time::from_hms(h, m, sec).ok()?
        }
    };
    Some(PrimitiveDateTime::new(date, time))
}

/// Today's date when none is configured.
pub(crate) fn real_today() -> Date {
    OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn offsets_follow_berlin_dst() {
        assert_eq!(
            personio_date(date!(2026 - 01 - 15), false),
            "2026-01-15T00:00:00+01:00"
        );
        assert_eq!(
            personio_date(date!(2026 - 07 - 01), false),
            "2026-07-01T00:00:00+02:00"
        );
        assert_eq!(
            personio_date(date!(2026 - 07 - 01), true),
            "2026-07-01T00:00:00+0200"
        );
        // 2026-03-29 and 2026-10-25 are the switching Sundays.
        assert_eq!(berlin_offset_hours(date!(2026 - 03 - 29)), 1);
        assert_eq!(berlin_offset_hours(date!(2026 - 03 - 30)), 2);
        assert_eq!(berlin_offset_hours(date!(2026 - 10 - 25)), 2);
        assert_eq!(berlin_offset_hours(date!(2026 - 10 - 26)), 1);
        assert_eq!(
            personio_datetime(datetime!(2026-07-01 10:00 UTC), false),
            "2026-07-01T12:00:00+02:00"
        );
    }

    #[test]
    fn parses_inputs() {
        assert_eq!(parse_ymd("2026-02-03"), Some(date!(2026 - 02 - 03)));
        assert_eq!(parse_ymd("2026-02-30"), None);
        assert!(parse_wall_clock("2026-02-03T10:11:12").is_some());
        assert!(parse_wall_clock("2026-02-03").is_some());
        assert!(parse_wall_clock("yesterday").is_none());
    }
}
