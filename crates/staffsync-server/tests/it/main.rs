//! The service in process: API, web app, scheduler, real-time sync: every integration test of this crate, in one test binary (one link
//! instead of one per file; a 2-core machine links slowly). Each module is one former
//! `tests/*.rs` file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod audit;
mod common;
mod feed;
mod file_dates;
mod inbox;
mod live;
mod names;
mod realtime;
mod reset;
mod scheduler;
mod scim;
mod web;
