//! Personio API v1 requests: `POST /v1/auth`, the attribute listing, the employee listing
//! paged by offset (proven complete by [`super::paging`]), one employee by id, and the
//! targeted fetch of a few people.
//!
//! Everything goes through [`Client::send`] (rate limits, retries, re-authentication).
//! This module must never return a listing it could not prove complete, never report an
//! id as gone unless Personio answered 404 for it, and never log or return the secret or
//! a token.

use super::paging::{Accumulator, PagePlan};
use super::parse::{self, ParsedPage};
use crate::PersonioId;
use crate::client::{Client, describe, error_message};
use crate::credential::AttributeInfo;
use crate::error::Error;
use crate::error_body::truncate;
use crate::listing::{Listing, Progress};
use crate::targeted::{Outcome, TargetedListing, unique};
use futures::StreamExt;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use staffsync_core::SourceEmployee;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use time::OffsetDateTime;
use tracing::{debug, info};

impl Client {
    /// `GET /v1/company/employees/attributes`.
    pub(crate) async fn v1_attributes(&self) -> Result<Vec<AttributeInfo>, Error> {
        let counter = AtomicUsize::new(0);
        self.get(
            "/v1/company/employees/attributes",
            &counter,
            parse::parse_attributes,
        )
        .await
    }

    /// `updated_since=YYYY-MM-DDTHH:MM:SS`; `since` is in UTC, whole seconds.
    pub(crate) async fn v1_updated_since(&self, since: OffsetDateTime) -> Result<Listing, Error> {
        let d = since.date();
        let t = since.time();
        let filter = format!(
            "&updated_since={}T{:02}:{:02}:{:02}",
            staffsync_core::dates::format_date(d),
            t.hour(),
            t.minute(),
            t.second()
        );
        self.fetch_listing(&filter, &|_| {}).await
    }

    /// v1 only: employees changed since the start of `since` (`updated_since=YYYY-MM-DD`),
    /// paged like [`Client::fetch_all`]. Kept for compatibility; prefer
    /// [`Client::fetch_updated_since`].
    pub async fn fetch_updated_since_date(
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
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Listing, Error> {
        self.fetch_listing_with(filter, progress, &|e| e).await
    }

    pub(crate) async fn fetch_listing_with<T: Send>(
        &self,
        filter: &str,
        // Sync, so the listing future is Send (the scheduler runs syncs on spawned tasks).
        progress: &(dyn Fn(Progress) + Sync),
        map: &(dyn Fn(SourceEmployee) -> T + Sync),
    ) -> Result<Listing<T>, Error> {
        let started = Instant::now();
        let requests = AtomicUsize::new(0);
        let requests = &requests;
        let rate_limited_before = self.rate_limited_total();
        let page_size = u64::from(self.config().page_size);
        let first = self.fetch_page(0, page_size, filter, requests).await?;
        let plan = PagePlan::from_first(&first, page_size)?;
        debug!(
            total = plan.total,
            pages = plan.pages,
            limit = plan.limit,
            "personio listing"
        );
        let mut acc = Accumulator::new(plan);
        acc.add_with(0, first, map)?;
        progress(acc.progress());
        let mut pages = futures::stream::iter(1..plan.pages)
            .map(|k| async move {
                (
                    k,
                    self.fetch_page(k * plan.limit, plan.limit, filter, requests)
                        .await,
                )
            })
            .buffer_unordered(self.config().concurrency);
        while let Some((k, page)) = pages.next().await {
            acc.add_with(k, page?, map)?;
            progress(acc.progress());
        }
        drop(pages);
        let mut listing = acc.finish(requests.load(Ordering::Relaxed))?;
        listing.rate_limited = self
            .rate_limited_total()
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

    /// `GET /v1/company/employees/{id}` per id (404 = gone).
    pub(crate) async fn v1_people(&self, ids: &[PersonioId]) -> Result<TargetedListing, Error> {
        let requests = AtomicUsize::new(0);
        let requests = &requests;
        let mut answers = futures::stream::iter(unique(ids))
            .map(|id| async move {
                let path = format!("/v1/company/employees/{id}");
                match self
                    .get(&path, requests, parse::parse_single_employee)
                    .await
                {
                    Ok(Ok(e)) => Ok(Outcome::Found(Box::new(e))),
                    Ok(Err(mut m)) => {
                        m.id = m.id.or(Some(id.key()));
                        Ok(Outcome::Malformed(m))
                    }
                    Err(Error::Api { status: 404, .. }) => Ok(Outcome::Gone(id)),
                    Err(e) => Err(e),
                }
            })
            .buffered(self.config().concurrency);
        let mut out = TargetedListing::default();
        while let Some(answer) = answers.next().await {
            out.add(answer?);
        }
        drop(answers);
        out.requests = requests.load(Ordering::Relaxed);
        Ok(out)
    }

    /// `POST /v1/auth`; the caller holds `auth_lock`.
    pub(crate) async fn authenticate_v1_locked(&self) -> Result<(), Error> {
        #[derive(serde::Serialize)]
        struct Credentials<'a> {
            client_id: &'a str,
            client_secret: &'a str,
        }
        const PATH: &str = "/v1/auth";
        let url = self.url(PATH);
        let request = || {
            self.http().post(&url).json(&Credentials {
                client_id: &self.config().client_id,
                client_secret: self.config().client_secret.expose_secret(),
            })
        };
        let finish = |resp: reqwest::Response| async move {
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                // Awaited outside the macro: its arguments are not Send.
                let message = error_message(resp).await;
                debug!(%message, "authentication refused");
                return Err(Error::WrongCredentials);
            }
            let ok = status.is_success();
            let body = resp.bytes().await.map_err(|e| Error::Unavailable {
                status: Some(status.as_u16()),
                detail: describe(&e),
            })?;
            match auth_token(&body) {
                Ok(token) if ok => {
                    self.set_token(token, None);
                    Ok(())
                }
                Ok(_) => Err(Error::Api {
                    status: status.as_u16(),
                    path: PATH.into(),
                    message: "unexpected status with a token".into(),
                }),
                Err(message) if message.to_lowercase().contains("credential") => {
                    Err(Error::WrongCredentials)
                }
                Err(message) if ok => Err(Error::Malformed {
                    path: PATH.into(),
                    detail: message,
                }),
                Err(message) => Err(Error::Api {
                    status: status.as_u16(),
                    path: PATH.into(),
                    message,
                }),
            }
        };
        self.authenticate_with(PATH, request, finish).await
    }
}

/// `data.token` of an auth answer, or the error message.
fn auth_token(body: &[u8]) -> Result<SecretString, String> {
    #[derive(serde::Deserialize)]
    struct AuthBody {
        #[serde(default)]
        data: Option<AuthData>,
        #[serde(default)]
        error: Option<super::model::ErrorDetail>,
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
mod tests {
    use super::*;

    #[test]
    fn auth_answers() {
        let t = auth_token(br#"{"success":true,"data":{"token":"papi-1","expires_in":86400}}"#);
        assert_eq!(t.unwrap().expose_secret(), "papi-1");
        let e =
            auth_token(br#"{"success":false,"error":{"code":0,"message":"Wrong credentials"}}"#);
        assert_eq!(e.err().as_deref(), Some("Wrong credentials"));
    }
}
