//! The admin web app over HTTP without a browser: login redirects, CSRF, rate limits,
//! cookie attributes, connect errors in plain words, secrets never echoed, and account
//! scoping. (The full walk in Chromium is `crates/staffsync/tests/browser.rs`.)
#![allow(clippy::unwrap_used)]

use personio_sim::SimConfig;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use staffsync_core::AccountSlug;
use staffsync_server::{AppState, ServerConfig, auth};
use staffsync_store::{Store, StoreConfig};
use std::net::SocketAddr;

const PASSWORD: &str = "a-long-enough-password";
const SECRET: &str = "sim-Secret-Walnut-2024";

struct App {
    base: String,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn app() -> App {
    let dir = tempfile::TempDir::new().unwrap();
    let store = Store::open(&StoreConfig {
        data_dir: dir.path().to_owned(),
        database_url: None,
        secret_key: None,
    })
    .await
    .unwrap();
    for (slug, email) in [
        ("acme", "admin@acme.example"),
        ("other", "admin@other.example"),
    ] {
        let account = store
            .create_account(&AccountSlug::parse(slug).unwrap(), slug, "Europe/Berlin")
            .await
            .unwrap();
        let hash = auth::hash_password(PASSWORD).unwrap();
        store.create_admin(account.id, email, &hash).await.unwrap();
    }
    let config = ServerConfig {
        run_scheduler: false,
        ..ServerConfig::default()
    };
    let state = AppState::new(store.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            staffsync_server::app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    App {
        base,
        store,
        _dir: dir,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The CSRF token of the first form on the page.
fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[start..start + 64].to_owned()
}

async fn get(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn login(c: &reqwest::Client, base: &str, email: &str, password: &str) -> reqwest::Response {
    let (_, html) = get(c, format!("{base}/login")).await;
    c.post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_need_a_login_and_posts_need_the_csrf_token() {
    let app = app().await;
    let c = client();
    for path in [
        "/",
        "/integration",
        "/employees",
        "/groups",
        "/history",
        "/history/1",
    ] {
        let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert!(r.status().is_redirection(), "{path}: {}", r.status());
        let to = r.headers()["location"].to_str().unwrap();
        assert!(to == "/login" || to == "/integration", "{path} → {to}");
    }
    // Session cookie attributes.
    let r = c.get(format!("{}/login", app.base)).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("staffsync_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Anmelden"), "German by default");

    // No token, a wrong token: 403, and nothing happens.
    let r = c
        .post(format!("{}/login", app.base))
        .form(&[("email", "admin@acme.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(format!("{}/login", app.base))
        .form(&[
            ("csrf", "0".repeat(64).as_str()),
            ("email", "admin@acme.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Wrong password: 401 with the message; right one: in.
    let r = login(&c, &app.base, "admin@acme.example", "wrong-password-1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("E-Mail oder Passwort ist falsch")
    );
    let r = login(&c, &app.base, "ADMIN@acme.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = get(&c, format!("{}/integration", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Verbinden") && html.contains("admin@acme.example"));

    // A logged-in POST without the token is refused too.
    let r = c
        .post(format!("{}/integration/disconnect", app.base))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // English by query (remembered), then by Accept-Language for a new client.
    let (_, html) = get(&c, format!("{}/history?lang=en", app.base)).await;
    assert!(html.contains("Sync history"));
    let (_, html) = get(&c, format!("{}/groups", app.base)).await;
    assert!(html.contains("Groups") && !html.contains("Gruppen</h1>"));
    let r = client()
        .get(format!("{}/login", app.base))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Log in"));

    // Logout ends the session.
    let (_, html) = get(&c, format!("{}/integration", app.base)).await;
    let r = c
        .post(format!("{}/logout", app.base))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/login");
    let r = c
        .get(format!("{}/integration", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_attempts_are_rate_limited() {
    let app = app().await;
    let c = client();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(login(&c, &app.base, "admin@acme.example", "nope-nope-nope").await);
    }
    let last = statuses.pop().unwrap();
    assert!(
        statuses
            .iter()
            .all(|r| r.status() == StatusCode::UNAUTHORIZED)
    );
    assert_eq!(last.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        last.text()
            .await
            .unwrap()
            .contains("Zu viele Anmeldeversuche")
    );
    // Even the right password waits now.
    let r = login(&c, &app.base, "admin@acme.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn connect(c: &reqwest::Client, base: &str, url: &str, secret: &str) -> (StatusCode, String) {
    let (_, html) = get(c, format!("{base}/integration")).await;
    let r = c
        .post(format!("{base}/integration/connect"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("client_id", "demo"),
            ("client_secret", secret),
            ("personio_url", url),
        ])
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_errors_are_plain_words_and_secrets_stay_hidden() {
    let app = app().await;
    let sim = personio_sim::spawn(SimConfig {
        employees: 10,
        client_id: "demo".into(),
        client_secret: SECRET.into(),
        rate_limit: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client();
    assert_eq!(
        login(&c, &app.base, "admin@acme.example", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let (status, html) = connect(&c, &app.base, &sim.base_url(), "wrong-Secret-123").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Personio hat die Zugangsdaten abgelehnt"),
        "{html}"
    );
    assert!(
        !html.contains("wrong-Secret-123"),
        "the secret is not echoed"
    );

    sim.set_readable(Some(vec![
        "first_name".into(),
        "last_name".into(),
        "email".into(),
    ]))
    .unwrap();
    let (status, html) = connect(&c, &app.base, &sim.base_url(), SECRET).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Pflichtattribut „Abteilung“"), "{html}");
    assert!(html.contains("Einstellungen → API-Zugangsdaten → Mitarbeiterdaten lesen → Attribute"));
    assert!(!html.contains(SECRET));

    sim.set_readable(Some(vec![
        "first_name".into(),
        "last_name".into(),
        "email".into(),
        "department".into(),
    ]))
    .unwrap();
    let (status, _) = connect(&c, &app.base, &sim.base_url(), SECRET).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get(&c, format!("{}/integration", app.base)).await;
    assert!(html.contains("Verbunden. Die erste Synchronisation startet jetzt."));
    assert!(
        html.contains("Ohne Eintrittsdatum"),
        "a missing recommended attribute is explained"
    );
    assert!(!html.contains(SECRET), "the secret is never rendered");
    assert!(
        app.store
            .schedule(staffsync_store::AccountId(1))
            .await
            .unwrap()
            .is_some()
    );

    // The other account's admin sees nothing of acme.
    let other = client();
    login(&other, &app.base, "admin@other.example", PASSWORD).await;
    let (_, html) = get(&other, format!("{}/integration", app.base)).await;
    assert!(
        html.contains("Mit Personio verbinden"),
        "other is not connected"
    );

    // Preview (dry run) renders who would be created.
    let (_, html) = get(&c, format!("{}/integration", app.base)).await;
    let r = c
        .post(format!("{}/integration/preview", app.base))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Wird neu angelegt"), "{html}");
    let (_, html) = get(&other, format!("{}/history", app.base)).await;
    assert!(
        html.contains("Noch keine Synchronisation"),
        "runs are per account"
    );
    sim.shutdown().await;
}
