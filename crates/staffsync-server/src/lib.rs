//! staffsync-server: the staffsync service, in two halves whose folders say which is which:
//!
//! - [`engine`]: sync runs, leases, the scheduler, real-time sync (date check, polls,
//!   webhook intake), connecting a credential;
//! - [`http`]: `app(state) -> Router` and `serve(listener, state, shutdown)`: the admin web
//!   app, the REST API, the operations endpoints, authentication;
//! - shared by both: [`config`] and [`state`] (the store, the configuration, cached
//!   clients, the webhook inbox and the mailer), [`mail`] (alert e-mails: SMTP and their
//!   words), and [`feed`] (the change feed's cursors and JSON, the same for the API and
//!   the outgoing webhooks).
//!
//! Nothing here decides *what* changes in a directory: that is the planner's job in
//! `staffsync-core`. This crate fetches, hands over, stores and shows.

pub mod config;
pub mod engine;
pub mod feed;
pub mod http;
pub mod mail;
pub mod state;

// The paths other crates use (the binary, tests): stable across the engine/http split.
pub use engine::{clock, connect, lease, outbound, realtime, scheduler, sync_job};
pub use http::{api, auth, client_ip, ops, web};

pub use config::ServerConfig;
pub use http::{app, serve};
pub use state::AppState;
pub use sync_job::{
    ImportDetails, SyncError, SyncOptions, SyncReport, SyncResult, TargetSource, run_import,
    run_sync, run_targeted,
};
