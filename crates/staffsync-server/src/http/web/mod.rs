//! The admin web app: server-rendered pages (askama, autoescaped) for the admins of an
//! account — Integration (connect Personio, sync, preview, review held runs), employees,
//! groups and sync history. German first, English too ([`i18n`]).
//!
//! Request pipeline (outermost first): the app-wide layers of [`crate::http`] (security
//! headers, HTML error pages, timeout, client address), the session layer (cookie →
//! session in the store), [`language`] (picks the language), [`csrf_guard`] (every POST
//! must carry the session's CSRF token, or at `/login` the signed login token of
//! [`auth::LoginCsrf`]), then the handlers. Pages that need a login take a [`Ctx`],
//! which redirects to `/login` without one and scopes everything to the admin's account.
//!
//! Rules: no page ever shows a Personio secret; every store query passes the logged-in
//! admin's account; every value from Personio is rendered escaped; nothing before a
//! successful login writes a session (an anonymous visitor must cost no database row).

// First, so that its `key!` macro is in scope in the modules below.
#[macro_use]
pub mod i18n;
mod developer;
mod directory;
mod failures;
mod history;
mod import;
mod integration;
mod login;
mod names;
mod removals_csv;
mod reset;
mod scim;
mod settings;
mod settings_diff;
mod status;
mod view;
mod webhooks;

use crate::http::auth::{self, LoginCsrf, LoginLimiter};
pub(crate) use crate::http::client_ip::ClientIp;
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use i18n::Lang;
use serde::{Deserialize, Serialize};
use staffsync_engine::state::AppState;
use staffsync_store::{Account, Admin, AdminId};
use std::sync::Arc;
use time::OffsetDateTime;
use tower_sessions::Session;

/// State of the web routes: the app state, the login limiter and the login form's CSRF
/// signer.
#[derive(Debug, Clone)]
pub(crate) struct WebState {
    pub app: AppState,
    pub limiter: LoginLimiter,
    /// Counts "Passwort vergessen?" requests, as `limiter` counts logins.
    pub reset_limiter: LoginLimiter,
    pub login_csrf: Arc<LoginCsrf>,
    /// Employee files uploaded and previewed, waiting for "Übernehmen".
    pub uploads: Arc<import::Uploads>,
}

/// The admin web app's routes (mounted at `/` by [`crate::http::app`]).
pub fn routes(state: AppState) -> Router {
    let secure = state.config.secure_cookies;
    let login_csrf = Arc::new(LoginCsrf::from_store(&state.store).unwrap_or_else(|e| {
        // HMAC takes keys of any length, so this does not happen; if it did, login forms
        // would still work, only not across instances.
        tracing::error!(error = %e, "cannot derive the login CSRF key; using a per-process key");
        LoginCsrf::per_process()
    }));
    // What an upload may carry: the file and the few fields of its form.
    let max_upload = usize::try_from(state.config.max_upload_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(MAX_FORM_BYTES);
    let web = WebState {
        app: state.clone(),
        limiter: LoginLimiter::default(),
        reset_limiter: LoginLimiter::default(),
        login_csrf: login_csrf.clone(),
        uploads: Arc::default(),
    };
    Router::new()
        .route("/", get(|| async { Redirect::to("/integration") }))
        .route("/login", get(login::form).post(login::submit))
        .route("/login/forgot", get(reset::forgot).post(reset::request))
        .route(
            staffsync_engine::password_reset::PATH,
            get(reset::reset_form).post(reset::reset),
        )
        .route("/logout", post(login::logout))
        .route("/integration", get(integration::page))
        .route("/integration/connect", post(integration::connect))
        .route("/integration/sync", post(integration::sync_now))
        .route(
            "/integration/held/{run}/accept",
            post(integration::accept_held),
        )
        .route(
            "/integration/held/{run}/reject",
            post(integration::reject_held),
        )
        .route(
            "/integration/kept/{id}/remove",
            post(integration::remove_kept),
        )
        .route("/integration/disconnect", post(integration::disconnect))
        .route("/integration/scim/token", post(scim::create_token))
        .route("/integration/status", get(status::status))
        .route(status::SCRIPT_PATH, get(status::script))
        .route(developer::PATH, get(developer::page))
        .route(
            "/integration/tokens",
            get(developer::moved).post(developer::create),
        )
        .route("/integration/tokens/{id}/revoke", post(developer::revoke))
        .route("/integration/webhooks", post(webhooks::create))
        .route("/integration/webhooks/{id}/delete", post(webhooks::delete))
        .route(
            "/integration/settings",
            get(settings::page).post(settings::save),
        )
        .route("/employees", get(directory::employees))
        .route("/groups", get(directory::groups))
        .route("/history", get(history::list))
        .route("/history/{run}", get(history::detail))
        .route("/history/{run}/removals.csv", get(removals_csv::download))
        .route("/integration/import/template", get(import::template))
        // The preview is a dry-run sync, as long as fetching the listing takes: exempt.
        .route_layer(crate::http::timeout())
        // So are reading and importing an employee file (100,000 rows take seconds).
        .route(
            UPLOAD_PATH,
            post(import::upload).layer(axum::extract::DefaultBodyLimit::max(max_upload)),
        )
        .route("/integration/import/apply", post(import::apply))
        .route("/integration/preview", post(integration::preview))
        .route("/integration/settings/preview", post(settings::preview))
        .layer(middleware::from_fn_with_state(
            GuardState {
                login_csrf,
                max_upload,
                upload_idle: state.config.upload_idle_timeout,
            },
            csrf_guard,
        ))
        .layer(middleware::from_fn_with_state(secure, language))
        .layer(auth::session_layer(state.store.clone(), secure))
        .with_state(web)
}

/// Session keys.
const ADMIN_KEY: &str = "admin_id";
const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";
/// The admin's session epoch at login ([`Admin::session_epoch`]): a password reset raises
/// the admin's, which ends the session.
const EPOCH_KEY: &str = "epoch";

/// A one-time message shown on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Flash {
    /// `ok` or `error` (a CSS class).
    pub kind: String,
    pub text: String,
}

