//! Driving the v2 requests: the OAuth2 token, `/v2/persons` pages by cursor, one employments request per
//! person (concurrent, through the rate limiter, overlapping with the paging), and name
//! look-ups once per org unit or office id per fetch call.
//!
//! Names are kept only for the one call ([`FetchScope`]), never on the client: the server
//! keeps one client per account for as long as the connection lives, so a name kept
//! there would outlive a rename in Personio, and every targeted run would write the old
//! name back after the full sync wrote the new one.
//!
//! Must never return a partial listing: a person listed twice, a repeated cursor, a
//! failing page, employments request or look-up, or a person whose employments vanish
//! while listing ends the fetch with an error.

use super::LookupKind;
use super::parse::{
    self, EmploymentsPage, Names, PersonsPage, choose_current, named, resolve_next, with_employment,
};
use crate::PersonioId;
use crate::client::{Call, Client, describe};
use crate::error::Error;
use crate::error_body::parse_error_body;
use crate::listing::{Listing, Progress};
use crate::targeted::{Outcome, TargetedListing};
use futures::future::{BoxFuture, OptionFuture};
use futures::stream::FuturesOrdered;
use futures::{FutureExt, StreamExt};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use staffsync_core::{MalformedEmployee, SourceEmployee};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tracing::{debug, info};
use url::Url;

/// Largest page v2 serves.
const V2_MAX_LIMIT: u32 = 50;
/// A listing that needs more pages than this is not converging.
const MAX_PAGES: usize = 100_000;

fn incomplete(detail: String) -> Error {
    Error::IncompleteListing { detail }
}

/// What the requests of one fetch call share: their count, and the names of org units and
/// offices looked up so far (each id once per call; concurrent callers share the one
/// request). A full listing asks Personio for every name again; a targeted fetch
/// (`reuse_known`) first takes a name the client looked up recently ([`KnownNames`]).
///
/// [`KnownNames`]: super::known_names::KnownNames
struct FetchScope<'a> {
    requests: &'a AtomicUsize,
    names: Mutex<HashMap<(LookupKind, String), NameCell>>,
    reuse_known: bool,
}

/// One name look-up, shared by everyone who needs that id in the same call.
type NameCell = Arc<tokio::sync::OnceCell<String>>;

impl<'a> FetchScope<'a> {
    /// A listing's scope: every name is asked for.
    fn new(requests: &'a AtomicUsize) -> Self {
        FetchScope {
            requests,
            names: Mutex::default(),
            reuse_known: false,
        }
    }

    /// A targeted fetch's scope: names the client knows are not asked for again.
    fn reusing_known(requests: &'a AtomicUsize) -> Self {
        FetchScope {
            reuse_known: true,
            ..FetchScope::new(requests)
        }
    }
}

/// The cursor walk's state: what was seen, to prove the walk consistent.
#[derive(Default)]
struct Pager {
    seen_ids: HashSet<PersonioId>,
    seen_urls: HashSet<String>,
    pages: usize,
}

impl Pager {
    /// Checks page `url` and returns the next page's URL, if any.
    fn check(&mut self, base: &Url, url: &Url, page: &PersonsPage) -> Result<Option<Url>, Error> {
        self.pages += 1;
        for rec in &page.persons {
            let id = match rec {
                Ok(p) => Some(p.id),
                Err(m) => m.id,
            };
            if let Some(id) = id
                && !self.seen_ids.insert(PersonioId::of_key(id))
            {
                return Err(incomplete(format!(
                    "person {id} was listed twice (again on page {}): the listing shifted while it was paged",
                    self.pages
                )));
            }
        }
        let Some(href) = &page.next else {
            return Ok(None);
        };
        if self.pages >= MAX_PAGES {
            return Err(incomplete(format!(
                "more than {MAX_PAGES} pages of persons: the cursor does not end"
            )));
        }
        let next = resolve_next(base, url, href).map_err(|detail| Error::Malformed {
            path: "/v2/persons".into(),
            detail,
        })?;
        if !self.seen_urls.insert(next.to_string()) || &next == url {
            return Err(incomplete(
                "Personio sent the same next link twice: the cursor does not advance".into(),
            ));
        }
        Ok(Some(next))
    }
}

