//! The `/_sim/` control surface (no auth, JSON in and out): an index of itself at `/_sim/`,
//! stats, employee mutations
//! (hire, patch, terminate, delete, rehire, each firing its webhook events), renaming an
//! org unit, the clock, the
//! webhook delivery mode and log, the credential's readable attributes, faults and quirks.
//!
//! Real Personio has none of this. Must never be counted in stats, rate-limited or delayed,
//! and must never hold the state lock across an `.await`.

use crate::SimError;
use crate::api::{Rejection, reply};
use crate::company::{Employee, OrgKind, RenameError, Status};
use crate::config::Quirks;
use crate::dates::{parse_ymd, ymd};
use crate::edit::{apply, rehire_suffix, sim_json};
use crate::faults::Fault;
use crate::render::error_body;
use crate::state::SimState;
use crate::webhooks::WebhookMode;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

pub(crate) fn routes() -> Router<SimState> {
    Router::new()
        .route("/_sim", get(index))
        .route("/_sim/", get(index))
        .route("/_sim/company", get(company))
        .route("/_sim/stats", get(stats))
        .route("/_sim/stats/reset", post(reset_stats))
        .route("/_sim/employees", get(list).post(hire))
        .route(
            "/_sim/employees/{id}",
            patch(update).delete(remove).get(one),
        )
        .route("/_sim/employees/{id}/terminate", post(terminate))
        .route("/_sim/employees/{id}/rehire", post(rehire))
        .route("/_sim/units/{id}", patch(rename_unit))
        .route("/_sim/credential", get(get_credential).put(put_credential))
        .route(
            "/_sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_sim/quirks", get(get_quirks).put(put_quirks))
        .route("/_sim/clock", get(get_clock).post(set_clock))
        .route(
            "/_sim/webhooks/mode",
            get(get_webhook_mode).put(put_webhook_mode),
        )
        .route(
            "/_sim/webhooks/deliveries",
            get(list_deliveries).delete(clear_deliveries),
        )
}

/// Every control endpoint as (methods, path, what it does), for `GET /_sim/`: the page a
/// newcomer opens first (the demo prints its URL). Keep it in step with [`routes`] and
/// docs/simulator.md; `tests/it/control.rs` checks that every listed `GET` answers.
const ENDPOINTS: &[(&str, &str, &str)] = &[
    ("GET", "/_sim/", "this list"),
    (
        "GET",
        "/_sim/company",
        "the company: name, today, departments, offices, teams, …",
    ),
    ("GET", "/_sim/stats", "request counters"),
    ("POST", "/_sim/stats/reset", "zero the counters"),
    (
        "GET",
        "/_sim/employees",
        "every employee, the simulator's own JSON",
    ),
    (
        "POST",
        "/_sim/employees",
        "hire: first_name, last_name, email, …",
    ),
    (
        "GET PATCH DELETE",
        "/_sim/employees/{id}",
        "one employee: read, change fields, remove from Personio",
    ),
    (
        "POST",
        "/_sim/employees/{id}/terminate",
        "{\"termination_date\":\"YYYY-MM-DD\"} (default today)",
    ),
    (
        "POST",
        "/_sim/employees/{id}/rehire",
        "{\"hire_date\":\"YYYY-MM-DD\"}: a new id, the same e-mail",
    ),
    (
        "PATCH",
        "/_sim/units/{id}",
        "rename a department, office, team, subcompany or cost center",
    ),
    (
        "GET PUT",
        "/_sim/credential",
        "the attributes the credential may read",
    ),
    (
        "GET POST DELETE",
        "/_sim/faults",
        "armed faults: list, add one, clear all",
    ),
    ("GET PUT", "/_sim/quirks", "behaviour the spec leaves open"),
    ("GET POST", "/_sim/clock", "the simulated today"),
    (
        "GET PUT",
        "/_sim/webhooks/mode",
        "drop or duplicate webhook deliveries",
    ),
    (
        "GET DELETE",
        "/_sim/webhooks/deliveries",
        "webhook deliveries sent so far",
    ),
];

/// `GET /_sim/`: the control endpoints, so the URL the demo prints answers something useful.
async fn index() -> Response {
    let endpoints: Vec<Value> = ENDPOINTS
        .iter()
        .map(|(methods, path, what)| json!({"methods": methods, "path": path, "what": what}))
        .collect();
    reply(
        StatusCode::OK,
        json!({
            "simulator": "personio-sim",
            "docs": "docs/simulator.md",
            "endpoints": endpoints,
        }),
    )
}

