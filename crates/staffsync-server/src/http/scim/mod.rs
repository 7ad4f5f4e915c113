//! The SCIM 2.0 endpoint (RFC 7643/7644) under `/scim/v2`, where an identity provider
//! (Microsoft Entra ID, Okta) provisions a SCIM account's people: the discovery
//! resources (`ServiceProviderConfig`, `ResourceTypes`, `Schemas`), `Users` (list
//! with filters and paging, POST, GET, PUT, PATCH, DELETE; [`users`]) and `Groups` of
//! those users (the same methods; [`groups`]).
//!
//! Every request but discovery carries a token of scope `scim` (`staffsync token create
//! <slug> --scope scim`), looked up by its SHA-256 digest like API tokens; it opens
//! exactly its account, so another account's ids are 404 like unknown ones. Bodies are
//! JSON sent as `application/scim+json` or `application/json`, at most
//! [`MAX_BODY_BYTES`]; answers are `application/scim+json`, errors SCIM error bodies
//! (`status`, `scimType`, `detail`) that say what was wrong. Each token may make
//! `ServerConfig::scim_rate` requests a second on average (429 beyond).
//!
//! A write is stored as the SCIM source's state and answered at once; the engine plans
//! and applies it in a debounced targeted run (`staffsync_engine::sources::scim`), so
//! the identity provider is never blocked by the directory (a mass deactivation held by
//! the deletion guard is still answered 2xx). This module must never change the
//! directory itself, never log or echo a token, and never answer for an account other
//! than the token's.

pub mod filter;
mod groups;
pub mod limit;
mod listing;
pub mod patch;
mod projection;
mod users;

use crate::http::api::tokens::{hash_token, well_formed};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use staffsync_engine::sources::scim::{CORE_GROUP, CORE_USER, ENTERPRISE_USER};
use staffsync_engine::state::AppState;
use staffsync_store::{AccountId, TokenScope};

/// Where the endpoint lives.
pub const PREFIX: &str = "/scim/v2";
/// The largest request body accepted (also `maxPayloadSize` in the
/// ServiceProviderConfig).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The most resources one list answer holds (`filter.maxResults`).
pub const MAX_RESULTS: usize = 1000;

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SCIM_JSON: &str = "application/scim+json";

/// The routes under [`PREFIX`].
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{id}", get(schema))
        .merge(users::routes())
        .merge(groups::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::Extension(std::sync::Arc::new(limit::Limiter::new(
            state.config.scim_rate,
        ))))
        .with_state(state)
}

/// A SCIM error answer.
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
    /// Seconds for `Retry-After` (429).
    retry_after: Option<u64>,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 400 with a `scimType` (`invalidFilter`, `invalidValue`, `mutability`, …).
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    fn unauthorized(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, None, detail)
    }

    /// 429: the token's requests are over the rate limit; `Retry-After` says when.
    fn too_many(wait: std::time::Duration, per_second: u32) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            format!("more than {per_second} requests a second with this token: try again shortly"),
        );
        e.retry_after = Some(wait.as_secs().max(1));
        e
    }

    /// An internal failure: logged in full here, answered without detail.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(error = %error, "SCIM request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error")
    }

    /// The body for an answer that has none of its own (axum's 404, 405, a body over the
    /// limit, a timeout).
    pub fn for_status(status: StatusCode) -> Self {
        let detail = match status {
            StatusCode::NOT_FOUND => {
                "no such SCIM resource (this endpoint serves Users and Groups)"
            }
            StatusCode::METHOD_NOT_ALLOWED => "this resource does not take this method",
            StatusCode::PAYLOAD_TOO_LARGE => "the body is larger than 1 MiB",
            StatusCode::REQUEST_TIMEOUT => "the request took too long",
            _ => status.canonical_reason().unwrap_or("error"),
        };
        let scim_type = (status == StatusCode::PAYLOAD_TOO_LARGE).then_some("tooLarge");
        Self::new(status, scim_type, detail)
    }
}

