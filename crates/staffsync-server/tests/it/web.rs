//! The admin web app over HTTP without a browser: login redirects, CSRF, rate limits,
//! cookie attributes, connect errors in plain words, secrets never echoed, and account
//! scoping. (The full walk in Chromium is `crates/staffsync/tests/browser.rs`.)
use crate::common::{
    CLIENT_ID, CLIENT_SECRET, PASSWORD, TestApp, account, admin, api_token, browser,
    connect_personio, csrf_of, file_account, logged_in, login, login_forwarded, personio,
    scim_account, sim_call, spawn_app, sync_now,
};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use staffsync_core::AccountSlug;
use staffsync_engine::ServerConfig;
use staffsync_engine::outbound::AllowedUrl;
use staffsync_server::auth;
use staffsync_store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn app() -> TestApp {
    app_with(|_| {}).await
}

/// The app with its configuration changed by `tune` (e.g. the Personio URLs it allows),
/// and two accounts with an admin each: `admin@acme.example` and `admin@other.example`.
async fn app_with(tune: impl FnOnce(&mut ServerConfig)) -> TestApp {
    let app = spawn_app(tune).await;
    for (slug, email) in [
        ("acme", "admin@acme.example"),
        ("other", "admin@other.example"),
    ] {
        let account = account(&app.store, slug, slug).await;
        admin(&app.store, account.id, email).await;
    }
    app
}

/// The account `acme` as the store has it now.
async fn acme(app: &TestApp) -> staffsync_store::Account {
    let slug = AccountSlug::parse("acme").unwrap();
    app.store.account(&slug).await.unwrap().unwrap()
}

/// `acme` with its settings changed by `tune`, connected to `sim` and synced once.
async fn acme_synced(
    app: &TestApp,
    sim: &personio_sim::SimHandle,
    tune: impl FnOnce(&mut staffsync_core::Settings),
) -> staffsync_store::Account {
    let account = acme(app).await;
    let mut settings = account.policy.settings.clone();
    tune(&mut settings);
    app.store
        .set_settings(account.id, &settings, "test")
        .await
        .unwrap();
    let account = acme(app).await;
    connect_personio(&app.store, account.id, sim).await;
    sync_now(&app.store, &account, None).await;
    account
}

