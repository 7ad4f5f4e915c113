//! staffsync-engine: everything that moves data from a source (Personio, an employee
//! file, an identity provider's SCIM pushes) into the store, and out again to the accounts' webhook endpoints and admins'
//! mailboxes. No HTTP is in it: the routes that feed it (Personio's webhooks, uploads)
//! and every page and API answer live in `staffsync-server`, which depends on this
//! crate, never the other way round (a test checks that neither axum nor askama is
//! among its dependencies).
//!
//! - [`run`]: the one run pipeline (read the source for a scope → plan → apply / hold /
//!   preview, recorded and counted), used by every caller: full syncs, imports, targeted
//!   runs, the date check, the CLI;
//! - [`sources`]: where a run's people come from (Personio, an employee file, SCIM), one module
//!   per source, and the registry of what each source can do;
//! - [`lease`]: taking an account's lease outside the scheduler (no run without it);
//! - [`scheduler`]: the 12-hour cycle, retries, leases across processes;
//! - [`realtime`] (date check, incremental polls) and [`personio_events`] (incoming
//!   Personio webhooks: de-duplication and the debounced queue): targeted runs between
//!   full syncs;
//! - [`outgoing_webhooks`]: the change feed POSTed to the accounts' endpoints, signed,
//!   retried, and the feed's retention; its [`targets`](outgoing_webhooks::targets):
//!   which URLs those may go to; [`feed`]: the change feed's cursors and JSON, the same
//!   for the API and the outgoing webhooks;
//! - [`dry_run`]: a bounded dry run for someone waiting on it (previews);
//! - [`imports`]: an employee file imported under the account's lease (web upload, REST,
//!   inbox); [`inbox`]: the file accounts' drop folders, read on each scheduler tick;
//! - [`settings`]: checking, saving and previewing an account's settings document;
//! - [`connect`]: checking and storing a Personio credential; [`outbound`]: which
//!   Personio URLs the web app may send requests to; [`clock`]: "today" per time zone;
//! - [`alerts`]: incidents (held run, rejected credential, …) opened and resolved from
//!   run outcomes, and the e-mails about them (sent in the background); [`mail`]: SMTP
//!   and the letters' words (rendered as text and HTML by the server, which hands its
//!   renderer to [`AppState::with_letters`]);
//! - [`metric_names`]: the Prometheus series the engine records (served by the HTTP
//!   side); [`lang`]: the languages it speaks to people in;
//! - [`config`] and [`state`]: the service's configuration and the state every task and
//!   request shares (the store, cached clients, the in-memory queues).
//!
//! The engine must never decide what changes in a directory (the planner in
//! `staffsync-core` does), never render a page or an API answer, and never depend on the
//! HTTP side.

pub mod alerts;
pub mod clock;
pub mod config;
pub mod connect;
pub mod dry_run;
pub mod feed;
pub mod imports;
pub mod inbox;
pub mod lang;
pub mod lease;
pub mod mail;
pub mod metric_names;
pub mod outbound;
pub mod outgoing_webhooks;
pub mod password_reset;
pub mod person_refs;
pub mod personio_events;
pub mod progress;
pub mod realtime;
pub mod run;
pub mod scheduler;
pub mod settings;
pub mod sources;
pub mod state;

pub use config::ServerConfig;
pub use person_refs::PersonRefs;
pub use run::{
    ImportDetails, Scope, SyncError, SyncOptions, SyncReport, SyncResult, TargetSource, run,
};
pub use sources::{Given, Source};
pub use state::AppState;

#[cfg(test)]
mod tests {
    /// The engine stands without HTTP: none of its (normal or build) dependencies, direct
    /// or transitive, is a web framework, a template engine or the HTTP crate itself.
    #[test]
    fn the_engine_depends_on_no_http_or_template_crate() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let out = std::process::Command::new(cargo)
            .args([
                "tree",
                "--offline",
                "-e",
                "normal,build",
                "--prefix",
                "none",
            ])
            .args(["--format", "{p}", "-p", "staffsync-engine"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout);
        let names: std::collections::BTreeSet<&str> = tree
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert!(names.contains("staffsync-store"), "{names:?}");
        for forbidden in [
            "axum",
            "axum-core",
            "askama",
            "askama_web",
            // (tower-http is allowed: reqwest's client uses it.)
            "tower-sessions",
            "utoipa",
            "staffsync-server",
        ] {
            assert!(
                !names.contains(forbidden),
                "staffsync-engine depends on {forbidden}"
            );
        }
    }
}
