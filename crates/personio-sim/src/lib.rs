//! `personio-sim`: a faithful fake of Personio's v1 API (auth, employees, attributes,
//! whitelisting, rate limits) and v2 API (token, persons, employments, lookups, webhooks
//! with background delivery) with a `/_sim/` control surface for mutations, the clock and
//! fault injection. One simulator can serve many credentials ("tenants") on one company.
//! The contracts are `docs/simulator.md` and `docs/realtime-contract.md`.
//!
//! The simulator has its own model and renders Personio JSON itself, so it is an
//! independent check on the client: it must never depend on `personio` or
//! `staffsync-core`. This file only wires modules together and starts servers.

mod api;
mod attributes;
mod auth;
mod company;
mod config;
mod control;
mod dates;
mod edit;
mod faults;
mod limits;
mod names;
mod render;
mod rng;
mod state;
mod stats;
mod tenant;
mod v2;
mod v2_render;
mod webhooks;

pub use config::{OversizeLimit, Quirks, SimConfig, UpdatedSinceZone};
pub use faults::Fault;
pub use state::SimState;
pub use stats::{RequestCounts, Stats};
pub use webhooks::{Delivery, DeliveryOutcome, WebhookMode};

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use v2::Lookup;

/// What can go wrong starting or driving a simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("simulator I/O: {0}")]
    Io(std::io::Error),
    #[error("invalid simulator configuration: {0}")]
    InvalidConfig(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

// The cause is in the message, so not also a `source()` (a printed chain would repeat it).
impl From<std::io::Error> for SimError {
    fn from(e: std::io::Error) -> Self {
        SimError::Io(e)
    }
}

pub type Result<T, E = SimError> = std::result::Result<T, E>;

/// The axum app for a state: Personio's v1 and v2 endpoints (behind counting, latency and
/// rate limits) plus `/_sim/`. Serve it with connect info (`into_make_service_with_connect_info::
/// <SocketAddr>()`) for per-IP limits; without it every client counts as 127.0.0.1.
pub fn router(state: SimState) -> Router {
    let v1 = Router::new()
        .route("/v1/auth", post(auth::post_auth))
        .route("/v1/company/employees", get(api::list_employees))
        .route(
            "/v1/company/employees/attributes",
            get(api::list_attributes),
        )
        .route("/v1/company/employees/{id}", get(api::get_employee))
        .route("/v2/auth/token", post(v2::post_token))
        .route("/v2/persons", get(v2::list_persons))
        .route("/v2/persons/{id}/employments", get(v2::person_employments))
        .route(
            "/v2/webhooks",
            get(v2::list_webhooks).post(v2::create_webhook),
        )
        .route(
            "/v2/webhooks/{id}",
            get(v2::get_webhook)
                .patch(v2::patch_webhook)
                .delete(v2::delete_webhook),
        );
    let v1 = [
        Lookup::OrgUnits,
        Lookup::Offices,
        Lookup::Subcompanies,
        Lookup::CostCenters,
    ]
    .into_iter()
    .fold(v1, |r, lookup| {
        let path = lookup.path();
        r.route(
            path,
            get(
                move |State(s): State<SimState>, RawQuery(q): RawQuery, h: HeaderMap| {
                    v2::lookup_list(s, lookup, q, h)
                },
            ),
        )
        .route(
            &format!("{path}/{{id}}"),
            get(
                move |State(s): State<SimState>, Path(id): Path<String>, h: HeaderMap| {
                    v2::lookup_one(s, lookup, id, h)
                },
            ),
        )
    })
    .route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        api::gate,
    ));
    v1.merge(control::routes())
        .fallback(|| async {
            api::reply(
                axum::http::StatusCode::NOT_FOUND,
                render::error_body(404, "Not found"),
            )
        })
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` completes.
pub async fn serve_state(
    listener: TcpListener,
    state: SimState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

/// Generates the company for `config` and serves it on `listener` until `shutdown`
/// completes (the seam the `staffsync personio-sim` subcommand uses).
pub async fn serve(
    listener: TcpListener,
    config: SimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let state = SimState::new(config)?;
    serve_state(listener, state, shutdown).await
}

/// Starts a simulator on `127.0.0.1:0` in the background.
pub async fn spawn(config: SimConfig) -> Result<SimHandle> {
    let state = SimState::new(config)?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let served = state.clone();
    let task = tokio::spawn(async move {
        let shutdown = async {
            // A dropped sender also means "stop".
            let _ = rx.await;
        };
        if let Err(e) = serve_state(listener, served, shutdown).await {
            tracing::warn!(error = %e, "personio-sim stopped with an error");
        }
    });
    Ok(SimHandle {
        addr,
        state,
        stop: Some(tx),
        task: Some(task),
    })
}

/// A running simulator. Stops on [`SimHandle::shutdown`] or when dropped.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    state: SimState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state, for programmatic control.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Same counters as `GET /_sim/stats`.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    pub fn reset_stats(&self) {
        self.state.reset_stats();
    }

    /// Same as `POST /_sim/faults`.
    pub fn add_fault(&self, fault: Fault) -> Result<()> {
        self.state.add_fault(fault)
    }

    /// Same as `DELETE /_sim/faults`.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// Same as `PUT /_sim/credential`.
    pub fn set_readable(&self, readable: Option<Vec<String>>) -> Result<()> {
        self.state.set_readable(readable)
    }

    /// The token `POST /v1/auth` currently hands out.
    pub fn current_token(&self) -> String {
        self.state.current_token()
    }

    /// The company's today.
    pub fn today(&self) -> time::Date {
        self.state.today()
    }

    /// Same as `POST /_sim/clock`: moves today, firing `employment.started` /
    /// `employment.terminated` (and the status changes) for dates reached.
    pub fn set_today(&self, today: time::Date) {
        self.state.set_today(today);
    }

    /// Same as `GET /_sim/webhooks/deliveries`: every delivery attempt, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state.deliveries()
    }

    /// Same as `PUT /_sim/webhooks/mode`.
    pub fn set_webhook_mode(&self, mode: WebhookMode) {
        self.state.set_webhook_mode(mode);
    }

    /// Stops serving and waits (up to 5 s, then aborts) for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}
