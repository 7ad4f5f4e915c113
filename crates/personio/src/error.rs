//! The errors the Personio client reports, each with a message an admin can act on.
//!
//! Messages must never contain the client secret or a token: they carry Personio's own
//! error message (truncated), HTTP status codes, request paths (which never hold
//! credentials) and field paths only.

/// Everything that can go wrong talking to Personio.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `POST /v1/auth` refused the client id / secret.
    #[error("Personio rejected the API credentials (wrong client id or client secret)")]
    WrongCredentials,

    /// The credential may not read a mandatory attribute.
    #[error(
        "the Personio API credential cannot read the attribute {attribute:?}; tick it under Settings → API credentials → Employees: read"
    )]
    AttributeNotReadable { attribute: String },

    /// Still answered 429 after all retries.
    #[error("Personio kept rate-limiting the requests (gave up after {retries} retries)")]
    RateLimited { retries: u32 },

    /// 5xx, timeouts or connection failures after all retries.
    #[error("Personio is unavailable{}: {detail}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Unavailable { status: Option<u16>, detail: String },

    /// A response body could not be read; `path` names the request or field.
    #[error("Personio sent a malformed response at {path}: {detail}")]
    Malformed { path: String, detail: String },

    /// The listing changed or was inconsistent while it was paged: nothing from it may be
    /// treated as the complete set of employees.
    #[error("the Personio employee listing was incomplete or inconsistent: {detail}")]
    IncompleteListing { detail: String },

    /// A request was refused with 401/403 even after a fresh authentication.
    #[error("Personio refused the access token even after re-authenticating: {detail}")]
    Unauthorized { detail: String },

    /// The server answered with a redirect (3xx), which the client never follows: it
    /// could lead to another host, with the credential or the token.
    #[error(
        "{url} answered HTTP {status} (a redirect), which is not followed: check the Personio URL"
    )]
    Redirected { status: u16, url: String },

    /// Any other error answer (4xx) from Personio.
    #[error("Personio answered HTTP {status} for {path}: {message}")]
    Api {
        status: u16,
        path: String,
        message: String,
    },

    /// The client configuration is invalid.
    #[error("invalid Personio client configuration: {0}")]
    Config(String),
}
