//! Who may be in the directory: the per-record rules.
//!
//! Checked in this order, the first failure being the skip reason: missing first name,
//! last name or e-mail (the field is named); invalid e-mail; status; not started;
//! terminated. (Malformed records and duplicate e-mails are decided by the planner, as
//! they need more than one record.)
//!
//! * Status must be `active`, or `leave` when [`Settings::keep_on_leave`](crate::Settings::keep_on_leave). When the credential
//!   cannot read `status`, a missing status counts as active. When it can, a missing status
//!   is out, reported as status `""`.
//! * Hire date (a calendar date) must be on or before today; termination date, if any, on
//!   or after today (the last day is still in). A missing date applies no rule, whether or
//!   not the attribute is readable (the planner warns about unreadable ones).

use crate::employee::{EmploymentStatus, SourceEmployee};
use crate::ids::Email;
use crate::plan::{Policy, SkipReason};
use std::collections::BTreeSet;
use time::Date;

/// Which of the attributes the eligibility rules depend on the credential may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readable {
    pub status: bool,
    pub hire_date: bool,
    pub termination_date: bool,
}

impl Readable {
    pub fn from_keys(readable_attributes: &BTreeSet<String>) -> Self {
        Readable {
            status: readable_attributes.contains("status"),
            hire_date: readable_attributes.contains("hire_date"),
            termination_date: readable_attributes.contains("termination_date"),
        }
    }

    /// The attributes that are not readable, in a fixed order.
    pub fn missing(self) -> impl Iterator<Item = &'static str> {
        [
            ("hire_date", self.hire_date),
            ("termination_date", self.termination_date),
            ("status", self.status),
        ]
        .into_iter()
        .filter(|(_, readable)| !readable)
        .map(|(name, _)| name)
    }
}

/// Whether `employee` may be in the directory today, on its own (see the module docs).
/// Returns the parsed e-mail when it may.
pub fn eligibility(
    employee: &SourceEmployee,
    readable: Readable,
    policy: &Policy,
    today: Date,
) -> Result<Email, SkipReason> {
    check(employee, readable, policy, today).map(Email::from_checked)
}

/// [`eligibility`] without copying the address: the trimmed, checked e-mail.
pub(crate) fn check<'e>(
    employee: &'e SourceEmployee,
    readable: Readable,
    policy: &Policy,
    today: Date,
) -> Result<&'e str, SkipReason> {
    let missing = |field: &str| SkipReason::MissingField {
        field: field.to_owned(),
    };
    if present(employee.first_name.as_deref()).is_none() {
        return Err(missing("first_name"));
    }
    if present(employee.last_name.as_deref()).is_none() {
        return Err(missing("last_name"));
    }
    let Some(email) = present(employee.email.as_deref()) else {
        return Err(missing("email"));
    };
    let email = Email::check(email).map_err(|_| SkipReason::InvalidEmail)?;
    match &employee.status {
        None if !readable.status => {}
        Some(EmploymentStatus::Active) => {}
        Some(EmploymentStatus::Leave) if policy.settings.keep_on_leave => {}
        other => {
            return Err(SkipReason::Status {
                status: other
                    .as_ref()
                    .map(|s| s.as_str().trim().to_owned())
                    .unwrap_or_default(),
            });
        }
    }
    if let Some(hire_date) = employee.hire_date
        && hire_date > today
    {
        return Err(SkipReason::NotStarted { hire_date });
    }
    if let Some(termination_date) = employee.termination_date
        && termination_date < today
    {
        return Err(SkipReason::Terminated { termination_date });
    }
    Ok(email)
}

/// Shorthand for `eligibility(..).is_ok()`.
pub fn is_eligible(
    employee: &SourceEmployee,
    readable: Readable,
    policy: &Policy,
    today: Date,
) -> bool {
    eligibility(employee, readable, policy, today).is_ok()
}

/// The trimmed text, `None` when empty (without allocating).
fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}
