//! The admin web app. (Being written.)

use crate::state::AppState;
use axum::Router;

pub fn routes(_state: AppState) -> Router {
    Router::new()
}
