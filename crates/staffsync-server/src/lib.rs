//! staffsync-server: the parts of staffsync that run jobs against Personio and the store.
//!
//! Today this is the sync job ([`sync_job`]) that the command line runs; the HTTP API,
//! the admin web app and the scheduler build on it. Nothing here decides *what* changes:
//! that is the planner's job in `staffsync-core`. This crate fetches, hands over, stores.

pub mod clock;
pub mod sync_job;

pub use sync_job::{SyncError, SyncOptions, SyncReport, SyncResult, run_sync};
