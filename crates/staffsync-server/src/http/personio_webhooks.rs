//! The Personio webhook receiver's route: `POST /webhooks/personio/{slug}` (slug = the
//! account). A body over [`MAX_BODY_BYTES`] (64 KB) is 413 before anything is read into
//! memory or parsed; everything else is the engine's intake
//! ([`staffsync_engine::personio_events`]), answered with its status and a short plain-text
//! word (Personio reads only the status). This module never decides anything itself.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use staffsync_engine::personio_events::{self, MAX_BODY_BYTES};
use staffsync_engine::state::AppState;

/// `POST /webhooks/personio/{slug}`, with bodies limited to [`MAX_BODY_BYTES`].
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/webhooks/personio/{slug}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn receive(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let intake = personio_events::receive(&state, &slug, authorization, &body).await;
    let status = StatusCode::from_u16(intake.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, intake.label())
}