/// What the layout needs on every page.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub lang: Lang,
    pub csrf: String,
    /// The active menu entry (`integration`, `employees`, `groups`, `history`, or empty;
    /// `developer` for the page the footer links to).
    pub nav: &'static str,
    pub logged_in: bool,
    pub admin_email: String,
    pub account_name: String,
    pub flash: Option<Flash>,
    /// The current path, for the language switch: always one `/` and then the rest
    /// ([`site_path`]).
    pub path: String,
    /// The logged-in account's source: its words for the texts that name it
    /// ([`Page::s`]) and the header. `None` before a login.
    pub source: Option<&'static staffsync_engine::sources::SourceKind>,
}

/// `path` as a link within this site: leading `/` and `\` collapsed to one `/`. A request
/// for `//evil.example/x` must not render `href="//evil.example/x?lang=en"`, which a
/// browser reads as another host (and `/\evil.example` too).
pub(crate) fn site_path(path: &str) -> String {
    format!("/{}", path.trim_start_matches(['/', '\\']))
}

impl Page {
    /// The text for `key` in the page's language.
    pub fn t(&self, key: i18n::Key) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// The text for `key` with the account's source named in it: `{source}` ("Personio",
    /// "Mitarbeiterdatei"), `{in_source}` ("in Personio", "in der Mitarbeiterdatei") and
    /// `{from_source}` ("aus Personio", …), so one text serves every source.
    pub fn s(&self, key: i18n::Key) -> String {
        i18n::with_source(self.lang, self.t(key), self.source)
    }

    /// What the header names next to "Honestly": the account's source, or nothing before
    /// a login.
    pub fn brand(&self) -> &'static str {
        self.source.map_or("", |s| s.brand(self.lang))
    }

    /// What the account's source calls a person's id ("Personio-ID", "ImportId",
    /// "SCIM-ID"), for column headings.
    pub fn id_name(&self) -> &'static str {
        self.source.map_or("ID", |s| s.id_name(self.lang))
    }

    /// The words after the count `n` in the page's language ([`i18n::count_text`]).
    pub fn n(&self, n: usize, one: i18n::Key, many: i18n::Key) -> &'static str {
        i18n::count_text(self.lang, n, one, many)
    }

    /// Page for someone not logged in (login, error pages).
    pub fn anonymous(lang: Lang, csrf: String, path: &str) -> Page {
        Page {
            lang,
            csrf,
            nav: "",
            logged_in: false,
            admin_email: String::new(),
            account_name: String::new(),
            flash: None,
            path: site_path(path),
            source: None,
        }
    }
}

/// The logged-in admin, their account and the page context. Extracting it redirects to
/// `/login` when there is no valid login.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub admin: Admin,
    pub account: Account,
    pub session: Session,
    pub page: Page,
}

