//! Operations endpoints: `/healthz`, `/readyz`, `/metrics`. (Being written.)

use crate::state::AppState;
use axum::Router;

pub fn routes(_state: AppState) -> Router {
    Router::new()
}