/// The status and the text of `url`, as `c` gets them.
async fn get(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_need_a_login_and_posts_need_the_csrf_token() {
    let app = app().await;
    let c = browser();
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
    // The form sets only its CSRF cookie; the session cookie comes with the login.
    let r = c.get(format!("{}/login", app.base)).send().await.unwrap();
    assert!(set_cookie(&r, auth::SESSION_COOKIE).is_none());
    let cookie = set_cookie(&r, auth::LOGIN_CSRF_COOKIE).unwrap();
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
    let cookie = set_cookie(&r, auth::SESSION_COOKIE).unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
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
    let r = browser()
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
    let c = browser();
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
            ("client_id", CLIENT_ID),
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
    let sim = personio(10, 7, |_| {}).await;
    let app = app_with(|c| c.allowed_personio_urls.push(allow(&sim.base_url()))).await;
    let c = logged_in(&app.base, "admin@acme.example").await;

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
    // What was typed stays (the client id, and the URL under "Erweitert", open because it
    // is not Personio's own); the page says why the secret must be typed again.
    assert!(html.contains(&format!("value=\"{CLIENT_ID}\"")), "{html}");
    assert!(html.contains("<details open>"), "{html}");
    assert!(
        html.contains(&format!("value=\"{}\"", sim.base_url())),
        "{html}"
    );
    assert!(html.contains("id=\"secret-again\""), "{html}");
    let (_, fresh) = get(&c, format!("{}/integration", app.base)).await;
    assert!(!fresh.contains("<details open>") && !fresh.contains("secret-again"));

    sim.set_readable(Some(vec![
        "first_name".into(),
        "last_name".into(),
        "email".into(),
    ]))
    .unwrap();
    let (status, html) = connect(&c, &app.base, &sim.base_url(), CLIENT_SECRET).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Pflichtattribut „Abteilung“"), "{html}");
    assert!(html.contains("Einstellungen → API-Zugangsdaten → Mitarbeiterdaten lesen → Attribute"));
    assert!(!html.contains(CLIENT_SECRET));

    sim.set_readable(Some(vec![
        "first_name".into(),
        "last_name".into(),
        "email".into(),
        "department".into(),
    ]))
    .unwrap();
    let (status, _) = connect(&c, &app.base, &sim.base_url(), CLIENT_SECRET).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get(&c, format!("{}/integration", app.base)).await;
    assert!(html.contains("Verbunden. Die erste Synchronisation startet jetzt."));
    assert!(
        html.contains("Ohne Eintrittsdatum"),
        "a missing recommended attribute is explained"
    );
    assert!(
        !html.contains(CLIENT_SECRET),
        "the secret is never rendered"
    );
    assert!(
        app.store
            .schedule(staffsync_store::AccountId(1))
            .await
            .unwrap()
            .is_some()
    );

    // The other account's admin sees nothing of acme.
    let other = logged_in(&app.base, "admin@other.example").await;
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

fn allow(url: &str) -> AllowedUrl {
    AllowedUrl::parse(url).unwrap()
}

/// How a [`Fake`] server treats each connection.
#[derive(Clone)]
enum Answer {
    /// Reads the request, then sends these bytes (a whole HTTP response) and closes.
    With(String),
    /// Closes the connection at once, before any answer.
    Close,
    /// Reads the request and never answers (the connection stays open).
    Hang,
}

/// A tiny HTTP server on 127.0.0.1 that counts the connections it accepts: whether a
/// request reached it, and how often the client tried.
struct Fake {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl Fake {
    async fn start(answer: Answer) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                match &answer {
                    Answer::Close => drop(stream),
                    Answer::Hang => held.push(stream),
                    Answer::With(bytes) => {
                        let bytes = bytes.clone();
                        tokio::spawn(async move {
                            read_request(&mut stream).await;
                            let _ = stream.write_all(bytes.as_bytes()).await;
                            let _ = stream.shutdown().await;
                        });
                    }
                }
            }
        });
        Fake { url, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Reads one request's head and body (by `Content-Length`), so closing afterwards does
/// not reset the connection under the client's feet.
async fn read_request(stream: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_refuses_a_url_the_operator_did_not_allow_before_any_request() {
    let internal = Fake::start(Answer::With(
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".into(),
    ))
    .await;
    let app = app().await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    for url in [
        internal.url.clone(),
        format!("{}/api/v1/", internal.url),
        "http://127.0.0.1:8080/api/v1/".to_owned(),
        "http://api.personio.de".to_owned(),
    ] {
        let (status, html) = connect(&c, &app.base, &url, CLIENT_SECRET).await;
        assert_eq!(internal.connections(), 0, "a request reached {url}");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(
            html.contains("ist auf diesem Server nicht freigegeben") && html.contains(&url),
            "{url}: {html}"
        );
    }
    // In English too.
    get(&c, format!("{}/integration?lang=en", app.base)).await;
    let (_, html) = connect(&c, &app.base, &internal.url, CLIENT_SECRET).await;
    assert!(
        html.contains("is not allowed on this server") && html.contains(&internal.url),
        "{html}"
    );
    assert_eq!(internal.connections(), 0, "no request reached the URL");
    assert!(
        app.store
            .connection(staffsync_store::AccountId(1))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_does_not_follow_a_redirect_to_another_host() {
    let elsewhere = Fake::start(Answer::With(
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".into(),
    ))
    .await;
    // 307 keeps the method and the body: followed, it would carry the secret along.
    let redirecting = Fake::start(Answer::With(format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {}/v1/auth\r\ncontent-length: 0\r\n\r\n",
        elsewhere.url
    )))
    .await;
    let app = app_with(|c| c.allowed_personio_urls.push(allow(&redirecting.url))).await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    let (status, html) = connect(&c, &app.base, &redirecting.url, CLIENT_SECRET).await;
    assert!(redirecting.connections() >= 1);
    assert_eq!(elsewhere.connections(), 0, "the redirect was followed");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("antwortet keine Personio-API"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_to_an_unreachable_url_fails_at_once_without_retrying() {
    // Accepts and closes: the client sees a failed connection and could only retry.
    let closing = Fake::start(Answer::Close).await;
    // Nothing listens here any more.
    let closed = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let app = app_with(|c| {
        c.allowed_personio_urls.push(allow(&closing.url));
        c.allowed_personio_urls.push(allow(&closed));
    })
    .await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    for url in [&closing.url, &closed] {
        let (status, html) = connect(&c, &app.base, url, CLIENT_SECRET).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(
            html.contains("nicht erreichbar") && html.contains(url.as_str()),
            "{url}: {html}"
        );
    }
    assert_eq!(closing.connections(), 1, "one attempt, no retries");
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_never_shows_what_a_foreign_server_answered() {
    const MARKER: &str = "MARKER-7f3a-internal-admin-panel";
    let json = format!(r#"{{"success":false,"error":{{"code":404,"message":"{MARKER}"}}}}"#);
    let answers = [
        format!(
            "HTTP/1.1 404 {MARKER}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{json}",
            json.len()
        ),
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n<h1>{MARKER}</h1>",
            MARKER.len() + 9
        ),
    ];
    for answer in answers {
        let foreign = Fake::start(Answer::With(answer)).await;
        let app = app_with(|c| c.allowed_personio_urls.push(allow(&foreign.url))).await;
        let c = logged_in(&app.base, "admin@acme.example").await;
        let (status, html) = connect(&c, &app.base, &foreign.url, CLIENT_SECRET).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(foreign.connections() >= 1);
        assert!(
            !html.contains(MARKER),
            "the remote answer was echoed: {html}"
        );
        assert!(html.contains("antwortet keine Personio-API"), "{html}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_and_preview_answer_in_bounded_time_when_personio_hangs() {
    let hanging = Fake::start(Answer::Hang).await;
    let sim = personio(10, 7, |_| {}).await;
    let app = app_with(|c| {
        c.allowed_personio_urls.push(allow(&hanging.url));
        c.allowed_personio_urls.push(allow(&sim.base_url()));
        // Room for the simulator's answers on a loaded machine (the connect to it must
        // succeed); the hanging host and the two-minute delay are far beyond it.
        c.personio_answer_timeout = Duration::from_secs(5);
    })
    .await;
    // Far above the configured five seconds: without a bound the request fails here.
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    login(&c, &app.base, "admin@acme.example", PASSWORD).await;

    let (status, html) = connect(&c, &app.base, &hanging.url, CLIENT_SECRET).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Personio antwortet nicht rechtzeitig"),
        "{html}"
    );
    assert!(
        app.store
            .connection(staffsync_store::AccountId(1))
            .await
            .unwrap()
            .is_none()
    );

    // Connected, then every employee listing hangs: the preview gives up and says so.
    let (status, _) = connect(&c, &app.base, &sim.base_url(), CLIENT_SECRET).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    sim.add_fault(personio_sim::Fault::Slow {
        delay_ms: 120_000,
        requests: None,
    })
    .unwrap();
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    let r = c
        .post(format!("{}/integration/preview", app.base))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Personio antwortet nicht rechtzeitig"),
        "{html}"
    );
    // The dry run that gave up is recorded as failed, not left running.
    let runs = app.store.runs(staffsync_store::AccountId(1)).await.unwrap();
    assert_eq!(runs[0].kind, staffsync_store::RunKind::DryRun);
    assert_eq!(
        runs[0].status,
        staffsync_store::RunStatus::Failed,
        "{runs:?}"
    );
    assert!(
        runs.iter()
            .all(|r| r.status != staffsync_store::RunStatus::Running)
    );
}
/// How many session rows the store holds (deletes them: "expired" one day from now).
async fn session_rows(store: &Store) -> u64 {
    store
        .delete_expired_sessions(time::OffsetDateTime::now_utc() + time::Duration::days(1))
        .await
        .unwrap()
}

/// The value of cookie `name` set by `r`, if any.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_value(set_cookie: &str) -> String {
    let first = set_cookie.split(';').next().unwrap();
    first.split_once('=').unwrap().1.to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_login_forms_write_no_session_rows() {
    let app = app().await;
    for _ in 0..50 {
        let r = browser()
            .get(format!("{}/login", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            set_cookie(&r, auth::SESSION_COOKIE).is_none(),
            "no session cookie before a login"
        );
    }
    // A refused login (wrong password, wrong token) writes none either.
    let c = browser();
    let r = login(&c, &app.base, "admin@acme.example", "wrong-password-1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .post(format!("{}/login", app.base))
        .form(&[("csrf", "x"), ("email", "a@b.c"), ("password", "p")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(session_rows(&app.store).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_form_token_is_a_signed_cookie_and_forgeries_are_refused() {
    let app = app().await;
    let plain = || {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap()
    };
    let r = plain()
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(&r, auth::LOGIN_CSRF_COOKIE).expect("a login CSRF cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let token = cookie_value(&cookie);
    assert_eq!(csrf_of(&r.text().await.unwrap()), token, "double submit");
    let post = |cookie: Option<String>, form_token: String| {
        let mut req = plain().post(format!("{}/login", app.base)).form(&[
            ("csrf", form_token.as_str()),
            ("email", "admin@acme.example"),
            ("password", PASSWORD),
        ]);
        if let Some(c) = cookie {
            req = req.header("cookie", format!("{}={c}", auth::LOGIN_CSRF_COOKIE));
        }
        req.send()
    };
    // Missing cookie, a forged token in both places, a token that is not the cookie's.
    let mut forged = token.clone().into_bytes();
    forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
    let forged = String::from_utf8(forged).unwrap();
    for (cookie, form) in [
        (None, token.clone()),
        (Some(forged.clone()), forged.clone()),
        (Some(token.clone()), "0".repeat(64)),
        (Some(token.clone()), String::new()),
    ] {
        let r = post(cookie.clone(), form.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{cookie:?} / {form}");
    }
    assert_eq!(session_rows(&app.store).await, 0);
    // The real pair logs in: a session starts only now.
    let r = post(Some(token.clone()), token).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&r, auth::SESSION_COOKIE).is_some());
    assert_eq!(session_rows(&app.store).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stored_session_id_is_not_the_cookie_value() {
    use sha2::Digest as _;
    let app = app().await;
    let c = browser();
    let r = login(&c, &app.base, "admin@acme.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = cookie_value(&set_cookie(&r, auth::SESSION_COOKIE).unwrap());
    let now = time::OffsetDateTime::now_utc();
    assert!(app.store.load_session(&id, now).await.unwrap().is_none());
    let digest = hex::encode(sha2::Sha256::digest(id.as_bytes()));
    let (data, _) = app.store.load_session(&digest, now).await.unwrap().unwrap();
    // Nothing in the row rebuilds the cookie: not the id as the cookie spells it, nor
    // the number it encodes (tower-sessions' record serialises its id as that number).
    let number = id.parse::<tower_sessions::session::Id>().unwrap().0;
    for leak in [id.clone(), number.to_string(), "\"id\"".to_owned()] {
        assert!(
            !data.contains(&leak),
            "the session row holds {leak}: {data}"
        );
    }
    // And the session still works.
    let (status, _) = get(&c, format!("{}/integration", app.base)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_sessions_are_swept_without_a_login() {
    let unstarted = TestApp::unstarted().await;
    let store = unstarted.store.clone();
    let now = time::OffsetDateTime::now_utc();
    store
        .save_session("gone", "{}", now - time::Duration::minutes(1))
        .await
        .unwrap();
    store
        .save_session("live", "{}", now + time::Duration::hours(1))
        .await
        .unwrap();
    let app = unstarted.start(ServerConfig {
        run_scheduler: false,
        ..ServerConfig::default()
    });
    // Nobody logs in; the sweep runs on its own (at start, then periodically).
    let swept = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let left = store
                .delete_expired_sessions(now - time::Duration::hours(1))
                .await
                .unwrap();
            assert_eq!(left, 0);
            if store
                .load_session("gone", now - time::Duration::hours(1))
                .await
                .unwrap()
                .is_none()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(swept.is_ok(), "the expired session was not swept");
    assert!(store.load_session("live", now).await.unwrap().is_some());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_webhook_bodies_are_413_before_parsing() {
    let app = app().await;
    let body = format!(
        "{{\"event_name\":\"person.updated\",\"x\":\"{}\"}}",
        "a".repeat(100 * 1024)
    );
    let r = browser()
        .post(format!("{}/webhooks/personio/acme", app.base))
        .header("authorization", "whatever")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// A path that starts with `//` must not turn the language links of its error page into
/// links to another host (`//evil.example/x?lang=en` is scheme-relative).
#[tokio::test(flavor = "multi_thread")]
async fn language_links_stay_on_this_site_for_a_path_with_two_slashes() {
    let app = app().await;
    for path in ["//evil.example/x", "///evil.example/x"] {
        let (status, html) = get(&browser(), format!("{}{path}", app.base)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            html.contains(r#"href="/evil.example/x?lang=en""#),
            "{path}: {html}"
        );
        assert!(!html.contains(r#"href="//"#), "{path}: {html}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn web_errors_are_html_pages_with_the_security_headers() {
    let app = app().await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    for (method, path, status) in [
        (reqwest::Method::GET, "/no-such-page", StatusCode::NOT_FOUND),
        (
            reqwest::Method::GET,
            "/history/abc",
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::GET,
            "/employees?page=abc",
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::PUT,
            "/login",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            reqwest::Method::GET,
            "/integration/sync",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ] {
        let r = c
            .request(method.clone(), format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{method} {path}");
        let headers = r.headers().clone();
        for name in [
            "content-security-policy",
            "x-frame-options",
            "x-content-type-options",
            "referrer-policy",
            "cache-control",
        ] {
            assert!(headers.contains_key(name), "{method} {path}: no {name}");
        }
        let ct = headers["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/html"), "{method} {path}: {ct}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<html") || html.contains("<!doctype"),
            "{method} {path}: {html}"
        );
        assert!(!html.contains("Cannot parse"), "{method} {path}: {html}");
    }
    // Operations endpoints carry them too.
    let r = c.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert!(r.headers().contains_key("x-content-type-options"));
}

/// A login as `client_ip` behind a proxy (on 127.0.0.1) that says so in X-Forwarded-For.
async fn login_via_proxy(
    base: &str,
    client_ip: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let forwarded = format!("{client_ip}, 127.0.0.1");
    login_forwarded(&browser(), base, email, password, Some(&forwarded)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lockout_from_one_address_does_not_lock_the_admin_out_from_another() {
    let app = app_with(|c| {
        c.trusted_proxies =
            vec![staffsync_server::client_ip::parse_trusted_proxy("127.0.0.0/8").unwrap()]
    })
    .await;
    let email = "admin@acme.example";
    for _ in 0..auth::LOGIN_ATTEMPTS_PER_MINUTE {
        let r = login_via_proxy(&app.base, "203.0.113.9", email, "guess-guess-guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_via_proxy(&app.base, "203.0.113.9", email, PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is locked"
    );
    let r = login_via_proxy(&app.base, "198.51.100.7", email, PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the admin's address is not"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn forwarded_for_is_ignored_without_a_trusted_proxy() {
    let app = app().await;
    let email = "admin@acme.example";
    for i in 0..auth::LOGIN_ATTEMPTS_PER_MINUTE {
        // A different claimed address each time: all count for the one real peer.
        let r = login_via_proxy(
            &app.base,
            &format!("203.0.113.{i}"),
            email,
            "guess-guess-guess",
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_via_proxy(&app.base, "198.51.100.7", email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_history_names_skipped_people_the_directory_knows() {
    let sim = personio(20, 7, |_| {}).await;
    let app = app().await;
    let account = acme(&app).await;
    connect_personio(&app.store, account.id, &sim).await;
    sync_now(&app.store, &account, None).await;
    let directory = app.store.directory(account.id).await.unwrap();
    let (keeper, copier) = (&directory[0], &directory[1]);
    // The second takes the first's e-mail in Personio: the first keeps it, the second is
    // skipped and stays in the directory as they were.
    sim_call(
        &sim,
        reqwest::Method::PATCH,
        &format!("/_sim/employees/{}", copier.key),
        serde_json::json!({"email": keeper.email}),
    )
    .await;
    let report = sync_now(&app.store, &account, None).await;
    assert!(
        report.plan.skips.iter().any(|s| s.key == Some(copier.key)),
        "{:?}",
        report.plan.skips
    );
    let c = logged_in(&app.base, "admin@acme.example").await;
    let (status, html) = get(&c, format!("{}/history/{}", app.base, report.run_id.0)).await;
    assert_eq!(status, StatusCode::OK);
    let skips = &html[html.find("id=\"skips\"").expect("a list of skips")..];
    let name = format!("{} {}", copier.first_name, copier.last_name);
    let row = skips
        .split("<tr>")
        // The id's cell carries its column's name for phones (data-label="Personio-ID").
        .find(|row| row.contains(&format!("\">{}</td>", copier.key)))
        .unwrap_or_else(|| panic!("a row for {}: {skips}", copier.key));
    assert!(
        row.contains(&askama_escape(&name)),
        "the name {name} is shown: {row}"
    );
    // Someone never imported has no name staffsync keeps; the cell says so.
    assert!(
        report.plan.skips.len() == 1 || skips.contains("nicht im Verzeichnis"),
        "{skips}"
    );
}

/// `s` as askama writes it into HTML.
fn askama_escape(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhooks_card_adds_an_endpoint_shows_its_secret_once_and_removes_it() {
    let app = app().await;
    let c = browser();
    let r = login(&c, &app.base, "admin@acme.example", PASSWORD).await;
    assert!(r.status().is_redirection());
    let (_, html) = get(&c, format!("{}/integration?lang=en", app.base)).await;
    // The HR admin's page only links to it: the card is on the developers' page.
    assert!(!html.contains("webhooks-card") && html.contains("href=\"/developer\""));
    let (_, html) = get(&c, format!("{}/developer?lang=en", app.base)).await;
    assert!(html.contains("Outgoing webhooks") && html.contains("No endpoint yet."));
    let csrf = csrf_of(&html);
    // Internal addresses are refused (the default policy), in plain words.
    let r = c
        .post(format!("{}/integration/webhooks", app.base))
        .form(&[("csrf", csrf.as_str()), ("url", "https://127.0.0.1/hook")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"webhook-error\""));
    let r = c
        .post(format!("{}/integration/webhooks", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("url", "https://hooks.example.com/staffsync"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    let start = html.find("<code>whsec_").expect("the secret, once") + 6;
    let secret = &html[start..start + html[start..].find('<').unwrap()];
    assert!(html.contains("https://hooks.example.com/staffsync"));
    let (_, again) = get(&c, format!("{}/developer", app.base)).await;
    assert!(again.contains("https://hooks.example.com/staffsync"));
    assert!(!again.contains(secret), "the secret is shown only once");
    assert!(again.contains("No deliveries yet."));
    // Another account's admin sees none of it and cannot remove it.
    let endpoint = app
        .store
        .webhook_endpoints(staffsync_store::AccountId(1))
        .await
        .unwrap()[0]
        .id;
    let other = logged_in(&app.base, "admin@other.example").await;
    let (_, theirs) = get(&other, format!("{}/developer", app.base)).await;
    assert!(!theirs.contains("hooks.example.com"));
    let r = other
        .post(format!(
            "{}/integration/webhooks/{endpoint}/delete",
            app.base
        ))
        .form(&[("csrf", csrf_of(&theirs).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c
        .post(format!(
            "{}/integration/webhooks/{endpoint}/delete",
            app.base
        ))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()[reqwest::header::LOCATION], "/developer");
    let (_, after) = get(&c, format!("{}/developer", app.base)).await;
    assert!(!after.contains("hooks.example.com") && after.contains("The endpoint was removed."));
}

/// A `multipart/form-data` body of `fields` (name, file name, bytes), as a browser sends
/// it, with its content type.
fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----staffsync-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file_name, bytes) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file_name {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_uploads_get_a_page_saying_why_and_change_nothing() {
    let app = app_with(|c| c.max_upload_bytes = 4096).await;
    let account = files_account(&app).await;
    let c = logged_in(&app.base, "admin@files.example").await;
    let (status, page) = get(&c, format!("{}/integration", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Mitarbeiter importieren"), "{page}");
    let csrf = csrf_of(&page);
    let upload = |fields: Vec<(&'static str, Option<&'static str>, Vec<u8>)>| {
        let c = c.clone();
        let url = format!("{}/integration/import", app.base);
        async move {
            let borrowed: Vec<(&str, Option<&str>, &[u8])> = fields
                .iter()
                .map(|(n, f, b)| (*n, *f, b.as_slice()))
                .collect();
            let (content_type, body) = multipart(&borrowed);
            let r = c
                .post(url)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let good = b"ImportId,Email,Firstname,Lastname\nA1,anna@files.example,Anna,Weber\n".to_vec();
    let token = || csrf.clone().into_bytes();

    // Without the session's CSRF token: refused before the file is read.
    let (status, _) = upload(vec![("file", Some("employees.csv"), good.clone())]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (what, file, expect, says) in [
        (
            "no file",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Datei aus",
        ),
        (
            "a damaged workbook",
            Some(("employees.xlsx", b"PK\x03\x04 not really a zip".to_vec())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Die Datei ist keine lesbare XLSX-Datei: Öffnen Sie sie in Ihrem Tabellenprogramm",
        ),
        (
            "no Email column",
            Some((
                "employees.csv",
                b"ImportId,Firstname,Lastname\nA1,Anna,Weber\n".to_vec(),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Der Datei fehlt die Spalte Email (auch akzeptiert: E-Mail",
        ),
        (
            "two columns that mean Email",
            Some((
                "employees.csv",
                b"ImportId,Email,Firstname,Lastname,E-Mail\nA1,a@files.example,Anna,Weber,b@files.example\n"
                    .to_vec(),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "„Email“ (Spalte 2) und „E-Mail“ (Spalte 5) bedeuten beide Email",
        ),
        (
            "random bytes",
            Some(("employees.csv", vec![0xff, 0x00, 0xfe, 0x12, 0x80, 0x81])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nicht übernommen",
        ),
    ] {
        let mut fields = vec![("csrf", None, token())];
        if let Some((name, bytes)) = file {
            fields.push(("file", Some(name), bytes));
        }
        let (status, page) = upload(fields).await;
        assert_eq!(status, expect, "{what}: {page}");
        // Said in the page's language, never in the engine's English.
        let error = page
            .split("id=\"import-error\">")
            .nth(1)
            .and_then(|rest| rest.split("</div>").next())
            .unwrap_or_default();
        assert!(error.contains(says), "{what}: {page}");
        for english in ["the file", "column", "also accepted"] {
            assert!(
                !error.contains(english),
                "{what}: {english:?} on a German page: {error}"
            );
        }
    }
    // Larger than the limit: 413, whatever the file.
    let (status, _) = upload(vec![
        ("csrf", None, token()),
        ("file", Some("employees.csv"), vec![b'x'; 8192]),
    ])
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.store.directory(account.id).await.unwrap().is_empty());
    assert!(
        app.store.runs(account.id).await.unwrap().is_empty(),
        "a refused file is not a run"
    );

    // A good file: previewed (a dry run), applied only with the preview's token.
    let (status, page) = upload(vec![
        ("csrf", None, token()),
        ("file", Some("employees.csv"), good.clone()),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("import-apply-button"), "{page}");
    assert!(app.store.directory(account.id).await.unwrap().is_empty());
    let start = page.find("name=\"token\" value=\"").unwrap() + 20;
    let upload_token = &page[start..start + page[start..].find('"').unwrap()];
    let apply = |t: String| {
        let c = c.clone();
        let (url, csrf) = (
            format!("{}/integration/import/apply", app.base),
            csrf.clone(),
        );
        async move {
            c.post(url)
                .form(&[("csrf", csrf.as_str()), ("token", t.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = apply("not-the-token".into()).await;
    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert_eq!(wrong.headers()["location"], "/integration");
    assert!(app.store.directory(account.id).await.unwrap().is_empty());
    let applied = apply(upload_token.to_owned()).await;
    assert_eq!(applied.status(), StatusCode::SEE_OTHER);
    assert!(
        applied.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/history/")
    );
    let directory = app.store.directory(account.id).await.unwrap();
    assert_eq!(directory.len(), 1);
    assert_eq!(directory[0].email, "anna@files.example");
}

/// Sends `head` (a request's header block) and `partial` (part of its body) on a raw
/// connection, then sends nothing more: a client that stalls mid-upload. Answers what the
/// server said before it closed the connection, or `None` when it neither answered nor
/// closed within `wait`.
async fn stall_after(base: &str, head: &str, partial: &[u8], wait: Duration) -> Option<String> {
    let addr = base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (and close) before it has all of this: that is the point.
    let _ = conn.write_all(partial).await;
    let mut answer = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(wait, read).await.ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

/// A file account `files` with the admin `admin@files.example`, for the upload tests.
async fn files_account(app: &TestApp) -> staffsync_store::Account {
    let account = file_account(&app.store, "files", "Dateien GmbH").await;
    admin(&app.store, account.id, "admin@files.example").await;
    account
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_without_a_login_is_refused_before_its_body_is_read() {
    let app = app().await;
    files_account(&app).await;
    // 19.5 MB announced (under the 20 MB limit), 64 KB sent, then nothing: the server
    // must answer from the headers alone and let the connection go, not wait for (and
    // hold) the rest.
    let head = format!(
        "POST /integration/import HTTP/1.1\r\nHost: x\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        19_500_000
    );
    let answer = stall_after(
        &app.base,
        &head,
        &[b'x'; 64 * 1024],
        Duration::from_secs(10),
    )
    .await
    .expect("the server neither answered nor closed the connection");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    // With a cookie that names no session, the same.
    let head = head.replace(
        "Host: x\r\n",
        &format!(
            "Host: x\r\nCookie: {}=bm90LWEtc2Vzc2lvbg\r\n",
            auth::SESSION_COOKIE
        ),
    );
    let answer = stall_after(
        &app.base,
        &head,
        &[b'x'; 64 * 1024],
        Duration::from_secs(10),
    )
    .await
    .expect("the server neither answered nor closed the connection");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_upload_is_answered_408_and_let_go() {
    let app = app_with(|c| c.upload_idle_timeout = Duration::from_millis(500)).await;
    let account = files_account(&app).await;
    let c = browser();
    let r = login(&c, &app.base, "admin@files.example", PASSWORD).await;
    let session = cookie_value(&set_cookie(&r, auth::SESSION_COOKIE).unwrap());
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    let csrf = csrf_of(&page);
    let first_part = format!(
        "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--b\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nImportId,"
    );
    let head = format!(
        "POST /integration/import HTTP/1.1\r\nHost: x\r\nCookie: {}={session}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n",
        auth::SESSION_COOKIE
    );
    let answer = stall_after(
        &app.base,
        &head,
        first_part.as_bytes(),
        Duration::from_secs(10),
    )
    .await
    .expect("a stalled upload was neither answered nor let go");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // The REST import: the same for a token's upload.
    let token = api_token(&app.store, account.id, "t").await;
    let head = format!(
        "POST /api/v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: text/csv\r\nContent-Length: 1000000\r\n\r\n"
    );
    let answer = stall_after(
        &app.base,
        &head,
        b"ImportId,Email\n",
        Duration::from_secs(10),
    )
    .await
    .expect("a stalled REST import was neither answered nor let go");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("stopped sending"), "{answer}");
    // Nothing ran.
    assert!(app.store.runs(account.id).await.unwrap().is_empty());
}

/// The admin of the file account `files`, logged in, and their CSRF token.
async fn files_admin(app: &TestApp) -> (reqwest::Client, String) {
    files_account(app).await;
    let c = logged_in(&app.base, "admin@files.example").await;
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    (c, csrf_of(&page))
}

/// Uploads `csv` as `employees.csv` from `c` (logged in, `csrf` its token) and answers
/// the preview page.
async fn upload_csv(c: &reqwest::Client, base: &str, csrf: &str, csv: &[u8]) -> String {
    let (content_type, body) = multipart(&[
        ("csrf", None, csrf.as_bytes()),
        ("file", Some("employees.csv"), csv),
    ]);
    let r = c
        .post(format!("{base}/integration/import"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// Issue 22, point 8: "1 Zeilen mit Fehlern" — a count of one takes the singular, in
/// German and in English; other counts keep the plural.
#[tokio::test(flavor = "multi_thread")]
async fn counts_of_one_take_the_singular_in_both_languages() {
    let app = app().await;
    let (c, csrf) = files_admin(&app).await;
    let one_bad = b"ImportId,Email,Firstname,Lastname\nA1,anna@files.example,Anna,Weber\nA2,kein-at-zeichen,Ben,Roth\nA3,cem@files.example,Cem,Arslan\n";
    let html = upload_csv(&c, &app.base, &csrf, one_bad).await;
    assert!(
        html.contains("import-row-error-count\">1</span> Zeile mit Fehlern<"),
        "{html}"
    );
    assert!(
        html.contains("import-rows\">2</span> Zeilen gelesen"),
        "{html}"
    );
    let one_good = b"ImportId,Email,Firstname,Lastname\nA1,anna@files.example,Anna,Weber\n";
    let html = upload_csv(&c, &app.base, &csrf, one_good).await;
    assert!(
        html.contains("import-rows\">1</span> Zeile gelesen"),
        "{html}"
    );
    assert!(
        html.contains("import-row-error-count\">0</span> Zeilen mit Fehlern<"),
        "{html}"
    );
    get(&c, format!("{}/integration?lang=en", app.base)).await;
    let html = upload_csv(&c, &app.base, &csrf, one_bad).await;
    assert!(
        html.contains("import-row-error-count\">1</span> row with errors<"),
        "{html}"
    );
    assert!(html.contains("import-rows\">2</span> rows read"), "{html}");
}

/// Issue 22, point 8: downloading the English template leaves the session in German; the
/// template's language is its own parameter, and the page links to it.
#[tokio::test(flavor = "multi_thread")]
async fn the_english_template_does_not_switch_the_session_to_english() {
    let app = app().await;
    let (c, csrf) = files_admin(&app).await;
    let good = b"ImportId,Email,Firstname,Lastname\nA1,anna@files.example,Anna,Weber\n";
    let html = upload_csv(&c, &app.base, &csrf, good).await;
    let href = "/integration/import/template?format=csv&amp;file_lang=en";
    assert!(html.contains(href), "{html}");
    assert!(!html.contains("&amp;lang=en\" id=\"template"), "{html}");
    let r = c
        .get(format!("{}{}", app.base, href.replace("&amp;", "&")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(set_cookie(&r, "lang").is_none(), "{:?}", r.headers());
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("employees-template.csv"),
        "{disposition}"
    );
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    assert!(
        page.contains("Mitarbeiter importieren"),
        "still German: {page}"
    );
    let (status, _) = get(
        &c,
        format!(
            "{}/integration/import/template?format=csv&file_lang=de",
            app.base
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// Issue 22, point 8: the login form lets password managers fill it in.
#[tokio::test(flavor = "multi_thread")]
async fn the_login_fields_say_what_to_autocomplete() {
    let app = app().await;
    let (status, html) = get(&browser(), format!("{}/login", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"email\" type=\"email\" autocomplete=\"username\""),
        "{html}"
    );
    assert!(
        html.contains("type=\"password\" autocomplete=\"current-password\""),
        "{html}"
    );
}

/// Issue 22, point 9: a negative "ab so vielen Personen" or percent is refused on the
/// page, naming the field in the page's language; nothing is saved.
#[tokio::test(flavor = "multi_thread")]
async fn negative_deletion_guard_numbers_are_refused_and_nothing_is_saved() {
    let app = app().await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    let (status, page) = get(&c, format!("{}/integration/settings", app.base)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let csrf = csrf_of(&page);
    let before = acme(&app).await.policy.settings;
    for (path, share, min, expect) in [
        (
            "/integration/settings",
            "20",
            "-5",
            "„ab so vielen Personen“",
        ),
        (
            "/integration/settings",
            "-10",
            "5",
            "„Höchstens entfernen ohne Prüfung (in %)“",
        ),
        (
            "/integration/settings/preview",
            "20",
            "-5",
            "„ab so vielen Personen“",
        ),
        (
            "/integration/settings?lang=en",
            "20",
            "-5",
            "“from this many people”",
        ),
    ] {
        let r = c
            .post(format!("{}{path}", app.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("max_share_percent", share),
                ("min_people", min),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {share} {min}"
        );
        let html = r.text().await.unwrap();
        let error = &html[html.find("id=\"settings-error\"").expect("an error")..];
        let error = &error[..error.find("</div>").unwrap()];
        assert!(error.contains(&askama_escape(expect)), "{error}");
        let typed = if min == "-5" { min } else { share };
        assert!(error.contains(typed), "{error}");
        assert!(
            html.contains(&format!("value=\"{typed}\"")),
            "the typed value stays"
        );
    }
    let after = acme(&app).await.policy.settings;
    assert_eq!(before, after, "nothing saved");
}

/// Issue 22, point 9: groups by kind, then name, tenure bands by time ("10 Jahre und
/// länger" last), and a search by name that works without script.
#[tokio::test(flavor = "multi_thread")]
async fn groups_are_ordered_by_name_and_band_and_can_be_searched() {
    let sim = personio(40, 11, |_| {}).await;
    let app = app().await;
    let account = acme_synced(&app, &sim, |s| {
        s.groups.tenure = true;
    })
    .await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    let (status, html) = get(&c, format!("{}/groups", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    let at = |name: &str| html.find(&format!(">{}</a>", askama_escape(name)));
    let bands: Vec<usize> = staffsync_core::TenureBand::ALL
        .iter()
        .filter_map(|b| at(b.name_de()))
        .collect();
    assert!(bands.len() >= 3, "several tenure bands: {html}");
    assert!(bands.is_sorted(), "bands by time: {bands:?}");
    let groups = app.store.groups(account.id).await.unwrap();
    let mut departments: Vec<&str> = groups
        .iter()
        .filter(|g| g.kind == staffsync_core::GroupKind::Department)
        .map(|g| g.name.as_str())
        .collect();
    assert!(departments.len() >= 2, "{departments:?}");
    assert!(
        departments.iter().any(|d| d.starts_with('Ö')),
        "a name with an umlaut: {departments:?}"
    );
    // German order: "Ö" with the "O", not after "Z"; searches ignore accents too.
    let folded = |s: &str| {
        s.to_lowercase()
            .replace('ä', "a")
            .replace('ö', "o")
            .replace('ü', "u")
    };
    departments.sort_by_key(|d| folded(d));
    let shown: Vec<usize> = departments
        .iter()
        .map(|d| at(d).unwrap_or_else(|| panic!("{d} listed: {html}")))
        .collect();
    assert!(
        shown.is_sorted(),
        "departments by name: {departments:?} at {shown:?}"
    );

    // Search: case-insensitive on the shown name, a GET form.
    assert!(
        html.contains("<form method=\"get\" action=\"/groups\""),
        "{html}"
    );
    let wanted = departments[0];
    let q = wanted[1..wanted.len().min(5)].to_uppercase();
    let (status, found) = get(&c, format!("{}/groups?q={}", app.base, urlencode(&q))).await;
    assert_eq!(status, StatusCode::OK);
    for g in &groups {
        use staffsync_core::GroupKind as K;
        let name = match g.kind {
            K::Tenure => staffsync_core::TenureBand::parse(&g.name)
                .unwrap()
                .name_de(),
            // Reporting lines show their manager's name, which this test does not look up.
            K::ReportsDirect | K::ReportsAll => continue,
            _ => g.name.as_str(),
        };
        let listed = found.contains(&format!(">{}</a>", askama_escape(name)));
        let matches = folded(name).contains(&folded(&q));
        assert_eq!(listed, matches, "{name} for {q}: {found}");
    }
    let (_, found) = get(&c, format!("{}/groups?q=offentlich", app.base)).await;
    assert!(
        found.contains(">Öffentlichkeitsarbeit</a>"),
        "accents ignored: {found}"
    );
    let (_, none) = get(&c, format!("{}/groups?q=zzzz-no-such-group", app.base)).await;
    assert!(none.contains("Keine Gruppe passt zur Suche."), "{none}");
}

/// Issue 24, point 2: the Gruppen page lists the account's survey snapshots (label,
/// created, count), newest first, in German and English; another account's are not shown.
#[tokio::test(flavor = "multi_thread")]
async fn the_groups_page_lists_the_accounts_survey_snapshots() {
    let sim = personio(30, 11, |_| {}).await;
    let app = app().await;
    let acme = acme_synced(&app, &sim, |_| {}).await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    let (_, before) = get(&c, format!("{}/groups", app.base)).await;
    assert!(
        !before.contains("id=\"snapshots\""),
        "no list without snapshots"
    );

    let everyone = |directory: &[staffsync_core::DirectoryEmployee],
                    _: &[staffsync_store::GroupSummary]| {
        Ok::<_, staffsync_store::StoreError>(directory.iter().map(|e| e.key).collect())
    };
    let store = &app.store;
    let (first, _) = store
        .create_snapshot(acme.id, "Pulse <Q1> & Co", everyone)
        .await
        .unwrap();
    let (second, _) = store
        .create_snapshot(acme.id, "Onboarding 2026", |d, _| {
            Ok::<_, staffsync_store::StoreError>(d.iter().take(3).map(|e| e.key).collect())
        })
        .await
        .unwrap();
    let other = account(store, "beta", "Beta GmbH").await;
    store
        .create_snapshot(other.id, "Not acme's", everyone)
        .await
        .unwrap();

    let (status, html) = get(&c, format!("{}/groups", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Eingefrorene Zielgruppen"), "{html}");
    let rows: Vec<&str> = html.split("<tr class=\"snapshot\">").skip(1).collect();
    assert_eq!(rows.len(), 2, "{html}");
    assert!(
        rows[0].contains(">Onboarding 2026<") && rows[0].contains(">3<"),
        "newest first: {}",
        rows[0]
    );
    assert!(
        rows[1].contains(">Pulse &#60;Q1&#62; &#38; Co<"),
        "escaped: {}",
        rows[1]
    );
    assert!(rows[1].contains(&format!(">{}<", first.count)));
    assert!(rows[1].contains("data-label=\"Erstellt\""), "{}", rows[1]);
    assert!(rows[1].contains(" Uhr<"), "German time: {}", rows[1]);
    assert!(!html.contains("Not acme"), "another account's snapshot");

    let (_, english) = get(&c, format!("{}/groups?lang=en", app.base)).await;
    assert!(english.contains("Frozen survey audiences"), "{english}");
    assert!(english.contains("data-label=\"Created\""));
    assert!(english.contains(">Onboarding 2026<"));
    assert_eq!(second.count, 3);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Issue 22, point 8: a held sync that would remove one person says so in the singular.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_sync_removing_one_person_says_so_in_the_singular() {
    let sim = personio(12, 3, |_| {}).await;
    let app = app().await;
    let account = acme_synced(&app, &sim, |s| {
        s.deletion_guard.max_share = 0.01;
        s.deletion_guard.min_people = 1;
    })
    .await;
    let directory = app.store.directory(account.id).await.unwrap();
    sim_call(
        &sim,
        reqwest::Method::DELETE,
        &format!("/_sim/employees/{}", directory[0].key),
        serde_json::Value::Null,
    )
    .await;
    sync_now(&app.store, &account, None).await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    let (_, html) = get(&c, format!("{}/integration", app.base)).await;
    let expect = format!(
        "1 von {} Personen im Verzeichnis würde entfernt.",
        directory.len()
    );
    assert!(html.contains(&expect), "{expect}: {html}");
    let (_, html) = get(&c, format!("{}/integration?lang=en", app.base)).await;
    let expect = format!(
        "1 of {} people in the directory would be removed.",
        directory.len()
    );
    assert!(html.contains(&expect), "{expect}: {html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_tokens_are_made_shown_once_and_revoked_in_the_web_app() {
    let app = app().await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    let (status, page) = get(&c, format!("{}/integration", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/developer\""), "{page}");
    assert!(!page.contains("tokens-card"), "not on the HR admin's page");
    // Where the tokens were first still leads to them.
    let r = c
        .get(format!("{}/integration/tokens", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.headers()[reqwest::header::LOCATION], "/developer");
    let (status, page) = get(&c, format!("{}/developer", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Noch keine API-Tokens"), "{page}");
    let csrf = csrf_of(&page);
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = format!("{}{path}", app.base);
        async move {
            let r = c.post(url).form(&form).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    // A label is required.
    let (status, page) = post(
        "/integration/tokens".into(),
        vec![("csrf", csrf.clone()), ("label", "  ".into())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Bezeichnung"), "{page}");
    // Made: its value is on this answer only, and it reads the account through the API.
    let (status, page) = post(
        "/integration/tokens".into(),
        vec![
            ("csrf", csrf.clone()),
            ("label", "Honestly Umfragen".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    let start = page.find("ss_").expect("the new token is shown");
    let token: String = page[start..]
        .chars()
        .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_' || *ch == '-')
        .collect();
    assert_eq!(
        token.len(),
        staffsync_server::api::tokens::TOKEN_LEN,
        "{token}"
    );
    let api = |token: String| {
        let url = format!("{}/api/v1/employees", app.base);
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(api(token.clone()).await, StatusCode::OK);
    let (_, page) = get(&c, format!("{}/developer", app.base)).await;
    assert!(page.contains("Honestly Umfragen"), "{page}");
    assert!(!page.contains(&token), "shown once only");
    // Another account's admin cannot revoke it; its own admin can.
    let acme_id = acme(&app).await.id;
    let id = app.store.api_tokens(acme_id).await.unwrap()[0].id;
    let other = logged_in(&app.base, "admin@other.example").await;
    let (_, other_page) = get(&other, format!("{}/developer", app.base)).await;
    let r = other
        .post(format!("{}/integration/tokens/{id}/revoke", app.base))
        .form(&[("csrf", csrf_of(&other_page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(api(token.clone()).await, StatusCode::OK);
    let revoke = format!("/integration/tokens/{id}/revoke");
    let (status, _) = post(revoke, vec![("csrf", csrf.clone())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(api(token).await, StatusCode::UNAUTHORIZED);
    let (_, page) = get(&c, format!("{}/developer", app.base)).await;
    assert!(page.contains("Widerrufen am"), "{page}");
    assert!(
        page.contains("funktioniert nicht mehr"),
        "the flash says so: {page}"
    );
}

/// Issue 22, point 1: a failed run is said from its value, in the page's language, on the
/// Integration page, in the history and on its own page; the API keeps stable English
/// words and adds the code. A run from before failures were values keeps its prose, said
/// to be such.
#[tokio::test(flavor = "multi_thread")]
async fn failed_runs_are_said_in_the_pages_language() {
    use staffsync_core::RunFailure;
    use staffsync_store::{RunKind, RunStatus};
    let sim = personio(20, 3, |_| {}).await;
    let app = app().await;
    let account = acme_synced(&app, &sim, |_| {}).await;
    let wait = Duration::from_secs(60);
    let lease = staffsync_engine::lease::acquire(&app.store, account.id, "test", wait, wait)
        .await
        .unwrap();
    let old = app.store.start_run(&lease, RunKind::Full).await.unwrap();
    let prose = "Personio is unavailable (HTTP 500): Something went wrong";
    app.store
        .finish_run(old, RunStatus::Failed, None, Some(prose))
        .await
        .unwrap();
    let run = app.store.start_run(&lease, RunKind::Full).await.unwrap();
    let failure = RunFailure::SourceUnavailable { status: Some(500) };
    app.store
        .fail_run(run, &failure, &failure.message("Personio"))
        .await
        .unwrap();
    staffsync_engine::lease::give_back(&app.store, lease).await;

    let c = logged_in(&app.base, "admin@acme.example").await;
    for (lang, said, other) in [
        (
            "de",
            "Personio hat mit einem Serverfehler geantwortet (HTTP 500).",
            "answered",
        ),
        (
            "en",
            "Personio answered with a server error (HTTP 500).",
            "Serverfehler",
        ),
    ] {
        let run_page = format!("/history/{}", run.0);
        for path in ["/integration", "/history", run_page.as_str()] {
            let (status, html) = get(&c, format!("{}{path}?lang={lang}", app.base)).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(html.contains(said), "{path} ({lang}) says why: {html}");
            assert!(!html.contains(other), "{path} ({lang}) in one language");
        }
        let (_, html) = get(&c, format!("{}/history/{}?lang={lang}", app.base, old.0)).await;
        let wrapper = match lang {
            "de" => "Meldung aus einer älteren Version",
            _ => "Message from an older version",
        };
        assert!(html.contains(wrapper), "old prose is introduced as such");
        assert!(html.contains("Something went wrong"), "and shown as stored");
    }

    let token = api_token(&app.store, account.id, "t").await;
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/sync-runs/{}", app.base, run.0))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["run"]["error"], "Personio is unavailable (HTTP 500)");
    assert_eq!(body["run"]["error_code"], "source_unavailable");
}

/// A SCIM account's Integration page: the Tenant URL, "Token erzeugen" (a SCIM token,
/// shown once, that opens /scim/v2 and not the REST API), the Entra and Okta steps, in
/// German and English.
#[tokio::test(flavor = "multi_thread")]
async fn a_scim_account_gets_its_tenant_url_and_a_token_on_integration() {
    let app = app_with(|c| c.public_base_url = Some("https://staffsync.example.com/".into())).await;
    let account = scim_account(&app.store, "idp", "IdP GmbH").await;
    admin(&app.store, account.id, "admin@idp.example").await;
    let c = logged_in(&app.base, "admin@idp.example").await;
    let (status, page) = get(&c, format!("{}/integration", app.base)).await;
    assert_eq!(status, 200);
    assert!(page.contains("Tenant-URL"), "{page}");
    assert!(
        page.contains("https://staffsync.example.com/scim/v2"),
        "{page}"
    );
    assert!(
        page.contains("Unternehmensanwendungen") && page.contains("Okta"),
        "{page}"
    );
    assert!(!page.contains("Client-ID"), "no Personio form: {page}");
    // Groups: how they are pushed, and where they show.
    assert!(
        page.contains("Push Groups") && page.contains("„IdP-Gruppen“"),
        "{page}"
    );
    let (_, english) = get(&c, format!("{}/integration?lang=en", app.base)).await;
    assert!(english.contains("Tenant URL") && english.contains("Enterprise applications"));
    assert!(english.contains("“IdP groups”"), "{english}");

    let r = c
        .post(format!("{}/integration/scim/token", app.base))
        .form(&[("csrf", csrf_of(&page).as_str()), ("label", "Entra ID")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let shown = r.text().await.unwrap();
    let token = shown
        .split("id=\"token-new\"")
        .nth(1)
        .and_then(|rest| rest.split("<code>").nth(1))
        .and_then(|rest| rest.split("</code>").next())
        .expect("the new token")
        .to_owned();
    assert!(token.starts_with("ss_"), "{token}");
    let (_, again) = get(&c, format!("{}/integration", app.base)).await;
    assert!(!again.contains(&token), "shown once");
    assert!(again.contains("Entra ID"), "listed by label");

    let http = reqwest::Client::new();
    let scim = http
        .get(format!("{}/scim/v2/Users", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(scim.status(), StatusCode::OK);
    let rest = http
        .get(format!("{}/api/v1/employees", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::UNAUTHORIZED);
}

/// A burst of SCIM deactivations held by the deletion guard is reviewed on the SCIM
/// account's Integration page, and "Übernehmen" removes exactly those people at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_scim_run_is_reviewed_and_accepted_on_integration() {
    let app = app().await;
    let (account, held) = held_scim_burst(&app).await;

    let c = logged_in(&app.base, "admin@idp.example").await;
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    assert!(page.contains("id=\"held-review\""), "{page}");
    assert_eq!(page.matches("class=\"held-person\"").count(), 6);
    // The id column is named by the source: SCIM ids are not Personio's.
    assert!(page.contains("<th>SCIM-ID</th>"), "{page}");
    assert!(!page.contains("Personio"), "{page}");
    let r = c
        .post(format!(
            "{}/integration/held/{}/accept",
            app.base, held.run_id.0
        ))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let left: Vec<String> = app
        .store
        .directory(account.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.email)
        .collect();
    assert_eq!(
        left,
        (6..10)
            .map(|n| format!("p{n}@idp.example"))
            .collect::<Vec<_>>()
    );
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    assert!(!page.contains("id=\"held-review\""), "reviewed: {page}");
    let decided = app
        .store
        .run(account.id, held.run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        decided.decision.map(|d| d.by).as_deref(),
        Some("admin:admin@idp.example"),
        "the history says who accepted it"
    );
}

/// A file account's held import (issue 22, point 4): the file's new people apply at once,
/// "Ablehnen" keeps the people it would remove (listed as kept on the page), the next
/// import of the same file neither holds nor removes them, and "Jetzt entfernen" lets the
/// next import remove exactly that person.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_accounts_held_import_can_be_rejected_and_keeps_its_people() {
    let app = app().await;
    let account = files_account(&app).await;
    let csv = |ids: std::ops::RangeInclusive<usize>| {
        let mut text = String::from("ImportId,Email,Firstname,Lastname\n");
        for n in ids {
            text.push_str(&format!("P-{n},p{n}@files.example,Vorname{n},Muster\n"));
        }
        text.into_bytes()
    };
    let read = |bytes: Vec<u8>| {
        employee_file::read(
            &bytes,
            employee_file::Format::Csv,
            None,
            &Default::default(),
        )
        .unwrap()
    };
    let options = staffsync_engine::SyncOptions::default();
    crate::common::import_now(&app.store, &account, read(csv(1..=20)), &options).await;

    let c = logged_in(&app.base, "admin@files.example").await;
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    let csrf = csrf_of(&page);
    // P-1 … P-12 stay, P-21 is new: eight of twenty would go, more than the guard allows.
    let mut file = csv(1..=12);
    file.extend_from_slice(b"P-21,p21@files.example,Vorname21,Muster\n");
    let (content_type, body) = multipart(&[
        ("csrf", None, csrf.as_bytes()),
        ("file", Some("employees.csv"), &file),
    ]);
    let page = text_of(
        c.post(format!("{}/integration/import", app.base))
            .header("content-type", content_type)
            .body(body),
    )
    .await;
    let start = page.find("name=\"token\" value=\"").unwrap() + 20;
    let token = page[start..start + page[start..].find('"').unwrap()].to_owned();
    let held = text_of(
        c.post(format!("{}/integration/import/apply", app.base))
            .form(&[("csrf", csrf.as_str()), ("token", token.as_str())]),
    )
    .await;
    assert!(held.contains("id=\"import-reject-button\""), "{held}");
    let names = |d: &[staffsync_core::DirectoryEmployee]| {
        let mut n: Vec<String> = d.iter().map(|e| e.first_name.clone()).collect();
        n.sort();
        n
    };
    let directory = app.store.directory(account.id).await.unwrap();
    assert_eq!(
        directory.len(),
        21,
        "the hire applied, nobody left: {:?}",
        names(&directory)
    );
    let run = held
        .split("/integration/held/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("the held run in the reject form")
        .to_owned();
    let rejected = c
        .post(format!("{}/integration/held/{run}/reject", app.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), StatusCode::SEE_OTHER);
    for (lang, badge) in [("de", "behalten"), ("en", "kept")] {
        let (_, page) = get(&c, format!("{}/integration?lang={lang}", app.base)).await;
        let kept = page.split("id=\"kept\"").nth(1).expect("the kept card");
        let kept = &kept[..kept.find("</table>").unwrap()];
        assert_eq!(kept.matches("class=\"kept-person\"").count(), 8, "{kept}");
        assert!(
            kept.contains(badge) && kept.contains("Vorname17 Muster"),
            "{kept}"
        );
        assert!(!page.contains("Personio"), "{lang}: {page}");
    }
    // The same file again: not held, nobody removed.
    let again = crate::common::import_now(&app.store, &account, read(file.clone()), &options).await;
    assert_eq!(again.result, staffsync_engine::SyncResult::Applied);
    assert_eq!(app.store.directory(account.id).await.unwrap().len(), 21);
    // "Jetzt entfernen" for P-17: the next import removes exactly them.
    let p17 = app
        .store
        .directory(account.id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.first_name == "Vorname17")
        .unwrap()
        .key;
    let released = c
        .post(format!("{}/integration/kept/{}/remove", app.base, p17.0))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(released.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    assert!(
        page.contains("the next import removes this person"),
        "{page}"
    );
    crate::common::import_now(&app.store, &account, read(file), &options).await;
    let after = app.store.directory(account.id).await.unwrap();
    assert_eq!(after.len(), 20, "{:?}", names(&after));
    assert!(after.iter().all(|e| e.first_name != "Vorname17"));
}

/// The body of the answer to `request`.
async fn text_of(request: reqwest::RequestBuilder) -> String {
    request.send().await.unwrap().text().await.unwrap()
}

/// A SCIM account's held burst rejected on Integration (issue 22, point 4 for the third
/// source): the people are kept and listed, a full run of what was pushed keeps them, and
/// "Jetzt entfernen" removes exactly that person at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_scim_accounts_held_burst_can_be_rejected_and_keeps_its_people() {
    use staffsync_engine::sources::scim::reconcile;
    let app = app().await;
    let (account, held) = held_scim_burst(&app).await;
    let c = logged_in(&app.base, "admin@idp.example").await;
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    let csrf = csrf_of(&page);
    let r = c
        .post(format!(
            "{}/integration/held/{}/reject",
            app.base, held.run_id.0
        ))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&c, format!("{}/integration", app.base)).await;
    assert_eq!(page.matches("class=\"kept-person\"").count(), 6, "{page}");
    assert!(!page.contains("id=\"held-review\""), "{page}");
    // A full run of what was pushed neither holds nor removes them.
    let again = scim_ran(reconcile(&app.state, account.id, None).await);
    assert_eq!(again.result, staffsync_engine::run::SyncResult::Applied);
    assert_eq!(app.store.directory(account.id).await.unwrap().len(), 10);
    // "Jetzt entfernen" for P0 runs at once and removes exactly them.
    let p0 = app
        .store
        .directory(account.id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.email == "p0@idp.example")
        .unwrap()
        .key;
    let r = c
        .post(format!("{}/integration/kept/{}/remove", app.base, p0.0))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let left = app.store.directory(account.id).await.unwrap();
    assert_eq!(left.len(), 9);
    assert!(left.iter().all(|e| e.email != "p0@idp.example"));
}

/// The SCIM account `idp` (admin `admin@idp.example`) with 10 users pushed and run, then
/// 6 of them deactivated: the run of what was pushed is held.
async fn held_scim_burst(
    app: &TestApp,
) -> (staffsync_store::Account, staffsync_engine::run::SyncReport) {
    use staffsync_engine::sources::scim::reconcile;
    let account = scim_account(&app.store, "idp", "IdP GmbH").await;
    admin(&app.store, account.id, "admin@idp.example").await;
    let user = |n: usize, active: bool| staffsync_store::ScimUserData {
        external_id: None,
        user_name: format!("p{n}@idp.example"),
        active,
        resource: serde_json::json!({
            "userName": format!("p{n}@idp.example"),
            "name": {"givenName": format!("P{n}"), "familyName": "Muster"}
        }),
    };
    let mut ids = Vec::new();
    for n in 0..10 {
        let created = app.store.create_scim_user(account.id, &user(n, true)).await;
        ids.push(created.unwrap().id);
    }
    scim_ran(reconcile(&app.state, account.id, None).await);
    assert_eq!(app.store.directory(account.id).await.unwrap().len(), 10);
    for (n, id) in ids.iter().enumerate().take(6) {
        let off = user(n, false);
        app.store
            .replace_scim_user(account.id, id, &off)
            .await
            .unwrap();
    }
    let held = scim_ran(reconcile(&app.state, account.id, None).await);
    assert_eq!(held.result, staffsync_engine::run::SyncResult::Held);
    (account, held)
}

/// The report of a SCIM run that ran.
fn scim_ran(
    out: Result<
        staffsync_engine::realtime::Leased<Option<staffsync_engine::run::SyncReport>>,
        staffsync_engine::run::SyncError,
    >,
) -> staffsync_engine::run::SyncReport {
    match out {
        Ok(staffsync_engine::realtime::Leased::Ran(Some(report))) => report,
        other => panic!("{other:?}"),
    }
}
