//! The Personio HTTP client: token handling, rate limiting, retries, and dispatch to the
//! configured API version.
//!
//! One [`Client`] authenticates once (v1: `POST /v1/auth`, credentials in the JSON body
//! only; v2: `POST /v2/auth/token`, OAuth2 client credentials in a form body), caches the
//! token (v2: until 60 s before it expires), adopts the token Personio v1 echoes in the
//! `authorization` response header, and re-authenticates at most once per request after a
//! 401 (concurrent requests share one re-authentication). Every request passes a
//! client-side rate limiter set just under Personio's limit, and, when the configuration
//! has one, the per-IP budget it shares with other clients ([`crate::IpBudget`]); 429, 5xx, timeouts and
//! connection errors are retried with bounded, jittered exponential backoff, honouring
//! `Retry-After` (requests that are not idempotent only after 429 or a failed connect).
//! What each version asks and how it reads the answers lives in [`crate::v1`] and
//! [`crate::v2`] (authentication exchanges, listings, look-ups); targeted fetches are
//! dispatched from [`crate::targeted`], webhook management is in [`crate::webhooks`]; all of
//! them send through `Client::send` and `Client::authenticate_with`.
//!
//! Redirects are never followed (a 3xx is [`Error::Redirected`]), so nothing is ever sent
//! to a host other than the configured one; timeouts and connection errors are retried at
//! most [`ClientConfig::transport_retries`] times (a credential check uses 0).
//!
//! This module must never log, format or return the client secret or a token, never send
//! credentials in a URL, and never return a listing it could not prove complete.

use crate::config::{ApiVersion, ClientConfig, RateLimit};
use crate::credential::AttributeInfo;
use crate::error::Error;
use crate::error_body::{parse_error_body, truncate};
use crate::listing::{Listing, Progress};
use crate::shared::BodyError;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use staffsync_core::SourceEmployee;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tracing::{debug, info, warn};

/// Longest `Retry-After` honoured; anything longer is treated as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// A v2 token is used until this long before Personio says it expires.
const TOKEN_EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// The cached access token and a generation number that changes whenever it does.
#[derive(Default)]
struct TokenState {
    token: Option<Arc<SecretString>>,
    /// After this instant the token is not used any more (v2; v1 tokens are used until
    /// refused).
    usable_until: Option<Instant>,
    generation: u64,
}

/// A Personio API client (v1 or v2, per [`ClientConfig::api_version`]). Cheap to share by
/// reference across tasks, and may live as long as the connection: it keeps only the
/// token between calls (v2 names of departments and offices are looked up per fetch call).
pub struct Client {
    config: ClientConfig,
    http: reqwest::Client,
    limiter: Option<DefaultDirectRateLimiter>,
    token: Mutex<TokenState>,
    auth_lock: tokio::sync::Mutex<()>,
    auth_calls: AtomicUsize,
    /// 429 responses received (auth and data requests), over the client's lifetime.
    rate_limited: AtomicUsize,
    /// v2 names looked up recently, for targeted fetches.
    pub(crate) known_names: crate::v2::known_names::KnownNames,
}

/// One HTTP request for [`Client::send`].
#[derive(Debug)]
pub(crate) struct Call {
    pub method: Method,
    pub url: String,
    /// What logs and errors call the request (a path; never holds a credential).
    pub label: String,
    pub json: Option<serde_json::Value>,
}

impl Call {
    pub(crate) fn get(url: impl Into<String>, label: impl Into<String>) -> Self {
        Call {
            method: Method::GET,
            url: url.into(),
            label: label.into(),
            json: None,
        }
    }

