//! Renders the simulator's model as Personio v2 JSON: persons, employments, org units,
//! offices, the v2 error body, plus the opaque paging cursor and the derived ids (string
//! person ids, UUID employment ids, the company id).
//!
//! Like `render.rs` this is the independent half of the client check: it must never reuse
//! the client's types, must never mutate state, and must render the same people as v1
//! (same ids, names, e-mails, org units) from the same model.

use crate::attributes;
use crate::company::{Company, Employee, OrgKind, Status};
use crate::dates::ymd;
use crate::rng::fnv1a;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A UUID-shaped string (version 4 layout) from two 64-bit values.
pub(crate) fn uuid(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// The (only) employment id of a person: stable for seed and person id.
pub(crate) fn employment_id(seed: u64, person_id: u64) -> String {
    let a = fnv1a(&[b"employment", &seed.to_le_bytes(), &person_id.to_le_bytes()]);
    let b = fnv1a(&[
        b"employment-2",
        &person_id.to_le_bytes(),
        &seed.to_le_bytes(),
    ]);
    uuid(a, b)
}

/// The company id webhook envelopes carry.
pub(crate) fn company_id(seed: u64) -> String {
    (10_000 + fnv1a(&[b"company", &seed.to_le_bytes()]) % 90_000).to_string()
}

/// RFC 3339 in UTC with the sub-second part when there is one.
pub(crate) fn timestamp(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| crate::dates::rfc3339(t))
}

/// `ONBOARDING`, `ACTIVE`, `LEAVE`, `INACTIVE`.
pub(crate) fn employment_status(s: Status) -> &'static str {
    match s {
        Status::Onboarding => "ONBOARDING",
        Status::Active => "ACTIVE",
        Status::Leave => "LEAVE",
        Status::Inactive => "INACTIVE",
    }
}

/// A person is `INACTIVE` exactly when the employee is `inactive`, else `ACTIVE`.
pub(crate) fn person_status(s: Status) -> &'static str {
    if s == Status::Inactive {
        "INACTIVE"
    } else {
        "ACTIVE"
    }
}

fn gender(g: Option<&str>) -> Value {
    match g {
        Some(g) if !g.is_empty() => json!(g.to_ascii_uppercase()),
        _ => Value::Null,
    }
}

fn opt_text(t: Option<&str>) -> Value {
    match t {
        Some(t) if !t.is_empty() => json!(t),
        _ => Value::Null,
    }
}

fn id_ref(id: Option<u64>) -> Value {
    id.map_or(Value::Null, |id| json!({"id": id.to_string()}))
}

/// One v2 person.
pub(crate) fn person(seed: u64, e: &Employee) -> Value {
    let custom = |id: &str, kind: &str, value: Value| json!({"id": id, "type": kind, "value": value, "global_id": null});
    json!({
        "id": e.id.to_string(),
        "email": e.email,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "preferred_name": opt_text(e.preferred_name.as_deref()),
        "gender": gender(e.gender.as_deref()),
        "status": person_status(e.status),
        "created_at": timestamp(e.created_at),
        "updated_at": timestamp(e.last_modified()),
        "custom_attributes": [
            custom(attributes::STANDORT, "string", opt_text(e.standort.as_deref())),
            custom(attributes::SENIORITY, "date", e.seniority_since.map_or(Value::Null, |d| json!(ymd(d)))),
            custom(attributes::LANGUAGES, "list", opt_text(e.languages.as_deref())),
            custom(attributes::BIRTH_DATE, "date", e.birth_date.map_or(Value::Null, |d| json!(ymd(d)))),
        ],
        "employments": [{"id": employment_id(seed, e.id)}],
    })
}

/// One v2 employment (every person has exactly one).
pub(crate) fn employment(seed: u64, e: &Employee) -> Value {
    let mut org_units = Vec::new();
    if let Some(d) = e.department {
        org_units.push(json!({"type": "department", "id": d.to_string()}));
    }
    if let Some(t) = e.team {
        org_units.push(json!({"type": "team", "id": t.to_string()}));
    }
    let termination = e.termination_date.map_or(Value::Null, |d| {
        json!({
            "termination_date": ymd(d),
            "last_working_day": e.last_working_day.map(ymd),
            "type": opt_text(e.termination_type.as_deref()),
            "reason": opt_text(e.termination_reason.as_deref()),
        })
    });
    let cost_centers: Vec<Value> = e
        .cost_centers
        .iter()
        .map(|(id, pct)| json!({"id": id.to_string(), "weight": pct}))
        .collect();
    json!({
        "id": employment_id(seed, e.id),
        "person": {"id": e.id.to_string()},
        "status": employment_status(e.status),
        "employment_start_date": e.hire_date.map(ymd),
        "employment_end_date": e.termination_date.map(ymd),
        "position": e.position.as_deref().filter(|p| !p.is_empty()).map_or(Value::Null, |p| json!({"title": p})),
        "supervisor": id_ref(e.supervisor_id),
        "office": id_ref(e.office),
        "org_units": org_units,
        "subcompany": id_ref(e.subcompany),
        "cost_centers": cost_centers,
        "termination": termination,
        "created_at": timestamp(e.created_at),
        "updated_at": timestamp(e.last_modified()),
    })
}

/// The lookup JSON of one unit: `{"id","name"}`, plus `type` for org units.
pub(crate) fn unit(kind: OrgKind, id: u64, name: &str) -> Value {
    match kind {
        OrgKind::Department => json!({"id": id.to_string(), "type": "department", "name": name}),
        OrgKind::Team => json!({"id": id.to_string(), "type": "team", "name": name}),
        _ => json!({"id": id.to_string(), "name": name}),
    }
}

/// Every unit of `kinds`, ordered by id.
pub(crate) fn units(company: &Company, kinds: &[OrgKind]) -> Vec<(u64, Value)> {
    let mut all: Vec<(u64, Value)> = kinds
        .iter()
        .flat_map(|k| {
            company
                .orgs(*k)
                .iter()
                .map(move |o| (o.id, unit(*k, o.id, &o.name)))
        })
        .collect();
    all.sort_by_key(|(id, _)| *id);
    all
}

/// Personio's v2 error body.
pub(crate) fn error_body(trace: u64, title: &str, detail: &str) -> Value {
    json!({
        "personio_trace_id": uuid(trace, fnv1a(&[&trace.to_le_bytes()])),
        "errors": [{"title": title, "detail": detail}],
    })
}

/// The opaque cursor for the page starting at `offset` of a listing at `generation`.
pub(crate) fn encode_cursor(offset: u64, generation: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o={offset};g={generation}"))
}

/// `(offset, generation)` of a cursor; `None` when it is not one of ours.
pub(crate) fn decode_cursor(cursor: &str) -> Option<(u64, u64)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (o, g) = text.split_once(';')?;
    Some((
        o.strip_prefix("o=")?.parse().ok()?,
        g.strip_prefix("g=")?.parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let c = encode_cursor(150, 3);
        assert_eq!(decode_cursor(&c), Some((150, 3)));
        assert_eq!(decode_cursor("nope!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("o=x;g=1")), None);
    }

    #[test]
    fn uuids_have_the_v4_layout() {
        let u = uuid(u64::MAX, 0);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(employment_id(7, 1), employment_id(7, 1));
        assert_ne!(employment_id(7, 1), employment_id(7, 2));
    }
}
