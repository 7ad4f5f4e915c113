//! Menü → Integration for accounts whose people an identity provider pushes over SCIM:
//! the Tenant URL to enter in Microsoft Entra ID or Okta, "Token erzeugen" (a token of
//! scope `scim`, shown once), and short steps for both, in German and English; and the
//! review of a held run (a burst of deactivations beyond the deletion guard), whose
//! "Übernehmen" runs what was pushed at once (`sources::scim::reconcile`).
//!
//! This module must never show a token again after the answer that created it, and
//! never make a token that opens the REST API (that is the developers' page).

use super::developer::{MAX_LABEL_CHARS, TokenForm};
use super::{Ctx, Page, WebResult, WebState, render, view};
use crate::http::api::tokens::{generate_token, hash_token};
use crate::http::scim::PREFIX;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use staffsync_store::TokenScope;

/// The label a new token gets unless the admin types another.
const DEFAULT_LABEL: &str = "Entra ID";

pub(crate) struct ScimTokenRow {
    label: String,
    created: String,
}

#[derive(Template)]
#[template(path = "scim.html")]
pub(crate) struct ScimTemplate {
    page: Page,
    tenant_url: String,
    /// Whether `tenant_url` is a whole URL (the server knows its public address).
    absolute: bool,
    tokens: Vec<ScimTokenRow>,
    new_token: Option<String>,
    label: String,
    error: Option<&'static str>,
    /// A held run's review (a burst of deactivations beyond the deletion guard).
    held: Option<super::integration::HeldView>,
    /// The people the admin kept by rejecting a review ("behalten").
    kept_people: Vec<super::integration::KeptView>,
}

async fn render_scim(
    state: &WebState,
    ctx: &Ctx,
    status: StatusCode,
    new_token: Option<String>,
    label: String,
    error: Option<&'static str>,
) -> WebResult {
    let tz = &ctx.account.time_zone;
    let tokens = state
        .app
        .store
        .api_tokens(ctx.account.id)
        .await?
        .into_iter()
        .filter(|t| t.scope == TokenScope::Scim && t.revoked_at.is_none())
        .map(|t| ScimTokenRow {
            label: t.label,
            created: view::when(t.created_at, tz, ctx.lang()),
        })
        .collect();
    let (tenant_url, absolute) = match &state.app.config.public_base_url {
        Some(base) => (format!("{}{PREFIX}", base.trim_end_matches('/')), true),
        None => (PREFIX.to_owned(), false),
    };
    let directory = state.app.store.directory(ctx.account.id).await?;
    let schedule = state.app.store.schedule(ctx.account.id).await?;
    let named = super::integration::Named::of(&directory, ctx);
    let held = super::integration::held_view(state, ctx, &named, schedule.as_ref()).await?;
    let kept = state.app.store.kept_people(ctx.account.id).await?;
    let kept_people = super::integration::kept_views(kept, &named, ctx);
    let template = ScimTemplate {
        held,
        kept_people,
        page: ctx.page("integration"),
        tenant_url,
        absolute,
        tokens,
        new_token,
        label,
        error,
    };
    render(status, &template)
}

/// `GET /integration` of a SCIM account.
pub(crate) async fn page(state: &WebState, ctx: &Ctx) -> WebResult {
    render_scim(
        state,
        ctx,
        StatusCode::OK,
        None,
        DEFAULT_LABEL.to_owned(),
        None,
    )
    .await
}

/// `POST /integration/scim/token`: a SCIM token labelled as typed, shown once.
pub(crate) async fn create_token(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<TokenForm>,
) -> WebResult {
    if !ctx.source().takes_scim {
        return Ok(super::integration::not_found(ctx.page("integration")));
    }
    let label = form.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
        let error = Some(ctx.t(key!("tok.error.label")));
        return render_scim(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            label,
            error,
        )
        .await;
    }
    let token = generate_token();
    state
        .app
        .store
        .create_token(
            ctx.account.id,
            &hash_token(&token),
            &label,
            TokenScope::Scim,
        )
        .await?;
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, "admin created a SCIM token");
    render_scim(&state, &ctx, StatusCode::CREATED, Some(token), label, None).await
}