impl Ctx {
    pub fn lang(&self) -> Lang {
        self.page.lang
    }

    pub fn t(&self, key: i18n::Key) -> &'static str {
        self.page.t(key)
    }

    /// The account's source: what it can do and its words.
    pub fn source(&self) -> &'static staffsync_engine::sources::SourceKind {
        staffsync_engine::sources::of(&self.account)
    }

    /// The page context with `nav` as the active menu entry.
    pub fn page(&self, nav: &'static str) -> Page {
        Page {
            nav,
            ..self.page.clone()
        }
    }

    /// Stores a message for the next page.
    pub async fn flash(&self, kind: &str, text: impl Into<String>) {
        let flash = Flash {
            kind: kind.to_owned(),
            text: text.into(),
        };
        if let Err(e) = self.session.insert(FLASH_KEY, flash).await {
            tracing::warn!(error = %e, "could not store a flash message");
        }
    }
}

/// The logged-in admin and their account, from the request's session alone: nothing in
/// the session is taken or added (no flash message, no CSRF token), so a page that polls
/// ([`status`]) changes nothing. `None` without a valid login (an admin or account
/// deleted meanwhile ends the session).
pub(crate) async fn session_admin(
    parts: &mut Parts,
    state: &WebState,
) -> Result<Option<(Session, Admin, Account)>, WebError> {
    let Ok(session) = Session::from_request_parts(parts, state).await else {
        return Ok(None);
    };
    let Some(admin_id) = session.get::<i64>(ADMIN_KEY).await? else {
        return Ok(None);
    };
    let store = &state.app.store;
    let admin = store.admin(AdminId(admin_id)).await?;
    let account = match &admin {
        Some(a) => store.account_by_id(a.account_id).await?,
        None => None,
    };
    // Sessions from before epochs existed carry none: 0, the first epoch.
    let epoch = session.get::<i64>(EPOCH_KEY).await?.unwrap_or(0);
    let (Some(admin), Some(account)) = (admin, account) else {
        // The admin or account was deleted: end the session.
        let _ = session.flush().await;
        return Ok(None);
    };
    if admin.session_epoch != epoch {
        // The password was reset since this session logged in.
        let _ = session.flush().await;
        return Ok(None);
    }
    Ok(Some((session, admin, account)))
}

impl FromRequestParts<WebState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let Some((session, admin, account)) = session_admin(parts, state)
            .await
            .map_err(IntoResponse::into_response)?
        else {
            return Err(Redirect::to("/login").into_response());
        };
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
        let csrf = csrf_token(&session).await.map_err(|e| e.into_response())?;
        let flash = session.remove::<Flash>(FLASH_KEY).await.unwrap_or(None);
        let page = Page {
            lang,
            csrf,
            nav: "",
            logged_in: true,
            admin_email: admin.email.clone(),
            account_name: account.name.clone(),
            flash,
            path: site_path(parts.uri.path()),
            source: Some(staffsync_engine::sources::of(&account)),
        };
        Ok(Ctx {
            admin,
            account,
            session,
            page,
        })
    }
}

impl FromRequestParts<WebState> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Lang>().copied().unwrap_or_default())
    }
}

/// The session's CSRF token, created on first use.
pub(crate) async fn csrf_token(session: &Session) -> Result<String, WebError> {
    if let Some(token) = session.get::<String>(CSRF_KEY).await? {
        return Ok(token);
    }
    let token = auth::new_csrf_token();
    session.insert(CSRF_KEY, &token).await?;
    Ok(token)
}

/// A failure while serving a page: logged once with its whole chain of causes when the
/// response is made, shown as a plain 500 page.
#[derive(Debug)]
pub(crate) struct WebError(Box<dyn std::error::Error + Send + Sync>);

impl<E: std::error::Error + Send + Sync + 'static> From<E> for WebError {
    fn from(e: E) -> Self {
        WebError(Box::new(e))
    }
}

/// `error: its cause: the cause's cause`, each once.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let more = cause.to_string();
        // A cause already in its parent's message is not repeated.
        if !text.ends_with(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        next = cause.source();
    }
    text
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        tracing::error!(error = %chain(self.0.as_ref()), "web request failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Html(
                "<!doctype html><meta charset=utf-8><title>Fehler / Error</title>\
                 <p>Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.</p>\
                 <p>An internal error occurred. Please try again later.</p>\
                 <p><a href=\"/integration\">Integration</a></p>",
            ),
        )
            .into_response()
    }
}

