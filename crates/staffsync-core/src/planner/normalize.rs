//! Normalization: [`SourceEmployee`] → [`DirectoryEmployee`].
//!
//! Text is trimmed and empty text is absent. Org units are kept by name. Everything without
//! a field of its own goes to [`DirectoryEmployee::attributes`]:
//!
//! * `preferred_name`, `gender`, `employment_type`, `subcompany` (by name) and
//!   `cost_centers` (names joined with `", "`), by those keys;
//! * every [`crate::ExtraAttribute`] with a value: custom `dynamic_*` ones by their label
//!   (falling back to the key when the label is empty or already taken), others by key.
//!   When two attributes land on the same key, the first one (in Personio's order) wins.
//!
//! Internally the record is first built as a borrowed [`View`], so the planner can tell an
//! unchanged person from the directory record without allocating a new one.

use crate::directory::{DirectoryEmployee, GroupKey, GroupKind};
use crate::employee::{OrgUnit, SourceEmployee};
use crate::ids::PersonioId;
use crate::plan::Policy;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// Trimmed text, `None` when empty.
pub(crate) fn trimmed(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn unit_name(u: Option<&OrgUnit>) -> Option<&str> {
    trimmed(u.map(|u| u.name.as_str()))
}

/// A normalized record that borrows from its source.
#[derive(Debug)]
pub(crate) struct View<'a> {
    id: PersonioId,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    department: Option<&'a str>,
    office: Option<&'a str>,
    team: Option<&'a str>,
    position: Option<&'a str>,
    status: Option<&'a str>,
    source: &'a SourceEmployee,
    attributes: BTreeMap<&'a str, Cow<'a, str>>,
    /// Sorted as [`GroupKey`] sorts, without duplicates.
    groups: Vec<(GroupKind, Cow<'a, str>)>,
}

impl<'a> View<'a> {
    pub(crate) fn new(employee: &'a SourceEmployee, policy: &Policy) -> Self {
        View {
            id: employee.id,
            email: trimmed(employee.email.as_deref()).unwrap_or_default(),
            first_name: trimmed(employee.first_name.as_deref()).unwrap_or_default(),
            last_name: trimmed(employee.last_name.as_deref()).unwrap_or_default(),
            department: unit_name(employee.department.as_ref()),
            office: unit_name(employee.office.as_ref()),
            team: unit_name(employee.team.as_ref()),
            position: trimmed(employee.position.as_deref()),
            status: trimmed(employee.status.as_ref().map(|s| s.as_str())),
            source: employee,
            attributes: attribute_view(employee),
            groups: super::groups::group_view(employee, policy),
        }
    }

    /// Whether `record` is exactly what this view (with `supervisor`) normalizes to.
    pub(crate) fn matches(
        &self,
        record: &DirectoryEmployee,
        supervisor: Option<PersonioId>,
    ) -> bool {
        record.personio_id == self.id
            && record.email == self.email
            && record.first_name == self.first_name
            && record.last_name == self.last_name
            && record.department.as_deref() == self.department
            && record.office.as_deref() == self.office
            && record.team.as_deref() == self.team
            && record.position.as_deref() == self.position
            && record.status.as_deref() == self.status
            && record.hire_date == self.source.hire_date
            && record.termination_date == self.source.termination_date
            && record.supervisor_personio_id == supervisor
            && record.attributes.len() == self.attributes.len()
            && record
                .attributes
                .iter()
                .zip(&self.attributes)
                .all(|((k1, v1), (k2, v2))| k1 == k2 && v1 == v2)
            && record.groups.len() == self.groups.len()
            && record
                .groups
                .iter()
                .zip(&self.groups)
                .all(|(g, (kind, name))| g.kind == *kind && g.name == *name)
    }

    pub(crate) fn to_record(&self, supervisor: Option<PersonioId>) -> DirectoryEmployee {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        DirectoryEmployee {
            personio_id: self.id,
            email: self.email.to_owned(),
            first_name: self.first_name.to_owned(),
            last_name: self.last_name.to_owned(),
            department: owned(self.department),
            office: owned(self.office),
            team: owned(self.team),
            position: owned(self.position),
            status: owned(self.status),
            hire_date: self.source.hire_date,
            termination_date: self.source.termination_date,
            supervisor_personio_id: supervisor,
            attributes: self
                .attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone().into_owned()))
                .collect(),
            groups: self
                .groups
                .iter()
                .map(|(kind, name)| GroupKey::new(*kind, name.clone().into_owned()))
                .collect(),
        }
    }
}

/// The directory record for `employee`, without a supervisor (the planner sets it once it
/// knows who is in the directory).
///
/// Does not validate: call it for records [`super::eligibility`] accepted. Missing names
/// and e-mail become empty strings.
pub fn normalize(employee: &SourceEmployee, policy: &Policy) -> DirectoryEmployee {
    View::new(employee, policy).to_record(None)
}

/// The `attributes` map of a directory record (see the module docs).
pub fn attributes(employee: &SourceEmployee) -> BTreeMap<String, String> {
    attribute_view(employee)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_owned()))
        .collect()
}

/// Personio attributes that are kept by the client but not imported into the directory.
pub const NOT_IMPORTED: &[&str] = &["last_modified_at"];

