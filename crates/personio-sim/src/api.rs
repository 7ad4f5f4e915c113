//! The Personio v1 endpoints: the gate every Personio request (v1 and v2) passes
//! (counting, latency, the per-IP limit, and the per-credential limit of the tenant the
//! bearer token belongs to), `GET /v1/company/employees` (paging, filters, projection,
//! faults), `GET /v1/company/employees/{id}` and `GET /v1/company/employees/attributes`.
//!
//! Must never hold the state lock across an `.await`, and must never show an attribute the
//! credential may not read.

use crate::attributes::{self, Visible};
use crate::auth::{check_bearer, presented_token};
use crate::company::Employee;
use crate::config::{OversizeLimit, UpdatedSinceZone};
use crate::dates::{berlin_offset_hours, parse_wall_clock};
use crate::limits::Limits;
use crate::render::{self, error_body, validation_error};
use crate::state::{SimState, World};
use crate::stats::Endpoint;
use crate::tenant::{self, Api, Tenant};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use time::{OffsetDateTime, UtcOffset};

/// An early answer (boxed: a `Response` is large).
pub(crate) type Rejection = Box<Response>;

/// A JSON response.
pub(crate) fn reply(status: StatusCode, body: Value) -> Response {
    raw_reply(status, body.to_string().into_bytes())
}

fn raw_reply(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn too_many(retry_after: Option<u64>) -> Response {
    let mut resp = reply(
        StatusCode::TOO_MANY_REQUESTS,
        error_body(429, "Too Many Requests"),
    );
    if let Some(s) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    resp
}

fn with_token(mut resp: Response, token: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
        resp.headers_mut().insert(header::AUTHORIZATION, v);
    }
    resp
}

/// Middleware for every Personio path (v1 and v2): counts the request, adds latency,
/// applies rate limits.
pub(crate) async fn gate(State(state): State<SimState>, req: Request, next: Next) -> Response {
    let endpoint = Endpoint::classify(req.method(), req.uri().path());
    state.counters().request(endpoint);
    let latency = state.config().latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
    if let Some(limits) = state.limits()
        && !gate_allows(&state, limits, endpoint, ip, req.headers())
    {
        return rate_limited(&state, req.uri().path().starts_with("/v2/"));
    }
    next.run(req).await
}

/// The per-IP budget first (every request), then the per-credential limit of the tenant the
/// bearer token belongs to. The auth endpoints pass here on the per-IP budget alone: their
/// tenant is in the body, so their handlers apply the auth limits once the credentials are
/// known to be right.
fn gate_allows(
    state: &SimState,
    limits: &Limits,
    endpoint: Endpoint,
    ip: IpAddr,
    headers: &HeaderMap,
) -> bool {
    if !limits.allow_ip(ip) {
        return false;
    }
    match bearer_tenant(state, endpoint, headers) {
        Some(tenant) => limits.allow_tenant(endpoint, tenant),
        // No valid token: the handler answers 401, and no tenant's budget pays for it.
        None => true,
    }
}

/// The tenant whose current token a data request carries (v1 token for v1 endpoints, v2
/// token for v2 ones); `None` for the auth and webhook endpoints and for invalid tokens.
fn bearer_tenant(state: &SimState, endpoint: Endpoint, headers: &HeaderMap) -> Option<Tenant> {
    let api = match endpoint {
        Endpoint::Employees | Endpoint::Employee | Endpoint::Attributes => Api::V1,
        Endpoint::V2Persons | Endpoint::V2Employments | Endpoint::V2Lookups => Api::V2,
        Endpoint::Auth | Endpoint::V2Token | Endpoint::Other => return None,
    };
    let presented = presented_token(headers)?;
    tenant::tenant_of_token(state.config(), api, state.token_generation(), presented)
}

/// True when `tenant`'s own limit for `endpoint` allows the request (always, limits off).
pub(crate) fn credential_allows(state: &SimState, endpoint: Endpoint, tenant: Tenant) -> bool {
    state
        .limits()
        .is_none_or(|limits| limits.allow_tenant(endpoint, tenant))
}

