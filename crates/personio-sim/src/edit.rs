//! The simulator's own employee JSON (what `/_sim/employees` shows and accepts) and the
//! rules for applying a hire or a PATCH body to the model, with change tracking for
//! `updated_since`.
//!
//! Must never render Personio JSON (that is `render.rs`) and must never leave an employee
//! half-edited: a body is validated completely on a copy before it replaces the original.

use crate::attributes;
use crate::company::{Company, Employee, OrgKind, Status, Text, personio_key};
use crate::dates::{parse_ymd, rfc3339, ymd};
use serde_json::{Map, Value, json};
use time::{Date, OffsetDateTime};

fn opt_date(d: Option<Date>) -> Value {
    d.map_or(Value::Null, |d| json!(ymd(d)))
}

fn org_name(company: &Company, kind: OrgKind, id: Option<u64>) -> Value {
    id.and_then(|id| company.org(kind, id))
        .map_or(Value::Null, |o| json!(o.name))
}

/// The simulator's own JSON for one employee.
pub(crate) fn sim_json(company: &Company, e: &Employee) -> Value {
    let cost_centers: Vec<Value> = e
        .cost_centers
        .iter()
        .filter_map(|(id, pct)| {
            company
                .org(OrgKind::CostCenter, *id)
                .map(|c| json!({"name": c.name, "percentage": pct}))
        })
        .collect();
    json!({
        "id": e.id,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "preferred_name": e.preferred_name,
        "email": e.email,
        "gender": e.gender,
        "status": e.status.as_str(),
        "position": e.position,
        "employment_type": e.employment_type,
        "weekly_working_hours": e.weekly_working_hours,
        "hire_date": opt_date(e.hire_date),
        "contract_end_date": opt_date(e.contract_end_date),
        "termination_date": opt_date(e.termination_date),
        "termination_type": e.termination_type,
        "termination_reason": e.termination_reason,
        "last_working_day": opt_date(e.last_working_day),
        "department": org_name(company, OrgKind::Department, e.department),
        "office": org_name(company, OrgKind::Office, e.office),
        "team": org_name(company, OrgKind::Team, e.team),
        "subcompany": org_name(company, OrgKind::Subcompany, e.subcompany),
        "supervisor_id": e.supervisor_id,
        "cost_centers": cost_centers,
        (attributes::STANDORT): e.standort,
        (attributes::SENIORITY): opt_date(e.seniority_since),
        (attributes::LANGUAGES): e.languages,
        (attributes::BIRTH_DATE): opt_date(e.birth_date),
        "created_at": rfc3339(e.created_at),
        "last_modified": rfc3339(e.last_modified()),
    })
}

/// Fields that may appear in a body but cannot be changed (ignored).
const READ_ONLY: &[&str] = &["id", "created_at", "last_modified"];

fn opt_string(field: &str, v: &Value) -> Result<Option<Text>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(Text::Owned(s.clone()))),
        Value::Number(n) => Ok(Some(Text::Owned(n.to_string()))),
        _ => Err(format!("{field}: expected a string or null")),
    }
}

fn required_string(field: &str, v: &Value) -> Result<Text, String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(Text::Owned(s.clone())),
        _ => Err(format!("{field}: expected a non-empty string")),
    }
}

fn opt_ymd(field: &str, v: &Value) -> Result<Option<Date>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => parse_ymd(s)
            .map(Some)
            .ok_or_else(|| format!("{field}: expected YYYY-MM-DD")),
        _ => Err(format!("{field}: expected YYYY-MM-DD or null")),
    }
}

fn opt_org(
    company: &mut Company,
    kind: OrgKind,
    field: &str,
    v: &Value,
) -> Result<Option<u64>, String> {
    Ok(opt_string(field, v)?.map(|name| company.org_by_name(kind, &name)))
}