impl From<staffsync_store::StoreError> for ScimError {
    fn from(e: staffsync_store::StoreError) -> Self {
        ScimError::internal(e)
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut response = scim_json(self.status, &body);
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scim\""),
            );
        }
        response
    }
}

/// 201 with the created resource, and its `meta.location` as `Location`.
pub fn created(rendered: &Value) -> Response {
    let mut response = scim_json(StatusCode::CREATED, rendered);
    if let Ok(location) = rendered["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .parse()
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// An id as echoed in an error: short, so a client cannot make the answer large.
fn shown(id: &str) -> String {
    id.chars().take(64).collect()
}

/// A written resource's `externalId`: absent, `null` or a string.
fn external_id(resource: &serde_json::Map<String, Value>) -> Result<Option<String>, ScimError> {
    match staffsync_engine::sources::scim::field(resource, "externalId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(e)) => Ok(Some(e.clone())),
        Some(other) => Err(ScimError::bad(
            "invalidValue",
            format!("externalId must be a string, not {other}"),
        )),
    }
}

/// `body` as `application/scim+json` with `status`.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        body.to_string(),
    )
        .into_response()
}

/// The caller of a SCIM request: the account its token opens, and the token's label
/// (who made a write, in the log).
#[derive(Debug, Clone)]
pub struct ScimCaller {
    pub account: AccountId,
    pub label: String,
}

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ScimError::unauthorized("missing Authorization: Bearer <token>"))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(ScimError::unauthorized(
                    "expected Authorization: Bearer <token>",
                ));
            }
        };
        let refused = || ScimError::unauthorized("invalid or revoked SCIM token");
        if !well_formed(token) {
            return Err(refused());
        }
        let digest = hash_token(token);
        let holder = state
            .store
            .token_holder(&digest, TokenScope::Scim)
            .await?
            .ok_or_else(refused)?;
        if let Some(limiter) = parts.extensions.get::<std::sync::Arc<limit::Limiter>>()
            && let Err(wait) = limiter.take(&digest)
        {
            return Err(ScimError::too_many(wait, limiter.per_second));
        }
        Ok(ScimCaller {
            account: holder.account,
            label: holder.label,
        })
    }
}

/// Reads a JSON body sent as `application/scim+json` or `application/json` (or without
/// a type, as some clients send it); anything else is 415.
pub fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, ScimError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default();
        let essence = ct.split(';').next().unwrap_or_default().trim();
        if !(essence.eq_ignore_ascii_case(SCIM_JSON)
            || essence.eq_ignore_ascii_case("application/json"))
        {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!("Content-Type {essence:?}: send application/scim+json or application/json"),
            ));
        }
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))
}

/// A list answer with the page `items` of `total` from `start_index`.
pub fn list_response(total: usize, start_index: usize, items: Vec<Value>) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": items.len(),
            "Resources": items,
        }),
    )
}

/// Where resources are, for `meta.location`: the public base URL's endpoint when the
/// server knows it, else the path.
fn base(state: &AppState) -> String {
    match &state.config.public_base_url {
        Some(url) => format!("{}{PREFIX}", url.trim_end_matches('/')),
        None => PREFIX.to_owned(),
    }
}

async fn service_provider_config() -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": MAX_BODY_BYTES},
            "filter": {"supported": true, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token made with `staffsync token create <slug> --scope scim`",
                "primary": true
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig"}
        }),
    )
}

fn user_resource_type() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A person of the account's directory",
        "schema": CORE_USER,
        "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/User"}
    })
}

fn group_resource_type() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "A group of the account's users: a group of kind idp_group in the directory",
        "schema": CORE_GROUP,
        "schemaExtensions": [],
        "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/Group"}
    })
}

async fn resource_types() -> Response {
    list_response(2, 1, vec![user_resource_type(), group_resource_type()])
}

