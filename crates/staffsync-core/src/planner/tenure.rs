//! Bands that move as days pass, in the planner: the tenure band a hire date puts someone
//! in today ([`tenure_group`]) and the age band of their birth date ([`age_standing`]),
//! used by every plan; and the daily date check's plan ([`tenure_plan`]): once a day every
//! directory person's `tenure` group is derived again from the stored hire date, and their
//! `age` group from the stored month their next age band begins
//! ([`DirectoryEmployee::age_band_next`]), without asking the source. The birth date is
//! not stored, so it is not needed here either (see [`crate::age`]).
//!
//! [`tenure_plan`] changes nothing but `tenure` and `age` groups (and the month of the
//! next age band): everything else about a person comes from the source and waits for a
//! sync. It must never need a listing.

use super::diff::changes;
use crate::age::{AgeBand, AgeStanding};
use crate::directory::{DirectoryEmployee, GroupKey, GroupKind};
use crate::employee::SourceEmployee;
use crate::plan::{Plan, Policy, Update};
use crate::tenure::TenureBand;
use time::Date;

/// The `tenure` group `person` should be in today under `policy`: the band of their hire
/// date when tenure groups are on and they have one.
pub fn tenure_group(hire_date: Option<Date>, policy: &Policy, today: Date) -> Option<TenureBand> {
    if !policy.settings.groups.tenure {
        return None;
    }
    hire_date.and_then(|h| TenureBand::on(h, today))
}

/// The age band of `employee` today under `policy`, with the month their next band
/// begins: when age groups are on and the named date attribute holds a date (of a month
/// that is over).
pub fn age_standing(
    employee: &SourceEmployee,
    policy: &Policy,
    today: Date,
) -> Option<AgeStanding> {
    let wanted = crate::text::trim(&policy.settings.groups.age.as_ref()?.attribute);
    let value = employee
        .attributes
        .iter()
        .filter(|a| super::groups::names(a, wanted))
        .find_map(|a| a.value.as_deref().map(crate::text::trim))
        .filter(|v| !v.is_empty())?;
    AgeStanding::on(crate::age::birth_month(value)?, today)
}

/// The age group and next-band month `d` should have today, from what is stored: `None`
/// when nothing is to change (no age groups known for them, or the last band).
fn age_today(
    d: &DirectoryEmployee,
    policy: &Policy,
    today: Date,
) -> Option<(Option<AgeBand>, Option<crate::age::YearMonth>)> {
    let mut stored = d.groups.iter().filter(|g| g.kind == GroupKind::Age);
    let band = stored.next().and_then(|g| AgeBand::parse(&g.name));
    if policy.settings.groups.age.is_none() {
        // Age groups turned off: out of them, and the month forgotten.
        let any = band.is_some() || d.age_band_next.is_some() || stored.next().is_some();
        return any.then_some((None, None));
    }
    let standing = AgeStanding {
        band: band?,
        next: d.age_band_next,
    };
    let now = AgeStanding::on(standing.born()?, today)?;
    (now != standing).then_some((Some(now.band), now.next))
}

/// A plan of updates that put everyone of `directory` into the tenure and age band they
/// are in `today` (and out of those groups when the policy has none); everyone else is
/// counted unchanged. No creates, removals or skips.
pub fn tenure_plan(directory: &[DirectoryEmployee], policy: &Policy, today: Date) -> Plan {
    let mut out = Plan::default();
    for d in directory {
        let want = tenure_group(d.hire_date, policy, today);
        let mut have = d.groups.iter().filter(|g| g.kind == GroupKind::Tenure);
        let tenure_same = match (want, have.next(), have.next()) {
            (None, None, _) => true,
            (Some(band), Some(g), None) => *g.name == *band.key(),
            _ => false,
        };
        let age = age_today(d, policy, today);
        if tenure_same && age.is_none() {
            out.unchanged += 1;
            continue;
        }
        let mut after = d.clone();
        let moved = |kind: GroupKind| !tenure_same && kind == GroupKind::Tenure;
        let aged = |kind: GroupKind| age.is_some() && kind == GroupKind::Age;
        after.groups = d
            .groups
            .iter()
            .filter(|g| !moved(g.kind) && !aged(g.kind))
            .cloned()
            .chain(
                want.filter(|_| !tenure_same)
                    .map(|band| GroupKey::new(GroupKind::Tenure, band.key())),
            )
            .chain(
                age.and_then(|(band, _)| band)
                    .map(|band| GroupKey::new(GroupKind::Age, band.key())),
            )
            .collect();
        if let Some((_, next)) = age {
            after.age_band_next = next;
        }
        let changes = changes(d, &after);
        out.updates.push(Update { after, changes });
    }
    out.updates.sort_by_key(|u| u.after.key);
    super::group_changes::decide(directory, &mut out);
    out
}
