//! Which Personio API generation a connection speaks. Defined here rather than in the
//! `personio` client so the store can hand back a parsed value without depending on the
//! client; `personio::ApiVersion` is this type.
//!
//! This module must never accept a version it does not name.

/// Which Personio API generation the client speaks.
///
/// `V1`: `/v1/auth` and `/v1/company/employees` (names of departments and offices inline).
/// `V2`: OAuth2 `/v2/auth/token`, `/v2/persons` with one `/v2/persons/{id}/employments`
/// request per person and name look-ups (once per id per fetch); needed for webhooks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    #[default]
    V1,
    V2,
}

/// A version name that is neither v1 nor v2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Personio API version {0:?} (expected v1 or v2)")]
pub struct UnknownApiVersion(pub String);

impl ApiVersion {
    /// `"v1"` or `"v2"` (as stored and typed on the command line).
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ApiVersion {
    type Err = UnknownApiVersion;

    /// `v1`/`1` or `v2`/`2`, any case.
    fn from_str(s: &str) -> Result<Self, UnknownApiVersion> {
        match s.trim().to_ascii_lowercase().as_str() {
            "v1" | "1" => Ok(ApiVersion::V1),
            "v2" | "2" => Ok(ApiVersion::V2),
            other => Err(UnknownApiVersion(other.to_owned())),
        }
    }
}
