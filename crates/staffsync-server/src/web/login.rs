//! `/login` and `/logout`.
//!
//! A login checks the rate limits (per client IP and per e-mail) first, then the password
//! on a blocking thread (against a dummy hash when the e-mail is unknown, so both take
//! as long), and on success starts a fresh session id (no session fixation) with a new
//! CSRF token. The error never says whether the e-mail exists.

use super::i18n::Lang;
use super::{ADMIN_KEY, CSRF_KEY, ClientIp, Page, WebResult, WebState, csrf_token, render};
use crate::auth;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginTemplate {
    page: Page,
    email: String,
    error: Option<&'static str>,
}

/// `GET /login`: the form (or straight to the app when already logged in).
pub(crate) async fn form(lang: Lang, session: Session) -> WebResult {
    if session.get::<i64>(ADMIN_KEY).await?.is_some() {
        return Ok(Redirect::to("/integration").into_response());
    }
    let csrf = csrf_token(&session).await?;
    render(
        StatusCode::OK,
        &LoginTemplate {
            page: Page::anonymous(lang, csrf, "/login"),
            email: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
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
    let fail = |status: StatusCode, error: &'static str, csrf: String, email: String| {
        render(
            status,
            &LoginTemplate {
                page: Page::anonymous(lang, csrf, "/login"),
                email,
                error: Some(super::i18n::t(lang, error)),
            },
        )
    };
    if !state.limiter.check(&ip, &email) {
        tracing::warn!(ip = %ip, "login rate limit reached");
        let csrf = csrf_token(&session).await?;
        return fail(StatusCode::TOO_MANY_REQUESTS, "login.too_many", csrf, email);
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
        let csrf = csrf_token(&session).await?;
        return fail(StatusCode::UNAUTHORIZED, "login.failed", csrf, email);
    };
    session.cycle_id().await?;
    session.insert(ADMIN_KEY, admin.id.0).await?;
    session.insert(CSRF_KEY, auth::new_csrf_token()).await?;
    tracing::info!(admin = %admin.id, account = %admin.account_id, "admin logged in");
    // Housekeeping: expired sessions go now and then (logins are rare enough).
    if let Err(e) = state
        .app
        .store
        .delete_expired_sessions(OffsetDateTime::now_utc())
        .await
    {
        tracing::warn!(error = %e, "could not delete expired sessions");
    }
    Ok(Redirect::to("/integration").into_response())
}

/// `POST /logout`: ends the session (deleted from the store) and goes to the login form.
pub(crate) async fn logout(session: Session) -> WebResult {
    session.flush().await?;
    Ok(Redirect::to("/login").into_response())
}