    /// GET, PUT and DELETE may be repeated after a 5xx or a dropped connection; POST and
    /// PATCH only when the request provably did not arrive (429, connect failure).
    fn idempotent(&self) -> bool {
        matches!(self.method, Method::GET | Method::PUT | Method::DELETE)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("auth_calls", &self.auth_calls.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Why one attempt failed in a way worth retrying.
enum Retryable {
    RateLimited(Option<Duration>),
    Server(StatusCode, String),
    Transport(String),
}

impl Client {
    /// Builds a client; validates the configuration. Does no I/O.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        config.validate()?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        for (name, value) in [
            ("x-personio-partner-id", &config.partner_id),
            ("x-personio-app-id", &config.app_id),
        ] {
            if let Some(v) = value {
                let v = HeaderValue::from_str(v)
                    .map_err(|_| Error::Config(format!("{name} is not a valid header value")))?;
                headers.insert(HeaderName::from_static(name), v);
            }
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout.min(config.request_timeout))
            // A redirect could lead anywhere, with the credential (307/308 repeat the
            // body) or the token: never followed, a 3xx is an error naming the URL.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("staffsync-personio/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let limiter = match config.rate {
            RateLimit::Unlimited => None,
            RateLimit::Limited { per_minute, burst } => {
                let period = Duration::from_secs(60) / per_minute.max(1);
                let burst = NonZeroU32::new(burst)
                    .ok_or_else(|| Error::Config("rate burst must be at least 1".into()))?;
                let quota = Quota::with_period(period)
                    .ok_or_else(|| Error::Config("rate per_minute is too high".into()))?
                    .allow_burst(burst);
                Some(RateLimiter::direct(quota))
            }
        };
        Ok(Client {
            config,
            http,
            limiter,
            token: Mutex::new(TokenState::default()),
            auth_lock: tokio::sync::Mutex::new(()),
            auth_calls: AtomicUsize::new(0),
            rate_limited: AtomicUsize::new(0),
            known_names: Default::default(),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The HTTP client, for the authentication requests of each version.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// 429 answers received over the client's life.
    pub(crate) fn rate_limited_total(&self) -> usize {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Authentication calls (`POST /v1/auth` or `POST /v2/auth/token`) made so far by this
    /// client, retries included.
    pub fn auth_calls(&self) -> usize {
        self.auth_calls.load(Ordering::Relaxed)
    }

    /// Authenticates now (also checks the credentials); the token is cached for all later
    /// calls. Other calls authenticate on first use, so calling this is optional.
    pub async fn authenticate(&self) -> Result<(), Error> {
        let _guard = self.auth_lock.lock().await;
        self.authenticate_locked().await
    }

    /// The attributes this credential may read. v1: `GET /v1/company/employees/attributes`.
    /// v2 has no such endpoint: the client authenticates (which checks the credential) and
    /// returns the fixed set of attributes it reads from v2 ([`crate::v2::V2_ATTRIBUTES`]),
    /// so [`crate::check_mandatory`] works the same for both.
    pub async fn attributes(&self) -> Result<Vec<AttributeInfo>, Error> {
        match self.config.api_version {
            ApiVersion::V1 => self.v1_attributes().await,
            ApiVersion::V2 => {
                self.current_token().await?;
                Ok(crate::v2::v2_attributes())
            }
        }
    }

    /// Every employee; `progress` is called after each page (v1) or person (v2). Returns
    /// only a complete, consistent listing.
    pub async fn fetch_all(&self, progress: impl Fn(Progress) + Sync) -> Result<Listing, Error> {
        self.fetch_all_with(progress, |e| e).await
    }

    /// [`Client::fetch_all`], keeping each record as `map(record)`: v1 maps each page as it
    /// arrives, so a full listing is never held raw (v2 maps at the end).
    pub async fn fetch_all_with<T: Send>(
        &self,
        progress: impl Fn(Progress) + Sync,
        map: impl Fn(SourceEmployee) -> T + Sync,
    ) -> Result<Listing<T>, Error> {
        match self.config.api_version {
            ApiVersion::V1 => self.fetch_listing_with("", &progress, &map).await,
            ApiVersion::V2 => Ok(self.v2_listing(&[], &progress).await?.map(map)),
        }
    }

    /// Everyone changed after `since` (v1 `updated_since=YYYY-MM-DDTHH:MM:SS` in UTC, whole
    /// seconds rounded down; v2 `updated_at.gt=` RFC 3339 in UTC, whole seconds rounded
    /// down), with full records. Nothing changed ⇒ one request (plus authentication once
    /// per token). Not a basis for removals: it lists changed people only.
    pub async fn fetch_updated_since(&self, since: OffsetDateTime) -> Result<Listing, Error> {
        let since = since
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .map_err(|e| Error::Config(format!("invalid timestamp: {e}")))?;
        match self.config.api_version {
            ApiVersion::V1 => self.v1_updated_since(since).await,
            ApiVersion::V2 => {
                let stamp = since
                    .format(&time::format_description::well_known::Rfc3339)
                    .map_err(|e| Error::Config(format!("invalid timestamp: {e}")))?;
                self.v2_listing(&[("updated_at.gt", stamp)], &|_| {}).await
            }
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.config.base_url.as_str().trim_end_matches('/')
        )
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.config.backoff_base.as_secs_f64();
        let exp = 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
        let d = (base * exp).min(self.config.backoff_cap.as_secs_f64());
        Duration::from_secs_f64(d * rand::rng().random_range(0.5..=1.0))
    }

    /// How many retries `failure` allows in all: timeouts and connection errors only
    /// [`ClientConfig::transport_retries`].
    fn retry_limit(&self, failure: &Retryable) -> u32 {
        match failure {
            Retryable::Transport(_) => self.config.max_retries.min(self.config.transport_retries),
            _ => self.config.max_retries,
        }
    }

    /// The delay before retrying after `failure` (the `attempt`-th retry).
    fn retry_delay(&self, failure: &Retryable, attempt: u32) -> Duration {
        match failure {
            Retryable::RateLimited(Some(after)) => {
                let jitter = self.config.backoff_base.as_secs_f64() / 4.0;
                (*after).min(MAX_RETRY_AFTER)
                    + Duration::from_secs_f64(rand::rng().random_range(0.0..=jitter))
            }
            // Personio asks for at least a second; the default base is one second.
            Retryable::RateLimited(None) => self.backoff(attempt).max(self.config.backoff_base),
            _ => self.backoff(attempt),
        }
    }

    /// The current token, authenticating first if there is none.
    async fn current_token(&self) -> Result<(Arc<SecretString>, u64), Error> {
        if let Some(t) = self.token_snapshot() {
            return Ok(t);
        }
        let _guard = self.auth_lock.lock().await;
        if let Some(t) = self.token_snapshot() {
            return Ok(t);
        }
        self.authenticate_locked().await?;
        self.token_snapshot().ok_or_else(|| Error::Malformed {
            path: "/v1/auth".into(),
            detail: "no token after authentication".into(),
        })
    }

    fn token_snapshot(&self) -> Option<(Arc<SecretString>, u64)> {
        let state = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if state.usable_until.is_some_and(|u| Instant::now() >= u) {
            return None;
        }
        state.token.clone().map(|t| (t, state.generation))
    }

    /// Caches `token`; with `expires_in` (v2) it is used until 60 s before it expires (half
    /// its life when that is shorter than two minutes).
    pub(crate) fn set_token(&self, token: SecretString, expires_in: Option<Duration>) {
        let mut state = self.token.lock().unwrap_or_else(|p| p.into_inner());
        state.token = Some(Arc::new(token));
        state.usable_until = expires_in.map(|life| {
            let keep = if life > TOKEN_EXPIRY_MARGIN * 2 {
                life - TOKEN_EXPIRY_MARGIN
            } else {
                life / 2
            };
            Instant::now() + keep
        });
        state.generation += 1;
    }

    /// Adopts a token Personio echoed, unless the token changed since the request was sent
    /// (a late answer must not bring back a revoked token).
    fn adopt_echoed(&self, echoed: Option<SecretString>, sent_with: u64) {
        let Some(echoed) = echoed else { return };
        let mut state = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if state.generation != sent_with {
            return;
        }
        let same = state
            .token
            .as_ref()
            .is_some_and(|t| t.expose_secret() == echoed.expose_secret());
        if !same {
            debug!("adopting the token echoed by Personio");
            state.token = Some(Arc::new(echoed));
            state.generation += 1;
        }
    }

    /// Re-authenticates after the token of generation `rejected` was refused, unless
    /// another request already did.
    async fn reauthenticate(&self, rejected: u64) -> Result<(), Error> {
        let _guard = self.auth_lock.lock().await;
        let current = self
            .token
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .generation;
        if current != rejected {
            return Ok(());
        }
        info!("Personio refused the access token; authenticating again");
        self.authenticate_locked().await
    }

    /// Waits for the shared per-IP budget, when the client has one.
    async fn wait_for_ip_budget(&self) {
        if let Some(budget) = &self.config.ip_budget {
            budget.wait().await;
        }
    }

    /// Authenticates with the configured API version; the caller holds `auth_lock`.
    async fn authenticate_locked(&self) -> Result<(), Error> {
        match self.config.api_version {
            ApiVersion::V1 => self.authenticate_v1_locked().await,
            ApiVersion::V2 => self.authenticate_v2_locked().await,
        }
    }

    /// One authentication exchange at `path`: `request` builds it; transport errors, 429
    /// and 5xx are retried as for every request (paced by the per-IP budget); any other
    /// answer, success or refusal, is read by `finish`.
    pub(crate) async fn authenticate_with<Fut>(
        &self,
        path: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
        finish: impl Fn(reqwest::Response) -> Fut,
    ) -> Result<(), Error>
    where
        Fut: std::future::Future<Output = Result<(), Error>>,
    {
        let mut retries = 0u32;
        loop {
            self.wait_for_ip_budget().await;
            self.auth_calls.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let failure = match request().send().await {
                Err(e) => Retryable::Transport(describe(&e)),
                Ok(resp) => {
                    let status = resp.status();
                    debug!(
                        path,
                        status = status.as_u16(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "personio request"
                    );
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        self.rate_limited.fetch_add(1, Ordering::Relaxed);
                        Retryable::RateLimited(retry_after(resp.headers()))
                    } else if status.is_server_error() {
                        Retryable::Server(status, error_message(resp).await)
                    } else if status.is_redirection() {
                        return Err(redirected(status, self.url(path)));
                    } else {
                        return finish(resp).await;
                    }
                }
            };
            if retries >= self.retry_limit(&failure) {
                return Err(give_up(failure, retries));
            }
            retries += 1;
            let delay = self.retry_delay(&failure, retries);
            warn!(
                path,
                retry = retries,
                delay_ms = delay.as_millis() as u64,
                "retrying authentication"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// GET `path` (below the base URL) with rate limiting, authentication, retries and body
    /// parsing.
    pub(crate) async fn get<T>(
        &self,
        path: &str,
        counter: &AtomicUsize,
        parse: impl Fn(&[u8]) -> Result<T, BodyError>,
    ) -> Result<T, Error> {
        self.send(Call::get(self.url(path), path), counter, parse)
            .await
    }

    /// Sends `call` with rate limiting, authentication (one re-authentication after 401;
    /// v1 also after 403), retries and body parsing. Any other 4xx is [`Error::Api`] with
    /// Personio's message (v1, v2 and OAuth2 bodies understood).
    pub(crate) async fn send<T>(
        &self,
        call: Call,
        counter: &AtomicUsize,
        parse: impl Fn(&[u8]) -> Result<T, BodyError>,
    ) -> Result<T, Error> {
        let path = call.label.as_str();
        let v1 = self.config.api_version == ApiVersion::V1;
        let idempotent = call.idempotent();
        let mut retries = 0u32;
        let mut malformed = 0u32;
        let mut reauthenticated = false;
        loop {
            if let Some(limiter) = &self.limiter {
                limiter.until_ready().await;
            }
            let (token, generation) = self.current_token().await?;
            // After the token: a re-authentication above has waited for its own share.
            self.wait_for_ip_budget().await;
            let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| Error::Malformed {
                    path: "auth".into(),
                    detail: "the token is not a valid header value".into(),
                })?;
            auth.set_sensitive(true);
            counter.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let mut request = self
                .http
                .request(call.method.clone(), &call.url)
                .header(AUTHORIZATION, auth);
            if let Some(json) = &call.json {
                request = request.json(json);
            }
            let sent = request.send().await;
            let mut may_retry = idempotent;
            let failure = match sent {
                Err(e) => {
                    may_retry |= e.is_connect();
                    Retryable::Transport(describe(&e))
                }
                Ok(resp) => {
                    let status = resp.status();
                    debug!(
                        path,
                        status = status.as_u16(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        retries,
                        "personio request"
                    );
                    if status.is_success() {
                        let echoed = echoed_token(resp.headers());
                        match resp.bytes().await {
                            Err(e) => Retryable::Transport(describe(&e)),
                            Ok(body) => {
                                if v1 {
                                    self.adopt_echoed(echoed, generation);
                                }
                                match parse(&body) {
                                    Ok(v) => return Ok(v),
                                    Err(BodyError::Syntax(e))
                                        if idempotent
                                            && malformed < self.config.malformed_retries =>
                                    {
                                        malformed += 1;
                                        warn!(path, error = %e, "response was not valid JSON; retrying");
                                        tokio::time::sleep(self.backoff(1)).await;
                                        continue;
                                    }
                                    Err(e) => {
                                        return Err(Error::Malformed {
                                            path: path.to_owned(),
                                            detail: e.to_string(),
                                        });
                                    }
                                }
                            }
                        }
                    } else if status == StatusCode::UNAUTHORIZED
                        || (v1 && status == StatusCode::FORBIDDEN)
                    {
                        let message = error_message(resp).await;
                        if reauthenticated {
                            return Err(Error::Unauthorized {
                                detail: format!("HTTP {}: {message}", status.as_u16()),
                            });
                        }
                        reauthenticated = true;
                        self.reauthenticate(generation).await?;
                        continue;
                    } else if status == StatusCode::TOO_MANY_REQUESTS {
                        self.rate_limited.fetch_add(1, Ordering::Relaxed);
                        may_retry = true;
                        Retryable::RateLimited(retry_after(resp.headers()))
                    } else if status.is_server_error() {
                        Retryable::Server(status, error_message(resp).await)
                    } else if status.is_redirection() {
                        return Err(redirected(status, call.url.clone()));
                    } else {
                        return Err(Error::Api {
                            status: status.as_u16(),
                            path: path.to_owned(),
                            message: error_message(resp).await,
                        });
                    }
                }
            };
            if !may_retry || retries >= self.retry_limit(&failure) {
                return Err(give_up(failure, retries));
            }
            retries += 1;
            let delay = self.retry_delay(&failure, retries);
            let reason = match &failure {
                Retryable::RateLimited(_) => "429".to_owned(),
                Retryable::Server(s, _) => s.as_u16().to_string(),
                Retryable::Transport(d) => d.clone(),
            };
            warn!(path, retry = retries, delay_ms = delay.as_millis() as u64, %reason, "retrying");
            tokio::time::sleep(delay).await;
        }
    }
}

fn give_up(failure: Retryable, retries: u32) -> Error {
    match failure {
        Retryable::RateLimited(_) => Error::RateLimited { retries },
        Retryable::Server(status, detail) => Error::Unavailable {
            status: Some(status.as_u16()),
            detail,
        },
        Retryable::Transport(detail) => Error::Unavailable {
            status: None,
            detail,
        },
    }
}

/// A redirect answer for `url` (which never holds a credential). Where it pointed is
/// left out: that is the foreign server's word.
fn redirected(status: StatusCode, url: String) -> Error {
    Error::Redirected {
        status: status.as_u16(),
        url,
    }
}

/// A transport error in words: its kind and cause chain, without the URL (short messages;
/// no request ever carries a credential in its URL or in anything formatted here).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "response body could not be read"
    } else {
        "request failed"
    };
    let mut msg = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e6)))
}

fn echoed_token(headers: &HeaderMap) -> Option<SecretString> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let token = match v.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => v[7..].trim(),
        _ => v,
    };
    (!token.is_empty()).then(|| SecretString::from(token.to_owned()))
}

