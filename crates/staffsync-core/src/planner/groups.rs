//! The groups an employee belongs to.
//!
//! For each standard dimension listed in [`GroupSettings::attributes`] (`department`,
//! `office`, `team`, `position`, `subcompany`: one group per non-empty value;
//! `cost_centers`: one per cost center, kind `cost_center`), and one `custom` group
//! `"<label>: <value>"` for every other attribute listed there that has a value. Such an
//! entry matches an attribute by its key (exactly) or its label (trimmed, ignoring case).
//! A custom attribute without a label is named by its key. With tenure groups on, one
//! `tenure` group named by the band's key ([`crate::TenureBand`]) for someone with a hire
//! date. With age groups on, one `age` group named by the band's key ([`crate::AgeBand`])
//! for someone whose date attribute holds a date. One `idp_group` group per identity
//! provider group the person is a member of (SCIM accounts), named by its `displayName`.
//! (Reporting-line groups need the whole directory: the planner adds them.)
//!
//! [`GroupSettings::attributes`]: crate::GroupSettings::attributes

use super::normalize::{owned_groups, sort_groups, trimmed};
use crate::directory::GroupKind;
use crate::employee::{ExtraAttribute, SourceEmployee};
use crate::group_set::GroupSet;
use crate::plan::Policy;
use std::borrow::Cow;
use time::Date;

/// The groups of `employee` under `policy` on `today` (see the module docs).
pub fn groups(employee: &SourceEmployee, policy: &Policy, today: Date) -> GroupSet {
    owned_groups(group_view(employee, policy, today))
}

/// The groups, borrowed where possible, sorted as `GroupKey`s sort and without duplicates.
pub(crate) fn group_view<'a>(
    employee: &'a SourceEmployee,
    policy: &Policy,
    today: Date,
) -> Vec<(GroupKind, Cow<'a, str>)> {
    let mut out = Vec::new();
    let unit = |u: Option<&'a crate::OrgUnit>| trimmed(u.map(|u| u.name.as_str()));
    let settings = &policy.settings.groups;
    // In the order of STANDARD_GROUP_ATTRIBUTES.
    let [department, office, team, position, subcompany, cost_centers] = settings.standard();
    let named = [
        (
            department,
            GroupKind::Department,
            unit(employee.department.as_ref()),
        ),
        (office, GroupKind::Office, unit(employee.office.as_ref())),
        (team, GroupKind::Team, unit(employee.team.as_ref())),
        (
            position,
            GroupKind::Position,
            trimmed(employee.position.as_deref()),
        ),
        (
            subcompany,
            GroupKind::Subcompany,
            unit(employee.subcompany.as_ref()),
        ),
    ];
    for (wanted, kind, name) in named {
        if let (true, Some(name)) = (wanted, name) {
            out.push((kind, Cow::Borrowed(name)));
        }
    }
    for cc in employee.cost_centers.iter().filter(|_| cost_centers) {
        if let Some(name) = trimmed(Some(cc.name.as_str())) {
            out.push((GroupKind::CostCenter, Cow::Borrowed(name)));
        }
    }
    // Never a group named by the age groups' date attribute: its name would hold the
    // birth date (settings name it nowhere else, but by key here and label there).
    let age = settings
        .age
        .as_ref()
        .map(|a| crate::text::trim(&a.attribute));
    let usable = |a: &ExtraAttribute| age.is_none_or(|age| !names(a, age));
    for wanted in settings.custom() {
        for extra in employee
            .attributes
            .iter()
            .filter(|a| names(a, wanted) && usable(a))
        {
            if let Some(value) = trimmed(extra.value.as_deref()) {
                let label = match crate::text::trim(&extra.label) {
                    "" => crate::text::trim(&extra.key),
                    label => label,
                };
                out.push((GroupKind::Custom, Cow::Owned(format!("{label}: {value}"))));
            }
        }
    }
    if let Some(band) = super::tenure::tenure_group(employee.hire_date, policy, today) {
        out.push((GroupKind::Tenure, Cow::Borrowed(band.key())));
    }
    if let Some(standing) = super::tenure::age_standing(employee, policy, today) {
        out.push((GroupKind::Age, Cow::Borrowed(standing.band.key())));
    }
    for name in &employee.idp_groups {
        if let Some(name) = trimmed(Some(name.as_str())) {
            out.push((GroupKind::IdpGroup, Cow::Borrowed(name)));
        }
    }
    sort_groups(&mut out);
    out
}

/// Whether `wanted` (trimmed) names `attribute`: its key exactly, or its label (trimmed,
/// ignoring case).
pub(crate) fn names(attribute: &ExtraAttribute, wanted: &str) -> bool {
    &*attribute.key == wanted || eq_ignore_case(crate::text::trim(&attribute.label), wanted)
}

pub(crate) fn eq_ignore_case(a: &str, b: &str) -> bool {
    // Checked for every attribute of every person: the ASCII case is the common one and
    // ten times cheaper than comparing lower-cased chars.
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::eq_ignore_case;
    use proptest::prelude::*;

    proptest! {
        /// The ASCII shortcut answers as comparing lower-cased chars does.
        #[test]
        fn eq_ignore_case_is_lowercase_equality(a in "[a-zA-ZäÄ ]{0,4}", b in "[a-zA-ZäÄ ]{0,4}") {
            let lower = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
            prop_assert_eq!(eq_ignore_case(&a, &b), lower(&a) == lower(&b));
            prop_assert!(eq_ignore_case(&a, &a.to_uppercase()));
        }
    }
}
