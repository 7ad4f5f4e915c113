//! Normalization: [`SourceEmployee`] → [`DirectoryEmployee`].
//!
//! Text is trimmed and empty text is absent. Org units are kept by name. Everything without
//! a field of its own goes to [`DirectoryEmployee::attributes`]:
//!
//! * `preferred_name`, `gender`, `employment_type`, `subcompany` (by name) and
//!   `cost_centers` (names joined with `", "`), by those keys;
//! * every [`crate::ExtraAttribute`] with a value that the settings name ([`kept`]: a
//!   custom group, a scope rule or the list of kept attributes; never the age groups'
//!   date attribute): custom `dynamic_*` ones by their label (falling back to the key
//!   when the label is empty or already taken), others by key. When two attributes land
//!   on the same key, the first one (in Personio's order) wins. Attributes nobody names
//!   are dropped here, so they are never stored.
//!
//! With age groups, the record also gets the month its next age band begins
//! ([`DirectoryEmployee::age_band_next`]); the birth date itself goes nowhere.
//!
//! Internally the record is first built as a borrowed `View` (attributes and groups
//! decided without copying), then copied out once by `View::into_record`.

use crate::age::YearMonth;
use crate::attributes::Attributes;
use crate::directory::{DirectoryEmployee, GroupKey, GroupKind};
use crate::employee::{ExtraAttribute, OrgUnit, SourceEmployee};
use crate::group_set::GroupSet;
use crate::ids::PersonKey;
use crate::plan::Policy;
use crate::settings::Settings;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};
use time::Date;

/// Trimmed text, `None` when empty.
pub(crate) fn trimmed(s: Option<&str>) -> Option<&str> {
    s.map(crate::text::trim).filter(|s| !s.is_empty())
}

fn unit_name(u: Option<&OrgUnit>) -> Option<&str> {
    trimmed(u.map(|u| u.name.as_str()))
}

/// A normalized record that borrows from its source.
#[derive(Debug)]
pub(crate) struct View<'a> {
    id: PersonKey,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    department: Option<&'a str>,
    office: Option<&'a str>,
    team: Option<&'a str>,
    position: Option<&'a str>,
    status: Option<&'a str>,
    source: &'a SourceEmployee,
    attributes: AttributeView<'a>,
    /// Sorted as [`GroupKey`] sorts, without duplicates.
    groups: Vec<(GroupKind, Cow<'a, str>)>,
    age_band_next: Option<YearMonth>,
}

impl<'a> View<'a> {
    pub(crate) fn new(employee: &'a SourceEmployee, policy: &Policy, today: Date) -> Self {
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
            attributes: attribute_view(employee, &policy.settings),
            groups: super::groups::group_view(employee, policy, today),
            age_band_next: super::tenure::age_standing(employee, policy, today)
                .and_then(|s| s.next),
        }
    }

    /// Whether [`View::into_record`] would equal `d` apart from `supervisor_personio_id`
    /// and the reporting-line groups, found without building the record.
    pub(crate) fn same_as(&self, d: &DirectoryEmployee) -> bool {
        let opt = |a: Option<&str>, b: &Option<String>| a == b.as_deref();
        let own_groups = d.groups.split_reporting_lines().0;
        self.id == d.key
            && self.email == d.email
            && self.first_name == d.first_name
            && self.last_name == d.last_name
            && opt(self.department, &d.department)
            && opt(self.office, &d.office)
            && opt(self.team, &d.team)
            && opt(self.position, &d.position)
            && opt(self.status, &d.status)
            && self.source.hire_date == d.hire_date
            && self.source.termination_date == d.termination_date
            && self.age_band_next == d.age_band_next
            // Both sorted by key (`str` order), keys unique.
            && self.attributes.len() == d.attributes.len()
            && self
                .attributes
                .iter()
                .zip(d.attributes.iter())
                .all(|((k, _, v), (dk, dv))| *k == dk && **v == *dv)
            // Both sorted by (kind, name), without repeats.
            && self.groups.len() == own_groups.len()
            && self
                .groups
                .iter()
                .zip(own_groups)
                .all(|((kind, name), g)| *kind == g.kind && **name == *g.name)
    }

    pub(crate) fn into_record(self, supervisor: Option<PersonKey>) -> DirectoryEmployee {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        DirectoryEmployee {
            key: self.id,
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
            supervisor_key: supervisor,
            age_band_next: self.age_band_next,
            // Into new lists of exactly their size (collecting in place would keep the
            // view's wider, roomier lists alive in every record).
            attributes: {
                let mut list = Vec::with_capacity(self.attributes.len());
                list.extend(
                    self.attributes
                        .into_iter()
                        .map(|(_, k, v)| (k.shared(), Box::<str>::from(v))),
                );
                list.into_iter().collect()
            },
            // Already sorted, without repeats: one list of exactly their number.
            groups: {
                let mut list = Vec::with_capacity(self.groups.len());
                list.extend(
                    self.groups
                        .into_iter()
                        .map(|(kind, name)| GroupKey::new(kind, name.into_owned())),
                );
                GroupSet::from_sorted(list)
            },
        }
    }
}