async fn resource_type(Path(id): Path<String>) -> Result<Response, ScimError> {
    if id.eq_ignore_ascii_case("User") {
        Ok(scim_json(StatusCode::OK, &user_resource_type()))
    } else if id.eq_ignore_ascii_case("Group") {
        Ok(scim_json(StatusCode::OK, &group_resource_type()))
    } else {
        Err(ScimError::not_found(
            "no such resource type (this endpoint serves User and Group)",
        ))
    }
}

fn attribute(
    name: &str,
    kind: &str,
    multi: bool,
    required: bool,
    mutability: &str,
    uniqueness: &str,
) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": multi, "required": required,
        "caseExact": false, "mutability": mutability, "returned": "default",
        "uniqueness": uniqueness
    })
}

fn complex(name: &str, multi: bool, subs: &[&str]) -> Value {
    let mut a = attribute(name, "complex", multi, false, "readWrite", "none");
    // RFC 7643, 4.1.2 and 4.3: `primary` is a boolean, `$ref` a reference; a client that
    // builds its models from these schemas (scim2-tester does) refuses `"primary": true`
    // under a schema that calls it a string.
    a["subAttributes"] = subs
        .iter()
        .map(|s| {
            let kind = match *s {
                "primary" => "boolean",
                "$ref" => "reference",
                _ => "string",
            };
            attribute(s, kind, false, false, "readWrite", "none")
        })
        .collect();
    a
}

fn user_schema() -> Value {
    let rw = |n: &str| attribute(n, "string", false, false, "readWrite", "none");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": CORE_USER,
        "name": "User",
        "description": "User Account",
        "attributes": [
            attribute("userName", "string", false, true, "readWrite", "server"),
            complex("name", false, &["formatted", "familyName", "givenName", "middleName"]),
            rw("displayName"), rw("nickName"), rw("title"), rw("userType"),
            rw("preferredLanguage"), rw("locale"), rw("timezone"),
            attribute("active", "boolean", false, false, "readWrite", "none"),
            complex("emails", true, &["value", "type", "primary"]),
            complex("phoneNumbers", true, &["value", "type", "primary"]),
            complex("addresses", true, &["formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{CORE_USER}")}
    })
}

fn enterprise_schema() -> Value {
    let rw = |n: &str| attribute(n, "string", false, false, "readWrite", "none");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": ENTERPRISE_USER,
        "name": "EnterpriseUser",
        "description": "Enterprise User",
        "attributes": [
            rw("employeeNumber"), rw("costCenter"), rw("organization"), rw("division"), rw("department"),
            complex("manager", false, &["value", "$ref", "displayName"]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{ENTERPRISE_USER}")}
    })
}

fn group_schema() -> Value {
    let mut members = complex("members", true, &["value", "$ref", "type", "display"]);
    // A member is named by its id; `$ref`, `type` and `display` are the server's.
    if let Some(subs) = members["subAttributes"].as_array_mut() {
        for sub in subs.iter_mut().filter(|s| s["name"] != "value") {
            sub["mutability"] = json!("readOnly");
        }
    }
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": CORE_GROUP,
        "name": "Group",
        "description": "Group",
        "attributes": [
            attribute("displayName", "string", false, true, "readWrite", "server"),
            members,
        ],
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{CORE_GROUP}")}
    })
}

async fn schemas() -> Response {
    list_response(
        3,
        1,
        vec![user_schema(), enterprise_schema(), group_schema()],
    )
}

async fn schema(Path(id): Path<String>) -> Result<Response, ScimError> {
    if id.eq_ignore_ascii_case(CORE_USER) {
        Ok(scim_json(StatusCode::OK, &user_schema()))
    } else if id.eq_ignore_ascii_case(ENTERPRISE_USER) {
        Ok(scim_json(StatusCode::OK, &enterprise_schema()))
    } else if id.eq_ignore_ascii_case(CORE_GROUP) {
        Ok(scim_json(StatusCode::OK, &group_schema()))
    } else {
        Err(ScimError::not_found("no such schema"))
    }
}
