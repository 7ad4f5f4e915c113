//! The Personio v1 HTTP client: authentication, rate limiting, retries and paging.
//!
//! One [`Client`] authenticates once (`POST /v1/auth`, credentials in the JSON body only),
//! caches the token, adopts the token Personio echoes in the `authorization` response
//! header, and re-authenticates at most once per request after a 401 (concurrent requests
//! share one re-authentication). Every GET passes a client-side rate limiter set just under
//! Personio's limit; 429, 5xx, timeouts and connection errors are retried with bounded,
//! jittered exponential backoff, honouring `Retry-After`.
//!
//! This module must never log, format or return the client secret or a token, never send
//! credentials in a URL, and never return a listing it could not prove complete.

use crate::config::{ClientConfig, RateLimit};
use crate::error::Error;
use crate::listing::{Accumulator, Listing, PagePlan, Progress};
use crate::parse::{self, AttributeInfo, BodyError, ParsedPage};
use futures::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use staffsync_core::{PersonioId, SourceEmployee};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

/// Longest `Retry-After` honoured; anything longer is treated as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// The cached access token and a generation number that changes whenever it does.
#[derive(Default)]
struct TokenState {
    token: Option<Arc<SecretString>>,
    generation: u64,
}

/// A Personio v1 API client. Cheap to share by reference across tasks.
pub struct Client {
    config: ClientConfig,
    http: reqwest::Client,
    limiter: Option<DefaultDirectRateLimiter>,
    token: Mutex<TokenState>,
    auth_lock: tokio::sync::Mutex<()>,
    auth_calls: AtomicUsize,
    /// 429 responses received (auth and data requests), over the client's lifetime.
    rate_limited: AtomicUsize,
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
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
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
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// `POST /v1/auth` calls made so far by this client.
    pub fn auth_calls(&self) -> usize {
        self.auth_calls.load(Ordering::Relaxed)
    }

    /// Authenticates now (also checks the credentials); the token is cached for all later
    /// calls. Other calls authenticate on first use, so calling this is optional.
    pub async fn authenticate(&self) -> Result<(), Error> {
        let _guard = self.auth_lock.lock().await;
        self.authenticate_locked().await
    }

    /// The attributes this credential may read (`GET /v1/company/employees/attributes`).
    pub async fn attributes(&self) -> Result<Vec<AttributeInfo>, Error> {
        let counter = AtomicUsize::new(0);
        self.get(
            "/v1/company/employees/attributes",
            &counter,
            parse::parse_attributes,
        )
        .await
    }

    /// Every employee, paged concurrently; `progress` is called after each page.
    pub async fn fetch_all(&self, progress: impl Fn(Progress) + Sync) -> Result<Listing, Error> {
        self.fetch_listing("", &progress).await
    }

    /// Employees changed since `since` (Personio's `updated_since` filter), paged like
    /// [`Client::fetch_all`]. Not a basis for removals: it lists changed people only.
    pub async fn fetch_updated_since(
        &self,
        since: time::Date,
        progress: impl Fn(Progress) + Sync,
    ) -> Result<Listing, Error> {
        let filter = format!(
            "&updated_since={}",
            staffsync_core::dates::format_date(since)
        );
        self.fetch_listing(&filter, &progress).await
    }

