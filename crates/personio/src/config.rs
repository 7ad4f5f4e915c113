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

/// Everything [`crate::Client::new`] needs.
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
    /// Employees per page, 1..=100 (default 100).
    pub page_size: u32,
    /// List pages in flight at once (default 4).
    pub concurrency: usize,
    pub rate: RateLimit,
    /// Retries of one request after 429, 5xx, timeouts or connection errors (default 6).
    pub max_retries: u32,
    /// Retries of one request whose body was not valid JSON (default 2).
    pub malformed_retries: u32,
    /// Whole-request timeout, body included (default 30 s).
    pub request_timeout: Duration,
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
            page_size: 100,
            concurrency: 4,
            rate: RateLimit::default(),
            max_retries: 6,
            malformed_retries: 2,
            request_timeout: Duration::from_secs(30),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
        }
    }

    /// Same configuration with another base URL (e.g. a simulator).
    pub fn with_base_url(mut self, base_url: Url) -> Self {
        self.base_url = base_url;
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
        if self.request_timeout.is_zero() {
            return bad("request_timeout must be positive");
        }
        Ok(())
    }
}
