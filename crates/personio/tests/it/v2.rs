//! The v2 client, targeted and incremental fetches and webhook management against the
//! Personio simulator: v1 and v2 produce the same directory; a v2 listing is complete or a
//! typed error; deleted people come back as gone; nothing changed costs one request.
//! Faults the simulator has no switch for (a failing employments call or look-up) are
//! injected by a middleware in front of the simulator's real router.

use crate::common;
use personio::PersonioId;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use common::*;
use personio::{ApiVersion, Client, ClientConfig, Error, Listing, RateLimit, check_mandatory};
use serde_json::{Value, json};
use staffsync_core::{DirectoryEmployee, GroupKey, GroupKind, Policy, Snapshot, SourceEmployee};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

const N: usize = 250;

fn v2_config(base: &str) -> ClientConfig {
    config(base, RateLimit::Unlimited).with_api_version(ApiVersion::V2)
}

fn v2(base: &str) -> Client {
    Client::new(v2_config(base)).unwrap()
}

fn v1(base: &str) -> Client {
    Client::new(config(base, RateLimit::Unlimited)).unwrap()
}

/// A counter of `GET /_sim/stats` (`0` when the simulator leaves it out).
fn count(s: &Value, path: &[&str]) -> u64 {
    path.iter().fold(s, |v, p| &v[*p]).as_u64().unwrap_or(0)
}