/// Keys of the sim JSON whose change is a change of the person (`person.updated`);
/// `position` fires nothing; every other key is a change of the employment.
const PERSON_KEYS: &[&str] = &[
    "first_name",
    "last_name",
    "preferred_name",
    "email",
    "gender",
    crate::attributes::STANDORT,
    crate::attributes::SENIORITY,
    crate::attributes::LANGUAGES,
    crate::attributes::BIRTH_DATE,
];

/// Which events a PATCH fires: `(person.updated, employment.updated)`, from the keys whose
/// sim JSON value actually changed.
fn patch_events(fields: &Map<String, Value>, before: &Value, after: &Value) -> (bool, bool) {
    let (mut person, mut employment) = (false, false);
    for key in fields.keys() {
        if key == "position" || before.get(key) == after.get(key) {
            continue;
        }
        if PERSON_KEYS.contains(&key.as_str()) {
            person = true;
        } else if before.get(key).is_some() {
            employment = true;
            // Leaving or re-entering `inactive` changes the person's status too.
            if key == "status" && (before[key] == "inactive") != (after[key] == "inactive") {
                person = true;
            }
        }
    }
    (person, employment)
}

fn bad(message: impl AsRef<str>) -> Response {
    reply(
        StatusCode::UNPROCESSABLE_ENTITY,
        error_body(422, message.as_ref()),
    )
}

fn not_found(id: u64) -> Response {
    reply(
        StatusCode::NOT_FOUND,
        error_body(404, &format!("no employee {id}")),
    )
}

fn ok(body: Value) -> Response {
    reply(StatusCode::OK, body)
}

/// Parses a JSON object body; an empty body is an empty object.
fn object(body: &Bytes) -> Result<Map<String, Value>, Rejection> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Box::new(bad("expected a JSON object"))),
        Err(e) => Err(Box::new(bad(format!("invalid JSON: {e}")))),
    }
}

fn parse_id(id: &str) -> Result<u64, Rejection> {
    id.trim()
        .parse()
        .map_err(|_| Box::new(bad(format!("not an employee id: {id}"))))
}

fn date_field(
    m: &Map<String, Value>,
    field: &str,
    default: time::Date,
) -> Result<time::Date, Rejection> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) => {
            parse_ymd(s).ok_or_else(|| Box::new(bad(format!("{field}: expected YYYY-MM-DD"))))
        }
        Some(_) => Err(Box::new(bad(format!("{field}: expected YYYY-MM-DD")))),
    }
}

async fn company(State(state): State<SimState>) -> Response {
    let w = state.world();
    let c = &w.company;
    let units = |kind: OrgKind| -> Vec<Value> {
        c.orgs(kind)
            .iter()
            .map(|o| json!({"id": o.id, "name": o.name}))
            .collect()
    };
    ok(json!({
        "name": c.name,
        "domain": c.domain,
        "today": ymd(state.today()),
        "employees": c.employees.len(),
        "departments": units(OrgKind::Department),
        "offices": units(OrgKind::Office),
        "teams": units(OrgKind::Team),
        "subcompanies": units(OrgKind::Subcompany),
        "cost_centers": units(OrgKind::CostCenter),
    }))
}

async fn stats(State(state): State<SimState>) -> Response {
    ok(json!(state.stats()))
}

async fn reset_stats(State(state): State<SimState>) -> Response {
    state.reset_stats();
    ok(json!(state.stats()))
}

async fn list(State(state): State<SimState>) -> Response {
    let w = state.world();
    let all: Vec<Value> = w
        .company
        .employees
        .iter()
        .map(|e| sim_json(&w.company, e))
        .collect();
    ok(Value::Array(all))
}

async fn one(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let w = state.world();
    match w.company.get(id) {
        Some(e) => ok(sim_json(&w.company, e)),
        None => not_found(id),
    }
}