/// A limiter's 429, counted, in the v1 or the v2 error shape. Personio's own 429s may come
/// without Retry-After, so these never carry one; clients must cope.
pub(crate) fn rate_limited(state: &SimState, v2: bool) -> Response {
    state.counters().rate_limited();
    if v2 {
        crate::v2::error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "Rate limit exceeded.",
        )
    } else {
        too_many(None)
    }
}

/// Parsed query of the list endpoint.
#[derive(Debug)]
struct ListQuery {
    limit: u64,
    offset: u64,
    email: Option<String>,
    updated_since: Option<OffsetDateTime>,
    projection: Option<BTreeSet<String>>,
}

fn parse_list_query(query: Option<&str>, w: &World) -> Result<ListQuery, Rejection> {
    let invalid = |param: &str, msg: &str| {
        Box::new(reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            validation_error(param, msg),
        ))
    };
    let mut q = ListQuery {
        limit: 50,
        offset: 0,
        email: None,
        updated_since: None,
        projection: None,
    };
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let key = k.as_ref();
        if key == "limit" {
            q.limit = v
                .trim()
                .parse()
                .map_err(|_| invalid("limit", "The limit must be an integer."))?;
        } else if key == "offset" {
            q.offset = v
                .trim()
                .parse()
                .map_err(|_| invalid("offset", "The offset must be an integer."))?;
        } else if key == "email" {
            q.email = Some(v.trim().to_string());
        } else if key == "updated_since" {
            let wall = parse_wall_clock(&v).ok_or_else(|| {
                invalid(
                    "updated_since",
                    "The updated since does not match the format Y-m-d\\TH:i:s.",
                )
            })?;
            let hours = match w.quirks.updated_since_zone {
                UpdatedSinceZone::Utc => 0,
                UpdatedSinceZone::EuropeBerlin => berlin_offset_hours(wall.date()),
            };
            let offset = UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC);
            q.updated_since = Some(wall.assume_offset(offset));
        } else if key == "attributes" || key.starts_with("attributes[") {
            q.projection
                .get_or_insert_with(BTreeSet::new)
                .insert(v.trim().to_string());
        }
    }
    if q.limit == 0 {
        return Err(invalid("limit", "The limit must be at least 1."));
    }
    if q.limit > 100 {
        match w.quirks.oversize_limit {
            OversizeLimit::Reject => {
                return Err(invalid("limit", "The limit may not be greater than 100."));
            }
            OversizeLimit::Clamp => q.limit = 100,
        }
    }
    Ok(q)
}

fn matches(e: &Employee, q: &ListQuery) -> bool {
    if let Some(email) = &q.email
        && !e.email.eq_ignore_ascii_case(email)
    {
        return false;
    }
    if let Some(since) = q.updated_since {
        let changed = match &q.projection {
            // With a projection: only employees whose listed attributes changed.
            Some(keys) => keys.iter().any(|k| e.attr_modified(k) >= since),
            None => e.last_modified() >= since,
        };
        if !changed {
            return false;
        }
    }
    true
}

/// Cuts a body in the middle (on a character boundary).
pub(crate) fn truncate_body(mut body: Vec<u8>) -> Vec<u8> {
    let mut cut = body.len() / 2;
    while cut > 0 && std::str::from_utf8(&body[..cut]).is_err() {
        cut -= 1;
    }
    body.truncate(cut);
    body
}

/// `GET /v1/company/employees`.
pub(crate) async fn list_employees(
    State(state): State<SimState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    locked_then_delayed(&state, |state, w, delay| {
        list_locked(state, w, query.as_deref(), &headers, delay)
    })
    .await
}

