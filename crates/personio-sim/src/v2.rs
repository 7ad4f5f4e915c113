//! The Personio v2 endpoints: `POST /v2/auth/token`, `GET /v2/persons` (cursor paging,
//! filters, faults), `GET /v2/persons/{id}/employments`, the name lookups (org units,
//! offices, subcompanies, cost centers) and webhook subscriptions (`/v2/webhooks`).
//!
//! Served from the same company as v1, to every tenant. Only v2 tokens open v2 endpoints
//! (and v1 tokens only v1 ones); like v1 tokens they are per tenant. Errors use the v2
//! shape (`{"personio_trace_id","errors":[…]}`), the token endpoint OAuth2's
//! `application/problem+json`. Must never hold the state lock across an `.await`.

use crate::api::{
    Answer, FaultReplies, credential_allows, list_faults, locked_then_delayed, rate_limited, reply,
    shift_after_answer, truncate_body,
};
use crate::auth::presented_token;
use crate::company::{Employee, OrgKind};
use crate::state::{SimState, World};
use crate::stats::Endpoint;
use crate::tenant::{self, Api};
use crate::v2_render::{self, decode_cursor, encode_cursor};
use crate::webhooks::{EVENT_NAMES, valid_url};
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Largest `limit` v2 accepts.
pub(crate) const MAX_LIMIT: u64 = 50;
/// `limit` when none is given (ASSUMED).
pub(crate) const DEFAULT_LIMIT: u64 = 10;

type Rejection = Box<Response>;

static TRACE: AtomicU64 = AtomicU64::new(1);

/// A v2 error answer.
pub(crate) fn error(status: StatusCode, title: &str, detail: &str) -> Response {
    let trace = TRACE.fetch_add(1, Ordering::Relaxed);
    reply(status, v2_render::error_body(trace, title, detail))
}

fn reject(status: StatusCode, title: &str, detail: &str) -> Rejection {
    Box::new(error(status, title, detail))
}

fn invalid(detail: &str) -> Rejection {
    reject(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Unprocessable Entity",
        detail,
    )
}

fn problem(status: StatusCode, error: &str, description: &str) -> Response {
    let mut resp = reply(
        status,
        json!({"error": error, "error_description": description}),
    );
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    resp
}

/// `POST /v2/auth/token` (form body; JSON is tolerated).
pub(crate) async fn post_token(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    let mut fields: Map<String, Value> = Map::new();
    if is_json {
        if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&body) {
            fields = m;
        }
    } else {
        for (k, v) in form_urlencoded::parse(&body) {
            fields.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let get = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_owned);
    match get("grant_type").as_deref() {
        Some("client_credentials") => {}
        None => {
            return problem(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
        Some(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            );
        }
    }
    let (Some(id), Some(secret)) = (get("client_id"), get("client_secret")) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and client_secret are required",
        );
    };
    let config = state.config();
    let Some(tenant) = tenant::tenant_of_credentials(config, &id, &secret) else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    };
    if !credential_allows(&state, Endpoint::V2Token, tenant) {
        return rate_limited(&state, true);
    }
    let generation = state.token_generation();
    state.counters().auth_call(tenant);
    reply(
        StatusCode::OK,
        json!({
            "access_token": tenant::token(config, Api::V2, tenant, generation),
            "token_type": "Bearer",
            "expires_in": 86400,
            "scope": "personio:persons:read personio:employments:read personio:org_units:read personio:webhooks:write",
        }),
    )
}

/// Checks `Authorization: Bearer <v2 token>` against the current v2 token of the tenant
/// the token names.
fn check_v2(state: &SimState, w: &World, headers: &HeaderMap) -> Result<(), Rejection> {
    let unauthorized = |detail: &str| reject(StatusCode::UNAUTHORIZED, "Unauthorized", detail);
    let Some(presented) = presented_token(headers) else {
        return Err(unauthorized("The Authorization header is missing."));
    };
    if tenant::tenant_of_token(state.config(), Api::V2, w.token_generation, presented).is_none() {
        return Err(unauthorized("The access token is invalid or expired."));
    }
    Ok(())
}

/// Paging parameters common to every v2 listing, plus the filters to carry into `next`.
#[derive(Debug)]
struct Paging {
    limit: u64,
    offset: u64,
    carry: Vec<(String, String)>,
}