/// Result of a page handler.
pub(crate) type WebResult = Result<Response, WebError>;

/// Renders a template into a response with `status`.
pub(crate) fn render(status: StatusCode, template: &impl Template) -> WebResult {
    let html = template.render()?;
    Ok((status, Html(html)).into_response())
}

/// A short page with a title and a message (403, 404, …).
#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessageTemplate {
    pub page: Page,
    pub title: &'static str,
    pub text: &'static str,
}

/// Renders a message page; falls back to plain text if rendering fails.
pub(crate) fn message(
    status: StatusCode,
    page: Page,
    title: i18n::Key,
    text: i18n::Key,
) -> Response {
    let t = MessageTemplate {
        title: page.t(title),
        text: page.t(text),
        page,
    };
    render(status, &t).unwrap_or_else(IntoResponse::into_response)
}

/// The language a request asks for explicitly with `?lang=`, if any.
fn chosen_lang(req: &Request) -> Option<Lang> {
    req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    })
}

/// The language of a request: `?lang=` → cookie `lang` → Accept-Language → German.
pub(crate) fn request_lang(req: &Request) -> Lang {
    chosen_lang(req)
        .or_else(|| cookie_lang(req.headers()))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(i18n::from_accept_language)
        })
        .unwrap_or_default()
}

/// Picks the language ([`request_lang`]) and remembers an explicit choice in a cookie.
/// (The security headers are added to every response by [`crate::http::app`].)
async fn language(State(secure): State<bool>, mut req: Request, next: Next) -> Response {
    let chosen = chosen_lang(&req);
    let lang = request_lang(&req);
    req.extensions_mut().insert(lang);
    let mut resp = next.run(req).await;
    if let Some(l) = chosen {
        let cookie = format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax{}",
            l.code(),
            if secure { "; Secure" } else { "" }
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The HTML page for an error answer that came without a body (unknown path, wrong
/// method, a malformed path or query, a timeout): see [`crate::http`].
pub(crate) fn error_page(status: StatusCode, lang: Lang, path: &str) -> Response {
    let (title, text) = match status {
        StatusCode::NOT_FOUND => (key!("notfound.title"), key!("notfound.text")),
        StatusCode::METHOD_NOT_ALLOWED => (key!("error.method.title"), key!("error.method.text")),
        StatusCode::REQUEST_TIMEOUT => (key!("error.timeout.title"), key!("error.timeout.text")),
        StatusCode::PAYLOAD_TOO_LARGE => {
            (key!("error.too_large.title"), key!("error.too_large.text"))
        }
        s if s.is_server_error() => (key!("error.internal.title"), key!("error.internal.text")),
        _ => (
            key!("error.bad_request.title"),
            key!("error.bad_request.text"),
        ),
    };
    message(
        status,
        Page::anonymous(lang, String::new(), path),
        title,
        text,
    )
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("lang="))
        .find_map(Lang::parse)
}

/// Largest form body accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The login form's CSRF token from the request's cookie, if any.
pub(crate) fn login_csrf_cookie(headers: &HeaderMap) -> Option<String> {
    let prefix = format!("{}=", auth::LOGIN_CSRF_COOKIE);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(prefix.as_str()).map(str::to_owned))
}

/// The login form's CSRF token for a page with a form under `/login`: the visitor's
/// cookie while it is young (several tabs share one token), else a fresh one.
pub(crate) fn login_form_token(state: &WebState, headers: &HeaderMap) -> String {
    let now = OffsetDateTime::now_utc();
    login_csrf_cookie(headers)
        .filter(|t| state.login_csrf.reusable(t, now))
        .unwrap_or_else(|| state.login_csrf.issue(now))
}

/// The `Set-Cookie` value carrying the login form's CSRF token (HttpOnly, only sent to
/// `/login`, gone when the token expires).
pub(crate) fn login_csrf_set_cookie(token: &str, secure: bool) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{}={token}; Path=/login; Max-Age={}; HttpOnly; SameSite=Lax{}",
        auth::LOGIN_CSRF_COOKIE,
        auth::LOGIN_CSRF_TTL.whole_seconds(),
        if secure { "; Secure" } else { "" }
    ))
    .ok()
}

/// Where employee files are uploaded (multipart, up to the upload limit).
pub(crate) const UPLOAD_PATH: &str = "/integration/import";