async fn hire(State(state): State<SimState>, body: Bytes) -> Response {
    let fields = match object(&body) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    for required in ["first_name", "last_name", "email"] {
        if !fields.contains_key(required) {
            return bad(format!("{required} is required"));
        }
    }
    let today = state.today();
    let now = OffsetDateTime::now_utc();
    let mut w = state.world();
    let mut e = w.company_mut().blank_employee(now);
    if let Err(msg) = apply(w.company_mut(), &mut e, &fields, now) {
        return bad(msg);
    }
    // Fields the body did not set get a hire's defaults.
    let hire_date = *e.hire_date.get_or_insert(today);
    if !fields.contains_key("status") {
        e.status = if hire_date > today {
            Status::Onboarding
        } else {
            Status::Active
        };
    }
    // A hire is new as a whole: every attribute changed now.
    e.changed.clear();
    e.base_modified = now;
    let json = sim_json(&w.company, &e);
    let id = e.id;
    w.company_mut().push(e);
    state.fire(&mut w, "person.created", id, false);
    state.fire(&mut w, "employment.created", id, true);
    ok(json)
}

async fn update(State(state): State<SimState>, Path(id): Path<String>, body: Bytes) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let fields = match object(&body) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let now = OffsetDateTime::now_utc();
    let mut w = state.world();
    let Some(mut e) = w.company.get(id).cloned() else {
        return not_found(id);
    };
    let before = sim_json(&w.company, &e);
    if let Err(msg) = apply(w.company_mut(), &mut e, &fields, now) {
        return bad(msg);
    }
    let json = sim_json(&w.company, &e);
    if let Some(slot) = w.company_mut().get_mut(id) {
        *slot = e;
    }
    let (person, employment) = patch_events(&fields, &before, &json);
    if person {
        state.fire(&mut w, "person.updated", id, false);
    }
    if employment {
        state.fire(&mut w, "employment.updated", id, true);
    }
    ok(json)
}

async fn terminate(State(state): State<SimState>, Path(id): Path<String>, body: Bytes) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let fields = match object(&body) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let today = state.today();
    let date = match date_field(&fields, "termination_date", today) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let now = OffsetDateTime::now_utc();
    let mut w = state.world();
    let Some(e) = w.company_mut().get_mut(id) else {
        return not_found(id);
    };
    e.termination_date = Some(date);
    e.last_working_day = Some(date);
    e.touch("termination_date", now);
    e.touch("last_working_day", now);
    if date <= today {
        e.status = Status::Inactive;
        e.touch("status", now);
    }
    let e = e.clone();
    state.fire(&mut w, "employment.updated", id, true);
    if date <= today {
        state.fire(&mut w, "employment.terminated", id, true);
    }
    ok(sim_json(&w.company, &e))
}

async fn remove(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let mut w = state.world();
    if w.company_mut().remove(id) {
        state.fire(&mut w, "person.deleted", id, false);
        ok(json!({"deleted": id}))
    } else {
        not_found(id)
    }
}

async fn rehire(State(state): State<SimState>, Path(id): Path<String>, body: Bytes) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let fields = match object(&body) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let today = state.today();
    let hire_date = match date_field(&fields, "hire_date", today) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let now = OffsetDateTime::now_utc();
    let mut w = state.world();
    let Some(old) = w.company.get(id).cloned() else {
        return not_found(id);
    };
    let mut new = w.company_mut().blank_employee(now);
    let new_id = new.id;
    let style = new.style;
    new = Employee {
        id: new_id,
        style,
        status: if hire_date > today {
            Status::Onboarding
        } else {
            Status::Active
        },
        hire_date: Some(hire_date),
        seniority_since: Some(hire_date),
        termination_date: None,
        termination_type: None,
        termination_reason: None,
        last_working_day: None,
        contract_end_date: None,
        created_at: now,
        base_modified: now,
        changed: Vec::new(),
        ..old.clone()
    };
    if let Some(e) = w.company_mut().get_mut(id) {
        e.email = rehire_suffix(&old.email, id);
        e.touch("email", now);
        if e.status != Status::Inactive {
            e.status = Status::Inactive;
            e.touch("status", now);
        }
        if e.termination_date.is_none() {
            let end = hire_date.min(today);
            e.termination_date = Some(end);
            e.last_working_day = Some(end);
            e.touch("termination_date", now);
            e.touch("last_working_day", now);
        }
    }
    let json = sim_json(&w.company, &new);
    w.company_mut().push(new);
    state.fire(&mut w, "person.created", new_id, false);
    // ADDED to the contract: the old profile's e-mail and status changed.
    state.fire(&mut w, "person.updated", id, false);
    ok(json)
}

