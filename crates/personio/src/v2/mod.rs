//! Personio API v2: persons paged by cursor, one employments request per person, names of
//! org units and offices looked up by id (once per id per fetch call; a full listing
//! always asks again, since units get renamed; targeted fetches reuse a name for a few
//! minutes, see [`known_names`]), mapped to the same
//! [`staffsync_core::SourceEmployee`] the v1 client produces.
//!
//! [`parse`] reads and maps v2 bodies (no I/O); `fetch` drives the requests through the
//! client's rate limiter and retries; what v1 reads the same way comes from
//! [`crate::shared`], never from [`crate::v1`]. Like v1, this module must never return a partial
//! listing as complete (a person listed twice, a failing page, employments request or
//! name look-up is an error), never follow a `next` link to another host (it would carry
//! the token there), and never turn a failed look-up into a missing department.

pub(crate) mod fetch;
pub mod known_names;
pub mod parse;

use crate::credential::AttributeInfo;

/// What a v2 name look-up asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookupKind {
    /// `GET /v2/org-units/{id}` (departments and teams).
    OrgUnit,
    /// `GET /v2/offices/{id}`.
    Office,
}

impl LookupKind {
    /// The path segment after `/v2/`.
    pub fn segment(self) -> &'static str {
        match self {
            LookupKind::OrgUnit => "org-units",
            LookupKind::Office => "offices",
        }
    }
}

/// The attributes the v2 client reads (key, label, kind). v2 has no per-credential
/// attribute listing; a credential that may read persons and employments reads all of
/// these. Custom attributes come per person and are not listed here.
pub const V2_ATTRIBUTES: &[(&str, &str, &str)] = &[
    ("first_name", "First name", "standard"),
    ("last_name", "Last name", "standard"),
    ("preferred_name", "Preferred name", "standard"),
    ("email", "Email", "standard"),
    ("gender", "Gender", "standard"),
    ("status", "Status", "standard"),
    ("position", "Position", "standard"),
    ("hire_date", "Hire date", "date"),
    ("termination_date", "Termination date", "date"),
    ("department", "Department", "standard"),
    ("team", "Team", "standard"),
    ("office", "Office", "standard"),
    ("subcompany", "Subcompany", "standard"),
    ("supervisor", "Supervisor", "standard"),
];

/// [`V2_ATTRIBUTES`] as [`AttributeInfo`]s (what [`crate::Client::attributes`] returns on v2).
pub fn v2_attributes() -> Vec<AttributeInfo> {
    V2_ATTRIBUTES
        .iter()
        .map(|(key, label, kind)| AttributeInfo {
            key: (*key).to_owned(),
            label: (*label).to_owned(),
            kind: (*kind).to_owned(),
            universal_id: Some((*key).to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_attribute_list_passes_the_mandatory_check() {
        let attrs = v2_attributes();
        assert!(crate::check_mandatory(&attrs).unwrap().is_empty());
        assert_eq!(attrs.len(), V2_ATTRIBUTES.len());
    }
}
