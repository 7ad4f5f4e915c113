//! The storage conformance suite (SQLite and PostgreSQL): every integration test of this crate, in one test binary (one link
//! instead of one per file; a 2-core machine links slowly). Each module is one former
//! `tests/*.rs` file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[macro_use]
mod conformance;
mod feed;
mod import_keys;
mod scim;
