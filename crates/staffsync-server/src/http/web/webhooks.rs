//! The "Webhooks" card of `/developer` ([`super::developer`]): the account's outgoing-webhook endpoints (add,
//! remove) and their delivery log (status, attempts, last error).
//!
//! A new endpoint's secret is rendered once, in the answer to the form that created it
//! (never stored in the session or shown again). URLs are checked against the outbound
//! policy ([`staffsync_engine::outgoing_webhooks::targets`]); the page never sends a request to them.

use super::developer::{self, TokensForm, render_developer};
use super::i18n::{Lang, delivery_status_text};
use super::{Ctx, WebResult, WebState, view};
use crate::http::api::webhook_endpoints::MAX_ENDPOINTS;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use staffsync_core::TimeZoneName;
use staffsync_engine::outgoing_webhooks::new_secret;
use staffsync_engine::outgoing_webhooks::targets::check_endpoint_url;
use staffsync_store::{AccountId, DeliveryStatus, Store, WebhookDelivery};
use std::collections::HashMap;

/// Deliveries the card shows.
const LOG_ROWS: usize = 20;

pub(crate) struct EndpointRow {
    pub id: i64,
    pub url: String,
    pub created: String,
}

pub(crate) struct DeliveryRow {
    pub url: String,
    pub when: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub attempts: i64,
    pub changes: i64,
    pub last_error: String,
}

/// What the card shows.
pub(crate) struct WebhooksView {
    pub endpoints: Vec<EndpointRow>,
    pub deliveries: Vec<DeliveryRow>,
    /// The secret of the endpoint just created (shown once).
    pub new_secret: Option<String>,
    /// The URL typed into the form (kept after an error).
    pub url: String,
    pub error: Option<String>,
}

fn delivery_row(
    d: &WebhookDelivery,
    urls: &HashMap<i64, String>,
    tz: &TimeZoneName,
    lang: Lang,
) -> DeliveryRow {
    DeliveryRow {
        url: urls.get(&d.endpoint_id).cloned().unwrap_or_default(),
        when: view::when(d.last_attempt_at.unwrap_or(d.created_at), tz, lang),
        status: match d.status {
            DeliveryStatus::Pending => "running",
            DeliveryStatus::Delivered => "applied",
            DeliveryStatus::Failed => "failed",
        },
        status_label: delivery_status_text(lang, d.status),
        attempts: d.attempts,
        changes: d.change_count,
        // In the page's language by its kind; a delivery from before kinds were stored
        // shows its stored words after words that say so.
        last_error: match (d.last_error_code, &d.last_error) {
            (Some(code), _) => super::failures::delivery_error(lang, code, d.last_status),
            (None, Some(words)) => {
                format!("{} „{words}“", super::i18n::t(lang, key!("fail.original")))
            }
            (None, None) => String::new(),
        },
    }
}

/// The card for the account.
pub(crate) async fn load(
    store: &Store,
    account: AccountId,
    tz: &TimeZoneName,
    lang: Lang,
) -> staffsync_store::Result<WebhooksView> {
    let endpoints = store.webhook_endpoints(account).await?;
    let urls: HashMap<i64, String> = endpoints.iter().map(|e| (e.id, e.url.clone())).collect();
    let deliveries = store
        .webhook_deliveries(account, None, LOG_ROWS)
        .await?
        .iter()
        .map(|d| delivery_row(d, &urls, tz, lang))
        .collect();
    Ok(WebhooksView {
        endpoints: endpoints
            .iter()
            .map(|e| EndpointRow {
                id: e.id,
                url: e.url.clone(),
                created: view::when(e.created_at, tz, lang),
            })
            .collect(),
        deliveries,
        new_secret: None,
        url: String::new(),
        error: None,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct EndpointForm {
    #[serde(default)]
    url: String,
}

/// `POST /integration/webhooks`: add an endpoint; the page shows its secret once.
pub(crate) async fn create(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<EndpointForm>,
) -> WebResult {
    let store = &state.app.store;
    let account = ctx.account.id;
    let checked = check_endpoint_url(&form.url, state.app.config.webhook_allow_private);
    let error = match checked {
        Err(_) => Some(ctx.t(key!("wh.error.url"))),
        Ok(_) if store.webhook_endpoints(account).await?.len() >= MAX_ENDPOINTS => {
            Some(ctx.t(key!("wh.error.too_many")))
        }
        Ok(url) => {
            let secret = new_secret();
            store
                .create_webhook_endpoint(account, url.as_str(), &secret)
                .await?;
            tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, "admin added a webhook endpoint");
            let mut card = load(store, account, &ctx.account.time_zone, ctx.lang()).await?;
            card.new_secret = Some(secret.expose_secret().to_owned());
            return render_developer(
                &state,
                &ctx,
                StatusCode::CREATED,
                TokensForm::default(),
                Some(card),
            )
            .await;
        }
    };
    let mut card = load(store, account, &ctx.account.time_zone, ctx.lang()).await?;
    card.url = form.url.trim().to_owned();
    card.error = error.map(str::to_owned);
    render_developer(
        &state,
        &ctx,
        StatusCode::UNPROCESSABLE_ENTITY,
        TokensForm::default(),
        Some(card),
    )
    .await
}

/// `POST /integration/webhooks/{id}/delete`: remove an endpoint and its log.
pub(crate) async fn delete(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult {
    if !state
        .app
        .store
        .delete_webhook_endpoint(ctx.account.id, id)
        .await?
    {
        return Ok(super::integration::not_found(ctx.page("developer")));
    }
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, endpoint = id, "admin removed a webhook endpoint");
    ctx.flash("ok", ctx.t(key!("wh.deleted"))).await;
    Ok(Redirect::to(developer::PATH).into_response())
}
