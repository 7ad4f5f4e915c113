//! Tenure bands: how long someone has been with the company, in whole months since their
//! hire date, grouped into eight bands (`lt_3m` … `10y_plus`).
//!
//! The planner makes one `tenure` group per band (named by [`TenureBand::key`]); the API
//! and the web app show the band's display name. A month is complete on the same day of a
//! later month; when that month is shorter (hired on the 31st), on its last day. "Today"
//! is the account's calendar date, a parameter: this module must never read a clock.

use time::Date;

/// One tenure band, by whole months completed since the hire date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TenureBand {
    /// [0, 3) months.
    LessThan3Months,
    /// [3, 6) months.
    From3To6Months,
    /// [6, 12) months.
    From6To12Months,
    /// [1, 2) years.
    From1To2Years,
    /// [2, 4) years.
    From2To4Years,
    /// [4, 6) years.
    From4To6Years,
    /// [6, 10) years.
    From6To10Years,
    /// 10 years and more.
    TenYearsPlus,
}

impl TenureBand {
    /// Every band, shortest tenure first.
    pub const ALL: [TenureBand; 8] = [
        TenureBand::LessThan3Months,
        TenureBand::From3To6Months,
        TenureBand::From6To12Months,
        TenureBand::From1To2Years,
        TenureBand::From2To4Years,
        TenureBand::From4To6Years,
        TenureBand::From6To10Years,
        TenureBand::TenYearsPlus,
    ];

    /// The band's stable key: the name of its group and its `key` in the API.
    pub fn key(self) -> &'static str {
        match self {
            TenureBand::LessThan3Months => "lt_3m",
            TenureBand::From3To6Months => "3_6m",
            TenureBand::From6To12Months => "6_12m",
            TenureBand::From1To2Years => "1_2y",
            TenureBand::From2To4Years => "2_4y",
            TenureBand::From4To6Years => "4_6y",
            TenureBand::From6To10Years => "6_10y",
            TenureBand::TenYearsPlus => "10y_plus",
        }
    }

    /// The band with this key.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.key() == key)
    }

    /// The German display name.
    pub fn name_de(self) -> &'static str {
        match self {
            TenureBand::LessThan3Months => "unter 3 Monaten",
            TenureBand::From3To6Months => "3 bis 6 Monate",
            TenureBand::From6To12Months => "6 bis 12 Monate",
            TenureBand::From1To2Years => "1 bis 2 Jahre",
            TenureBand::From2To4Years => "2 bis 4 Jahre",
            TenureBand::From4To6Years => "4 bis 6 Jahre",
            TenureBand::From6To10Years => "6 bis 10 Jahre",
            TenureBand::TenYearsPlus => "10 Jahre und länger",
        }
    }

    /// The English display name.
    pub fn name_en(self) -> &'static str {
        match self {
            TenureBand::LessThan3Months => "less than 3 months",
            TenureBand::From3To6Months => "3 to 6 months",
            TenureBand::From6To12Months => "6 to 12 months",
            TenureBand::From1To2Years => "1 to 2 years",
            TenureBand::From2To4Years => "2 to 4 years",
            TenureBand::From4To6Years => "4 to 6 years",
            TenureBand::From6To10Years => "6 to 10 years",
            TenureBand::TenYearsPlus => "10 years or more",
        }
    }

    /// The band of `months` whole months.
    pub fn of_months(months: u32) -> Self {
        match months {
            0..3 => TenureBand::LessThan3Months,
            3..6 => TenureBand::From3To6Months,
            6..12 => TenureBand::From6To12Months,
            12..24 => TenureBand::From1To2Years,
            24..48 => TenureBand::From2To4Years,
            48..72 => TenureBand::From4To6Years,
            72..120 => TenureBand::From6To10Years,
            _ => TenureBand::TenYearsPlus,
        }
    }

    /// The band of someone hired on `hire_date`, on `today`; `None` before the hire date.
    pub fn on(hire_date: Date, today: Date) -> Option<Self> {
        months_completed(hire_date, today).map(Self::of_months)
    }
}

/// Whole months completed from `from` to `to` (see the module docs for short months);
/// `None` when `to` is before `from`.
pub fn months_completed(from: Date, to: Date) -> Option<u32> {
    if to < from {
        return None;
    }
    let months = (to.year() - from.year()) * 12 + (to.month() as i32 - from.month() as i32);
    // The day of `to`'s month on which the month since `from` is complete.
    let due = from.day().min(to.month().length(to.year()));
    let months = if to.day() < due { months - 1 } else { months };
    u32::try_from(months).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn months_complete_on_the_same_day_or_the_last_day_of_a_shorter_month() {
        let m = |a, b| months_completed(a, b);
        assert_eq!(m(date!(2026 - 01 - 15), date!(2026 - 01 - 15)), Some(0));
        assert_eq!(m(date!(2026 - 01 - 15), date!(2026 - 04 - 14)), Some(2));
        assert_eq!(m(date!(2026 - 01 - 15), date!(2026 - 04 - 15)), Some(3));
        assert_eq!(m(date!(2025 - 11 - 30), date!(2026 - 02 - 27)), Some(2));
        assert_eq!(m(date!(2025 - 11 - 30), date!(2026 - 02 - 28)), Some(3));
        assert_eq!(m(date!(2024 - 01 - 31), date!(2024 - 02 - 29)), Some(1));
        assert_eq!(m(date!(2024 - 01 - 31), date!(2024 - 03 - 30)), Some(1));
        assert_eq!(m(date!(2024 - 01 - 31), date!(2024 - 03 - 31)), Some(2));
        assert_eq!(m(date!(2026 - 01 - 15), date!(2026 - 01 - 14)), None);
    }

    #[test]
    fn bands_have_the_documented_bounds_and_keys() {
        let bounds = [0, 3, 6, 12, 24, 48, 72, 120];
        for (band, lower) in TenureBand::ALL.into_iter().zip(bounds) {
            assert_eq!(TenureBand::of_months(lower), band);
            if lower > 0 {
                assert_ne!(TenureBand::of_months(lower - 1), band);
            }
            assert_eq!(TenureBand::parse(band.key()), Some(band));
            assert!(!band.name_de().is_empty() && !band.name_en().is_empty());
        }
        assert_eq!(TenureBand::of_months(u32::MAX), TenureBand::TenYearsPlus);
    }

    proptest! {
        /// Months grow by one exactly on each monthly anniversary, never go back, and
        /// the band is monotone in time.
        #[test]
        fn months_grow_one_step_at_a_time(start in 0i64..20_000, days in 0i64..5_000) {
            let from = date!(1990 - 01 - 01) + time::Duration::days(start);
            let to = from + time::Duration::days(days);
            let next = to + time::Duration::days(1);
            let a = months_completed(from, to).unwrap_or(u32::MAX);
            let b = months_completed(from, next).unwrap_or(u32::MAX);
            prop_assert!(b == a || b == a + 1);
            prop_assert!(TenureBand::on(from, to) <= TenureBand::on(from, next));
            // Never more than the calendar allows: 12 months take at least 365 days.
            prop_assert!(i64::from(a) <= days / 28);
        }
    }
}
