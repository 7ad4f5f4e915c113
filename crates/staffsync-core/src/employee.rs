//! The normalized employee as Personio lists it: what the `personio` client produces from
//! either API version, and what the planner consumes.
//!
//! Every field Personio may withhold (attributes not whitelisted for the credential) is an
//! `Option`; `None` means "absent or empty", and [`crate::Snapshot::readable_attributes`]
//! tells the two apart. No validation happens here: the planner decides what is usable.

use crate::ids::PersonKey;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::Date;

/// Personio's employment status. Unknown values are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EmploymentStatus {
    Onboarding,
    Active,
    Leave,
    Inactive,
    Other(String),
}

impl EmploymentStatus {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "onboarding" => Self::Onboarding,
            "active" => Self::Active,
            "leave" => Self::Leave,
            "inactive" => Self::Inactive,
            _ => Self::Other(s.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Onboarding => "onboarding",
            Self::Active => "active",
            Self::Leave => "leave",
            Self::Inactive => "inactive",
            Self::Other(s) => s,
        }
    }
}

impl Serialize for EmploymentStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EmploymentStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// A department, office, team or subcompany: Personio's id (absent in some shapes) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostCenter {
    pub id: Option<i64>,
    pub name: String,
    pub percentage: Option<f64>,
}

/// Any attribute beyond the ones with their own field: custom `dynamic_NNN` attributes and
/// standard ones staffsync has no special use for. Kept so nothing Personio sends is lost.
///
/// Key, label, type and universal id are the same for every employee of a listing, so
/// they are shared (`Arc<str>`, interned by the parsers): a listing of 100,000 people
/// with a dozen attributes each would otherwise hold millions of copies of "standard".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraAttribute {
    /// Personio's key, e.g. `dynamic_33400` or `weekly_working_hours`.
    pub key: Arc<str>,
    /// The label the customer gave it, e.g. "Standort".
    pub label: Arc<str>,
    /// Personio's `type`: standard, date, integer, decimal, list, link, tags, multiline, ….
    #[serde(rename = "type")]
    pub kind: Arc<str>,
    /// Personio's `universal_id`, when it has one.
    pub universal_id: Option<Arc<str>>,
    /// The value as text (dates as `YYYY-MM-DD`, lists joined with ", "); `None` when empty.
    pub value: Option<String>,
}

/// One employee as listed by Personio, normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceEmployee {
    pub id: PersonKey,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub preferred_name: Option<String>,
    /// As sent; validated by the planner (a bad address is a skip reason, not a parse error).
    pub email: Option<String>,
    pub gender: Option<String>,
    pub status: Option<EmploymentStatus>,
    pub position: Option<String>,
    pub employment_type: Option<String>,
    #[serde(with = "crate::dates::opt_ymd", default)]
    pub hire_date: Option<Date>,
    #[serde(with = "crate::dates::opt_ymd", default)]
    pub termination_date: Option<Date>,
    pub department: Option<OrgUnit>,
    pub office: Option<OrgUnit>,
    pub team: Option<OrgUnit>,
    pub subcompany: Option<OrgUnit>,
    pub supervisor_id: Option<PersonKey>,
    #[serde(default)]
    pub cost_centers: Vec<CostCenter>,
    /// Everything else, in Personio's order.
    #[serde(default)]
    pub attributes: Vec<ExtraAttribute>,
    /// The names (`displayName`) of the identity provider's groups the person is a member
    /// of: only the SCIM source fills it (one `idp_group` group each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub idp_groups: Vec<String>,
}

impl SourceEmployee {
    /// An employee with only an id: the starting point for parsers and tests.
    pub fn new(id: PersonKey) -> Self {
        SourceEmployee {
            id,
            first_name: None,
            last_name: None,
            preferred_name: None,
            email: None,
            gender: None,
            status: None,
            position: None,
            employment_type: None,
            hire_date: None,
            termination_date: None,
            department: None,
            office: None,
            team: None,
            subcompany: None,
            supervisor_id: None,
            cost_centers: Vec::new(),
            attributes: Vec::new(),
            idp_groups: Vec::new(),
        }
    }
}
