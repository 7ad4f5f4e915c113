//! The engine: everything that moves data from Personio (or an employee file) into the
//! store, with no HTTP in it except the webhook receiver's one route (its intake —
//! de-duplication and the debounced queue — is engine work):
//!
//! - [`sync_job`]: one run (read the source → plan → apply / hold / preview), also used by
//!   the CLI: a Personio sync or an employee-file import;
//! - [`sources`]: where a full run's people come from (Personio, an employee file), one
//!   module per source;
//! - [`lease`]: taking an account's lease outside the scheduler (no run without it);
//! - [`scheduler`]: the 12-hour cycle, retries, leases across processes;
//! - [`realtime`] (date check, incremental polls) and [`webhooks`] (Personio's pushes):
//!   targeted runs between full syncs;
//! - [`deliveries`]: outgoing webhooks (the change feed POSTed to the accounts'
//!   endpoints, signed, retried) and the feed's retention; [`webhook_targets`]: which
//!   URLs those may go to;
//! - [`dry_run`]: a bounded dry run for someone waiting on it (previews);
//! - [`imports`]: an employee file imported under the account's lease (web upload, REST,
//!   inbox); [`inbox`]: the file accounts' drop folders, read on each scheduler tick;
//! - [`settings`]: checking, saving and previewing an account's settings document;
//! - [`connect`]: checking and storing a Personio credential; [`outbound`]: which
//!   Personio URLs the web app may send requests to; [`clock`]: "today" per time zone;
//! - [`alerts`]: incidents (held run, rejected credential, …) opened and resolved from
//!   run outcomes, and the e-mails about them (sent in the background).
//!
//! The engine must never decide what changes in a directory (the planner does) and never
//! render a page or an API answer (the [`http`](crate::http) side does).

pub mod alerts;
pub mod clock;
pub mod connect;
pub mod deliveries;
pub mod dry_run;
pub mod imports;
pub mod inbox;
pub mod lease;
pub mod outbound;
pub mod realtime;
pub mod scheduler;
pub mod settings;
pub mod sources;
pub mod sync_job;
pub mod webhook_targets;
pub mod webhooks;