/// What a list handler decided under the world lock.
pub(crate) enum Answer {
    /// A finished response (an error, a fault).
    Now(Response),
    /// A page to render once the lock is released, from a snapshot of the company (an
    /// `Arc`, copied on write), so concurrent list requests render in parallel as
    /// Personio's would, instead of one at a time behind the lock.
    Render(Box<dyn FnOnce() -> Response + Send>),
}

impl From<Response> for Answer {
    fn from(resp: Response) -> Self {
        Answer::Now(resp)
    }
}

/// How one API answers the list faults.
pub(crate) struct FaultReplies {
    /// A 429, with `Retry-After` when given.
    pub too_many: fn(Option<u64>) -> Response,
    /// A failing page: the status, and the number the fault asked for.
    pub failed: fn(StatusCode, u16) -> Response,
}

const V1_FAULT_REPLIES: FaultReplies = FaultReplies {
    too_many,
    failed: |code, status| {
        let message = if status == 500 {
            "Something went wrong"
        } else {
            code.canonical_reason().unwrap_or("Error")
        };
        reply(code, error_body(status, message))
    },
};

/// Applies the list faults (v1 and v2 alike) to a request for the page at `offset`: a
/// rate-limit storm or a failing page is the answer (`Err`); a slow page sets `delay`;
/// `Ok(true)` asks for the body to be cut short (malformed JSON). Counts what it injects.
pub(crate) fn list_faults(
    state: &SimState,
    w: &mut World,
    offset: u64,
    delay: &mut Option<u64>,
    replies: &FaultReplies,
) -> Result<bool, Rejection> {
    let effect = w.faults.on_list_request(offset);
    if let Some(retry_after) = effect.storm {
        state.counters().error_injected();
        state.counters().rate_limited();
        return Err(Box::new((replies.too_many)(retry_after)));
    }
    if let Some(status) = effect.fail_status {
        state.counters().error_injected();
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(Box::new((replies.failed)(code, status)));
    }
    if effect.delay_ms.is_some() {
        state.counters().error_injected();
        *delay = effect.delay_ms;
    }
    if effect.malformed_json {
        state.counters().error_injected();
    }
    Ok(effect.malformed_json)
}

/// The `shift_listing` fault: after a list request has been answered, new hires appear at
/// the front (copying the company first while that page still renders from it).
pub(crate) fn shift_after_answer(state: &SimState, w: &mut World) {
    for _ in 0..w.faults.count_for_shift() {
        w.hire_at_front(state.today());
    }
}

