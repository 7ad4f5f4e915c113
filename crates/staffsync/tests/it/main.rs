//! The `staffsync` binary end to end: every integration test of this crate, in one test binary (one link
//! instead of one per file; a 2-core machine links slowly). Each module is one former
//! `tests/*.rs` file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts;
mod browser;
mod common;
mod demo_e2e;
mod import_e2e;
mod inbox_e2e;
mod kill_e2e;
mod postgres_e2e;
mod privacy_e2e;
mod review_e2e;
mod rules_e2e;
mod scim_conformance;
mod scim_e2e;
mod serve_common;
mod serve_fleet;
mod serve_restart;
mod snapshots_e2e;
mod sync_e2e;
mod token_e2e;
mod upgrade;
