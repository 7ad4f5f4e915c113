//! The wire shapes of Personio v1 responses: the page and single-object envelopes and the
//! v1 error body, with every employee record kept as an untyped [`Val`].
//!
//! Every employee record is accepted as *any* JSON value at this level, so one odd record
//! can never make a whole page unreadable: only a body that is not JSON at all (or lacks
//! the page envelope) fails here. Interpreting values is [`super::parse`]'s job.
//!
//! This module must never log or retain a body, and never panic on input.

/// Re-exported here, where it lived before both versions shared it.
pub use crate::shared::Val;

/// `metadata` of a list page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct Metadata {
    pub total_elements: u64,
    #[serde(default)]
    pub current_page: Option<u64>,
    #[serde(default)]
    pub total_pages: Option<u64>,
}

/// One page of `GET /v1/company/employees`. Employees stay untyped [`Val`]s here.
#[derive(Debug, serde::Deserialize)]
pub struct EmployeePage<'a> {
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(borrow, default)]
    pub data: Option<Vec<Val<'a>>>,
}

/// `GET /v1/company/employees/{id}` and other single-object envelopes.
#[derive(Debug, serde::Deserialize)]
pub struct Envelope<'a> {
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(borrow, default)]
    pub data: Option<Val<'a>>,
}

/// Personio's error body `{"success":false,"error":{"code":…,"message":"…"}}`.
#[derive(Debug, serde::Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Deserialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    #[serde(default)]
    pub message: Option<String>,
}
