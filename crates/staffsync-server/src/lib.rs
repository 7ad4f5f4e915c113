//! staffsync-server: the staffsync service.
//!
//! - [`sync_job`]: one sync run (fetch → plan → apply / hold / preview), also used by the CLI;
//! - [`connect`]: checking and storing a Personio credential; [`outbound`]: which
//!   Personio URLs the web app may send requests to;
//! - [`http`]: `app(state) -> Router` and `serve(listener, state, shutdown)`, with the
//!   layers every response passes (security headers, error bodies, request timeout);
//! - [`auth`] (passwords, sessions, CSRF, login limits) and [`client_ip`] (who the client
//!   is behind trusted proxies);
//! - [`web`] (admin web app), [`api`] (REST API), [`ops`] (health, metrics);
//! - [`scheduler`]: the 12-hour cycle, retries, leases across processes;
//! - [`lease`]: taking an account's lease outside the scheduler (no run without it);
//! - [`realtime`] (date check, incremental polls) and [`webhooks`] (Personio's pushes):
//!   targeted runs between full syncs.
//!
//! Nothing here decides *what* changes in a directory: that is the planner's job in
//! `staffsync-core`. This crate fetches, hands over, stores and shows.

pub mod api;
pub mod auth;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod connect;
pub mod http;
pub mod lease;
pub mod ops;
pub mod outbound;
pub mod realtime;
pub mod scheduler;
pub mod state;
pub mod sync_job;
pub mod web;
pub mod webhooks;

pub use config::ServerConfig;
pub use http::{app, serve};
pub use state::AppState;
pub use sync_job::{
    SyncError, SyncOptions, SyncReport, SyncResult, TargetSource, run_sync, run_targeted,
};
