//! The scheduler: claims due accounts and runs their syncs. (Being written.)

use crate::state::AppState;
use tokio::sync::watch;

/// Runs until `stop` turns true; then waits for running syncs and returns.
pub async fn run(_state: AppState, mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
