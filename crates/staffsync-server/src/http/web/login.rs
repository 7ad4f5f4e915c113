//! `/login` and `/logout`.
//!
//! The form writes nothing to the database: its CSRF token is the signed double-submit
//! token of [`auth::LoginCsrf`], in a cookie and in the form. A login checks the rate
//! limits (per e-mail and client IP, and per client IP) first, then the password on a
//! blocking thread (against a dummy hash when the e-mail is unknown, so both take as
//! long), and only on success starts a session, with a fresh id (no session fixation)
//! and a new per-session CSRF token. The error never says whether the e-mail exists.

use super::i18n::Lang;
use super::{ADMIN_KEY, CSRF_KEY, ClientIp, EPOCH_KEY, Page, WebResult, WebState, render};
use crate::http::auth;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginTemplate {
    page: Page,
    email: String,
    error: Option<&'static str>,
}

/// `GET /login`: the form (or straight to the app when already logged in). Reuses the
/// visitor's login CSRF cookie while it is young, so several tabs share one token.
pub(crate) async fn form(
    State(state): State<WebState>,
    lang: Lang,
    headers: HeaderMap,
    session: Session,
) -> WebResult {
    if session.get::<i64>(ADMIN_KEY).await?.is_some() {
        return Ok(Redirect::to("/integration").into_response());
    }
    let token = super::login_form_token(&state, &headers);
    let mut response = render(
        StatusCode::OK,
        &LoginTemplate {
            page: Page::anonymous(lang, token.clone(), "/login"),
            email: String::new(),
            error: None,
        },
    )?;
    if let Some(cookie) = super::login_csrf_set_cookie(&token, state.app.config.secure_cookies) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// Already checked by the CSRF guard; rendered again into a refused form.
    #[serde(default)]
    csrf: String,
}

/// `POST /login`.
pub(crate) async fn submit(
    State(state): State<WebState>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    session: Session,
    Form(form): Form<LoginForm>,
) -> WebResult {
    let email = form.email.trim().to_owned();
    // The guard let the form's token through, so it is still good for another try.
    let csrf = form.csrf;
    let fail = |status: StatusCode, error: super::i18n::Key, csrf: String, email: String| {
        render(
            status,
            &LoginTemplate {
                page: Page::anonymous(lang, csrf, "/login"),
                email,
                error: Some(super::i18n::t(lang, error)),
            },
        )
    };
    if !state.limiter.check(ip, &email) {
        tracing::warn!(ip = %ip, "login rate limit reached");
        return fail(
            StatusCode::TOO_MANY_REQUESTS,
            key!("login.too_many"),
            csrf,
            email,
        );
    }
    let admin = state.app.store.admin_by_email(&email).await?;
    let hash = admin
        .as_ref()
        .map_or_else(|| auth::DUMMY_HASH.to_owned(), |a| a.password_hash.clone());
    let password = form.password;
    let matches =
        tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash)).await?;
    let Some(admin) = admin.filter(|_| matches) else {
        tracing::info!(ip = %ip, "login failed");
        return fail(StatusCode::UNAUTHORIZED, key!("login.failed"), csrf, email);
    };
    session.cycle_id().await?;
    session.insert(ADMIN_KEY, admin.id.0).await?;
    session.insert(EPOCH_KEY, admin.session_epoch).await?;
    session.insert(CSRF_KEY, auth::new_csrf_token()).await?;
    tracing::info!(admin = %admin.id, account = %admin.account_id, "admin logged in");
    // Alert e-mails are written in the language the admin last logged in with.
    if admin.lang.as_deref() != Some(lang.code())
        && let Err(e) = state.app.store.set_admin_lang(admin.id, lang.code()).await
    {
        tracing::warn!(admin = %admin.id, error = %e, "could not remember the admin's language");
    }
    Ok(Redirect::to("/integration").into_response())
}

/// `POST /logout`: ends the session (deleted from the store) and goes to the login form.
pub(crate) async fn logout(session: Session) -> WebResult {
    session.flush().await?;
    Ok(Redirect::to("/login").into_response())
}
