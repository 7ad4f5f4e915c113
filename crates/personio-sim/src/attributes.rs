//! The catalog of employee attributes the simulated Personio account has: key, label,
//! type, universal id and options, in Personio's order. This is what
//! `GET /v1/company/employees/attributes` lists and what whitelisting filters.
//!
//! Must never hold employee data or decide visibility by itself: `render.rs` asks
//! [`Visible`] what to show.

use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Custom attribute "Standort" (standard string, no universal id).
pub(crate) const STANDORT: &str = "dynamic_33400";
/// Custom attribute "Betriebszugehörigkeit seit" (custom date, plain `YYYY-MM-DD`).
pub(crate) const SENIORITY: &str = "dynamic_33412";
/// Custom attribute "Sprachen" (list).
pub(crate) const LANGUAGES: &str = "dynamic_61055";
/// Custom attribute "Geburtsdatum" (custom date, rendered as Personio renders dates: local
/// midnight with an offset).
pub(crate) const BIRTH_DATE: &str = "dynamic_99001";

/// One attribute definition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttrDef {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub universal_id: Option<&'static str>,
}

const fn std_attr(key: &'static str, label: &'static str, kind: &'static str) -> AttrDef {
    AttrDef {
        key,
        label,
        kind,
        universal_id: Some(key),
    }
}

/// Every attribute except `id` (which is always present and not listed).
pub(crate) const CATALOG: &[AttrDef] = &[
    std_attr("first_name", "First name", "standard"),
    std_attr("last_name", "Last name", "standard"),
    std_attr("preferred_name", "Preferred name", "standard"),
    std_attr("email", "Email", "standard"),
    std_attr("gender", "Gender", "standard"),
    std_attr("status", "Status", "standard"),
    std_attr("position", "Position", "standard"),
    std_attr("employment_type", "Employment type", "standard"),
    std_attr("weekly_working_hours", "Weekly hours", "standard"),
    std_attr("hire_date", "Hire date", "date"),
    std_attr("contract_end_date", "Contract ends", "date"),
    std_attr("termination_date", "Termination date", "date"),
    std_attr("termination_type", "Termination type", "standard"),
    std_attr("termination_reason", "Termination reason", "standard"),
    std_attr("last_working_day", "Last day of work", "date"),
    std_attr("created_at", "created_at", "date"),
    std_attr("last_modified_at", "Last modified", "date"),
    std_attr("department", "Department", "standard"),
    std_attr("office", "Office", "standard"),
    std_attr("team", "Team", "standard"),
    std_attr("subcompany", "Subcompany", "standard"),
    std_attr("supervisor", "Supervisor", "standard"),
    std_attr("cost_centers", "Cost center", "standard"),
    std_attr("holiday_calendar", "Holiday calendar", "standard"),
    AttrDef {
        key: STANDORT,
        label: "Standort",
        kind: "standard",
        universal_id: None,
    },
    AttrDef {
        key: SENIORITY,
        label: "Betriebszugehörigkeit seit",
        kind: "date",
        universal_id: None,
    },
    AttrDef {
        key: LANGUAGES,
        label: "Sprachen",
        kind: "list",
        universal_id: None,
    },
    AttrDef {
        key: BIRTH_DATE,
        label: "Geburtsdatum",
        kind: "date",
        universal_id: None,
    },
];

/// Looks up a definition (`id` included).
pub(crate) fn def(key: &str) -> Option<AttrDef> {
    if key == "id" {
        return Some(AttrDef {
            key: "id",
            label: "ID",
            kind: "integer",
            universal_id: Some("id"),
        });
    }
    CATALOG.iter().find(|d| d.key == key).copied()
}

/// Is `key` an attribute this account has (`id` included)?
pub(crate) fn is_known(key: &str) -> bool {
    def(key).is_some()
}

/// The `/attributes` entry for one definition.
pub(crate) fn listing_entry(d: &AttrDef) -> Value {
    let options: Vec<&str> = match d.key {
        LANGUAGES => crate::names::LANGUAGES.to_vec(),
        "gender" => vec!["male", "female", "diverse"],
        "status" => vec!["onboarding", "active", "leave", "inactive"],
        "employment_type" => vec!["internal", "external"],
        _ => Vec::new(),
    };
    json!({
        "key": d.key,
        "label": d.label,
        "type": d.kind,
        "universal_id": d.universal_id,
        "options": options,
    })
}

/// Which attributes one response shows: the credential's readable set intersected with the
/// request's `attributes[]` projection. `id` is always shown.
#[derive(Debug, Clone)]
pub(crate) struct Visible {
    readable: Option<BTreeSet<String>>,
    projection: Option<BTreeSet<String>>,
}

impl Visible {
    pub(crate) fn new(
        readable: Option<&BTreeSet<String>>,
        projection: Option<&BTreeSet<String>>,
    ) -> Self {
        Visible {
            readable: readable.cloned(),
            projection: projection.cloned(),
        }
    }

    pub(crate) fn shows(&self, key: &str) -> bool {
        key == "id"
            || (self.readable.as_ref().is_none_or(|r| r.contains(key))
                && self.projection.as_ref().is_none_or(|p| p.contains(key)))
    }
}
