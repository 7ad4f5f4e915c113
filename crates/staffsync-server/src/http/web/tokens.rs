//! "API-Tokens" (`/integration/tokens`): the account's REST API tokens, for the survey app
//! and other programs, without the command line: create one with a label (its value is
//! shown once, in the answer to the form that made it; only its SHA-256 is stored, as
//! with `staffsync token create`), list them, revoke one.
//!
//! Every query passes the logged-in admin's account: another account's token ids answer
//! 404. This module must never show, log or keep a token after the answer that made it.

use super::{Ctx, Page, WebResult, WebState, render, view};
use crate::http::api::tokens::{generate_token, hash_token};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

/// The longest label accepted, in characters.
const MAX_LABEL_CHARS: usize = 100;

pub(crate) struct TokenRow {
    pub id: i64,
    pub label: String,
    pub created: String,
    /// When it was revoked, if it was.
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "tokens.html")]
pub(crate) struct TokensTemplate {
    page: Page,
    tokens: Vec<TokenRow>,
    /// The token just created (shown once).
    new_token: Option<String>,
    /// The label typed into the form (kept after an error).
    label: String,
    error: Option<&'static str>,
}

async fn tokens_page(
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
        .map(|t| TokenRow {
            id: t.id,
            label: t.label,
            created: view::when(t.created_at, tz, ctx.lang()),
            revoked: t.revoked_at.map(|at| view::when(at, tz, ctx.lang())),
        })
        .collect();
    let template = TokensTemplate {
        page: ctx.page("integration"),
        tokens,
        new_token,
        label,
        error,
    };
    render(status, &template)
}

/// `GET /integration/tokens`: the list and the form.
pub(crate) async fn page(State(state): State<WebState>, ctx: Ctx) -> WebResult {
    tokens_page(&state, &ctx, StatusCode::OK, None, String::new(), None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    label: String,
}

/// `POST /integration/tokens`: create a token labelled as typed; the page shows it once.
pub(crate) async fn create(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<TokenForm>,
) -> WebResult {
    let label = form.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
        let error = Some(ctx.t(key!("tok.error.label")));
        return tokens_page(
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
        .create_api_token(ctx.account.id, &hash_token(&token), &label)
        .await?;
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, "admin created an API token");
    tokens_page(
        &state,
        &ctx,
        StatusCode::CREATED,
        Some(token),
        String::new(),
        None,
    )
    .await
}

/// `POST /integration/tokens/{id}/revoke`: the token stops working at once.
pub(crate) async fn revoke(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult {
    if !state.app.store.revoke_api_token(ctx.account.id, id).await? {
        return Ok(super::integration::not_found(ctx.page("integration")));
    }
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, token = id, "admin revoked an API token");
    ctx.flash("ok", ctx.t(key!("tok.revoked_flash"))).await;
    Ok(Redirect::to("/integration/tokens").into_response())
}