async fn control(method: reqwest::Method, base: &str, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new().request(method, format!("{base}{path}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The fields v1 and v2 both carry, for comparison.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Common {
    id: i64,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    status: Option<String>,
    hire_date: Option<time::Date>,
    termination_date: Option<time::Date>,
    department: Option<String>,
    office: Option<String>,
    team: Option<String>,
    position: Option<String>,
    supervisor: Option<i64>,
}

fn common_fields(e: &SourceEmployee) -> Common {
    Common {
        id: e.id.0,
        first_name: e.first_name.clone(),
        last_name: e.last_name.clone(),
        email: e.email.clone(),
        status: e.status.as_ref().map(|s| s.as_str().to_owned()),
        hire_date: e.hire_date,
        termination_date: e.termination_date,
        department: e.department.as_ref().map(|u| u.name.clone()),
        office: e.office.as_ref().map(|u| u.name.clone()),
        team: e.team.as_ref().map(|u| u.name.clone()),
        position: e.position.clone(),
        supervisor: e.supervisor_id.map(|s| s.0),
    }
}

fn by_id(l: &[SourceEmployee]) -> BTreeMap<i64, Common> {
    l.iter().map(|e| (e.id.0, common_fields(e))).collect()
}

/// The directory a first sync would create from `listing`, on the compared fields and
/// the groups of kinds department/office/team/position.
fn directory(listing: &Listing, readable: BTreeSet<String>, today: time::Date) -> Vec<String> {
    let snapshot = Snapshot {
        employees: listing.employees.clone(),
        malformed: listing.malformed.clone(),
        readable_attributes: readable,
        complete: true,
        ..Default::default()
    };
    let plan = staffsync_core::planner::plan(&[], &snapshot, &Policy::default(), today);
    let kinds = [
        GroupKind::Department,
        GroupKind::Office,
        GroupKind::Team,
        GroupKind::Position,
    ];
    let mut out: Vec<String> = plan
        .creates
        .iter()
        .map(|d: &DirectoryEmployee| {
            let groups: BTreeSet<&GroupKey> = d
                .groups
                .iter()
                .filter(|g| kinds.contains(&g.kind))
                .collect();
            format!(
                "{} {} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                d.key,
                d.email,
                d.first_name,
                d.last_name,
                d.department,
                d.office,
                d.team,
                d.position,
                d.status,
                d.hire_date,
                d.termination_date,
                d.supervisor_key,
                groups
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_and_v2_produce_the_same_directory() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    let c1 = v1(&base);
    let c2 = v2(&base);
    let l1 = c1.fetch_all(|_| {}).await.unwrap();
    let progress = Mutex::new(Vec::new());
    let l2 = c2
        .fetch_all(|p| progress.lock().unwrap().push(p))
        .await
        .unwrap();
    assert_complete(&l1, N);
    assert_complete(&l2, N);
    assert!(l2.malformed.is_empty(), "{:?}", l2.malformed);
    assert_eq!(by_id(&l1.employees), by_id(&l2.employees));
    // Same order, too (both list by id).
    let ids = |l: &Listing| l.employees.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&l1), ids(&l2));
    let last = *progress.lock().unwrap().last().unwrap();
    assert_eq!((last.employees_done, last.employees_total), (N, N));
    assert_eq!(last.pages_done, last.pages_total);

    // The mandatory check passes the same way on both.
    let a1 = c1.attributes().await.unwrap();
    let a2 = c2.attributes().await.unwrap();
    assert!(check_mandatory(&a1).unwrap().is_empty());
    assert!(check_mandatory(&a2).unwrap().is_empty());

    // Through the planner: the same directory and the same groups.
    let keys = |a: &[personio::parse::AttributeInfo]| a.iter().map(|a| a.key.clone()).collect();
    let today = sim.today();
    let d1 = directory(&l1, keys(&a1), today);
    let d2 = directory(&l2, keys(&a2), today);
    assert!(d1.len() > N / 2, "{} people in the directory", d1.len());
    assert_eq!(d1, d2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_is_fetched_once_and_names_once_per_fetch() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    let client = v2(&base);
    let l = client.fetch_all(|_| {}).await.unwrap();
    assert_complete(&l, N);
    let s = stats(&base).await;
    assert_eq!(count(&s, &["requests", "v2_token"]), 1, "{s}");
    assert_eq!(client.auth_calls(), 1);
    assert_eq!(count(&s, &["requests", "v2_persons"]), 5, "{s}");
    assert_eq!(count(&s, &["requests", "v2_employments"]), N as u64, "{s}");
    let names: BTreeSet<(String, String)> = l
        .employees
        .iter()
        .flat_map(|e| {
            [
                e.department.as_ref().map(|u| ("org", u.id)),
                e.team.as_ref().map(|u| ("org", u.id)),
                e.office.as_ref().map(|u| ("office", u.id)),
            ]
        })
        .flatten()
        .map(|(k, id)| (k.to_owned(), format!("{id:?}")))
        .collect();
    let lookups = count(&s, &["requests", "v2_lookups"]);
    assert_eq!(lookups, names.len() as u64, "one look-up per id: {s}");
    assert_eq!(
        l.requests as u64,
        5 + N as u64 + lookups,
        "requests counted by the client"
    );
    // A second fetch on the same client: no new token; names are looked up again (once
    // per id), as a unit may have been renamed since.
    let dept = l
        .employees
        .iter()
        .find_map(|e| e.department.clone())
        .unwrap();
    let id = dept.id.unwrap();
    let renamed = reqwest::Client::new()
        .patch(format!("{base}/_sim/units/{id}"))
        .json(&json!({"name": "Renamed department"}))
        .send()
        .await
        .unwrap();
    assert!(renamed.status().is_success());
    let l2 = client.fetch_all(|_| {}).await.unwrap();
    let s = stats(&base).await;
    assert_eq!(count(&s, &["requests", "v2_token"]), 1, "{s}");
    assert_eq!(count(&s, &["requests", "v2_lookups"]), 2 * lookups, "{s}");
    assert!(
        l2.employees
            .iter()
            .filter_map(|e| e.department.as_ref())
            .any(|d| d.id == dept.id && d.name == "Renamed department"),
        "the second fetch shows the new name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_pages_are_retried() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    fault(
        &base,
        json!({"rate_limit_storm": {"requests": 3, "retry_after": 1}}),
    )
    .await;
    let started = std::time::Instant::now();
    let l = v2(&base).fetch_all(|_| {}).await.unwrap();
    assert_complete(&l, N);
    assert_eq!(l.rate_limited, 3);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(count(&stats(&base).await, &["rate_limited"]), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_persons_page_is_a_typed_error() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    fault(&base, json!({"fail_page": {"offset": 100, "status": 500}})).await;
    let err = v2(&base).fetch_all(|_| {}).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unavailable {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shifting_listing_is_incomplete() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    fault(&base, json!({"shift_listing": {"after_requests": 1}})).await;
    let err = v2(&base).fetch_all(|_| {}).await.unwrap_err();
    assert!(matches!(err, Error::IncompleteListing { .. }), "{err:?}");
    assert!(err.to_string().contains("listed twice"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_next_links_are_followed() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    control(
        reqwest::Method::PUT,
        &base,
        "/_sim/quirks",
        Some(json!({"v2_absolute_next": true})),
    )
    .await;
    let l = v2(&base).fetch_all(|_| {}).await.unwrap();
    assert_complete(&l, N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_revoked_tokens() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    let mut cfg = v2_config(&base);
    cfg.client_secret = "wrong".to_owned().into();
    let err = Client::new(cfg).unwrap().attributes().await.unwrap_err();
    assert!(matches!(err, Error::WrongCredentials), "{err:?}");

    let client = v2(&base);
    client.authenticate().await.unwrap();
    fault(&base, json!({"revoke_token": {}})).await;
    let l = client.fetch_all(|_| {}).await.unwrap();
    assert_complete(&l, N);
    assert_eq!(
        client.auth_calls(),
        2,
        "one re-authentication after the 401"
    );
}

/// Serves the simulator's router behind `rule`, which may answer a request itself.
async fn sim_behind(
    rule: impl Fn(&str) -> Option<Response> + Clone + Send + Sync + 'static,
) -> (String, personio_sim::SimState) {
    let state = personio_sim::SimState::new(personio_sim::SimConfig {
        employees: N,
        seed: 7,
        client_id: ID.into(),
        client_secret: SECRET.into(),
        rate_limit: false,
        ..Default::default()
    })
    .unwrap();
    let app = personio_sim::router(state.clone()).layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let rule = rule.clone();
            async move {
                match rule(req.uri().path()) {
                    Some(r) => r,
                    None => next.run(req).await,
                }
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (format!("http://{addr}"), state)
}

fn v2_error(status: u16) -> Response {
    (
        axum::http::StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({"personio_trace_id": "t-1", "errors": [{"title": "Boom", "detail": "injected"}]})),
    )
        .into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_employments_call_is_a_typed_error_not_a_partial_list() {
    // The 100th person's employments always fail.
    let victim: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let v = victim.clone();
    let (base, _state) = sim_behind(move |path| {
        let target = v.lock().unwrap().clone()?;
        (path == format!("/v2/persons/{target}/employments")).then(|| v2_error(500))
    })
    .await;
    let ids: Vec<PersonioId> = v1(&base)
        .fetch_all(|_| {})
        .await
        .unwrap()
        .employees
        .iter()
        .map(|e| PersonioId::of_key(e.id))
        .collect();
    *victim.lock().unwrap() = Some(ids[100].to_string());
    let err = v2(&base).fetch_all(|_| {}).await.unwrap_err();
    match &err {
        Error::Unavailable { status, detail } => {
            assert_eq!(*status, Some(500));
            assert!(detail.contains("Boom: injected (trace id t-1)"), "{detail}");
        }
        other => panic!("{other:?}"),
    }

    // Employments answering 404 mid-listing: the person vanished, the listing is incomplete.
    let v = victim.clone();
    let (base, _state) = sim_behind(move |path| {
        let target = v.lock().unwrap().clone()?;
        (path == format!("/v2/persons/{target}/employments")).then(|| v2_error(404))
    })
    .await;
    let err = v2(&base).fetch_all(|_| {}).await.unwrap_err();
    assert!(matches!(err, Error::IncompleteListing { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_employments_and_lookups_are_retried() {
    // The first 6 employments and the first 2 look-ups answer 429 (no Retry-After).
    let employments = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let lookups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (e, l) = (employments.clone(), lookups.clone());
    let (base, _state) = sim_behind(move |path| {
        use std::sync::atomic::Ordering::SeqCst;
        let limited = if path.ends_with("/employments") {
            e.fetch_add(1, SeqCst) < 6
        } else if path.starts_with("/v2/org-units/") || path.starts_with("/v2/offices/") {
            l.fetch_add(1, SeqCst) < 2
        } else {
            false
        };
        limited.then(|| v2_error(429))
    })
    .await;
    let listing = v2(&base).fetch_all(|_| {}).await.unwrap();
    assert_complete(&listing, N);
    assert_eq!(listing.rate_limited, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_name_lookup_is_an_error_not_a_missing_department() {
    let (base, _state) =
        sim_behind(|path| path.starts_with("/v2/org-units/").then(|| v2_error(404))).await;
    let err = v2(&base).fetch_all(|_| {}).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 404, path, .. } if path.starts_with("/v2/org-units/")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_people_reports_found_and_gone_on_both_versions() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    let full = v2(&base).fetch_all(|_| {}).await.unwrap();
    let (a, deleted, b) = (
        PersonioId::of_key(full.employees[3].id),
        PersonioId::of_key(full.employees[7].id),
        PersonioId::of_key(full.employees[200].id),
    );
    control(
        reqwest::Method::DELETE,
        &base,
        &format!("/_sim/employees/{deleted}"),
        None,
    )
    .await;
    let never = PersonioId(999_999_999);
    let ask = [a, deleted, b, a, never];
    let expected: Vec<&SourceEmployee> = [a, b]
        .iter()
        .map(|id| full.employees.iter().find(|e| e.id == id.key()).unwrap())
        .collect();
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let client =
            Client::new(config(&base, RateLimit::Unlimited).with_api_version(version)).unwrap();
        let t = client.fetch_people(&ask).await.unwrap();
        assert_eq!(
            t.found.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![a.key(), b.key()],
            "{version}"
        );
        assert_eq!(t.gone, vec![deleted, never], "{version}");
        assert!(t.malformed.is_empty(), "{version}");
        for (got, want) in t.found.iter().zip(&expected) {
            assert_eq!(common_fields(got), common_fields(want), "{version}");
        }
        if version == ApiVersion::V2 {
            // The whole record, custom attributes included, equals the full listing's.
            assert_eq!(t.found[0], *expected[0]);
        }
    }
    let empty = v2(&base).fetch_people(&[]).await.unwrap();
    assert_eq!(empty, personio::TargetedListing::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_updated_since_returns_only_people_changed_after_it() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    let since = OffsetDateTime::now_utc() - time::Duration::seconds(2);
    let full = v1(&base).fetch_all(|_| {}).await.unwrap();
    let target = full
        .employees
        .iter()
        .find(|e| e.department.is_some())
        .unwrap()
        .id;
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let client =
            Client::new(config(&base, RateLimit::Unlimited).with_api_version(version)).unwrap();
        let l = client.fetch_updated_since(since).await.unwrap();
        assert!(l.employees.is_empty(), "{version}: {:?}", l.employees);
        assert_eq!(
            l.requests, 1,
            "{version}: nothing changed costs one request"
        );
    }
    control(
        reqwest::Method::PATCH,
        &base,
        &format!("/_sim/employees/{target}"),
        Some(json!({"department": "Realtime Research"})),
    )
    .await;
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let client =
            Client::new(config(&base, RateLimit::Unlimited).with_api_version(version)).unwrap();
        let l = client.fetch_updated_since(since).await.unwrap();
        assert_eq!(
            l.employees.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![target],
            "{version}"
        );
        assert_eq!(
            l.employees[0].department.as_ref().map(|d| d.name.as_str()),
            Some("Realtime Research"),
            "{version}"
        );
        // A moment after the change: nothing again.
        let later = OffsetDateTime::now_utc() + time::Duration::seconds(1);
        let l = client.fetch_updated_since(later).await.unwrap();
        assert!(l.employees.is_empty(), "{version}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_created_listed_and_deleted() {
    let sim = sim!(N, false);
    let base = sim.base_url();
    let client = v2(&base);
    let hook = client
        .create_webhook(
            "http://127.0.0.1:9/personio-hook",
            &["person.created", "person.deleted"],
        )
        .await
        .unwrap();
    use secrecy::ExposeSecret;
    assert!(!hook.token.expose_secret().is_empty());
    assert_eq!(hook.events, ["person.created", "person.deleted"]);
    assert!(!format!("{hook:?}").contains(hook.token.expose_secret()));
    let listed = client.list_webhooks().await.unwrap();
    assert!(listed.iter().any(|w| w.id == hook.id), "{listed:?}");
    assert!(client.delete_webhook(&hook.id).await.unwrap());
    assert!(
        !client.delete_webhook(&hook.id).await.unwrap(),
        "already gone"
    );
    let listed = client.list_webhooks().await.unwrap();
    assert!(!listed.iter().any(|w| w.id == hook.id));
    let err = client
        .create_webhook("http://127.0.0.1:9/x", &["no.such_event"])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 422, .. }), "{err:?}");
    let err = v1(&base).list_webhooks().await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_counts_full_fetch_vs_one_person() {
    const BIG: usize = 2_000;
    let sim = sim!(BIG, false);
    let base = sim.base_url();
    let started = std::time::Instant::now();
    let full = v2(&base).fetch_all(|_| {}).await.unwrap();
    let full_elapsed = started.elapsed();
    assert_complete(&full, BIG);
    let v1_full = v1(&base).fetch_all(|_| {}).await.unwrap();
    let id = full.employees[1234].id;
    let one_v2 = v2(&base)
        .fetch_people(&[PersonioId::of_key(id)])
        .await
        .unwrap();
    let one_v1 = v1(&base)
        .fetch_people(&[PersonioId::of_key(id)])
        .await
        .unwrap();
    println!(
        "REQUEST COUNTS ({BIG} employees): v2 full fetch {} requests ({:.2} s, auth excluded); \
         v2 fetch_people(1 id) {} requests; v1 full fetch {} requests; v1 fetch_people(1 id) {} requests",
        full.requests,
        full_elapsed.as_secs_f64(),
        one_v2.requests,
        v1_full.requests,
        one_v1.requests
    );
    assert!(full.requests >= BIG / 50 + BIG);
    assert_eq!(one_v2.found.len(), 1);
    assert!(
        one_v2.requests <= 5,
        "persons?id + employments + at most 3 look-ups"
    );
    assert_eq!(one_v1.requests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_an_error_naming_the_url_and_is_never_followed() {
    // A listener that counts who arrives: the redirect's target.
    let target = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let target_url = format!("http://{}", target.local_addr().unwrap());
    let arrived = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let a = arrived.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = target.accept().await {
            a.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(s);
        }
    });
    let to = target_url.clone();
    let (base, _state) = sim_behind(move |path| {
        (path == "/v2/persons").then(|| {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [("location", format!("{to}/v2/persons"))],
            )
                .into_response()
        })
    })
    .await;
    let err = v2(&base).fetch_all(|_| {}).await.unwrap_err();
    match &err {
        Error::Redirected { status, url } => {
            assert_eq!(*status, 307);
            assert!(url.starts_with(&format!("{base}/v2/persons")), "{url}");
        }
        other => panic!("expected a redirect error, got {other:?}"),
    }
    assert!(err.to_string().contains(&base), "{err}");
    assert_eq!(arrived.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_transport_retries_an_unreachable_host_fails_after_one_attempt() {
    let closed = {
        let l = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let mut config = config(&closed, RateLimit::Unlimited);
    config.transport_retries = 0;
    let client = Client::new(config).unwrap();
    let err = client.attributes().await.unwrap_err();
    assert!(
        matches!(err, Error::Unavailable { status: None, .. }),
        "{err:?}"
    );
    assert_eq!(client.auth_calls(), 1, "no retry");
}
