//! Personio API v1: employees paged by offset with attribute objects, the per-credential
//! attribute listing, one employee by id, and the v1 token exchange.
//!
//! [`model`] holds v1's envelopes, [`parse`] reads v1 bodies into
//! [`staffsync_core::SourceEmployee`]s (no I/O), `paging` proves a paged listing
//! complete, and `fetch` drives the requests through `Client::send`. What v2 also
//! needs lives in [`crate::shared`]: this module must never be imported by [`crate::v2`],
//! never return a partial listing as complete, and never log or return a secret or token.

pub(crate) mod fetch;
pub mod model;
pub(crate) mod paging;
pub mod parse;
