//! The planner: examples and properties: every integration test of this crate, in one test binary (one link
//! instead of one per file; a 2-core machine links slowly). Each module is one former
//! `tests/*.rs` file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod planner_examples;
mod planner_props;
