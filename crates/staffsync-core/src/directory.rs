//! The employee directory as staffsync keeps it: one [`DirectoryEmployee`] per person who
//! is in, with the groups they belong to.
//!
//! The planner produces these from [`crate::SourceEmployee`]s; the store persists them
//! as they are. Group membership is part of the record, so "which groups exist" is always
//! derivable from the employees (an empty group cannot exist).

use crate::attributes::Attributes;
use crate::group_set::GroupSet;
use crate::ids::PersonKey;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    Department,
    Office,
    Team,
    Position,
    Subcompany,
    CostCenter,
    Custom,
    /// One per tenure band, named by the band's key ([`crate::TenureBand::key`]).
    Tenure,
    /// One per age band, named by the band's key ([`crate::AgeBand::key`]).
    Age,
    /// One per group of the identity provider (a SCIM `Group`) the person is a member of,
    /// named by the group's `displayName`.
    IdpGroup,
    /// A manager's direct reports, named by the manager's Personio id. This kind and
    /// `ReportsAll` sort last: the planner derives them from the whole directory.
    ReportsDirect,
    /// Everyone below a manager, transitively, named by the manager's Personio id.
    ReportsAll,
}

impl GroupKind {
    pub const ALL: [GroupKind; 12] = [
        GroupKind::Department,
        GroupKind::Office,
        GroupKind::Team,
        GroupKind::Position,
        GroupKind::Subcompany,
        GroupKind::CostCenter,
        GroupKind::Custom,
        GroupKind::Tenure,
        GroupKind::Age,
        GroupKind::IdpGroup,
        GroupKind::ReportsDirect,
        GroupKind::ReportsAll,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Department => "department",
            GroupKind::Office => "office",
            GroupKind::Team => "team",
            GroupKind::Position => "position",
            GroupKind::Subcompany => "subcompany",
            GroupKind::CostCenter => "cost_center",
            GroupKind::Custom => "custom",
            GroupKind::Tenure => "tenure",
            GroupKind::Age => "age",
            GroupKind::IdpGroup => "idp_group",
            GroupKind::ReportsDirect => "reports_direct",
            GroupKind::ReportsAll => "reports_all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether groups of this kind are derived from the whole directory (reporting lines)
    /// rather than from the person's own record.
    pub fn is_reporting_line(self) -> bool {
        matches!(self, GroupKind::ReportsDirect | GroupKind::ReportsAll)
    }
}

impl fmt::Display for GroupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group's identity: its kind and name. Custom groups are named `"<label>: <value>"`,
/// tenure and age groups by the band's key, reporting-line groups by the manager's Personio id.
///
/// The name is shared (`Arc<str>`): a directory of 100,000 people holds a million
/// memberships of a few thousand groups, and each person's copy of a group's name was a
/// string of its own (a clone of a key is a count, not an allocation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupKey {
    pub kind: GroupKind,
    pub name: Arc<str>,
}

impl GroupKey {
    pub fn new(kind: GroupKind, name: impl Into<Arc<str>>) -> Self {
        GroupKey {
            kind,
            name: name.into(),
        }
    }
}

/// One person in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEmployee {
    /// The person's key (the wire name, kept for what earlier versions stored).
    #[serde(rename = "personio_id")]
    pub key: PersonKey,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub department: Option<String>,
    pub office: Option<String>,
    pub team: Option<String>,
    pub position: Option<String>,
    pub status: Option<String>,
    #[serde(with = "crate::dates::opt_ymd", default)]
    pub hire_date: Option<Date>,
    #[serde(with = "crate::dates::opt_ymd", default)]
    pub termination_date: Option<Date>,
    /// Set only when the supervisor is in the directory too ("reports to").
    #[serde(rename = "supervisor_personio_id")]
    pub supervisor_key: Option<PersonKey>,
    /// With age groups: the month on whose first day the person's next age band begins
    /// (`None` in the last band or without age groups). All the daily date check needs;
    /// the birth date itself is never kept (see [`crate::age`]).
    #[serde(default)]
    pub age_band_next: Option<crate::age::YearMonth>,
    /// The other imported attributes: standard ones by key, custom ones by their label.
    pub attributes: Attributes,
    pub groups: GroupSet,
}
