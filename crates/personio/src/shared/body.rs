//! Why a response body could not be read at all ([`BodyError`]), and reading a body into
//! a [`Val`] with that distinction made once for every parser of both versions.
//!
//! This module must never log or retain a body, and never panic on input.

use super::Val;
use std::fmt;

/// Why a response body could not be read as a page at all.
#[derive(Debug)]
pub enum BodyError {
    /// Not JSON (for example cut off mid-body). May be transient: worth a retry.
    Syntax(serde_json::Error),
    /// JSON, but not the expected envelope; `path` names where.
    Shape { path: String, detail: String },
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Syntax(e) => write!(f, "not valid JSON: {e}"),
            BodyError::Shape { path, detail } => write!(f, "{path}: {detail}"),
        }
    }
}

impl BodyError {
    /// The body is JSON but `path` is not what was expected.
    pub(crate) fn shape(path: &str, detail: impl Into<String>) -> Self {
        BodyError::Shape {
            path: path.to_owned(),
            detail: detail.into(),
        }
    }

    /// A serde failure: broken JSON is [`BodyError::Syntax`] (worth a retry), JSON of the
    /// wrong shape is [`BodyError::Shape`] at `$`.
    pub(crate) fn from_serde(e: serde_json::Error) -> Self {
        use serde_json::error::Category;
        match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => BodyError::Syntax(e),
            Category::Data => BodyError::shape("$", e.to_string()),
        }
    }
}

/// `body` as a [`Val`] borrowing from it.
pub(crate) fn parse_json(body: &[u8]) -> Result<Val<'_>, BodyError> {
    serde_json::from_slice(body).map_err(BodyError::from_serde)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_json_is_syntax_and_wrong_json_is_shape() {
        assert!(matches!(parse_json(b"{\"a\":"), Err(BodyError::Syntax(_))));
        let wrong = serde_json::from_slice::<Vec<u8>>(b"{}").map_err(BodyError::from_serde);
        assert!(matches!(wrong, Err(BodyError::Shape { path, .. }) if path == "$"));
    }
}