impl Client {
    /// `base_url` + `segments` (each percent-encoded) + `query`.
    pub(crate) fn v2_endpoint(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Url, Error> {
        let mut url = self.config().base_url.clone();
        url.path_segments_mut()
            .map_err(|_| Error::Config("base_url cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    fn v2_limit(&self) -> String {
        self.config().page_size.min(V2_MAX_LIMIT).to_string()
    }

    /// Every person matching `filter` with their current employment, complete or an error.
    pub(crate) async fn v2_listing(
        &self,
        filter: &[(&str, String)],
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Listing, Error> {
        let started = std::time::Instant::now();
        let rate_limited_before = self.rate_limited_total();
        let requests = AtomicUsize::new(0);
        let scope = FetchScope::new(&requests);
        let scope = &scope;
        let requests = &requests;
        let concurrency = self.config().concurrency;
        let limit = self.v2_limit();
        let mut query: Vec<(&str, &str)> = vec![("limit", limit.as_str())];
        query.extend(filter.iter().map(|(k, v)| (*k, v.as_str())));
        let mut url = self.v2_endpoint(&["v2", "persons"], &query)?;

        // The next page is fetched while the employments of the listed persons are; both
        // pass the one rate limiter. Futures are boxed so the whole fetch is `Send`.
        let mut pager = Pager::default();
        let mut page: Option<BoxFuture<'_, Result<PersonsPage, Error>>> =
            Some(self.v2_persons_page(url.clone(), requests).boxed());
        let mut queue: VecDeque<SourceEmployee> = VecDeque::new();
        let mut in_flight = FuturesOrdered::new();
        let mut listed = 0usize;
        let mut employees = Vec::new();
        let mut malformed = Vec::new();
        loop {
            while in_flight.len() < concurrency
                && let Some(person) = queue.pop_front()
            {
                in_flight.push_back(self.v2_listed_person(person, scope).boxed());
            }
            if page.is_none() && in_flight.is_empty() {
                break;
            }
            tokio::select! {
                Some(answer) = OptionFuture::from(page.as_mut()), if page.is_some() => {
                    page = None;
                    let answer = answer?;
                    let next = pager.check(&self.config().base_url, &url, &answer)?;
                    listed += answer.persons.len();
                    for rec in answer.persons {
                        match rec {
                            Ok(p) => queue.push_back(p),
                            // Kept in listing order relative to nothing else: malformed
                            // records need no employments.
                            Err(m) => malformed.push(m),
                        }
                    }
                    if let Some(next) = next {
                        url = next;
                        page = Some(self.v2_persons_page(url.clone(), requests).boxed());
                    }
                }
                Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                    match done? {
                        Ok(e) => employees.push(e),
                        Err(m) => malformed.push(m),
                    }
                }
            }
            progress(Progress {
                pages_done: pager.pages,
                pages_total: pager.pages + usize::from(page.is_some()),
                employees_done: employees.len() + malformed.len(),
                employees_total: listed,
            });
        }
        let total = employees.len() + malformed.len();
        let listing = Listing {
            employees,
            malformed,
            total_elements: total,
            requests: requests.load(Ordering::Relaxed),
            rate_limited: self
                .rate_limited_total()
                .saturating_sub(rate_limited_before),
        };
        info!(
            employees = listing.employees.len(),
            malformed = listing.malformed.len(),
            requests = listing.requests,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "personio v2 listing complete"
        );
        Ok(listing)
    }

    /// One `/v2/persons` page.
    async fn v2_persons_page(
        &self,
        url: Url,
        requests: &AtomicUsize,
    ) -> Result<PersonsPage, Error> {
        self.send(
            Call::get(url.as_str(), "/v2/persons"),
            requests,
            parse::parse_persons_page,
        )
        .await
    }

    /// A listed person completed with their employments; 404 means the listing shifted.
    async fn v2_listed_person(
        &self,
        person: SourceEmployee,
        scope: &FetchScope<'_>,
    ) -> Result<Result<SourceEmployee, MalformedEmployee>, Error> {
        let id = person.id;
        self.v2_complete(person, scope).await?.ok_or_else(|| {
            incomplete(format!(
                "person {id} disappeared while the listing was read (employments answered 404)"
            ))
        })
    }

    /// The person with their current employment; `None` when Personio answers 404 for the
    /// employments (the person was deleted). An employment that cannot be read makes the
    /// person malformed.
    async fn v2_complete(
        &self,
        person: SourceEmployee,
        scope: &FetchScope<'_>,
    ) -> Result<Option<Result<SourceEmployee, MalformedEmployee>>, Error> {
        let requests = scope.requests;
        let id = person.id.to_string();
        let label = format!("/v2/persons/{id}/employments");
        let mut url = self.v2_endpoint(&["v2", "persons", &id, "employments"], &[])?;
        let mut employments = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let page: EmploymentsPage = match self
                .send(
                    Call::get(url.as_str(), label.as_str()),
                    requests,
                    parse::parse_employments,
                )
                .await
            {
                Ok(p) => p,
                Err(Error::Api { status: 404, .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
            match page.employments {
                Ok(mut es) => employments.append(&mut es),
                Err(reason) => {
                    return Ok(Some(Err(MalformedEmployee {
                        id: Some(person.id),
                        reason,
                    })));
                }
            }
            let Some(href) = page.next else { break };
            let next = resolve_next(&self.config().base_url, &url, &href).map_err(|detail| {
                Error::Malformed {
                    path: label.clone(),
                    detail,
                }
            })?;
            if !seen.insert(next.to_string()) || next == url {
                return Err(incomplete(format!(
                    "the employments of person {id} repeat their next link"
                )));
            }
            url = next;
        }
        let Some(current) = choose_current(&employments) else {
            return Ok(Some(Ok(person)));
        };
        let mut names = Names::default();
        if let Some(d) = &current.department_id {
            names.department = Some(named(d, self.v2_name(LookupKind::OrgUnit, d, scope).await?));
        }
        if let Some(t) = &current.team_id {
            names.team = Some(named(t, self.v2_name(LookupKind::OrgUnit, t, scope).await?));
        }
        if let Some(o) = &current.office_id {
            names.office = Some(named(o, self.v2_name(LookupKind::Office, o, scope).await?));
        }
        Ok(Some(Ok(with_employment(person, Some(current), names))))
    }

    /// The name of an org unit or office, looked up once per id within `scope` (concurrent
    /// callers share the one request). A failed look-up is an error.
    async fn v2_name(
        &self,
        kind: LookupKind,
        id: &str,
        scope: &FetchScope<'_>,
    ) -> Result<String, Error> {
        if scope.reuse_known
            && let Some(name) = self.known_names.get(kind, id)
        {
            return Ok(name);
        }
        let requests = scope.requests;
        let cell = {
            let mut names = scope.names.lock().unwrap_or_else(|p| p.into_inner());
            names.entry((kind, id.to_owned())).or_default().clone()
        };
        let name = cell
            .get_or_try_init(|| async {
                let url = self.v2_endpoint(&["v2", kind.segment(), id], &[])?;
                let label = format!("/v2/{}/{id}", kind.segment());
                debug!(%label, "personio v2 name look-up");
                let name = self
                    .send(Call::get(url.as_str(), label), requests, parse::parse_named)
                    .await?;
                self.known_names.put(kind, id, &name);
                Ok::<_, Error>(name)
            })
            .await?;
        Ok(name.clone())
    }

    /// v2 targeted fetch: `/v2/persons?id=…` and the employments of each found person.
    pub(crate) async fn v2_people(&self, ids: &[PersonioId]) -> Result<TargetedListing, Error> {
        let requests = AtomicUsize::new(0);
        let scope = FetchScope::reusing_known(&requests);
        let scope = &scope;
        let mut answers = futures::stream::iter(crate::targeted::unique(ids))
            .map(|id| self.v2_one(id, scope))
            .buffered(self.config().concurrency);
        let mut out = TargetedListing::default();
        while let Some(answer) = answers.next().await {
            out.add(answer?);
        }
        drop(answers);
        out.requests = requests.load(Ordering::Relaxed);
        Ok(out)
    }

    async fn v2_one(&self, id: PersonioId, scope: &FetchScope<'_>) -> Result<Outcome, Error> {
        let requests = scope.requests;
        let id_text = id.to_string();
        let limit = self.v2_limit();
        let url = self.v2_endpoint(
            &["v2", "persons"],
            &[("id", id_text.as_str()), ("limit", limit.as_str())],
        )?;
        let page = self
            .send(
                Call::get(url.as_str(), "/v2/persons"),
                requests,
                parse::parse_persons_page,
            )
            .await?;
        let n = page.persons.len();
        let mut unidentified = Vec::new();
        for rec in page.persons {
            match rec {
                Ok(p) if p.id == id.key() => {
                    return Ok(match self.v2_complete(p, scope).await? {
                        Some(Ok(e)) => Outcome::Found(Box::new(e)),
                        Some(Err(m)) => Outcome::Malformed(m),
                        None => Outcome::Gone(id),
                    });
                }
                Err(m) if m.id == Some(id.key()) => return Ok(Outcome::Malformed(m)),
                Err(m) if m.id.is_none() => unidentified.push(m.reason),
                _ => {}
            }
        }
        if n == 0 {
            Ok(Outcome::Gone(id))
        } else if unidentified.len() == n {
            // Asked by id, answered with a record whose id cannot be read: protect it.
            Ok(Outcome::Malformed(MalformedEmployee {
                id: Some(id.key()),
                reason: unidentified.join("; "),
            }))
        } else {
            Err(Error::Malformed {
                path: "/v2/persons".into(),
                detail: format!(
                    "asked for person {id}, Personio answered other persons: the id filter was not applied"
                ),
            })
        }
    }
}

impl Client {
    /// `POST /v2/auth/token` (OAuth2 client credentials, form body); the caller holds
    /// `auth_lock`. `invalid_client` (or any 401) is [`Error::WrongCredentials`].
    pub(crate) async fn authenticate_v2_locked(&self) -> Result<(), Error> {
        const PATH: &str = "/v2/auth/token";
        let url = self.url(PATH);
        let request = || {
            self.http().post(&url).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.config().client_id.as_str()),
                ("client_secret", self.config().client_secret.expose_secret()),
            ])
        };
        let finish = |resp: reqwest::Response| async move {
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| Error::Unavailable {
                status: Some(status.as_u16()),
                detail: describe(&e),
            })?;
            if status.is_success() {
                let (token, expires_in) =
                    parse::parse_token(&body).map_err(|detail| Error::Malformed {
                        path: PATH.into(),
                        detail,
                    })?;
                self.set_token(token, expires_in);
                return Ok(());
            }
            let parsed = parse_error_body(&body);
            let invalid_client = parsed
                .as_ref()
                .and_then(|m| m.oauth_error.as_deref())
                .is_some_and(|c| c == "invalid_client");
            if invalid_client || status == StatusCode::UNAUTHORIZED {
                return Err(Error::WrongCredentials);
            }
            Err(Error::Api {
                status: status.as_u16(),
                path: PATH.into(),
                message: parsed.map(|m| m.message).unwrap_or_else(|| {
                    status.canonical_reason().unwrap_or("no message").to_owned()
                }),
            })
        };
        self.authenticate_with(PATH, request, finish).await
    }
}
