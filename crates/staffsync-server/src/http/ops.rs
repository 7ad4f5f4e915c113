//! Operations endpoints and metrics: `GET /healthz` (the process is up), `GET /readyz`
//! (the store answers a trivial query), `GET /metrics` (Prometheus text).
//!
//! The Prometheus recorder is installed once per process ([`metrics_handle`], a
//! `OnceLock`); building several apps (tests) shares it. The metric names are the
//! engine's ([`staffsync_engine::metric_names`]); this module only serves them. These endpoints
//! must never reveal account data or secrets: they carry no labels beyond a run's result,
//! a change's action and an alert's kind, and need no authentication for that reason.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use staffsync_engine::metric_names::{
    ALERTS_TOTAL, CHANGE_FEED_LAG_SECONDS, EMPLOYEES_CHANGED_TOTAL, PERSONIO_RATE_LIMITED_TOTAL,
    PERSONIO_REQUESTS_TOTAL, RECONCILIATION_DRIFT_TOTAL, SYNC_DURATION_SECONDS, SYNCS_TOTAL,
    WEBHOOK_DELIVERIES_TOTAL, WEBHOOK_PENDING_DELIVERIES, WEBHOOKS_TOTAL,
};
use staffsync_engine::state::AppState;
use std::sync::OnceLock;
use std::time::Duration;

const DURATION_BUCKETS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus handle; installs the global recorder on first use. If
/// another recorder is already installed (an embedding program's), metrics go there and
/// `/metrics` shows only what this recorder sees.
pub fn metrics_handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets_for_metric(
            Matcher::Full(SYNC_DURATION_SECONDS.into()),
            DURATION_BUCKETS,
        ) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "histogram buckets rejected; using summaries");
                PrometheusBuilder::new()
            }
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(SYNCS_TOTAL, "Finished sync runs by result");
    metrics::describe_histogram!(
        SYNC_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "Duration of sync runs"
    );
    metrics::describe_counter!(
        EMPLOYEES_CHANGED_TOTAL,
        "Employees created, updated or removed by applied runs"
    );
    metrics::describe_counter!(
        PERSONIO_REQUESTS_TOTAL,
        "HTTP requests sent to Personio for listings"
    );
    metrics::describe_counter!(
        PERSONIO_RATE_LIMITED_TOTAL,
        "429 responses received from Personio"
    );
    // Register the series so they show (as 0) before the first sync.
    for result in ["applied", "held", "dry_run", "failed"] {
        metrics::counter!(SYNCS_TOTAL, "result" => result).increment(0);
    }
    for action in ["create", "update", "remove"] {
        metrics::counter!(EMPLOYEES_CHANGED_TOTAL, "action" => action).increment(0);
    }
    metrics::counter!(PERSONIO_REQUESTS_TOTAL).increment(0);
    metrics::counter!(PERSONIO_RATE_LIMITED_TOTAL).increment(0);
    metrics::describe_counter!(
        RECONCILIATION_DRIFT_TOTAL,
        "Changes full reconciliations made that webhooks and polls had missed"
    );
    metrics::describe_counter!(WEBHOOKS_TOTAL, "Webhook deliveries received by outcome");
    for action in ["create", "update", "remove"] {
        metrics::counter!(RECONCILIATION_DRIFT_TOTAL, "action" => action).increment(0);
    }
    metrics::describe_counter!(
        WEBHOOK_DELIVERIES_TOTAL,
        "Attempts of outgoing webhook deliveries by result"
    );
    for result in ["delivered", "retry", "failed"] {
        metrics::counter!(WEBHOOK_DELIVERIES_TOTAL, "result" => result).increment(0);
    }
    metrics::describe_gauge!(
        WEBHOOK_PENDING_DELIVERIES,
        "Outgoing webhook deliveries not yet accepted"
    );
    metrics::describe_gauge!(
        CHANGE_FEED_LAG_SECONDS,
        metrics::Unit::Seconds,
        "Age of the oldest change not yet delivered to every webhook endpoint"
    );
    metrics::gauge!(WEBHOOK_PENDING_DELIVERIES).set(0.0);
    metrics::gauge!(CHANGE_FEED_LAG_SECONDS).set(0.0);
    metrics::describe_counter!(ALERTS_TOTAL, "Incidents opened (alerts raised) by kind");
    for kind in staffsync_store::IncidentKind::ALL {
        metrics::counter!(ALERTS_TOTAL, "kind" => kind.as_str()).increment(0);
    }
}

/// `/healthz`, `/readyz` and `/metrics`.
pub fn routes(state: AppState) -> Router {
    metrics_handle();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(Duration::from_secs(5), state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timed out"),
    }
}

async fn metrics_text() -> impl IntoResponse {
    let handle = metrics_handle();
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
}
