//! `POST /v1/auth` and the bearer-token check every employee endpoint runs.
//!
//! Credentials are accepted from a JSON or form body only; in the query string they get
//! 403 (Personio deprecated that). Any tenant's client id is accepted (see `tenant`); the
//! tenant's auth limit is applied once the credentials are known to be right. Tokens are
//! `papi-…`, per tenant, stable until a `revoke_token` fault. Must never accept a token from
//! an earlier generation or as another tenant's, and must never log secrets.

use crate::api::{Rejection, credential_allows, rate_limited, reply};
use crate::render::error_body;
use crate::state::SimState;
use crate::stats::Endpoint;
use crate::tenant::{self, Api};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct Credentials {
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn from_form(body: &[u8]) -> Credentials {
    let mut c = Credentials {
        client_id: None,
        client_secret: None,
    };
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "client_id" => c.client_id = Some(v.into_owned()),
            "client_secret" => c.client_secret = Some(v.into_owned()),
            _ => {}
        }
    }
    c
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Option<Credentials> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.contains("json") {
        serde_json::from_slice(body).ok()
    } else if content_type.contains("x-www-form-urlencoded") {
        Some(from_form(body))
    } else {
        serde_json::from_slice(body)
            .ok()
            .or_else(|| Some(from_form(body)))
    }
}

/// `POST /v1/auth`.
pub(crate) async fn post_auth(
    State(state): State<SimState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let in_query = query.as_deref().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "client_id" || k == "client_secret")
    });
    if in_query {
        return reply(
            StatusCode::FORBIDDEN,
            error_body(
                403,
                "Credentials in the query string are not supported any more; send them in the request body.",
            ),
        );
    }
    let creds = parse_body(&headers, &body);
    let (Some(id), Some(secret)) = creds
        .map(|c| (c.client_id, c.client_secret))
        .unwrap_or((None, None))
    else {
        return reply(
            StatusCode::BAD_REQUEST,
            error_body(400, "client_id and client_secret are required"),
        );
    };
    let config = state.config();
    let (generation, wrong_status) = {
        let w = state.world();
        (w.token_generation, w.quirks.wrong_credentials_status)
    };
    let Some(tenant) = tenant::tenant_of_credentials(config, &id, &secret) else {
        let status = StatusCode::from_u16(wrong_status).unwrap_or(StatusCode::UNAUTHORIZED);
        return reply(status, error_body(wrong_status, "Wrong credentials"));
    };
    if !credential_allows(&state, Endpoint::Auth, tenant) {
        return rate_limited(&state, false);
    }
    state.counters().auth_call(tenant);
    reply(
        StatusCode::OK,
        json!({"success": true, "data": {
            "token": tenant::token(config, Api::V1, tenant, generation),
            "expires_in": 86400,
            "scope": "employees:read",
        }}),
    )
}

/// The token in `Authorization` (`Bearer <token>`, or a bare token); `None` without a
/// readable header.
pub(crate) fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    Some(match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    })
}

/// Checks `Authorization: Bearer <token>` against the current v1 token of the tenant the
/// token names. On success returns the token (to echo); on failure the 401 response.
pub(crate) fn check_bearer(
    state: &SimState,
    generation: u64,
    headers: &HeaderMap,
) -> Result<String, Rejection> {
    let Some(presented) = presented_token(headers) else {
        return Err(Box::new(reply(
            StatusCode::UNAUTHORIZED,
            error_body(401, "Authorization is not provided"),
        )));
    };
    if tenant::tenant_of_token(state.config(), Api::V1, generation, presented).is_none() {
        return Err(Box::new(reply(
            StatusCode::UNAUTHORIZED,
            error_body(401, "Provided authorization is not valid"),
        )));
    }
    Ok(presented.to_string())
}
