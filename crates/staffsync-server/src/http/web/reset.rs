//! "Passwort vergessen?": `/login/forgot` and `/login/reset` ([`staffsync_engine::password_reset`]).
//!
//! `/login/forgot` asks for the e-mail and, when the deployment mails reset links
//! ([`AppState::mails_reset_links`](staffsync_engine::state::AppState::mails_reset_links)),
//! mails a one-time link to the admin with that address — in a spawned task, so the
//! answer is the same page, as fast, whether or not the address has a login (no account
//! enumeration). Requests count against their own limiter, per e-mail and client IP and
//! per client IP, as logins do. Without mail the page tells the admin to ask the
//! operator (`staffsync admin reset-password`).
//!
//! `/login/reset?token=…` shows the new-password form while the token works; posting it
//! sets the password (at least [`auth::MIN_PASSWORD_CHARS`] characters), uses the token
//! and ends every session of the admin. Both forms carry the login form's CSRF token
//! (its cookie's path, `/login`, covers them). Like the login, nothing here writes a
//! session, and the token never reaches a log (request spans name the path only).

use super::i18n::{Key, Lang};
use super::{ClientIp, Page, WebResult, WebState, render};
use crate::http::auth;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use staffsync_engine::password_reset::{self, digest};
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetTemplate {
    page: Page,
    /// `ask`, `operator`, `sent`, `set`, `done` or `invalid`.
    step: &'static str,
    email: String,
    token: String,
    min_chars: usize,
    error: Option<&'static str>,
}

/// Renders `step` with the login form's CSRF token (`csrf`, or a fresh one set as a
/// cookie when `headers` carry none still good) and no referrer for links from it.
fn page(
    state: &WebState,
    lang: Lang,
    headers: &HeaderMap,
    status: StatusCode,
    step: &'static str,
    fill: impl FnOnce(&mut ResetTemplate),
) -> WebResult {
    let token = super::login_form_token(state, headers);
    let mut t = ResetTemplate {
        page: Page::anonymous(lang, token.clone(), "/login/forgot"),
        step,
        email: String::new(),
        token: String::new(),
        min_chars: auth::MIN_PASSWORD_CHARS,
        error: None,
    };
    fill(&mut t);
    let mut response = render(status, &t)?;
    let h = response.headers_mut();
    if let Some(cookie) = super::login_csrf_set_cookie(&token, state.app.config.secure_cookies) {
        h.append(header::SET_COOKIE, cookie);
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The first step: the e-mail form, or the operator's command without mail.
fn first_step(state: &WebState) -> &'static str {
    if state.app.mails_reset_links() {
        "ask"
    } else {
        "operator"
    }
}

/// `GET /login/forgot`.
pub(crate) async fn forgot(
    State(state): State<WebState>,
    lang: Lang,
    headers: HeaderMap,
) -> WebResult {
    let step = first_step(&state);
    page(&state, lang, &headers, StatusCode::OK, step, |_| {})
}

#[derive(Deserialize)]
pub(crate) struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// `POST /login/forgot`: the same answer whether or not the address has a login.
pub(crate) async fn request(
    State(state): State<WebState>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> WebResult {
    let step = first_step(&state);
    if step != "ask" {
        return page(&state, lang, &headers, StatusCode::OK, step, |_| {});
    }
    let email = form.email.trim().to_owned();
    if !state.reset_limiter.check(ip, &email) {
        tracing::warn!(ip = %ip, "password reset rate limit reached");
        return page(
            &state,
            lang,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            "ask",
            |t| {
                t.email = email;
                t.error = Some(super::i18n::t(lang, key!("reset.too_many")));
            },
        );
    }
    if let Some(admin) = state.app.store.admin_by_email(&email).await? {
        let app = state.app.clone();
        tokio::spawn(async move {
            let name = match app.store.account_by_id(admin.account_id).await {
                Ok(Some(account)) => account.name,
                _ => String::new(),
            };
            match password_reset::mail_link(&app, &admin, &name, lang).await {
                Ok(()) => tracing::info!(admin = %admin.id, "password reset link mailed"),
                Err(e) => {
                    tracing::warn!(admin = %admin.id, error = %e, "password reset link not mailed");
                }
            }
        });
    } else {
        tracing::info!(ip = %ip, "password reset asked for an address without a login");
    }
    page(&state, lang, &headers, StatusCode::OK, "sent", |_| {})
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The answer for a token that does not work (unknown, used or expired).
fn invalid(state: &WebState, lang: Lang, headers: &HeaderMap) -> WebResult {
    page(state, lang, headers, StatusCode::GONE, "invalid", |_| {})
}

/// `GET /login/reset?token=…`: the new-password form while the token works.
pub(crate) async fn reset_form(
    State(state): State<WebState>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> WebResult {
    let store = &state.app.store;
    let now = OffsetDateTime::now_utc();
    let admin = match store.password_reset_admin(&digest(&q.token), now).await? {
        Some(id) => store.admin(id).await?,
        None => None,
    };
    let Some(admin) = admin else {
        return invalid(&state, lang, &headers);
    };
    page(&state, lang, &headers, StatusCode::OK, "set", |t| {
        t.token = q.token.trim().to_owned();
        // For password managers: whose password this is.
        t.email = admin.email;
    })
}

#[derive(Deserialize)]
pub(crate) struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

/// `POST /login/reset`: sets the password, uses the token, ends the admin's sessions.
pub(crate) async fn reset(
    State(state): State<WebState>,
    lang: Lang,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> WebResult {
    let store = &state.app.store;
    let token = digest(&form.token);
    let Some(admin) = store
        .password_reset_admin(&token, OffsetDateTime::now_utc())
        .await?
    else {
        return invalid(&state, lang, &headers);
    };
    let refused = |error: Key| {
        page(
            &state,
            lang,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            "set",
            |t| {
                t.token = form.token.trim().to_owned();
                t.error = Some(super::i18n::t(lang, error));
            },
        )
    };
    if form.password.chars().count() < auth::MIN_PASSWORD_CHARS {
        return refused(key!("reset.error.length"));
    }
    if form.password != form.password2 {
        return refused(key!("reset.error.mismatch"));
    }
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password)).await??;
    // The token is checked again, and used, in the same transaction as the change.
    let Some(done) = store
        .reset_admin_password(&token, &hash, OffsetDateTime::now_utc())
        .await?
    else {
        return invalid(&state, lang, &headers);
    };
    debug_assert_eq!(done, admin);
    tracing::info!(admin = %done, "admin password reset through a link; their sessions ended");
    page(&state, lang, &headers, StatusCode::OK, "done", |_| {})
}
