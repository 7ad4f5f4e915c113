//! What reading Personio bodies needs in both API versions: the JSON value tree
//! ([`value`]), body errors ([`body`]) and value helpers (text, dates, interning:
//! [`text`]). `v1` and `v2` depend on this module, never on each other's parsers.
//!
//! This module must never do I/O, know a version's field names or envelopes, or panic on
//! input.

pub mod body;
pub mod text;
pub mod value;

pub use body::BodyError;
pub(crate) use body::parse_json;
pub(crate) use text::date_value;
pub use text::{Interner, to_text};
pub use value::Val;
