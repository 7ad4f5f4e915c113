//! Calendar dates from what spreadsheets hold: text as admins type it (2026-03-01,
//! 01.03.2026, 1.3.2026, ISO with a time part) and Excel serial numbers (1900 system).
//!
//! Must never guess between day-first and month-first: `03/01/2026` is refused, not read
//! as either March or January.

use time::{Date, Duration, Month};

/// A date typed as text, or `None` when it is not one of the accepted forms or not a real
/// day (31.02.2026).
pub(crate) fn parse_text(s: &str) -> Option<Date> {
    let s = s.trim();
    // A time part after the date ("2026-03-01T08:00:00", "01.03.2026 08:00") is dropped:
    // the file says which day, not when on it.
    let (date, rest) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    if !rest.is_empty() && !rest.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = if let Some((y, md)) = date.split_once('-') {
        let (m, d) = md.split_once('-')?;
        (number(y, 4, 4)?, number(m, 1, 2)?, number(d, 1, 2)?)
    } else {
        let (d, my) = date.split_once('.')?;
        let (m, y) = my.split_once('.')?;
        (number(y, 4, 4)?, number(m, 1, 2)?, number(d, 1, 2)?)
    };
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()
}

/// ASCII digits only, `min..=max` of them.
fn number(s: &str, min: usize, max: usize) -> Option<i32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The last serial Excel can show as a date (9999-12-31).
const MAX_SERIAL: f64 = 2_958_465.0;

/// An Excel serial number in the 1900 date system (the fraction is the time of day and is
/// dropped). Serial 60 is Excel's non-existent 1900-02-29 and is refused, as is anything
/// below 1 (a bare time of day) or beyond 9999-12-31.
pub(crate) fn from_serial(serial: f64) -> Option<Date> {
    if !serial.is_finite() || !(1.0..MAX_SERIAL + 1.0).contains(&serial) {
        return None;
    }
    // Exact: the range check above keeps it within i64 and positive.
    #[allow(clippy::cast_possible_truncation)]
    let days = serial.floor() as i64;
    let epoch = |y, m, d| Date::from_calendar_date(y, m, d).ok();
    match days {
        // Excel counts 1900 as a leap year: from 1900-03-01 on, serials are one day ahead.
        61.. => epoch(1899, Month::December, 30)?.checked_add(Duration::days(days)),
        60 => None,
        _ => epoch(1899, Month::December, 31)?.checked_add(Duration::days(days)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn text_forms() {
        assert_eq!(parse_text("2026-03-01"), Some(date!(2026 - 03 - 01)));
        assert_eq!(parse_text(" 01.03.2026 "), Some(date!(2026 - 03 - 01)));
        assert_eq!(parse_text("1.3.2026"), Some(date!(2026 - 03 - 01)));
        assert_eq!(
            parse_text("2026-03-01T08:30:00Z"),
            Some(date!(2026 - 03 - 01))
        );
        assert_eq!(parse_text("2026-03-01 08:30"), Some(date!(2026 - 03 - 01)));
        assert_eq!(parse_text("01.03.2026 08:30"), Some(date!(2026 - 03 - 01)));
    }

    #[test]
    fn refuses_what_is_not_a_day() {
        for s in [
            "",
            "31.02.2026",
            "2026-13-01",
            "03/01/2026",
            "1.3.26",
            "morgen",
            "2026-03-01 x",
            "2026-03",
            "+2026-03-01",
            "2026-03-01-",
            "１.３.２０２６",
        ] {
            assert_eq!(parse_text(s), None, "{s}");
        }
    }

    #[test]
    fn excel_serials() {
        assert_eq!(from_serial(1.0), Some(date!(1900 - 01 - 01)));
        assert_eq!(from_serial(59.0), Some(date!(1900 - 02 - 28)));
        assert_eq!(from_serial(60.0), None);
        assert_eq!(from_serial(61.0), Some(date!(1900 - 03 - 01)));
        assert_eq!(from_serial(46082.0), Some(date!(2026 - 03 - 01)));
        assert_eq!(from_serial(46082.75), Some(date!(2026 - 03 - 01)));
        assert_eq!(from_serial(2_958_465.0), Some(date!(9999 - 12 - 31)));
        for bad in [0.5, -3.0, 2_958_466.0, f64::NAN, f64::INFINITY] {
            assert_eq!(from_serial(bad), None, "{bad}");
        }
    }
}