fn parse_paging(pairs: &[(String, String)], carried: &[&str]) -> Result<Paging, Rejection> {
    let mut p = Paging {
        limit: DEFAULT_LIMIT,
        offset: 0,
        carry: Vec::new(),
    };
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => {
                p.limit = v
                    .trim()
                    .parse()
                    .map_err(|_| invalid("limit must be an integer between 1 and 50."))?;
            }
            "cursor" => {
                let (offset, _generation) = decode_cursor(v).ok_or_else(|| {
                    reject(
                        StatusCode::BAD_REQUEST,
                        "Bad Request",
                        "The cursor is invalid.",
                    )
                })?;
                p.offset = offset;
            }
            k if carried.contains(&k) => p.carry.push((k.to_string(), v.clone())),
            _ => {}
        }
    }
    if p.limit == 0 || p.limit > MAX_LIMIT {
        return Err(invalid("limit must be an integer between 1 and 50."));
    }
    Ok(p)
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `_meta` with a `next` link when more follows.
fn meta(
    w: &World,
    headers: &HeaderMap,
    path: &str,
    p: &Paging,
    shown: usize,
    total: usize,
) -> Value {
    let next_offset = p.offset.saturating_add(shown as u64);
    if shown == 0 || next_offset >= total as u64 {
        return json!({"links": {}});
    }
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &p.carry {
        q.append_pair(k, v);
    }
    q.append_pair("cursor", &encode_cursor(next_offset, w.company.generation));
    q.append_pair("limit", &p.limit.to_string());
    let relative = format!("{path}?{}", q.finish());
    let href = if w.quirks.v2_absolute_next {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        format!("http://{host}{relative}")
    } else {
        relative
    };
    json!({"links": {"next": {"href": href}}})
}

/// Filters of `GET /v2/persons`.
#[derive(Debug, Default)]
struct PersonFilter {
    ids: Option<Vec<u64>>,
    email: Option<String>,
    updated_gt: Option<OffsetDateTime>,
    inactive: Option<bool>,
}

fn parse_person_filter(pairs: &[(String, String)]) -> Result<PersonFilter, Rejection> {
    let mut f = PersonFilter::default();
    for (k, v) in pairs {
        match k.as_str() {
            "id" | "id[]" => {
                for part in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    // A non-numeric id matches nobody.
                    let id = part.parse().unwrap_or(u64::MAX);
                    f.ids.get_or_insert_with(Vec::new).push(id);
                }
            }
            "email" => f.email = Some(v.trim().to_string()),
            "updated_at.gt" => {
                f.updated_gt = Some(OffsetDateTime::parse(v.trim(), &Rfc3339).map_err(|_| {
                    invalid("updated_at.gt must be an RFC 3339 date-time (percent-encode '+').")
                })?);
            }
            "status" => {
                f.inactive = Some(match v.trim() {
                    "ACTIVE" => false,
                    "INACTIVE" => true,
                    _ => return Err(invalid("status must be ACTIVE or INACTIVE.")),
                });
            }
            _ => {}
        }
    }
    Ok(f)
}

fn person_matches(e: &Employee, f: &PersonFilter) -> bool {
    f.ids.as_ref().is_none_or(|ids| ids.contains(&e.id))
        && f.email
            .as_ref()
            .is_none_or(|m| e.email.eq_ignore_ascii_case(m))
        && f.updated_gt.is_none_or(|t| e.last_modified() > t)
        && f.inactive
            .is_none_or(|i| i == (e.status == crate::company::Status::Inactive))
}

fn too_many(retry_after: Option<u64>) -> Response {
    let mut resp = error(
        StatusCode::TOO_MANY_REQUESTS,
        "Too Many Requests",
        "Rate limit exceeded.",
    );
    if let Some(s) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    resp
}

const V2_FAULT_REPLIES: FaultReplies = FaultReplies {
    too_many,
    failed: |code, _| {
        let title = code.canonical_reason().unwrap_or("Error");
        error(code, title, "Something went wrong")
    },
};

/// `GET /v2/persons`.
pub(crate) async fn list_persons(
    State(state): State<SimState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    locked_then_delayed(&state, |state, w, delay| {
        persons_locked(state, w, query.as_deref(), &headers, delay)
    })
    .await
}

