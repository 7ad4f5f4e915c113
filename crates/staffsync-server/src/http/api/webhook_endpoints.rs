//! Outgoing-webhook endpoints of the account: register one (its secret is shown once, in
//! the answer to `POST`), list them, delete one, and read an endpoint's delivery log.
//!
//! URLs are checked against the outbound policy
//! ([`staffsync_engine::outgoing_webhooks::targets`]) before they are stored. These handlers must never
//! show a secret after creation, never send a request to the URL themselves, and never
//! touch another account's endpoints (their ids answer 404).

use crate::http::api::error::{ApiError, ErrorBody};
use crate::http::api::extract::{ApiJson, QueryPairs, RawPath, parse_id};
use crate::http::api::paging::parse_limit;
use crate::http::api::tokens::ApiAccount;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use staffsync_engine::outgoing_webhooks::new_secret;
use staffsync_engine::outgoing_webhooks::targets::check_endpoint_url;
use staffsync_engine::state::AppState;
use staffsync_store::{WebhookDelivery, WebhookEndpoint};
use utoipa::ToSchema;

/// Endpoints an account may register.
pub const MAX_ENDPOINTS: usize = 10;
/// Deliveries the log shows by default.
const DEFAULT_LOG: usize = 50;

/// Body of `POST /webhook-endpoints`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    /// Where to POST the changes: `https://` and a public address.
    pub url: String,
}

/// A registered endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointView {
    pub id: i64,
    pub url: String,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&WebhookEndpoint> for WebhookEndpointView {
    fn from(e: &WebhookEndpoint) -> Self {
        WebhookEndpointView {
            id: e.id,
            url: e.url.clone(),
            created_at: rfc3339(e.created_at),
        }
    }
}

/// A new endpoint with its signing secret: shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookEndpoint {
    #[serde(flatten)]
    pub endpoint: WebhookEndpointView,
    /// `whsec_<base64>`: verify `webhook-signature` with the base64-decoded part
    /// (Standard Webhooks). It is not shown again.
    pub secret: String,
}

/// The account's endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointList {
    pub endpoints: Vec<WebhookEndpointView>,
}

/// One delivery (a POST with its retries).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The `webhook-id` header of every attempt.
    pub message_id: String,
    pub run_id: i64,
    pub change_count: i64,
    /// `pending` (being retried), `delivered` or `failed` (given up after 24 h).
    pub status: String,
    pub attempts: i64,
    /// RFC 3339.
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub last_attempt_at: Option<String>,
    /// The receiver's HTTP status of the last attempt.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<&WebhookDelivery> for DeliveryView {
    fn from(d: &WebhookDelivery) -> Self {
        DeliveryView {
            id: d.id,
            message_id: d.message_id.clone(),
            run_id: d.run_id.0,
            change_count: d.change_count,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            created_at: rfc3339(d.created_at),
            next_attempt_at: d.next_attempt_at.map(rfc3339),
            last_attempt_at: d.last_attempt_at.map(rfc3339),
            last_status: d.last_status,
            last_error: d.last_error.clone(),
        }
    }
}

/// An endpoint's newest deliveries first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryView>,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// `POST /webhook-endpoints`: register an endpoint.
#[utoipa::path(
    post,
    path = "/webhook-endpoints",
    tag = "webhooks",
    request_body = NewWebhookEndpoint,
    responses(
        (status = 201, description = "Registered; the answer holds the secret, shown only now. Changes applied from now on are POSTed to it", body = CreatedWebhookEndpoint),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 422, description = "The URL is not allowed (not https, not a public address, …), or the account has 10 endpoints", body = ErrorBody),
    )
)]
pub async fn create_endpoint(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    ApiJson(request): ApiJson<NewWebhookEndpoint>,
) -> Result<(StatusCode, Json<CreatedWebhookEndpoint>), ApiError> {
    let url = check_endpoint_url(&request.url, state.config.webhook_allow_private)
        .map_err(|e| ApiError::unprocessable(e).with_field("url"))?;
    if state.store.webhook_endpoints(account).await?.len() >= MAX_ENDPOINTS {
        return Err(ApiError::unprocessable(format!(
            "an account may have at most {MAX_ENDPOINTS} webhook endpoints; delete one first"
        ))
        .with_field("url"));
    }
    let secret = new_secret();
    let endpoint = state
        .store
        .create_webhook_endpoint(account, url.as_str(), &secret)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhookEndpoint {
            endpoint: WebhookEndpointView::from(&endpoint),
            secret: secret.expose_secret().to_owned(),
        }),
    ))
}

/// `GET /webhook-endpoints`: the account's endpoints.
#[utoipa::path(
    get,
    path = "/webhook-endpoints",
    tag = "webhooks",
    responses(
        (status = 200, description = "Endpoints, oldest first (without secrets)", body = WebhookEndpointList),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    )
)]
pub async fn list_endpoints(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
) -> Result<Json<WebhookEndpointList>, ApiError> {
    let endpoints = state
        .store
        .webhook_endpoints(account)
        .await?
        .iter()
        .map(WebhookEndpointView::from)
        .collect();
    Ok(Json(WebhookEndpointList { endpoints }))
}

/// `DELETE /webhook-endpoints/{id}`: stop delivering to an endpoint.
#[utoipa::path(
    delete,
    path = "/webhook-endpoints/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Deleted, with its delivery log"),
        (status = 400, description = "Not a positive integer", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such endpoint in this account", body = ErrorBody),
    )
)]
pub async fn delete_endpoint(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    RawPath(raw): RawPath,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&raw, "id")?;
    if state.store.delete_webhook_endpoint(account, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "no webhook endpoint {id} in this account"
        )))
    }
}

/// `GET /webhook-endpoints/{id}/deliveries`: the endpoint's delivery log.
#[utoipa::path(
    get,
    path = "/webhook-endpoints/{id}/deliveries",
    tag = "webhooks",
    params(
        ("id" = i64, Path, description = "The endpoint's id"),
        ("limit" = Option<u32>, Query, description = "Deliveries to show, newest first: 1 to 1,000 (default 50)"),
    ),
    responses(
        (status = 200, description = "Deliveries, newest first", body = DeliveryList),
        (status = 400, description = "Not a positive integer", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such endpoint in this account", body = ErrorBody),
        (status = 422, description = "`limit` out of range", body = ErrorBody),
    )
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    RawPath(raw): RawPath,
    query: QueryPairs,
) -> Result<Json<DeliveryList>, ApiError> {
    query.check(&["limit"])?;
    let id = parse_id(&raw, "id")?;
    let limit = parse_limit(&query)?.unwrap_or(DEFAULT_LOG);
    if !state
        .store
        .webhook_endpoints(account)
        .await?
        .iter()
        .any(|e| e.id == id)
    {
        return Err(ApiError::not_found(format!(
            "no webhook endpoint {id} in this account"
        )));
    }
    let deliveries = state
        .store
        .webhook_deliveries(account, Some(id), limit)
        .await?
        .iter()
        .map(DeliveryView::from)
        .collect();
    Ok(Json(DeliveryList { deliveries }))
}