/// `PATCH /_sim/units/{id}` `{"name"}`: renames a department, office, team, subcompany
/// or cost center in place (same id, same members). Fires no webhook and stamps no
/// employee's `last_modified`: the people did not change, only what their unit is called
/// (whether real Personio fires or stamps anything here is not documented).
async fn rename_unit(
    State(state): State<SimState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = match object(&body) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let Ok(id) = id.trim().parse::<u64>() else {
        return bad(format!("not a unit id: {id}"));
    };
    let Some(name) = fields.get("name").and_then(Value::as_str) else {
        return bad("name: expected a string");
    };
    let mut w = state.world();
    match w.company_mut().rename_org(id, name) {
        Ok(kind) => ok(json!({"id": id, "name": name.trim(), "kind": unit_kind(kind)})),
        Err(RenameError::NotFound) => reply(
            StatusCode::NOT_FOUND,
            error_body(404, &format!("no unit {id}")),
        ),
        Err(RenameError::Invalid(msg)) => bad(msg),
    }
}

fn unit_kind(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Department => "department",
        OrgKind::Office => "office",
        OrgKind::Team => "team",
        OrgKind::Subcompany => "subcompany",
        OrgKind::CostCenter => "cost_center",
    }
}

async fn get_credential(State(state): State<SimState>) -> Response {
    ok(json!({"readable": state.readable()}))
}

async fn put_credential(State(state): State<SimState>, body: Bytes) -> Response {
    let fields = match object(&body) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let readable = match fields.get("readable") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut keys = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(s) => keys.push(s.to_string()),
                    None => return bad("readable: expected a list of attribute keys"),
                }
            }
            Some(keys)
        }
        Some(_) => return bad("readable: expected a list of attribute keys or null"),
    };
    match state.set_readable(readable) {
        Ok(()) => ok(json!({"readable": state.readable()})),
        Err(e) => bad(e.to_string()),
    }
}

async fn list_faults(State(state): State<SimState>) -> Response {
    ok(json!({"faults": state.faults()}))
}

async fn add_fault(State(state): State<SimState>, body: Bytes) -> Response {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => return bad(format!("not a fault: {e}")),
    };
    match state.add_fault(fault) {
        Ok(()) => ok(json!({"faults": state.faults()})),
        Err(SimError::InvalidRequest(msg)) => bad(msg),
        Err(e) => bad(e.to_string()),
    }
}

async fn clear_faults(State(state): State<SimState>) -> Response {
    state.clear_faults();
    ok(json!({"faults": []}))
}

async fn get_quirks(State(state): State<SimState>) -> Response {
    ok(json!(state.quirks()))
}

async fn put_quirks(State(state): State<SimState>, body: Bytes) -> Response {
    let quirks: Quirks = match serde_json::from_slice(&body) {
        Ok(q) => q,
        Err(e) => return bad(format!("not quirks: {e}")),
    };
    match state.set_quirks(quirks) {
        Ok(()) => ok(json!(state.quirks())),
        Err(e) => bad(e.to_string()),
    }
}

async fn get_clock(State(state): State<SimState>) -> Response {
    ok(json!({"today": ymd(state.today())}))
}

async fn set_clock(State(state): State<SimState>, body: Bytes) -> Response {
    let fields = match object(&body) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let today = match fields.get("today").and_then(Value::as_str).map(parse_ymd) {
        Some(Some(d)) => d,
        _ => return bad("today: expected YYYY-MM-DD"),
    };
    state.set_today(today);
    ok(json!({"today": ymd(state.today())}))
}

async fn get_webhook_mode(State(state): State<SimState>) -> Response {
    ok(json!(state.webhook_mode()))
}

async fn put_webhook_mode(State(state): State<SimState>, body: Bytes) -> Response {
    let mode: WebhookMode = if body.iter().all(u8::is_ascii_whitespace) {
        WebhookMode::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(m) => m,
            Err(e) => return bad(format!("not a webhook mode: {e}")),
        }
    };
    state.set_webhook_mode(mode);
    ok(json!(state.webhook_mode()))
}

async fn list_deliveries(State(state): State<SimState>) -> Response {
    ok(json!({"deliveries": state.deliveries()}))
}

async fn clear_deliveries(State(state): State<SimState>) -> Response {
    state.clear_deliveries();
    ok(json!({"deliveries": []}))
}
