//! Field-level differences between two directory records.
//!
//! Fields, in this order: `email`, `first_name`, `last_name`, `department`, `office`,
//! `team`, `position`, `status`, `hire_date`, `termination_date`,
//! `supervisor_personio_id`, `attributes.<key>` (by key), `groups`. Values are text
//! (dates as `YYYY-MM-DD`), `None` when empty; records that differ only in ways text
//! cannot show (`Some("")` against `None`) yield no change. Groups are one text: the sorted groups as
//! `kind: name`, joined with `"; "`.

use crate::dates::format_date;
use crate::directory::DirectoryEmployee;
use crate::field::Field;
use crate::group_set::GroupSet;
use crate::plan::FieldChange;
use std::collections::BTreeSet;
use time::Date;

/// What changes from `before` to `after`; empty when they are equal.
pub fn changes(before: &DirectoryEmployee, after: &DirectoryEmployee) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut text = |field: Field, b: Option<&str>, a: Option<&str>| {
        let b = b.filter(|s| !s.is_empty());
        let a = a.filter(|s| !s.is_empty());
        if a != b {
            out.push(FieldChange {
                field,
                before: b.map(str::to_owned),
                after: a.map(str::to_owned),
            });
        }
    };
    text(Field::Email, Some(&before.email), Some(&after.email));
    text(
        Field::FirstName,
        Some(&before.first_name),
        Some(&after.first_name),
    );
    text(
        Field::LastName,
        Some(&before.last_name),
        Some(&after.last_name),
    );
    text(
        Field::Department,
        before.department.as_deref(),
        after.department.as_deref(),
    );
    text(
        Field::Office,
        before.office.as_deref(),
        after.office.as_deref(),
    );
    text(Field::Team, before.team.as_deref(), after.team.as_deref());
    text(
        Field::Position,
        before.position.as_deref(),
        after.position.as_deref(),
    );
    text(
        Field::Status,
        before.status.as_deref(),
        after.status.as_deref(),
    );
    let date = |d: Option<Date>| d.map(format_date);
    text(
        Field::HireDate,
        date(before.hire_date).as_deref(),
        date(after.hire_date).as_deref(),
    );
    text(
        Field::TerminationDate,
        date(before.termination_date).as_deref(),
        date(after.termination_date).as_deref(),
    );
    let id = |i: Option<crate::PersonKey>| i.map(|i| i.to_string());
    text(
        Field::Supervisor,
        id(before.supervisor_key).as_deref(),
        id(after.supervisor_key).as_deref(),
    );
    if before.attributes != after.attributes {
        let keys: BTreeSet<&str> = before
            .attributes
            .keys()
            .chain(after.attributes.keys())
            .collect();
        for key in keys {
            text(
                Field::Attribute(key.to_owned()),
                before.attributes.get(key),
                after.attributes.get(key),
            );
        }
    }
    if before.groups != after.groups {
        text(
            Field::Groups,
            groups_text(&before.groups).as_deref(),
            groups_text(&after.groups).as_deref(),
        );
    }
    out
}

/// The groups as one text (see the module docs); `None` when there are none.
pub fn groups_text(groups: &GroupSet) -> Option<String> {
    if groups.is_empty() {
        return None;
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|g| format!("{}: {}", g.kind, g.name))
        .collect();
    Some(parts.join("; "))
}