/// The directory record for `employee` on `today`, without a supervisor and reporting-line
/// groups (the planner sets them once it knows who is in the directory).
///
/// Does not validate: call it for records [`super::eligibility()`] accepted. Missing names
/// and e-mail become empty strings.
pub fn normalize(employee: &SourceEmployee, policy: &Policy, today: Date) -> DirectoryEmployee {
    View::new(employee, policy, today).into_record(None)
}

/// The `attributes` of a directory record under `settings` (see the module docs).
pub fn attributes(employee: &SourceEmployee, settings: &Settings) -> Attributes {
    attribute_view(employee, settings)
        .into_iter()
        .map(|(_, k, v)| (k.shared(), v.into_owned()))
        .collect()
}

/// Where an attribute key comes from: the record's keys are shared, not copied, so a
/// directory of 100,000 people holds each key once per page rather than once per person.
#[derive(Debug, Clone, Copy)]
enum Key<'a> {
    /// One of [`STANDARD_KEYS`].
    Standard(usize),
    /// A key or label of an [`crate::ExtraAttribute`], as it is (already shared).
    Shared(&'a Arc<str>),
    /// A trimmed key or label (rare: needs a copy).
    Trimmed(&'a str),
}

/// The standard attributes that become directory attributes, by key.
const STANDARD_KEYS: [&str; 5] = [
    "preferred_name",
    "gender",
    "employment_type",
    "subcompany",
    "cost_centers",
];

impl Key<'_> {
    fn shared(self) -> Arc<str> {
        static STANDARD: OnceLock<[Arc<str>; 5]> = OnceLock::new();
        match self {
            Key::Standard(i) => {
                Arc::clone(&STANDARD.get_or_init(|| STANDARD_KEYS.map(Arc::from))[i])
            }
            Key::Shared(k) => Arc::clone(k),
            Key::Trimmed(k) => Arc::from(k),
        }
    }

    /// `text` trimmed, shared when trimming changed nothing.
    fn of(text: &Arc<str>) -> (Key<'_>, &str) {
        let trimmed = crate::text::trim(text);
        if trimmed.len() == text.len() {
            (Key::Shared(text), trimmed)
        } else {
            (Key::Trimmed(trimmed), trimmed)
        }
    }
}

/// Personio attributes that are kept by the client but not imported into the directory.
pub const NOT_IMPORTED: &[&str] = &["last_modified_at"];

/// (name, key, value), sorted by name, names unique. A short list rather than a map:
/// a person has a dozen attributes at most, and a map's nodes cost more to build and drop
/// than scanning a few names.
type AttributeView<'a> = Vec<(&'a str, Key<'a>, Cow<'a, str>)>;

/// Attribute keys that are an employee file's own columns rather than custom attributes:
/// always kept.
const ALWAYS_KEPT: [&str; 1] = ["language"];

/// Whether the directory keeps `attribute` under `settings`: when a custom group, a scope
/// rule or the list of kept attributes names it (by key, or by label ignoring case), and
/// it is not the age groups' date attribute, which is never kept.
pub fn kept(attribute: &ExtraAttribute, settings: &Settings) -> bool {
    use super::groups::names;
    if let Some(age) = &settings.groups.age
        && names(attribute, crate::text::trim(&age.attribute))
    {
        return false;
    }
    if ALWAYS_KEPT.contains(&&*attribute.key) {
        return true;
    }
    let scope = &settings.scope;
    settings
        .keep_attributes
        .iter()
        .map(|a| crate::text::trim(a))
        .chain(settings.groups.custom())
        .chain(
            scope
                .include
                .iter()
                .chain(&scope.exclude)
                .map(|r| crate::text::trim(&r.attribute)),
        )
        .any(|wanted| !wanted.is_empty() && names(attribute, wanted))
}