fn cost_centers(company: &mut Company, v: &Value) -> Result<Vec<(u64, u8)>, String> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err("cost_centers: expected a list".into()),
    };
    let n = items.len().max(1) as u8;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let (name, pct) = match item {
            Value::String(s) => (s.clone(), None),
            Value::Object(o) => (
                o.get("name")
                    .and_then(Value::as_str)
                    .ok_or("cost_centers: each entry needs a name")?
                    .to_string(),
                o.get("percentage").and_then(Value::as_u64),
            ),
            _ => return Err("cost_centers: entries are names or {name, percentage}".into()),
        };
        let even = if i == 0 {
            100 - (100 / n) * (n - 1)
        } else {
            100 / n
        };
        let pct = pct.map_or(even, |p| p.min(100) as u8);
        out.push((company.org_by_name(OrgKind::CostCenter, &name), pct));
    }
    Ok(out)
}

/// Applies `fields` to employee `e` (a copy), recording changes at `now`. Errors name the
/// offending field; nothing is applied to the company's employee on error (but new org
/// units named by the body may have been created).
pub(crate) fn apply(
    company: &mut Company,
    e: &mut Employee,
    fields: &Map<String, Value>,
    now: OffsetDateTime,
) -> Result<(), String> {
    for (field, v) in fields {
        if READ_ONLY.contains(&field.as_str()) {
            continue;
        }
        let key = personio_key(field).ok_or_else(|| format!("unknown field: {field}"))?;
        match field.as_str() {
            "first_name" => e.first_name = required_string(field, v)?,
            "last_name" => e.last_name = required_string(field, v)?,
            "email" => e.email = required_string(field, v)?.trim().to_string(),
            "preferred_name" => e.preferred_name = opt_string(field, v)?,
            "gender" => e.gender = opt_string(field, v)?,
            "status" => {
                let s = required_string(field, v)?;
                e.status = Status::parse(&s).ok_or_else(|| {
                    format!("status: expected onboarding, active, leave or inactive, got {s}")
                })?;
            }
            "position" => e.position = opt_string(field, v)?,
            "employment_type" => e.employment_type = opt_string(field, v)?,
            "weekly_working_hours" => e.weekly_working_hours = opt_string(field, v)?,
            "hire_date" => e.hire_date = opt_ymd(field, v)?,
            "contract_end_date" => e.contract_end_date = opt_ymd(field, v)?,
            "termination_date" => e.termination_date = opt_ymd(field, v)?,
            "termination_type" => e.termination_type = opt_string(field, v)?,
            "termination_reason" => e.termination_reason = opt_string(field, v)?,
            "last_working_day" => e.last_working_day = opt_ymd(field, v)?,
            "department" => e.department = opt_org(company, OrgKind::Department, field, v)?,
            "office" => e.office = opt_org(company, OrgKind::Office, field, v)?,
            "team" => e.team = opt_org(company, OrgKind::Team, field, v)?,
            "subcompany" => e.subcompany = opt_org(company, OrgKind::Subcompany, field, v)?,
            "supervisor_id" => {
                e.supervisor_id = match v {
                    Value::Null => None,
                    v => {
                        let id = v
                            .as_u64()
                            .ok_or("supervisor_id: expected an employee id or null")?;
                        if company.get(id).is_none() && id != e.id {
                            return Err(format!("supervisor_id: no employee {id}"));
                        }
                        Some(id)
                    }
                }
            }
            "cost_centers" => e.cost_centers = cost_centers(company, v)?,
            attributes::STANDORT => e.standort = opt_string(field, v)?,
            attributes::SENIORITY => e.seniority_since = opt_ymd(field, v)?,
            attributes::LANGUAGES => e.languages = opt_string(field, v)?,
            attributes::BIRTH_DATE => e.birth_date = opt_ymd(field, v)?,
            _ => return Err(format!("unknown field: {field}")),
        }
        e.touch(key, now);
    }
    Ok(())
}

/// `ada@x.de` → `ada_inactive_<oldid>@x.de`.
pub(crate) fn rehire_suffix(email: &str, old_id: u64) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => format!("{local}_inactive_{old_id}@{domain}"),
        None => format!("{email}_inactive_{old_id}"),
    }
}