fn persons_locked(
    state: &SimState,
    w: &mut World,
    query: Option<&str>,
    headers: &HeaderMap,
    delay: &mut Option<u64>,
) -> Answer {
    if let Err(r) = check_v2(state, w, headers) {
        return (*r).into();
    }
    let pairs = query_pairs(query);
    let (paging, filter) =
        match parse_paging(&pairs, &["id", "id[]", "email", "updated_at.gt", "status"])
            .and_then(|p| Ok((p, parse_person_filter(&pairs)?)))
        {
            Ok(x) => x,
            Err(r) => return (*r).into(),
        };
    // The v1 list faults act on v2 pages too, by the cursor's offset.
    let truncate = match list_faults(state, w, paging.offset, delay, &V2_FAULT_REPLIES) {
        Ok(truncate) => truncate,
        Err(resp) => return (*resp).into(),
    };
    let seed = state.config().seed;
    // Under the lock: which employees (by index); rendering waits for the lock to be
    // released (see `Answer::Render`).
    let selected: Vec<usize> = (0..w.company.employees.len())
        .filter(|&i| person_matches(&w.company.employees[i], &filter))
        .collect();
    let total = selected.len();
    let offset = usize::try_from(paging.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(paging.limit).unwrap_or(50);
    let page: Vec<usize> = selected.into_iter().skip(offset).take(limit).collect();
    let meta = meta(w, headers, "/v2/persons", &paging, page.len(), total);
    let company = Arc::clone(&w.company);
    shift_after_answer(state, w);
    Answer::Render(Box::new(move || {
        let data: Vec<Value> = page
            .iter()
            .map(|&i| v2_render::person(seed, &company.employees[i]))
            .collect();
        let mut bytes = json!({"_data": data, "_meta": meta})
            .to_string()
            .into_bytes();
        if truncate {
            bytes = truncate_body(bytes);
        }
        let mut resp = Response::new(Body::from(bytes));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp
    }))
}

/// `GET /v2/persons/{id}/employments`.
pub(crate) async fn person_employments(
    State(state): State<SimState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let w = state.world();
    if let Err(r) = check_v2(&state, &w, &headers) {
        return *r;
    }
    let found = id
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| w.company.get(id));
    match found {
        Some(e) => reply(
            StatusCode::OK,
            json!({"_data": [v2_render::employment(state.config().seed, e)], "_meta": {"links": {}}}),
        ),
        None => error(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("Person {id} was not found."),
        ),
    }
}

/// Which lookup collection a route serves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup {
    OrgUnits,
    Offices,
    Subcompanies,
    CostCenters,
}

impl Lookup {
    fn kinds(self) -> &'static [OrgKind] {
        match self {
            Lookup::OrgUnits => &[OrgKind::Department, OrgKind::Team],
            Lookup::Offices => &[OrgKind::Office],
            Lookup::Subcompanies => &[OrgKind::Subcompany],
            Lookup::CostCenters => &[OrgKind::CostCenter],
        }
    }

    pub(crate) fn path(self) -> &'static str {
        match self {
            Lookup::OrgUnits => "/v2/org-units",
            Lookup::Offices => "/v2/offices",
            Lookup::Subcompanies => "/v2/subcompanies",
            Lookup::CostCenters => "/v2/cost-centers",
        }
    }
}

/// `GET /v2/org-units` and friends: every unit, ordered by id, paged like persons.
pub(crate) async fn lookup_list(
    state: SimState,
    lookup: Lookup,
    query: Option<String>,
    headers: HeaderMap,
) -> Response {
    let w = state.world();
    if let Err(r) = check_v2(&state, &w, &headers) {
        return *r;
    }
    let pairs = query_pairs(query.as_deref());
    let paging = match parse_paging(&pairs, &[]) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let all = v2_render::units(&w.company, lookup.kinds());
    let total = all.len();
    let data: Vec<Value> = all
        .into_iter()
        .skip(usize::try_from(paging.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.limit).unwrap_or(50))
        .map(|(_, v)| v)
        .collect();
    let meta = meta(&w, &headers, lookup.path(), &paging, data.len(), total);
    reply(StatusCode::OK, json!({"_data": data, "_meta": meta}))
}

/// `GET /v2/org-units/{id}` and friends.
pub(crate) async fn lookup_one(
    state: SimState,
    lookup: Lookup,
    id: String,
    headers: HeaderMap,
) -> Response {
    let w = state.world();
    if let Err(r) = check_v2(&state, &w, &headers) {
        return *r;
    }
    let wanted = id.trim().parse::<u64>().ok();
    let found = lookup.kinds().iter().find_map(|k| {
        wanted
            .and_then(|id| w.company.org(*k, id))
            .map(|o| v2_render::unit(*k, o.id, &o.name))
    });
    match found {
        Some(v) => reply(StatusCode::OK, v),
        None => error(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("{} {id} was not found.", lookup.path()),
        ),
    }
}

/// Parses a JSON object body.
fn object(body: &[u8]) -> Result<Map<String, Value>, Rejection> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(invalid("The body must be a JSON object.")),
    }
}

