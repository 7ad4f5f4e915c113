//! A test's world in its store: accounts (Personio or file), their admins and API
//! tokens, a simulated Personio company connected to an account, a full sync run the way
//! the scheduler runs one, and a logged-in admin's client.
//!
//! Only through the store's, the engine's and the web app's public entry points, as the
//! service itself or an admin would; never a row written by hand.

use crate::common::login;
use personio_sim::{SimConfig, SimHandle};
use reqwest::redirect::Policy;
use secrecy::SecretString;
use serde_json::Value;
use staffsync_core::AccountSlug;
use staffsync_engine::{Given, Scope, Source};
use staffsync_engine::{SyncOptions, SyncReport};
use staffsync_server::api::tokens::{generate_token, hash_token};
use staffsync_store::{Account, AccountId, AccountSource, Store};
use std::time::Duration;
use time::Date;

/// The credential every simulated Personio company of these tests accepts.
pub const CLIENT_ID: &str = "staffsync-test";
pub const CLIENT_SECRET: &str = "sim-Secret-Walnut-2024";
/// Every admin's password.
pub const PASSWORD: &str = "a-long-enough-password";
/// "Today" for `tenant`'s companies and syncs, so that their people do not change with
/// the real date.
pub const TODAY: Date = time::macros::date!(2026 - 06 - 15);

/// An account that syncs from Personio (not connected yet).
pub async fn account(store: &Store, slug: &str, name: &str) -> Account {
    account_with_source(store, slug, name, AccountSource::Personio).await
}

/// An account that imports employee files.
pub async fn file_account(store: &Store, slug: &str, name: &str) -> Account {
    account_with_source(store, slug, name, AccountSource::File).await
}

/// An account whose people an identity provider pushes over SCIM.
pub async fn scim_account(store: &Store, slug: &str, name: &str) -> Account {
    account_with_source(store, slug, name, AccountSource::Scim).await
}

async fn account_with_source(
    store: &Store,
    slug: &str,
    name: &str,
    source: AccountSource,
) -> Account {
    store
        .create_account_with_source(
            &AccountSlug::parse(slug).unwrap(),
            name,
            &Default::default(),
            source,
        )
        .await
        .unwrap()
}

/// An admin of `account` who logs in as `email` with `PASSWORD`.
pub async fn admin(store: &Store, account: AccountId, email: &str) {
    let hash = staffsync_server::auth::hash_password(PASSWORD).unwrap();
    store
        .create_admin(account, &email.parse().unwrap(), &hash)
        .await
        .unwrap();
}

/// A new API token of `account`, stored under `label`.
pub async fn api_token(store: &Store, account: AccountId, label: &str) -> String {
    let token = generate_token();
    store
        .create_api_token(account, &hash_token(&token), label)
        .await
        .unwrap();
    token
}

/// A simulated Personio company of `employees` people generated from `seed`, accepting
/// `CLIENT_ID`, without rate limits; `tune` changes the rest.
pub async fn personio(employees: usize, seed: u64, tune: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig {
        employees,
        seed,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_limit: false,
        ..SimConfig::default()
    };
    tune(&mut config);
    personio_sim::spawn(config).await.unwrap()
}

/// Connects `account` to `sim` as an admin would (the connection is checked and stored).
pub async fn connect_personio(store: &Store, account: AccountId, sim: &SimHandle) {
    staffsync_engine::connect::connect(
        store,
        account,
        &sim.base_url(),
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET),
    )
    .await
    .unwrap();
}

/// Calls one of the simulator's `/_sim/` control endpoints; its JSON answer (`Null` when
/// there is none).
pub async fn sim_call(sim: &SimHandle, method: reqwest::Method, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

/// One full sync of `account` (as it is stored now: its settings apply) under its lease,
/// as the scheduler runs one, without Personio's pacing; `today` as given or the real date.
pub async fn sync_now(store: &Store, account: &Account, today: Option<Date>) -> SyncReport {
    let options = SyncOptions {
        today,
        unlimited_rate: true,
        ..SyncOptions::default()
    };
    sync_with(store, account, &options).await
}

/// One full sync of `account` with `options` (an acceptance, a dry run), as [`sync_now`].
pub async fn sync_with(store: &Store, account: &Account, options: &SyncOptions) -> SyncReport {
    let wait = Duration::from_secs(60);
    let lease = staffsync_engine::lease::acquire(store, account.id, "test", wait, wait)
        .await
        .unwrap();
    let source = Source::open(store, account, Given::nothing())
        .await
        .unwrap();
    let report =
        staffsync_engine::run(store, &lease, account, source, Scope::Everyone, options).await;
    staffsync_engine::lease::give_back(store, lease).await;
    staffsync_engine::run::full(report.unwrap())
}

/// One import of `file` into the file account `account` under its lease, with `options`.
pub async fn import_now(
    store: &Store,
    account: &Account,
    file: employee_file::EmployeeFile,
    options: &SyncOptions,
) -> SyncReport {
    let wait = Duration::from_secs(30);
    let lease = staffsync_engine::lease::acquire(store, account.id, "test", wait, wait)
        .await
        .unwrap();
    let source = Source::open(store, account, Given::File(file))
        .await
        .unwrap();
    let report =
        staffsync_engine::run(store, &lease, account, source, Scope::Everyone, options).await;
    staffsync_engine::lease::give_back(store, lease).await;
    staffsync_engine::run::full(report.unwrap())
}

/// An API client's account: its simulated company, the account, and its token.
pub struct Tenant {
    pub sim: SimHandle,
    pub account: Account,
    pub token: String,
}

/// The account `slug`, connected to a company of `employees` people from `seed` (on
/// `TODAY`), with an API token, synced once.
pub async fn tenant(store: &Store, slug: &str, employees: usize, seed: u64) -> Tenant {
    let sim = personio(employees, seed, |c| c.today = Some(TODAY)).await;
    let account = account(store, slug, slug).await;
    connect_personio(store, account.id, &sim).await;
    let token = api_token(store, account.id, "tests").await;
    let report = sync_now(store, &account, Some(TODAY)).await;
    assert!(
        matches!(report.result, staffsync_engine::SyncResult::Applied),
        "{:?}",
        report.result
    );
    Tenant {
        sim,
        account,
        token,
    }
}

/// A client like a browser: it keeps cookies and does not follow redirects (a test
/// reads where they lead).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A `browser()` logged in at `base` as the admin `email`.
pub async fn logged_in(base: &str, email: &str) -> reqwest::Client {
    let c = browser();
    let r = login(&c, base, email, PASSWORD).await;
    assert_eq!(
        r.status(),
        reqwest::StatusCode::SEE_OTHER,
        "login as {email}"
    );
    c
}