fn attribute_view(employee: &SourceEmployee) -> BTreeMap<&str, Cow<'_, str>> {
    let mut map: BTreeMap<&str, Cow<'_, str>> = BTreeMap::new();
    let standard = [
        (
            "preferred_name",
            trimmed(employee.preferred_name.as_deref()),
        ),
        ("gender", trimmed(employee.gender.as_deref())),
        (
            "employment_type",
            trimmed(employee.employment_type.as_deref()),
        ),
        ("subcompany", unit_name(employee.subcompany.as_ref())),
    ];
    for (key, value) in standard {
        if let Some(value) = value {
            map.insert(key, Cow::Borrowed(value));
        }
    }
    if let Some(cost_centers) = cost_centers(employee) {
        map.insert("cost_centers", cost_centers);
    }
    for extra in &employee.attributes {
        // Bookkeeping, not a fact about the person: importing it would turn every edit in
        // Personio into an update of this field.
        if NOT_IMPORTED.contains(&&*extra.key) {
            continue;
        }
        let Some(value) = trimmed(extra.value.as_deref()) else {
            continue;
        };
        let label = extra.label.trim();
        let key =
            if extra.key.starts_with("dynamic_") && !label.is_empty() && !map.contains_key(label) {
                label
            } else {
                extra.key.trim()
            };
        if key.is_empty() {
            continue;
        }
        map.entry(key).or_insert(Cow::Borrowed(value));
    }
    map
}

fn cost_centers(employee: &SourceEmployee) -> Option<Cow<'_, str>> {
    let mut names = employee
        .cost_centers
        .iter()
        .filter_map(|c| trimmed(Some(c.name.as_str())));
    let first = names.next()?;
    match names.next() {
        None => Some(Cow::Borrowed(first)),
        Some(second) => {
            let mut all = format!("{first}, {second}");
            for name in names {
                all.push_str(", ");
                all.push_str(name);
            }
            Some(Cow::Owned(all))
        }
    }
}

/// Used by [`super::groups`]: sorts and dedups a group list as a `BTreeSet<GroupKey>` would.
pub(crate) fn sort_groups(groups: &mut Vec<(GroupKind, Cow<'_, str>)>) {
    groups.sort_unstable_by(|a, b| (a.0, &*a.1).cmp(&(b.0, &*b.1)));
    groups.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
}

/// Owned groups from a view's groups.
pub(crate) fn owned_groups(groups: Vec<(GroupKind, Cow<'_, str>)>) -> BTreeSet<GroupKey> {
    groups
        .into_iter()
        .map(|(kind, name)| GroupKey::new(kind, name.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::employee::{CostCenter, ExtraAttribute};
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop::sample::select(vec![
            "", " a", "a", "B ", "Standort", "x: y",
        ]))
        .prop_map(|s| s.map(str::to_owned))
    }

    fn employee() -> impl Strategy<Value = SourceEmployee> {
        let extra = (
            prop::sample::select(vec!["dynamic_1", "dynamic_2", "gender", "tags"]),
            prop::sample::select(vec!["", "Standort", "gender", "Level"]),
            text(),
        )
            .prop_map(|(key, label, value)| ExtraAttribute {
                key: key.into(),
                label: label.into(),
                kind: "standard".into(),
                universal_id: None,
                value,
            });
        (
            (text(), text(), text(), text(), text()),
            (text(), text(), text()),
            prop::collection::vec(text(), 0..3),
            prop::collection::vec(extra, 0..4),
        )
            .prop_map(|((e, f, l, pos, g), (dep, sub, pref), ccs, attrs)| {
                let mut s = SourceEmployee::new(PersonioId(1));
                s.email = e;
                s.first_name = f;
                s.last_name = l;
                s.position = pos;
                s.gender = g;
                s.preferred_name = pref;
                s.department = dep.map(|name| OrgUnit { id: None, name });
                s.subcompany = sub.map(|name| OrgUnit { id: None, name });
                s.cost_centers = ccs
                    .into_iter()
                    .flatten()
                    .map(|name| CostCenter {
                        id: None,
                        name,
                        percentage: None,
                    })
                    .collect();
                s.attributes = attrs;
                s
            })
    }

    fn policy() -> Policy {
        Policy {
            custom_group_attributes: vec!["dynamic_1".into(), "level".into(), " ".into()],
            ..Policy::default()
        }
    }

    proptest! {
        /// `View::matches` agrees with comparing the normalized records.
        #[test]
        fn matches_agrees_with_equality(a in employee(), b in employee(), sa: bool, sb: bool) {
            let p = policy();
            let sup = |on: bool| on.then_some(PersonioId(2));
            let view = View::new(&a, &p);
            let mine = view.to_record(sup(sa));
            let other = View::new(&b, &p).to_record(sup(sb));
            prop_assert!(view.matches(&mine, sup(sa)));
            prop_assert_eq!(view.matches(&other, sup(sa)), mine == other);
            prop_assert_eq!(&normalize(&a, &p).groups, &super::super::groups(&a, &p));
            prop_assert_eq!(&mine.attributes, &attributes(&a));
        }
    }
}