fn events_field(v: &Value) -> Result<Vec<String>, Rejection> {
    let items = v
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| invalid("enabled_events must be a non-empty list of event names."))?;
    let mut out = Vec::new();
    for item in items {
        match item.as_str() {
            Some(name) if EVENT_NAMES.contains(&name) => {
                if !out.iter().any(|e: &String| e == name) {
                    out.push(name.to_string());
                }
            }
            _ => {
                return Err(invalid(&format!(
                    "Unknown event {item}; known: {}.",
                    EVENT_NAMES.join(", ")
                )));
            }
        }
    }
    Ok(out)
}

fn url_field(v: &Value) -> Result<String, Rejection> {
    match v.as_str() {
        Some(u) if valid_url(u) => Ok(u.to_string()),
        _ => Err(invalid("url must be an http or https URL.")),
    }
}

fn description_field(v: &Value) -> Result<Option<String>, Rejection> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(invalid("description must be a string.")),
    }
}

/// `POST /v2/webhooks`.
pub(crate) async fn create_webhook(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut w = state.world();
    if let Err(r) = check_v2(&state, &w, &headers) {
        return *r;
    }
    let parsed = object(&body).and_then(|m| {
        let url = url_field(m.get("url").unwrap_or(&Value::Null))?;
        let events = events_field(m.get("enabled_events").unwrap_or(&Value::Null))?;
        let description = description_field(m.get("description").unwrap_or(&Value::Null))?;
        Ok((url, events, description))
    });
    match parsed {
        Ok((url, events, description)) => {
            let sub = w.webhooks.subscribe(url, events, description);
            reply(StatusCode::CREATED, sub.json())
        }
        Err(r) => *r,
    }
}

/// `GET /v2/webhooks`.
pub(crate) async fn list_webhooks(State(state): State<SimState>, headers: HeaderMap) -> Response {
    let w = state.world();
    if let Err(r) = check_v2(&state, &w, &headers) {
        return *r;
    }
    let data: Vec<Value> = w.webhooks.subscriptions.iter().map(|s| s.json()).collect();
    reply(
        StatusCode::OK,
        json!({"_data": data, "_meta": {"links": {}}}),
    )
}

fn webhook_not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Not Found",
        &format!("Webhook {id} was not found."),
    )
}

/// `GET /v2/webhooks/{id}`.
pub(crate) async fn get_webhook(
    State(state): State<SimState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let w = state.world();
    if let Err(r) = check_v2(&state, &w, &headers) {
        return *r;
    }
    match w.webhooks.subscriptions.iter().find(|s| s.id == id) {
        Some(s) => reply(StatusCode::OK, s.json()),
        None => webhook_not_found(&id),
    }
}

/// `PATCH /v2/webhooks/{id}`: any of `url`, `enabled_events`, `description`,
/// `status` (`ENABLED`/`DISABLED`).
pub(crate) async fn patch_webhook(
    State(state): State<SimState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut w = state.world();
    if let Err(r) = check_v2(&state, &w, &headers) {
        return *r;
    }
    let Some(mut sub) = w
        .webhooks
        .subscriptions
        .iter()
        .find(|s| s.id == id)
        .cloned()
    else {
        return webhook_not_found(&id);
    };
    let applied = object(&body).and_then(|m| {
        if let Some(v) = m.get("url") {
            sub.url = url_field(v)?;
        }
        if let Some(v) = m.get("enabled_events") {
            sub.enabled_events = events_field(v)?;
        }
        if let Some(v) = m.get("description") {
            sub.description = description_field(v)?;
        }
        if let Some(v) = m.get("status") {
            sub.enabled = match v.as_str() {
                Some("ENABLED") => true,
                Some("DISABLED") => false,
                _ => return Err(invalid("status must be ENABLED or DISABLED.")),
            };
        }
        Ok(())
    });
    if let Err(r) = applied {
        return *r;
    }
    let json = sub.json();
    if let Some(slot) = w.webhooks.subscriptions.iter_mut().find(|s| s.id == id) {
        *slot = sub;
    }
    reply(StatusCode::OK, json)
}

/// `DELETE /v2/webhooks/{id}` → 204.
pub(crate) async fn delete_webhook(
    State(state): State<SimState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut w = state.world();
    if let Err(r) = check_v2(&state, &w, &headers) {
        return *r;
    }
    let before = w.webhooks.subscriptions.len();
    w.webhooks.subscriptions.retain(|s| s.id != id);
    if w.webhooks.subscriptions.len() == before {
        return webhook_not_found(&id);
    }
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
}