/// `employee` with only what may be stored of it under `settings`, for records kept until
/// later (a file account's future hires): the attributes the directory would not keep
/// are dropped, and the age groups' date attribute is cut down to the month (`YYYY-MM`),
/// all the age band needs; a value that is no date is dropped.
pub fn minimize(mut employee: SourceEmployee, settings: &Settings) -> SourceEmployee {
    let age = settings
        .groups
        .age
        .as_ref()
        .map(|a| crate::text::trim(&a.attribute));
    employee.attributes.retain_mut(|a| {
        if age.is_some_and(|age| super::groups::names(a, age)) {
            a.value = a
                .value
                .as_deref()
                .and_then(crate::age::birth_month)
                .map(|m| m.to_string());
            return a.value.is_some();
        }
        kept(a, settings)
    });
    employee
}

fn attribute_view<'a>(employee: &'a SourceEmployee, settings: &Settings) -> AttributeView<'a> {
    let mut map: AttributeView<'_> = Vec::with_capacity(5 + employee.attributes.len());
    let taken = |map: &AttributeView<'_>, name: &str| map.iter().any(|(n, ..)| *n == name);
    let standard = [
        trimmed(employee.preferred_name.as_deref()).map(Cow::Borrowed),
        trimmed(employee.gender.as_deref()).map(Cow::Borrowed),
        trimmed(employee.employment_type.as_deref()).map(Cow::Borrowed),
        unit_name(employee.subcompany.as_ref()).map(Cow::Borrowed),
        cost_centers(employee),
    ];
    for (i, value) in standard.into_iter().enumerate() {
        if let Some(value) = value {
            map.push((STANDARD_KEYS[i], Key::Standard(i), value));
        }
    }
    for extra in &employee.attributes {
        // Bookkeeping, not a fact about the person: importing it would turn every edit in
        // Personio into an update of this field.
        if NOT_IMPORTED.contains(&&*extra.key) || !kept(extra, settings) {
            continue;
        }
        let Some(value) = trimmed(extra.value.as_deref()) else {
            continue;
        };
        let (label_key, label) = Key::of(&extra.label);
        let (key, name) =
            if extra.key.starts_with("dynamic_") && !label.is_empty() && !taken(&map, label) {
                (label_key, label)
            } else {
                Key::of(&extra.key)
            };
        if name.is_empty() {
            continue;
        }
        // The first attribute with a name wins.
        if !taken(&map, name) {
            map.push((name, key, Cow::Borrowed(value)));
        }
    }
    map.sort_unstable_by(|a, b| a.0.cmp(b.0));
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

/// Used by [`super::groups`]: sorts and dedups a group list as a [`GroupSet`] would.
pub(crate) fn sort_groups(groups: &mut Vec<(GroupKind, Cow<'_, str>)>) {
    groups.sort_unstable_by(|a, b| (a.0, &*a.1).cmp(&(b.0, &*b.1)));
    groups.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
}

/// Owned groups from a view's groups.
pub(crate) fn owned_groups(groups: Vec<(GroupKind, Cow<'_, str>)>) -> GroupSet {
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
                let mut s = SourceEmployee::new(PersonKey(1));
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
        Policy::from(crate::Settings {
            groups: crate::GroupSettings::with_custom(["dynamic_1", "level", " "]),
            keep_attributes: vec!["Standort".into(), "tags".into()],
            ..crate::Settings::default()
        })
    }

    proptest! {
        /// The view's record agrees with the public `groups` and `attributes` (built
        /// without the view's borrowing).
        #[test]
        fn records_agree_with_groups_and_attributes(a in employee()) {
            let p = policy();
            let today = time::macros::date!(2026 - 03 - 15);
            let mine = View::new(&a, &p, today).into_record(None);
            prop_assert_eq!(&mine.groups, &super::super::groups(&a, &p, today));
            prop_assert_eq!(&mine.attributes, &attributes(&a, &p.settings));
            // A record holds exactly its attributes and groups, no spare room: a directory
            // keeps 100,000 of them at once (lists collected in place once kept the
            // view's larger allocations, 50 MB at 100,000 people).
            prop_assert_eq!(mine.attributes.capacity(), mine.attributes.len());
            prop_assert_eq!(mine.groups.capacity(), mine.groups.len());
        }
    }
}
