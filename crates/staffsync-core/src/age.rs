//! Age bands without birth dates: five bands (`lt_25`, `25_34`, `35_44`, `45_54`,
//! `55_plus`) from a date attribute the account names (`groups.age.attribute`).
//!
//! The birth date is read, turned into a band, and dropped: staffsync never stores it.
//! What the daily date check needs to move someone into their next band without asking
//! the source is kept instead: the *month* in which that band begins ([`YearMonth`],
//! `DirectoryEmployee::age_band_next`; nothing for `55_plus`, which has no next band).
//! So that neither this month nor the change feed's record of the move gives the
//! birthday away, a band changes on the **first day of the month after** the birthday
//! that starts it, never on the birthday itself: at most a month late, and what is kept
//! (and what the history shows) reveals the month and year of birth, never the day.
//! Every band is computed by that rule, from a listing or from the stored month alike.
//!
//! "Today" is the account's calendar date, a parameter: this module must never read a
//! clock.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::{Date, Month};

/// A calendar month (`YYYY-MM`): the precision staffsync keeps of anything age-related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    /// Months since January of year 0 (`year * 12 + month - 1`).
    index: i32,
}

impl YearMonth {
    pub fn new(year: i32, month: Month) -> Self {
        YearMonth {
            index: year * 12 + i32::from(month as u8) - 1,
        }
    }

    /// The month `date` falls in.
    pub fn of(date: Date) -> Self {
        YearMonth::new(date.year(), date.month())
    }

    pub fn year(self) -> i32 {
        self.index.div_euclid(12)
    }

    pub fn month(self) -> Month {
        // `rem_euclid(12) + 1` is always a valid month.
        Month::try_from((self.index.rem_euclid(12) + 1) as u8).unwrap_or(Month::January)
    }

    /// `months` later (earlier when negative).
    pub fn plus_months(self, months: i32) -> Self {
        YearMonth {
            index: self.index + months,
        }
    }

    /// Whole months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: YearMonth) -> i32 {
        later.index - self.index
    }

    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Self> {
        let (year, month) = s.trim().split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
        Some(YearMonth::new(year, month))
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month() as u8)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        YearMonth::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a month: {s:?}")))
    }
}

/// One age band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBand {
    /// Under 25.
    Under25,
    /// 25 to 34.
    From25To34,
    /// 35 to 44.
    From35To44,
    /// 45 to 54.
    From45To54,
    /// 55 and older.
    From55,
}

impl AgeBand {
    /// Every band, youngest first.
    pub const ALL: [AgeBand; 5] = [
        AgeBand::Under25,
        AgeBand::From25To34,
        AgeBand::From35To44,
        AgeBand::From45To54,
        AgeBand::From55,
    ];

    /// The band's stable key: the name of its group and its `key` in the API.
    pub fn key(self) -> &'static str {
        match self {
            AgeBand::Under25 => "lt_25",
            AgeBand::From25To34 => "25_34",
            AgeBand::From35To44 => "35_44",
            AgeBand::From45To54 => "45_54",
            AgeBand::From55 => "55_plus",
        }
    }

    /// The band with this key.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.key() == key)
    }

    /// The German display name.
    pub fn name_de(self) -> &'static str {
        match self {
            AgeBand::Under25 => "unter 25 Jahre",
            AgeBand::From25To34 => "25 bis 34 Jahre",
            AgeBand::From35To44 => "35 bis 44 Jahre",
            AgeBand::From45To54 => "45 bis 54 Jahre",
            AgeBand::From55 => "55 Jahre und älter",
        }
    }

    /// The English display name.
    pub fn name_en(self) -> &'static str {
        match self {
            AgeBand::Under25 => "under 25",
            AgeBand::From25To34 => "25 to 34",
            AgeBand::From35To44 => "35 to 44",
            AgeBand::From45To54 => "45 to 54",
            AgeBand::From55 => "55 or older",
        }
    }

    /// The band of someone `years` old.
    pub fn of_years(years: u32) -> Self {
        match years {
            0..25 => AgeBand::Under25,
            25..35 => AgeBand::From25To34,
            35..45 => AgeBand::From35To44,
            45..55 => AgeBand::From45To54,
            _ => AgeBand::From55,
        }
    }

    /// The age at which the next band begins; `None` for the last band.
    pub fn upper_age(self) -> Option<u32> {
        match self {
            AgeBand::Under25 => Some(25),
            AgeBand::From25To34 => Some(35),
            AgeBand::From35To44 => Some(45),
            AgeBand::From45To54 => Some(55),
            AgeBand::From55 => None,
        }
    }
}

/// Someone's band and the month their next band begins, from the month they were born
/// (see the module docs for the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeStanding {
    pub band: AgeBand,
    /// The month on whose first day the next band begins; `None` in the last band.
    pub next: Option<YearMonth>,
}

/// The age in whole years on `today` by the month rule: a year is complete once the
/// month of the birthday is over. `None` before the month after birth.
fn years_on(born: YearMonth, today: Date) -> Option<u32> {
    let months = born.months_until(YearMonth::of(today)) - 1;
    u32::try_from(months).ok().map(|m| m / 12)
}

impl AgeStanding {
    /// The standing of someone born in `born`, on `today`; `None` for a birth month not
    /// yet over (a date in the future is a mistake in the data, not an age).
    pub fn on(born: YearMonth, today: Date) -> Option<Self> {
        let band = AgeBand::of_years(years_on(born, today)?);
        let next = band
            .upper_age()
            .map(|age| born.plus_months(age as i32 * 12 + 1));
        Some(AgeStanding { band, next })
    }

