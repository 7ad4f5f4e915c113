//! The seams: [`app`] builds the whole router (web app, REST API, webhook receiver,
//! operations endpoints) from state (tests call it directly or serve
//! it on port 0), [`serve`] runs the router, the scheduler and the session sweep until
//! `shutdown` resolves.
//!
//! Every response passes the same outer layers (outermost first):
//!
//! 1. the security headers ([`SECURITY_HEADERS`], unless a handler set its own);
//! 2. [`error_bodies`]: an error answer without a body of its own (axum's 404 and 405,
//!    an extractor's plain-text rejection, a timeout) gets the body its caller reads:
//!    the API's JSON error under `/api/`, a SCIM error under `/scim/`, an HTML page
//!    elsewhere (the webhook receiver
//!    and the probes keep their short plain-text answers);
//! 3. a request timeout ([`REQUEST_TIMEOUT`], 408) for everything but the web app's
//!    preview, a dry-run sync that may take as long as the listing does, and the API's
//!    import ([`api::imports::IMPORT_TIMEOUT`]);
//! 4. tracing, and the client's address ([`crate::http::client_ip`]).
//!
//! No layer here may turn an error into a success or reveal what a handler logged.
//!
//! The HTTP side, below this module: [`web`] (admin web app), [`api`] (REST API), [`scim`]
//! (the SCIM 2.0 endpoint identity providers provision SCIM accounts through), [`ops`]
//! (health, metrics), [`auth`] (passwords, sessions, CSRF, login limits) and
//! [`client_ip`] (who the client is behind trusted proxies). It shows and asks; it never
//! changes a directory except by asking the engine (`staffsync_engine`).

pub mod api;
pub mod auth;
pub mod client_ip;
pub mod ops;
pub mod personio_webhooks;
pub mod scim;
pub mod web;

use api::error::ApiError;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use staffsync_engine::scheduler;
use staffsync_engine::state::AppState;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Requests taking longer are answered 408 (the handler is dropped).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers on every response: no framing, no sniffing, no caching of account data, and a
/// content security policy that allows only the pages' inline styles and the app's own
/// script files (`/assets/status.js`, which asks only this origin: `connect-src 'self'`);
/// no inline script.
pub const SECURITY_HEADERS: [(HeaderName, &str); 5] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; connect-src 'self'; \
         style-src 'unsafe-inline'; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::CACHE_CONTROL, "no-store"),
];

/// The request timeout layer (408 on expiry; [`error_bodies`] adds the body).
pub(crate) fn timeout() -> TimeoutLayer {
    TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT)
}

/// True when `error` (or one of its causes) is a request body's client that stopped
/// sending ([`tower_http::timeout::TimeoutBody`]): the answer is 408, not 400 or 413.
pub(crate) fn stalled(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The whole HTTP surface: web app, REST API, Personio webhooks, operations endpoints.
pub fn app(state: AppState) -> Router {
    let trusted = Arc::new(state.config.trusted_proxies.clone());
    let mut router = Router::new()
        .merge(web::routes(state.clone()))
        // The API sets its own request timeouts (an import may take longer).
        .nest("/api/v1", api::routes(state.clone()))
        .merge(personio_webhooks::routes(state.clone()).layer(timeout()))
        .merge(scim::routes(state.clone()).layer(timeout()))
        .merge(ops::routes(state).layer(timeout()))
        .layer(middleware::from_fn_with_state(trusted, client_ip::layer))
        // Spans name the path, never the query: a password-reset link carries its token
        // there (`/login/reset?token=…`).
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .layer(middleware::from_fn(error_bodies));
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
}

/// Gives an error answer that has no body of its own (no content type, or axum's plain
/// text) the body its caller reads: JSON under `/api/`, an HTML page elsewhere except
/// the webhook receiver. Headers such as `Allow` stay.
async fn error_bodies(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let lang = web::request_lang(&req);
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let bodiless = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|ct| ct.as_bytes().starts_with(b"text/plain"));
    if !bodiless || keeps_plain_text(&path) {
        return response;
    }
    let mut replaced = if path == api::PREFIX || path.starts_with("/api/") {
        ApiError::for_status(status).into_response()
    } else if path == scim::PREFIX || path.starts_with("/scim/") {
        scim::ScimError::for_status(status).into_response()
    } else {
        web::error_page(status, lang, &path)
    };
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replaced.headers_mut().append(name.clone(), value.clone());
        }
    }
    replaced
}

/// Machine endpoints whose short plain-text answers are their contract: the webhook
/// receiver (read by Personio) and the probes (`/readyz` says why it is not ready).
fn keeps_plain_text(path: &str) -> bool {
    path.starts_with("/webhooks/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Serves `app(state)` on `listener`, runs the scheduler (when configured) and the sweep
/// of expired sessions until `shutdown` resolves; then stops taking work, lets running
/// syncs finish, and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    staffsync_engine::alerts::log_mail_setup(&state);
    let scheduler = if state.config.run_scheduler {
        Some(tokio::spawn(scheduler::run(state.clone(), stop_rx.clone())))
    } else {
        None
    };
    // Every instance delivers outgoing webhooks (deliveries are leased in the store).
    let deliveries = tokio::spawn(staffsync_engine::outgoing_webhooks::run(
        state.clone(),
        stop_rx.clone(),
    ));
    // Every instance sweeps (a web-only one too); deleting expired rows twice is harmless.
    let sweep = tokio::spawn(auth::sweep_expired_sessions(
        state.store.clone(),
        state.config.session_sweep_interval,
        stop_rx.clone(),
    ));
    let mut http_stop = stop_rx;
    let server = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = http_stop.wait_for(|stop| *stop).await;
    });
    let signal = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    let (served, ()) = tokio::join!(server, signal);
    if let Some(handle) = scheduler {
        // The scheduler returns once its running syncs have finished.
        let _ = handle.await;
    }
    let _ = sweep.await;
    let _ = deliveries.await;
    served
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    async fn stuck() -> StatusCode {
        std::future::pending::<()>().await;
        StatusCode::OK
    }

    #[tokio::test]
    async fn timeouts_and_bodiless_errors_get_json_under_the_api_and_html_elsewhere() {
        let stop = || {
            TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_millis(50))
        };
        let router = Router::new()
            .route("/api/v1/stuck", get(stuck).layer(stop()))
            .route("/stuck", get(stuck).layer(stop()))
            .route(
                "/readyz",
                get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "database unavailable") }),
            )
            .layer(middleware::from_fn(error_bodies));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let http = reqwest::Client::new();

        let r = http
            .get(format!("{base}/api/v1/stuck"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "timeout", "{v}");

        let r = http.get(format!("{base}/stuck")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
        let ct = r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(ct.starts_with("text/html"), "{ct}");
        assert!(r.text().await.unwrap().contains("Zeitüberschreitung"));

        let r = http.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            r.text().await.unwrap(),
            "database unavailable",
            "probes keep their text"
        );
    }
}