/// Answers a list request: `respond` runs under the world lock and may ask for an injected
/// delay (the `slow` fault), which is waited out after the lock is released so a slow
/// answer never blocks other requests; a page is rendered after that, outside the lock.
pub(crate) async fn locked_then_delayed(
    state: &SimState,
    respond: impl FnOnce(&SimState, &mut World, &mut Option<u64>) -> Answer,
) -> Response {
    let mut delay = None;
    let answer = {
        let mut w = state.world();
        respond(state, &mut w, &mut delay)
    };
    if let Some(ms) = delay {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    match answer {
        Answer::Now(resp) => resp,
        Answer::Render(render) => render(),
    }
}

fn list_locked(
    state: &SimState,
    w: &mut World,
    query: Option<&str>,
    headers: &HeaderMap,
    delay: &mut Option<u64>,
) -> Answer {
    let token = match check_bearer(state, w.token_generation, headers) {
        Ok(t) => t,
        Err(resp) => return (*resp).into(),
    };
    let q = match parse_list_query(query, w) {
        Ok(q) => q,
        Err(resp) => return (*resp).into(),
    };
    let truncate = match list_faults(state, w, q.offset, delay, &V1_FAULT_REPLIES) {
        Ok(truncate) => truncate,
        Err(resp) => return (*resp).into(),
    };

    let visible = Visible::new(w.readable.as_ref(), q.projection.as_ref());
    let offset = usize::try_from(q.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(q.limit).unwrap_or(100);
    // Under the lock: which employees (by index), which of them malformed; rendering
    // waits for the lock to be released.
    let (total, page): (usize, Vec<usize>) = if q.email.is_none() && q.updated_since.is_none() {
        let n = w.company.employees.len();
        (
            n,
            (offset.min(n)..offset.saturating_add(limit).min(n)).collect(),
        )
    } else {
        let selected: Vec<usize> = (0..w.company.employees.len())
            .filter(|&i| matches(&w.company.employees[i], &q))
            .collect();
        let total = selected.len();
        (
            total,
            selected.into_iter().skip(offset).take(limit).collect(),
        )
    };
    let page: Vec<(usize, bool)> = page
        .into_iter()
        .map(|i| (i, w.faults.is_malformed_employee(w.company.employees[i].id)))
        .collect();
    if page.iter().any(|(_, malformed)| *malformed) {
        state.counters().error_injected();
    }
    let company = Arc::clone(&w.company);
    shift_after_answer(state, w);
    Answer::Render(Box::new(move || {
        let data: Vec<Value> = page
            .iter()
            .map(|&(i, malformed)| {
                render::employee(&company, &company.employees[i], &visible, malformed)
            })
            .collect();
        let body = json!({
            "success": true,
            "metadata": {
                "total_elements": total,
                "current_page": q.offset / q.limit,
                "total_pages": (total as u64).div_ceil(q.limit),
            },
            "offset": q.offset,
            "limit": q.limit,
            "data": data,
        });
        let mut bytes = body.to_string().into_bytes();
        if truncate {
            bytes = truncate_body(bytes);
        }
        with_token(raw_reply(StatusCode::OK, bytes), &token)
    }))
}

/// `GET /v1/company/employees/{id}`.
pub(crate) async fn get_employee(
    State(state): State<SimState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let w = state.world();
    let token = match check_bearer(&state, w.token_generation, &headers) {
        Ok(t) => t,
        Err(resp) => return *resp,
    };
    let found = id
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| w.company.get(id));
    let Some(e) = found else {
        return reply(
            StatusCode::NOT_FOUND,
            error_body(404, "The employee was not found."),
        );
    };
    let visible = Visible::new(w.readable.as_ref(), None);
    let malformed = w.faults.is_malformed_employee(e.id);
    if malformed {
        state.counters().error_injected();
    }
    let data = render::employee(&w.company, e, &visible, malformed);
    with_token(
        reply(StatusCode::OK, json!({"success": true, "data": data})),
        &token,
    )
}

/// `GET /v1/company/employees/attributes`.
pub(crate) async fn list_attributes(State(state): State<SimState>, headers: HeaderMap) -> Response {
    let w = state.world();
    let token = match check_bearer(&state, w.token_generation, &headers) {
        Ok(t) => t,
        Err(resp) => return *resp,
    };
    let visible = Visible::new(w.readable.as_ref(), None);
    let data: Vec<Value> = attributes::CATALOG
        .iter()
        .filter(|d| visible.shows(d.key))
        .map(attributes::listing_entry)
        .collect();
    with_token(
        reply(StatusCode::OK, json!({"success": true, "data": data})),
        &token,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;

    #[tokio::test]
    async fn a_page_renders_after_the_world_lock_is_released_from_its_snapshot() {
        let state = SimState::new(SimConfig {
            employees: 3,
            ..SimConfig::default()
        })
        .unwrap();
        let probe = state.clone();
        let resp = locked_then_delayed(&state, move |_, w, _| {
            let snapshot = Arc::clone(&w.company);
            // A change after the decision copies the company; the page keeps its snapshot.
            let e = w.company_mut().blank_employee(OffsetDateTime::now_utc());
            w.company_mut().push(e);
            Answer::Render(Box::new(move || {
                let free = probe.world_is_free();
                let shown = snapshot.employees.len();
                reply(StatusCode::OK, json!({"free": free, "shown": shown}))
            }))
        })
        .await;
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, json!({"free": true, "shown": 3}));
        assert_eq!(state.world().company.employees.len(), 4);
    }
}