/// What [`csrf_guard`] needs: the login token's signer and how large an upload may be.
#[derive(Debug, Clone)]
struct GuardState {
    login_csrf: Arc<LoginCsrf>,
    /// The largest upload body (the file and its form's fields).
    max_upload: usize,
    /// How long an upload's client may send nothing before it is answered 408.
    upload_idle: std::time::Duration,
}

/// Rejects every POST whose form field `csrf` is neither the session's token nor, at
/// `/login`, the signed login token its cookie carries (403). Writes no session. Forms
/// are URL-encoded and small, except the employee-file upload at [`UPLOAD_PATH`]
/// (`multipart/form-data`, up to the upload limit), whose `csrf` part is checked the same
/// way before the handler reads the file. An upload's body is read only for a logged-in
/// admin (anyone else is refused before a byte of it is read, and the connection closes),
/// and only while its client keeps sending (`upload_idle`, else 408).
async fn csrf_guard(State(guard): State<GuardState>, req: Request, next: Next) -> Response {
    let login_csrf = guard.login_csrf;
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
    let path = req.uri().path().to_owned();
    let session = req.extensions().get::<Session>().cloned();
    let cookie = login_csrf_cookie(req.headers());
    let (parts, body) = req.into_parts();
    let upload = path == UPLOAD_PATH && is_multipart(&parts.headers);
    let refused = || {
        tracing::warn!(path = %path, "POST refused: missing or wrong CSRF token");
        message(
            StatusCode::FORBIDDEN,
            Page::anonymous(lang, String::new(), &path),
            key!("csrf.title"),
            key!("csrf.text"),
        )
    };
    if upload && !logged_in(session.as_ref()).await {
        // Up to the upload limit held in memory for anyone who connects: not before a
        // login. Answering without reading the body makes hyper close the connection.
        return refused();
    }
    let limit = if upload {
        guard.max_upload
    } else {
        MAX_FORM_BYTES
    };
    let body = Body::new(tower_http::timeout::TimeoutBody::new(
        guard.upload_idle,
        body,
    ));
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(e) if crate::http::stalled(&e) => return StatusCode::REQUEST_TIMEOUT.into_response(),
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let given = if upload {
        multipart_csrf(&parts.headers, bytes.clone()).await
    } else {
        url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let expected = match &session {
        Some(s) => s.get::<String>(CSRF_KEY).await.ok().flatten(),
        None => None,
    }
    .unwrap_or_default();
    let by_session = auth::csrf_matches(&expected, &given);
    // The login form and the password-reset forms under `/login/` (the cookie's path).
    let by_login_cookie = (path == "/login" || path.starts_with("/login/"))
        && cookie.is_some_and(|c| login_csrf.matches(&c, &given, OffsetDateTime::now_utc()));
    if !(by_session || by_login_cookie) {
        return refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// True when `session` belongs to a logged-in admin.
async fn logged_in(session: Option<&Session>) -> bool {
    match session {
        Some(s) => matches!(s.get::<i64>(ADMIN_KEY).await, Ok(Some(_))),
        None => false,
    }
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"))
}

/// The `csrf` part of a multipart body (empty when there is none or the body is broken:
/// the guard then refuses it).
async fn multipart_csrf(headers: &HeaderMap, bytes: axum::body::Bytes) -> String {
    let Some(boundary) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
    else {
        return String::new();
    };
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(body, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("csrf") {
            return field.text().await.unwrap_or_default();
        }
    }
    String::new()
}

#[cfg(test)]
mod error_tests {
    use super::chain;

    #[derive(Debug, thiserror::Error)]
    #[error("reading the page failed")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("store failed: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn a_chain_names_every_cause_once() {
        let e = Outer(std::io::Error::other("disk full"));
        assert_eq!(chain(&e), "reading the page failed: disk full");
        let e = Repeats(std::io::Error::other("disk full"));
        assert_eq!(chain(&e), "store failed: disk full");
    }
}

#[cfg(test)]
mod path_tests {
    use super::site_path;

    #[test]
    fn site_paths_never_name_another_host() {
        assert_eq!(site_path("/employees"), "/employees");
        assert_eq!(site_path("//evil.example/x"), "/evil.example/x");
        assert_eq!(site_path("/\\evil.example/x"), "/evil.example/x");
        assert_eq!(site_path("\\/\\//evil.example"), "/evil.example");
        assert_eq!(site_path(""), "/");
    }
}
