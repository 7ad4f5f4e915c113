//! "Entwickler" (`/developer`): what a developer connects to staffsync, kept off the HR
//! admin's Integration page (which links here with one line, as does every page's footer):
//! the account's REST API tokens and the outgoing-webhooks card ([`super::webhooks`]).
//!
//! API tokens, for the survey app and other programs, without the command line: create
//! one with a label (its value is shown once, in the answer to the form that made it;
//! only its SHA-256 is stored, as with `staffsync token create`), list them, revoke one.
//! The forms keep posting to their first paths (`/integration/tokens`,
//! `/integration/webhooks`); `GET /integration/tokens` redirects here (308).
//!
//! Every query passes the logged-in admin's account: another account's token ids answer
//! 404. This module must never show, log or keep a token after the answer that made it.

use super::webhooks::WebhooksView;
use super::{Ctx, Page, WebResult, WebState, render, view};
use crate::http::api::tokens::{generate_token, hash_token};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

/// The longest label accepted, in characters.
pub(crate) const MAX_LABEL_CHARS: usize = 100;

pub(crate) struct TokenRow {
    pub id: i64,
    pub label: String,
    pub created: String,
    /// When it was revoked, if it was.
    pub revoked: Option<String>,
}

/// Where the page is.
pub(crate) const PATH: &str = "/developer";

#[derive(Template)]
#[template(path = "developer.html")]
pub(crate) struct DeveloperTemplate {
    page: Page,
    tokens: Vec<TokenRow>,
    /// The token just created (shown once).
    new_token: Option<String>,
    /// The label typed into the form (kept after an error).
    label: String,
    error: Option<&'static str>,
    /// The outgoing-webhooks card.
    webhooks: WebhooksView,
}

/// What the tokens card shows besides the list.
#[derive(Default)]
pub(crate) struct TokensForm {
    /// The token just created (shown once).
    pub new_token: Option<String>,
    /// The label typed into the form (kept after an error).
    pub label: String,
    pub error: Option<&'static str>,
}

/// The page with both cards as given (after creating a token or an endpoint: with its
/// value, once).
pub(crate) async fn render_developer(
    state: &WebState,
    ctx: &Ctx,
    status: StatusCode,
    form: TokensForm,
    webhooks: Option<WebhooksView>,
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
    let webhooks = match webhooks {
        Some(w) => w,
        None => {
            super::webhooks::load(
                &state.app.store,
                ctx.account.id,
                &ctx.account.time_zone,
                ctx.lang(),
            )
            .await?
        }
    };
    let template = DeveloperTemplate {
        page: ctx.page("developer"),
        tokens,
        new_token: form.new_token,
        label: form.label,
        error: form.error,
        webhooks,
    };
    render(status, &template)
}

/// `GET /developer`: tokens and webhooks.
pub(crate) async fn page(State(state): State<WebState>, ctx: Ctx) -> WebResult {
    render_developer(&state, &ctx, StatusCode::OK, TokensForm::default(), None).await
}

/// `GET /integration/tokens`, where the tokens were first: moved for good (308).
pub(crate) async fn moved() -> Redirect {
    Redirect::permanent(PATH)
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    pub(crate) label: String,
}

/// `POST /integration/tokens`: create a token labelled as typed; the page shows it once.
pub(crate) async fn create(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<TokenForm>,
) -> WebResult {
    let label = form.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
        let form = TokensForm {
            label,
            error: Some(ctx.t(key!("tok.error.label"))),
            ..TokensForm::default()
        };
        return render_developer(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, form, None).await;
    }
    let token = generate_token();
    state
        .app
        .store
        .create_api_token(ctx.account.id, &hash_token(&token), &label)
        .await?;
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, "admin created an API token");
    let form = TokensForm {
        new_token: Some(token),
        ..TokensForm::default()
    };
    render_developer(&state, &ctx, StatusCode::CREATED, form, None).await
}

/// `POST /integration/tokens/{id}/revoke`: the token stops working at once.
pub(crate) async fn revoke(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult {
    if !state.app.store.revoke_api_token(ctx.account.id, id).await? {
        return Ok(super::integration::not_found(ctx.page("developer")));
    }
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, token = id, "admin revoked an API token");
    ctx.flash("ok", ctx.t(key!("tok.revoked_flash"))).await;
    Ok(Redirect::to(PATH).into_response())
}
