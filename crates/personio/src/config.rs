//! Configuration of the Personio client: where to connect, who we are, how fast and how
//! persistently to ask.
//!
//! The client secret is a [`SecretString`]: `Debug` prints it redacted, and nothing in this
//! crate ever formats it. Defaults follow Personio's documented limits with a safety margin.

use crate::error::Error;
use secrecy::SecretString;
use std::time::Duration;
use url::Url;

/// Personio's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.personio.de";

/// Which Personio API generation the client speaks (defined in `staffsync-core`, so the
/// store hands back the same type).
pub use staffsync_core::ApiVersion;

impl From<staffsync_core::UnknownApiVersion> for Error {
    fn from(e: staffsync_core::UnknownApiVersion) -> Self {
        Error::Config(e.to_string())
    }
}

/// How fast list requests may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    /// No client-side limit (benchmarks; Personio will answer 429 and we back off).
    Unlimited,
    /// At most `per_minute` requests a minute, sustained, with bursts of `burst`.
    Limited { per_minute: u32, burst: u32 },
}

impl RateLimit {
    /// Just under Personio's GET-employees limit (300/min, bursts 15/s): 295/min with
    /// bursts of 12. The three spare burst cells absorb ~600 ms of network and scheduling
    /// jitter (requests bunching at the server), and the slower sustained rate adds more
    /// slack per request, so a well-behaved run never sees a 429; the cost is ~5% over the
    /// theoretical minimum time.
    pub const PERSONIO_DEFAULT: RateLimit = RateLimit::Limited {
        per_minute: 295,
        burst: 12,
    };
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::PERSONIO_DEFAULT
    }
}

/// Everything [`crate::Client::new`] needs. The client never follows a redirect: an
/// answer 3xx is [`Error::Redirected`] (following one could carry the credential or the
/// token to another host).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Default `https://api.personio.de`; a path prefix is kept.
    pub base_url: Url,
    /// Sent as `X-Personio-Partner-ID` on every request.
    pub partner_id: Option<String>,
    /// Sent as `X-Personio-App-ID` on every request.
    pub app_id: Option<String>,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Which API to use (default [`ApiVersion::V1`]).
    pub api_version: ApiVersion,
    /// Employees per page, 1..=100 (default 100). API v2 pages hold at most 50 persons, so
    /// v2 uses `min(page_size, 50)`.
    pub page_size: u32,
    /// Requests in flight at once (default 4): v1 list pages, v2 employments and name
    /// look-ups, targeted fetches. All of them pass the one rate limiter.
    pub concurrency: usize,
    pub rate: RateLimit,
    /// The per-IP budget this client shares with the process's other clients; every request
    /// (authentication included) waits for it. `None`: no shared budget.
    pub ip_budget: Option<crate::IpBudget>,
    /// Retries of one request after 429, 5xx, timeouts or connection errors (default 6).
    pub max_retries: u32,
    /// Of those, at most this many after a timeout or connection error (default 6, all of
    /// them). A credential check uses 0: an unreachable URL should say so at once, not
    /// after a minute of backoff.
    pub transport_retries: u32,
    /// Retries of one request whose body was not valid JSON (default 2).
    pub malformed_retries: u32,
    /// Whole-request timeout, body included (default 30 s).
    pub request_timeout: Duration,
    /// Longest wait for a TCP (and TLS) connection (default 5 s, at most
    /// `request_timeout`): Personio answers within milliseconds, a host that does not is
    /// unreachable.
    pub connect_timeout: Duration,
    /// First backoff delay; doubles per retry, with jitter (default 1 s: Personio asks for
    /// at least 1 s after a 429).
    pub backoff_base: Duration,
    /// Longest backoff delay (default 30 s).
    pub backoff_cap: Duration,
}

impl ClientConfig {
    /// A configuration with the defaults and these credentials.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        ClientConfig {
            #[allow(clippy::expect_used)]
            base_url: Url::parse(DEFAULT_BASE_URL).expect("the default base URL is valid"),
            partner_id: None,
            app_id: None,
            client_id: client_id.into(),
            client_secret,
            api_version: ApiVersion::V1,
            page_size: 100,
            concurrency: 4,
            rate: RateLimit::default(),
            ip_budget: None,
            max_retries: 6,
            transport_retries: 6,
            malformed_retries: 2,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
        }
    }

    /// Same configuration with another base URL (e.g. a simulator).
    pub fn with_base_url(mut self, base_url: Url) -> Self {
        self.base_url = base_url;
        self
    }

    /// Same configuration speaking another API version.
    pub fn with_api_version(mut self, api_version: ApiVersion) -> Self {
        self.api_version = api_version;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let bad = |m: &str| Err(Error::Config(m.to_owned()));
        if !matches!(self.base_url.scheme(), "http" | "https") {
            return bad("base_url must be an http(s) URL");
        }
        if self.client_id.trim().is_empty() {
            return bad("client_id is empty");
        }
        if !(1..=100).contains(&self.page_size) {
            return bad("page_size must be between 1 and 100");
        }
        if self.concurrency == 0 {
            return bad("concurrency must be at least 1");
        }
        if let RateLimit::Limited { per_minute, burst } = self.rate
            && (per_minute == 0 || burst == 0)
        {
            return bad("rate per_minute and burst must be at least 1");
        }
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return bad("request_timeout and connect_timeout must be positive");
        }
        Ok(())
    }
}
