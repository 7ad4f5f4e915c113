//! The `personio` client against the real simulator: every integration test of this crate, in one test binary (one link
//! instead of one per file; a 2-core machine links slowly). Each module is one former
//! `tests/*.rs` file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;
mod ip_budget;
mod roundtrip;
mod sim_faults;
mod throughput;
mod v2;