    /// The month of birth a stored standing stands for, when it has a next band (the
    /// last band keeps no month, and needs none: it never changes).
    pub fn born(self) -> Option<YearMonth> {
        let age = self.band.upper_age()?;
        self.next
            .map(|next| next.plus_months(-(age as i32 * 12 + 1)))
    }
}

/// The month of birth in a date attribute's value: `YYYY-MM-DD` (with or without a time
/// after `T`), `DD.MM.YYYY`, or `YYYY-MM` (what a kept future hire's record holds, see
/// [`crate::planner::minimize`]). `None` for anything else.
pub fn birth_month(value: &str) -> Option<YearMonth> {
    let value = value.trim();
    if let Some(date) = crate::dates::parse_calendar_date(value) {
        return Some(YearMonth::of(date));
    }
    if let Some((day, rest)) = value.split_once('.')
        && let Some((month, year)) = rest.split_once('.')
        && (1..=2).contains(&day.len())
        && (1..=2).contains(&month.len())
        && year.len() == 4
    {
        let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
        let year: i32 = year.parse().ok()?;
        let day: u8 = day.parse().ok()?;
        return Date::from_calendar_date(year, month, day)
            .ok()
            .map(YearMonth::of);
    }
    YearMonth::parse(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn ym(y: i32, m: u8) -> YearMonth {
        YearMonth::new(y, Month::try_from(m).unwrap())
    }

    #[test]
    fn a_band_begins_on_the_first_of_the_month_after_the_birthday() {
        let born = ym(2001, 5);
        let on = |d| AgeStanding::on(born, d).unwrap();
        // 25th birthday on 2026-05-17: still under 25 all of May, 25 from June 1st.
        assert_eq!(on(date!(2026 - 05 - 17)).band, AgeBand::Under25);
        assert_eq!(on(date!(2026 - 05 - 31)).band, AgeBand::Under25);
        assert_eq!(on(date!(2026 - 05 - 31)).next, Some(ym(2026, 6)));
        assert_eq!(on(date!(2026 - 06 - 01)).band, AgeBand::From25To34);
        assert_eq!(on(date!(2026 - 06 - 01)).next, Some(ym(2036, 6)));
        assert_eq!(on(date!(2056 - 06 - 01)).band, AgeBand::From55);
        assert_eq!(on(date!(2056 - 06 - 01)).next, None);
        // Born this month or later: no band.
        assert_eq!(AgeStanding::on(born, date!(2001 - 05 - 31)), None);
        assert_eq!(
            AgeStanding::on(born, date!(2001 - 06 - 01)).map(|s| s.band),
            Some(AgeBand::Under25)
        );
    }

    #[test]
    fn bands_have_the_documented_keys_and_bounds() {
        let bounds = [0, 25, 35, 45, 55];
        for (band, lower) in AgeBand::ALL.into_iter().zip(bounds) {
            assert_eq!(AgeBand::of_years(lower), band);
            if lower > 0 {
                assert_ne!(AgeBand::of_years(lower - 1), band);
            }
            assert_eq!(AgeBand::parse(band.key()), Some(band));
            assert!(!band.name_de().is_empty() && !band.name_en().is_empty());
        }
        let keys: Vec<&str> = AgeBand::ALL.iter().map(|b| b.key()).collect();
        assert_eq!(keys, ["lt_25", "25_34", "35_44", "45_54", "55_plus"]);
    }

    #[test]
    fn birth_months_are_read_from_the_usual_date_shapes() {
        for value in [
            "1990-05-17",
            " 1990-05-17T00:00:00+02:00",
            "17.05.1990",
            "7.5.1990",
            "1990-05",
        ] {
            let expected = ym(1990, 5);
            assert_eq!(birth_month(value), Some(expected), "{value}");
        }
        for value in ["", "Mai 1990", "31.02.1990", "1990-13", "90-05"] {
            assert_eq!(birth_month(value), None, "{value}");
        }
        assert_eq!(ym(1990, 5).to_string(), "1990-05");
        assert_eq!(YearMonth::parse("1990-05"), Some(ym(1990, 5)));
    }

    proptest! {
        /// The band from the stored month alone equals the band from the month of birth,
        /// on every later day; bands never go back; the band changes only on a first of
        /// the month, and the kept month is exactly when it does.
        #[test]
        fn the_stored_month_moves_bands_as_the_birth_month_would(
            born_days in 0i64..30_000, first in 0i64..30_000, later in 0i64..8_000,
        ) {
            let born = YearMonth::of(date!(1940 - 01 - 01) + time::Duration::days(born_days));
            let day = date!(1940 - 01 - 01) + time::Duration::days(first);
            let then = day + time::Duration::days(later);
            let Some(stored) = AgeStanding::on(born, day) else { return Ok(()) };
            if let Some(recovered) = stored.born() {
                prop_assert_eq!(recovered, born);
                prop_assert_eq!(AgeStanding::on(recovered, then), AgeStanding::on(born, then));
            } else {
                prop_assert_eq!(stored.band, AgeBand::From55);
            }
            let now = AgeStanding::on(born, then).unwrap();
            prop_assert!(now.band >= stored.band);
            let tomorrow = AgeStanding::on(born, then + time::Duration::days(1)).unwrap();
            if tomorrow.band != now.band {
                let next_day = then + time::Duration::days(1);
                prop_assert_eq!(next_day.day(), 1);
                prop_assert_eq!(now.next, Some(YearMonth::of(next_day)));
            }
        }
    }
}
