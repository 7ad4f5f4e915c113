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
use crate::group_set::GroupSet;
use crate::plan::FieldChange;
use std::collections::BTreeSet;
use time::Date;

/// What changes from `before` to `after`; empty when they are equal.
pub fn changes(before: &DirectoryEmployee, after: &DirectoryEmployee) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut text = |field: &str, b: Option<&str>, a: Option<&str>| {
        let b = b.filter(|s| !s.is_empty());
        let a = a.filter(|s| !s.is_empty());
        if a != b {
            out.push(FieldChange {
                field: field.to_owned(),
                before: b.map(str::to_owned),
                after: a.map(str::to_owned),
            });
        }
    };
    text("email", Some(&before.email), Some(&after.email));
    text(
        "first_name",
        Some(&before.first_name),
        Some(&after.first_name),
    );
    text("last_name", Some(&before.last_name), Some(&after.last_name));
    text(
        "department",
        before.department.as_deref(),
        after.department.as_deref(),
    );
    text("office", before.office.as_deref(), after.office.as_deref());
    text("team", before.team.as_deref(), after.team.as_deref());
    text(
        "position",
        before.position.as_deref(),
        after.position.as_deref(),
    );
    text("status", before.status.as_deref(), after.status.as_deref());
    let date = |d: Option<Date>| d.map(format_date);
    text(
        "hire_date",
        date(before.hire_date).as_deref(),
        date(after.hire_date).as_deref(),
    );
    text(
        "termination_date",
        date(before.termination_date).as_deref(),
        date(after.termination_date).as_deref(),
    );
    let id = |i: Option<crate::PersonioId>| i.map(|i| i.to_string());
    text(
        "supervisor_personio_id",
        id(before.supervisor_personio_id).as_deref(),
        id(after.supervisor_personio_id).as_deref(),
    );
    if before.attributes != after.attributes {
        let keys: BTreeSet<&str> = before
            .attributes
            .keys()
            .chain(after.attributes.keys())
            .collect();
        for key in keys {
            text(
                &format!("attributes.{key}"),
                before.attributes.get(key),
                after.attributes.get(key),
            );
        }
    }
    if before.groups != after.groups {
        text(
            "groups",
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