    /// One employee by id; `None` when Personio answers 404. A record that cannot be read
    /// is an [`Error::Malformed`].
    pub async fn fetch_employee(&self, id: PersonioId) -> Result<Option<SourceEmployee>, Error> {
        let path = format!("/v1/company/employees/{id}");
        let counter = AtomicUsize::new(0);
        match self
            .get(&path, &counter, parse::parse_single_employee)
            .await
        {
            Ok(Ok(e)) => Ok(Some(e)),
            Ok(Err(m)) => Err(Error::Malformed {
                path,
                detail: m.reason,
            }),
            Err(Error::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn fetch_listing(
        &self,
        filter: &str,
        // Sync, so the listing future is Send (the scheduler runs syncs on spawned tasks).
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Listing, Error> {
        let started = Instant::now();
        let requests = AtomicUsize::new(0);
        let requests = &requests;
        let rate_limited_before = self.rate_limited.load(Ordering::Relaxed);
        let page_size = u64::from(self.config.page_size);
        let first = self.fetch_page(0, page_size, filter, requests).await?;
        let plan = PagePlan::from_first(&first, page_size)?;
        debug!(
            total = plan.total,
            pages = plan.pages,
            limit = plan.limit,
            "personio listing"
        );
        let mut acc = Accumulator::new(plan);
        acc.add(0, first)?;
        progress(acc.progress());
        let mut pages = futures::stream::iter(1..plan.pages)
            .map(|k| async move {
                (
                    k,
                    self.fetch_page(k * plan.limit, plan.limit, filter, requests)
                        .await,
                )
            })
            .buffer_unordered(self.config.concurrency);
        while let Some((k, page)) = pages.next().await {
            acc.add(k, page?)?;
            progress(acc.progress());
        }
        drop(pages);
        let mut listing = acc.finish(requests.load(Ordering::Relaxed))?;
        listing.rate_limited = self
            .rate_limited
            .load(Ordering::Relaxed)
            .saturating_sub(rate_limited_before);
        info!(
            employees = listing.employees.len(),
            malformed = listing.malformed.len(),
            requests = listing.requests,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "personio listing complete"
        );
        Ok(listing)
    }

    async fn fetch_page(
        &self,
        offset: u64,
        limit: u64,
        filter: &str,
        counter: &AtomicUsize,
    ) -> Result<ParsedPage, Error> {
        let path = format!("/v1/company/employees?limit={limit}&offset={offset}{filter}");
        self.get(&path, counter, parse::parse_employee_page).await
    }

    fn url(&self, path: &str) -> String {
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
        state.token.clone().map(|t| (t, state.generation))
    }

    fn set_token(&self, token: SecretString) {
        let mut state = self.token.lock().unwrap_or_else(|p| p.into_inner());
        state.token = Some(Arc::new(token));
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

    /// `POST /v1/auth`; the caller holds `auth_lock`.
    async fn authenticate_locked(&self) -> Result<(), Error> {
        #[derive(serde::Serialize)]
        struct Credentials<'a> {
            client_id: &'a str,
            client_secret: &'a str,
        }
        let url = self.url("/v1/auth");
        let mut retries = 0u32;
        loop {
            self.auth_calls.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let sent = self
                .http
                .post(&url)
                .json(&Credentials {
                    client_id: &self.config.client_id,
                    client_secret: self.config.client_secret.expose_secret(),
                })
                .send()
                .await;
            let failure = match sent {
                Err(e) => Retryable::Transport(describe(&e)),
                Ok(resp) => {
                    let status = resp.status();
                    debug!(
                        path = "/v1/auth",
                        status = status.as_u16(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "personio request"
                    );
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        self.rate_limited.fetch_add(1, Ordering::Relaxed);
                        Retryable::RateLimited(retry_after(resp.headers()))
                    } else if status.is_server_error() {
                        Retryable::Server(status, error_message(resp).await)
                    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
                    {
                        // Awaited outside the macro: its arguments are not Send.
                        let message = error_message(resp).await;
                        debug!(%message, "authentication refused");
                        return Err(Error::WrongCredentials);
                    } else {
                        let ok = status.is_success();
                        let body = match resp.bytes().await {
                            Ok(b) => b,
                            Err(e) => {
                                return Err(Error::Unavailable {
                                    status: Some(status.as_u16()),
                                    detail: describe(&e),
                                });
                            }
                        };
                        return match auth_token(&body) {
                            Ok(token) if ok => {
                                self.set_token(token);
                                Ok(())
                            }
                            Ok(_) => Err(Error::Api {
                                status: status.as_u16(),
                                path: "/v1/auth".into(),
                                message: "unexpected status with a token".into(),
                            }),
                            Err(message) if message.to_lowercase().contains("credential") => {
                                Err(Error::WrongCredentials)
                            }
                            Err(message) if ok => Err(Error::Malformed {
                                path: "/v1/auth".into(),
                                detail: message,
                            }),
                            Err(message) => Err(Error::Api {
                                status: status.as_u16(),
                                path: "/v1/auth".into(),
                                message,
                            }),
                        };
                    }
                }
            };
            if retries >= self.config.max_retries {
                return Err(give_up(failure, retries));
            }
            retries += 1;
            let delay = self.retry_delay(&failure, retries);
            warn!(
                path = "/v1/auth",
                retry = retries,
                delay_ms = delay.as_millis() as u64,
                "retrying authentication"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// GET `path` with rate limiting, authentication, retries and body parsing.
    async fn get<T>(
        &self,
        path: &str,
        counter: &AtomicUsize,
        parse: impl Fn(&[u8]) -> Result<T, BodyError>,
    ) -> Result<T, Error> {
        let url = self.url(path);
        let mut retries = 0u32;
        let mut malformed = 0u32;
        let mut reauthenticated = false;
        loop {
            if let Some(limiter) = &self.limiter {
                limiter.until_ready().await;
            }
            let (token, generation) = self.current_token().await?;
            let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| Error::Malformed {
                    path: "/v1/auth".into(),
                    detail: "the token is not a valid header value".into(),
                })?;
            auth.set_sensitive(true);
            counter.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let sent = self.http.get(&url).header(AUTHORIZATION, auth).send().await;
            let failure = match sent {
                Err(e) => Retryable::Transport(describe(&e)),
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
                                self.adopt_echoed(echoed, generation);
                                match parse(&body) {
                                    Ok(v) => return Ok(v),
                                    Err(BodyError::Syntax(e))
                                        if malformed < self.config.malformed_retries =>
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
                    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
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
                        Retryable::RateLimited(retry_after(resp.headers()))
                    } else if status.is_server_error() {
                        Retryable::Server(status, error_message(resp).await)
                    } else {
                        return Err(Error::Api {
                            status: status.as_u16(),
                            path: path.to_owned(),
                            message: error_message(resp).await,
                        });
                    }
                }
            };
            if retries >= self.config.max_retries {
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

/// A transport error in words: its kind and cause chain, without the URL (short messages;
/// no request ever carries a credential in its URL or in anything formatted here).
fn describe(e: &reqwest::Error) -> String {
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

/// Personio's error message from an error body, or the start of the body.
async fn error_message(resp: reqwest::Response) -> String {
    let status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    if let Ok(b) = serde_json::from_slice::<crate::model::ErrorBody>(&body)
        && let Some(m) = b.error.message
    {
        return truncate(&m);
    }
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    if text.is_empty() {
        status.canonical_reason().unwrap_or("no message").to_owned()
    } else {
        truncate(text)
    }
}

fn truncate(s: &str) -> String {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// `data.token` of an auth answer, or the error message.
fn auth_token(body: &[u8]) -> Result<SecretString, String> {
    #[derive(serde::Deserialize)]
    struct AuthBody {
        #[serde(default)]
        data: Option<AuthData>,
        #[serde(default)]
        error: Option<crate::model::ErrorDetail>,
    }
    #[derive(serde::Deserialize)]
    struct AuthData {
        #[serde(default)]
        token: Option<String>,
    }
    let parsed: AuthBody =
        serde_json::from_slice(body).map_err(|e| format!("not a valid auth answer: {e}"))?;
    match parsed.data.and_then(|d| d.token).filter(|t| !t.is_empty()) {
        Some(t) => Ok(SecretString::from(t)),
        None => Err(parsed
            .error
            .and_then(|e| e.message)
            .map(|m| truncate(&m))
            .unwrap_or_else(|| "the auth answer holds no token".into())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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

    #[test]
    fn auth_answers() {
        let t = auth_token(br#"{"success":true,"data":{"token":"papi-1","expires_in":86400}}"#);
        assert_eq!(t.unwrap().expose_secret(), "papi-1");
        let e =
            auth_token(br#"{"success":false,"error":{"code":0,"message":"Wrong credentials"}}"#);
        assert_eq!(e.err().as_deref(), Some("Wrong credentials"));
    }
}