/// Personio's error message from an error body (v1, v2, OAuth2 or problem+json), or the
/// start of the body.
pub(crate) async fn error_message(resp: reqwest::Response) -> String {
    let status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    if let Some(m) = parse_error_body(&body) {
        return m.message;
    }
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    if text.is_empty() {
        status.canonical_reason().unwrap_or("no message").to_owned()
    } else {
        truncate(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let cfg = ClientConfig::new("id", SecretString::from("s3cr3t-value".to_owned()));
        let client = Client::new(cfg.clone()).unwrap();
        assert!(!format!("{cfg:?}").contains("s3cr3t"));
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }

    #[test]
    fn config_is_validated() {
        let mut cfg = ClientConfig::new("id", SecretString::from("x".to_owned()));
        cfg.page_size = 101;
        assert!(matches!(Client::new(cfg), Err(Error::Config(_))));
        let mut cfg = ClientConfig::new("", SecretString::from("x".to_owned()));
        cfg.page_size = 100;
        assert!(matches!(Client::new(cfg), Err(Error::Config(_))));
    }

    #[test]
    fn echoed_tokens_and_retry_after() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer papi-abc"));
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(echoed_token(&h).unwrap().expose_secret(), "papi-abc");
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    /// The server runs fetches on spawned tasks: every public future must be `Send`.
    #[allow(dead_code)]
    fn public_futures_are_send(c: &Client) {
        fn send<T: Send>(_: T) {}
        send(c.fetch_all(|_| {}));
        send(c.attributes());
        send(c.fetch_people(&[]));
        send(c.fetch_updated_since(OffsetDateTime::UNIX_EPOCH));
        send(c.fetch_updated_since_date(time::Date::MIN, |_| {}));
        send(c.create_webhook("https://x.example", &["person.created"]));
        send(c.list_webhooks());
        send(c.delete_webhook("1"));
    }

    #[test]
    fn token_expiry_margin() {
        let cfg = ClientConfig::new("id", SecretString::from("x".to_owned()));
        let client = Client::new(cfg).unwrap();
        client.set_token(
            SecretString::from("t".to_owned()),
            Some(Duration::from_secs(86400)),
        );
        assert!(client.token_snapshot().is_some());
        client.set_token(SecretString::from("t".to_owned()), Some(Duration::ZERO));
        assert!(
            client.token_snapshot().is_none(),
            "an expired token is not used"
        );
        client.set_token(SecretString::from("t".to_owned()), None);
        assert!(
            client.token_snapshot().is_some(),
            "v1 tokens have no expiry"
        );
    }

    #[test]
    fn api_versions() {
        assert_eq!("v2".parse::<ApiVersion>().unwrap(), ApiVersion::V2);
        assert_eq!(" V1 ".parse::<ApiVersion>().unwrap(), ApiVersion::V1);
        assert!("v3".parse::<ApiVersion>().is_err());
        assert_eq!(ApiVersion::default(), ApiVersion::V1);
        assert_eq!(ApiVersion::V2.to_string(), "v2");
        let cfg = ClientConfig::new("id", SecretString::from("x".to_owned()))
            .with_api_version(ApiVersion::V2);
        assert_eq!(cfg.api_version, ApiVersion::V2);
    }
}
