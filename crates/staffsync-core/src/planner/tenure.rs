//! Tenure in the planner: the band a hire date puts someone in today ([`tenure_group`],
//! used by every plan), and the daily date check's plan ([`tenure_plan`]): tenure bands
//! move on their own as days pass, so once a day every directory person's `tenure` group
//! is derived again from the stored hire date and today, without asking the source.
//!
//! [`tenure_plan`] changes nothing but `tenure` groups: everything else about a person
//! comes from Personio and waits for a sync. It must never need a listing.

use super::diff::changes;
use crate::directory::{DirectoryEmployee, GroupKey, GroupKind};
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

/// A plan of updates that put everyone of `directory` into the tenure band they are in
/// `today` (and out of tenure groups when the policy has none); everyone else is counted
/// unchanged. No creates, removals or skips.
pub fn tenure_plan(directory: &[DirectoryEmployee], policy: &Policy, today: Date) -> Plan {
    let mut out = Plan::default();
    for d in directory {
        let want = tenure_group(d.hire_date, policy, today);
        let mut have = d.groups.iter().filter(|g| g.kind == GroupKind::Tenure);
        let same = match (want, have.next(), have.next()) {
            (None, None, _) => true,
            (Some(band), Some(g), None) => g.name == band.key(),
            _ => false,
        };
        if same {
            out.unchanged += 1;
            continue;
        }
        let mut after = d.clone();
        after.groups = d
            .groups
            .iter()
            .filter(|g| g.kind != GroupKind::Tenure)
            .cloned()
            .chain(want.map(|band| GroupKey::new(GroupKind::Tenure, band.key())))
            .collect();
        let changes = changes(d, &after);
        out.updates.push(Update { after, changes });
    }
    out.updates.sort_by_key(|u| u.after.personio_id);
    super::group_changes::decide(directory, &mut out);
    out
}
