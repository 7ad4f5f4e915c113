//! The engine: everything that moves data from Personio (or an employee file) into the
//! store, and out again to the accounts' webhook endpoints. No HTTP is in it: the routes
//! that feed it (Personio's webhooks, uploads) live on the [`http`](crate::http) side,
//! which depends on the engine, never the other way round.
//!
//! - [`sync_job`]: one run (read the source → plan → apply / hold / preview), also used by
//!   the CLI: a Personio sync or an employee-file import;
//! - [`sources`]: where a full run's people come from (Personio, an employee file), one
//!   module per source;
//! - [`lease`]: taking an account's lease outside the scheduler (no run without it);
//! - [`scheduler`]: the 12-hour cycle, retries, leases across processes;
//! - [`realtime`] (date check, incremental polls) and [`personio_events`] (incoming
//!   Personio webhooks: de-duplication and the debounced queue): targeted runs between
//!   full syncs;
//! - [`outgoing_webhooks`]: the change feed POSTed to the accounts' endpoints, signed,
//!   retried, and the feed's retention; its [`targets`](outgoing_webhooks::targets):
//!   which URLs those may go to;
//! - [`dry_run`]: a bounded dry run for someone waiting on it (previews);
//! - [`imports`]: an employee file imported under the account's lease (web upload, REST,
//!   inbox); [`inbox`]: the file accounts' drop folders, read on each scheduler tick;
//! - [`settings`]: checking, saving and previewing an account's settings document;
//! - [`connect`]: checking and storing a Personio credential; [`outbound`]: which
//!   Personio URLs the web app may send requests to; [`clock`]: "today" per time zone;
//! - [`alerts`]: incidents (held run, rejected credential, …) opened and resolved from
//!   run outcomes, and the e-mails about them (sent in the background);
//! - [`metric_names`]: the Prometheus series the engine records (served by the HTTP
//!   side); [`lang`]: the languages it speaks to people in.
//!
//! The engine must never decide what changes in a directory (the planner does), never
//! render a page or an API answer, and never import from [`http`](crate::http).

pub mod alerts;
pub mod clock;
pub mod connect;
pub mod dry_run;
pub mod imports;
pub mod inbox;
pub mod lang;
pub mod lease;
pub mod metric_names;
pub mod outbound;
pub mod outgoing_webhooks;
pub mod personio_events;
pub mod realtime;
pub mod scheduler;
pub mod settings;
pub mod sources;
pub mod sync_job;
