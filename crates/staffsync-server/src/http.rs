//! The seams: [`app`] builds the whole router (web app, REST API, webhook receiver,
//! operations endpoints) from state (tests call it directly or serve
//! it on port 0), [`serve`] runs the router and the scheduler until `shutdown` resolves.

use crate::state::AppState;
use crate::{api, ops, scheduler, web, webhooks};
use axum::Router;
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// The whole HTTP surface: web app, REST API, Personio webhooks, operations endpoints.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(web::routes(state.clone()))
        .nest("/api/v1", api::routes(state.clone()))
        .merge(webhooks::routes(state.clone()))
        .merge(ops::routes(state))
        .layer(TraceLayer::new_for_http())
}

/// Serves `app(state)` on `listener` and runs the scheduler (when configured) until
/// `shutdown` resolves; then stops taking work, lets running syncs finish, and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = if state.config.run_scheduler {
        Some(tokio::spawn(scheduler::run(state.clone(), stop_rx.clone())))
    } else {
        None
    };
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
    served
}
