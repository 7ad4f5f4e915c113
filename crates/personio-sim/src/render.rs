//! Renders the simulator's model as Personio v1 JSON: employee objects
//! (`{"type":"Employee","attributes":{…}}` with label/value/type/universal_id per attribute),
//! list pages, single employees and the Personio error body.
//!
//! This is the independent half of the client check, so it must never reuse the client's
//! or staffsync-core's types. It must never show an attribute the [`Visible`] filter hides
//! (hidden attributes are absent, not null) and must never mutate state.

use crate::attributes::{self, AttrDef, Visible};
use crate::company::{Company, Employee, OrgKind};
use crate::dates::{personio_date, personio_datetime, ymd};
use serde_json::{Map, Value, json};
use time::Date;

fn attr(d: &AttrDef, value: Value) -> Value {
    json!({
        "label": d.label,
        "value": value,
        "type": d.kind,
        "universal_id": d.universal_id,
    })
}

/// How this employee renders an empty value of attribute number `salt`: `null` or `""`.
fn empty(e: &Employee, salt: u32) -> Value {
    if (u32::from(e.style) >> (1 + salt % 7)) & 1 == 1 {
        Value::Null
    } else {
        Value::String(String::new())
    }
}

fn text(e: &Employee, v: Option<&str>, salt: u32) -> Value {
    match v {
        Some(s) if !s.is_empty() => Value::String(s.to_string()),
        _ => empty(e, salt),
    }
}

fn date(e: &Employee, d: Option<Date>) -> Value {
    d.map_or(Value::Null, |d| {
        Value::String(personio_date(d, e.style & 1 == 1))
    })
}

fn org(company: &Company, kind: OrgKind, id: Option<u64>) -> Value {
    let type_name = match kind {
        OrgKind::Department => "Department",
        OrgKind::Office => "Office",
        OrgKind::Team => "Team",
        OrgKind::Subcompany => "Subcompany",
        OrgKind::CostCenter => "CostCenter",
    };
    match id.and_then(|id| company.org(kind, id)) {
        Some(o) => json!({"type": type_name, "attributes": {"id": o.id, "name": o.name}}),
        None => Value::Null,
    }
}

fn holiday_calendar(company: &Company, e: &Employee) -> Value {
    let Some(office) = e.office.and_then(|id| company.org(OrgKind::Office, id)) else {
        return Value::Null;
    };
    let (country, state) = crate::names::OFFICES
        .iter()
        .find(|o| o.0 == office.name)
        .map_or(("DE", "Berlin"), |o| (o.1, o.2));
    json!({"type": "HolidayCalendar", "attributes": {
        "id": 900_000 + office.id % 100_000,
        "name": format!("{country} ({state}) Feiertage"),
        "country": country,
        "state": state,
    }})
}

fn supervisor(company: &Company, e: &Employee, visible: &Visible) -> Value {
    let Some(sid) = e.supervisor_id else {
        return Value::Null;
    };
    let mut attrs = Map::new();
    if let Some(d) = attributes::def("id") {
        attrs.insert("id".into(), attr(&d, json!(sid)));
    }
    if let Some(s) = company.get(sid) {
        for (key, v) in [
            ("first_name", s.first_name.as_ref()),
            ("last_name", s.last_name.as_ref()),
            ("email", s.email.as_str()),
        ] {
            if let (true, Some(d)) = (visible.shows(key), attributes::def(key)) {
                attrs.insert(key.into(), attr(&d, json!(v)));
            }
        }
    }
    json!({"type": "Employee", "attributes": attrs})
}

fn value_of(company: &Company, e: &Employee, key: &str, visible: &Visible) -> Value {
    match key {
        "first_name" => json!(e.first_name),
        "last_name" => json!(e.last_name),
        "preferred_name" => text(e, e.preferred_name.as_deref(), 1),
        "email" => json!(e.email),
        "gender" => text(e, e.gender.as_deref(), 2),
        "status" => json!(e.status.as_str()),
        "position" => text(e, e.position.as_deref(), 3),
        "employment_type" => text(e, e.employment_type.as_deref(), 4),
        "weekly_working_hours" => text(e, e.weekly_working_hours.as_deref(), 5),
        "hire_date" => date(e, e.hire_date),
        "contract_end_date" => date(e, e.contract_end_date),
        "termination_date" => date(e, e.termination_date),
        "termination_type" => text(e, e.termination_type.as_deref(), 6),
        "termination_reason" => text(e, e.termination_reason.as_deref(), 7),
        "last_working_day" => date(e, e.last_working_day),
        "created_at" => json!(personio_datetime(e.created_at, e.style & 1 == 1)),
        "last_modified_at" => json!(personio_datetime(e.last_modified(), e.style & 1 == 1)),
        "department" => org(company, OrgKind::Department, e.department),
        "office" => org(company, OrgKind::Office, e.office),
        "team" => org(company, OrgKind::Team, e.team),
        "subcompany" => org(company, OrgKind::Subcompany, e.subcompany),
        "supervisor" => supervisor(company, e, visible),
        "cost_centers" => Value::Array(
            e.cost_centers
                .iter()
                .filter_map(|(id, pct)| {
                    company.org(OrgKind::CostCenter, *id).map(|c| {
                        json!({"type": "CostCenter", "attributes":
                            {"id": c.id, "name": c.name, "percentage": pct}})
                    })
                })
                .collect(),
        ),
        "holiday_calendar" => holiday_calendar(company, e),
        attributes::STANDORT => text(e, e.standort.as_deref(), 8),
        // Custom dates come as plain YYYY-MM-DD.
        attributes::SENIORITY => match e.seniority_since {
            Some(d) => json!(ymd(d)),
            None => empty(e, 9),
        },
        attributes::LANGUAGES => text(e, e.languages.as_deref(), 10),
        attributes::BIRTH_DATE => date(e, e.birth_date),
        _ => Value::Null,
    }
}

/// One employee object as Personio lists it. `malformed` replaces `hire_date` with an
/// unparseable value (the `malformed_employee` fault).
pub(crate) fn employee(
    company: &Company,
    e: &Employee,
    visible: &Visible,
    malformed: bool,
) -> Value {
    let mut attrs = Map::new();
    if let Some(d) = attributes::def("id") {
        attrs.insert("id".into(), attr(&d, json!(e.id)));
    }
    for d in attributes::CATALOG {
        if !visible.shows(d.key) {
            continue;
        }
        let value = if malformed && d.key == "hire_date" {
            json!("not a date")
        } else {
            value_of(company, e, d.key, visible)
        };
        attrs.insert(d.key.into(), attr(d, value));
    }
    json!({"type": "Employee", "attributes": attrs})
}

/// Personio's error body.
pub(crate) fn error_body(code: u16, message: &str) -> Value {
    json!({"success": false, "error": {"code": code, "message": message}})
}

/// Personio's validation error body (422) naming the offending parameter.
pub(crate) fn validation_error(param: &str, message: &str) -> Value {
    json!({"success": false, "error": {
        "code": 422,
        "message": message,
        "error_data": {param: [message]},
    }})
}
