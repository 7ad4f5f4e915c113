//! "Passwort vergessen?" over HTTP: the operator's page without mail, the neutral answer
//! with mail (no account enumeration) and its rate limit, and reset links (made as the
//! CLI and the mail make them) that work once, expire, end the admin's sessions and
//! refuse a short or mistyped password. The mail itself, through a real SMTP server, is
//! tested with the real binary (`crates/staffsync/tests/it/alerts/reset.rs`).

use crate::common::{
    PASSWORD, TestApp, account, admin, browser, csrf_of, logged_in, login, spawn_app,
};
use reqwest::StatusCode;
use staffsync_engine::ServerConfig;
use staffsync_engine::mail::{MailConfig, MailFrom, SmtpUrl};
use staffsync_engine::password_reset;
use staffsync_store::AdminId;
use time::OffsetDateTime;

const NEW_PASSWORD: &str = "a-brand-new-password";

/// The app with two admins of `acme` (`anna@`, `ben@`), changed by `tune`.
async fn app_with(tune: impl FnOnce(&mut ServerConfig)) -> TestApp {
    let app = spawn_app(tune).await;
    let acme = account(&app.store, "acme", "Acme GmbH").await;
    admin(&app.store, acme.id, "anna@acme.example").await;
    admin(&app.store, acme.id, "ben@acme.example").await;
    app
}

async fn admin_id(app: &TestApp, email: &str) -> AdminId {
    app.store.admin_by_email(email).await.unwrap().unwrap().id
}

async fn get(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Posts the new-password form for `token` with `password` and `repeat`, with the login
/// form's CSRF token (which the reset forms take too).
async fn set_password(
    c: &reqwest::Client,
    app: &TestApp,
    token: &str,
    password: &str,
    repeat: &str,
) -> (StatusCode, String) {
    let (_, form) = get(c, app.url("/login")).await;
    let r = c
        .post(app.url("/login/reset"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("token", token),
            ("password", password),
            ("password2", repeat),
        ])
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn without_mail_the_login_page_leads_to_the_operator() {
    let app = app_with(|_| {}).await;
    let c = browser();
    let (_, login) = get(&c, app.url("/login")).await;
    assert!(login.contains("href=\"/login/forgot\""), "{login}");
    assert!(login.contains("Passwort vergessen?"), "{login}");
    let (status, page) = get(&c, app.url("/login/forgot?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"reset-operator\""), "{page}");
    assert!(page.contains("staffsync admin reset-password"), "{page}");
    assert!(
        !page.contains("action=\"/login/forgot\""),
        "no form without mail"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_works_once_ends_every_session_of_its_admin_and_no_other() {
    let app = app_with(|_| {}).await;
    let anna = admin_id(&app, "anna@acme.example").await;
    let anna_elsewhere = logged_in(&app.base, "anna@acme.example").await;
    let ben = logged_in(&app.base, "ben@acme.example").await;
    let token = password_reset::issue(&app.store, anna, OffsetDateTime::now_utc())
        .await
        .unwrap();

    // The link shows the form, for anna.
    let c = browser();
    let link = password_reset::link(None, &token);
    let r = c.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let form = r.text().await.unwrap();
    assert!(form.contains("autocomplete=\"new-password\""), "{form}");
    assert!(form.contains("anna@acme.example"), "{form}");

    // A short password and two that differ are refused; the link still works.
    let (status, page) = set_password(&c, &app, &token, "short", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("mindestens 10 Zeichen"), "{page}");
    let (status, page) = set_password(&c, &app, &token, NEW_PASSWORD, "something-else-1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("stimmen nicht überein"), "{page}");
    // Without the CSRF token: refused.
    let r = c
        .post(app.url("/login/reset"))
        .form(&[
            ("token", token.as_str()),
            ("password", NEW_PASSWORD),
            ("password2", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, _) = get(&anna_elsewhere, app.url("/integration")).await;
    assert_eq!(status, StatusCode::OK, "nothing changed yet");

    let (status, page) = set_password(&c, &app, &token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"reset-done\""), "{page}");

    // Anna's other session ended; Ben's did not.
    let r = anna_elsewhere
        .get(app.url("/integration"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/login");
    let (status, _) = get(&ben, app.url("/integration")).await;
    assert_eq!(status, StatusCode::OK);
    // The old password no longer works, the new one does.
    let r = login(&browser(), &app.base, "anna@acme.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = login(&browser(), &app.base, "anna@acme.example", NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Used: the link and its form are refused.
    let (status, page) = get(&c, app.url(&link)).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("id=\"reset-invalid\""), "{page}");
    let (status, _) = set_password(
        &c,
        &app,
        &token,
        "yet-another-password",
        "yet-another-password",
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    let r = login(&browser(), &app.base, "anna@acme.example", NEW_PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the used link changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_wrong_and_superseded_links_are_refused() {
    let app = app_with(|_| {}).await;
    let anna = admin_id(&app, "anna@acme.example").await;
    let c = browser();
    // Made 31 minutes ago: expired.
    let old = OffsetDateTime::now_utc() - time::Duration::minutes(31);
    let expired = password_reset::issue(&app.store, anna, old).await.unwrap();
    let (status, _) = get(&c, app.url(&password_reset::link(None, &expired))).await;
    assert_eq!(status, StatusCode::GONE);
    let (status, _) = set_password(&c, &app, &expired, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::GONE);
    // A token nobody issued, and none at all.
    for path in ["/login/reset?token=not-a-token", "/login/reset"] {
        let (status, _) = get(&c, app.url(path)).await;
        assert_eq!(status, StatusCode::GONE, "{path}");
    }
    // Made 29 minutes ago: still good. A second link made meanwhile dies with the first
    // one's use.
    let recent = OffsetDateTime::now_utc() - time::Duration::minutes(29);
    let first = password_reset::issue(&app.store, anna, recent)
        .await
        .unwrap();
    let second = password_reset::issue(&app.store, anna, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let (status, _) = set_password(&c, &app, &first, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&c, app.url(&password_reset::link(None, &second))).await;
    assert_eq!(status, StatusCode::GONE);
    let r = login(&browser(), &app.base, "anna@acme.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// `html` without the value of its CSRF fields (which differ per visitor).
fn without_csrf(html: &str) -> String {
    if html.contains("name=\"csrf\" value=\"") {
        html.replace(&csrf_of(html), "")
    } else {
        html.to_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_mail_the_answer_is_the_same_for_every_address_and_rate_limited() {
    // SMTP on a port nobody listens on: sending fails in the background, unseen.
    let app = app_with(|c| {
        c.mail = Some(MailConfig {
            smtp: SmtpUrl::parse("smtp://127.0.0.1:9").unwrap(),
            from: MailFrom::parse("staffsync <s@example.com>").unwrap(),
        });
        c.public_base_url = Some("https://staffsync.example.test".into());
    })
    .await;
    let c = browser();
    let (status, page) = get(&c, app.url("/login/forgot")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("action=\"/login/forgot\""), "{page}");
    assert!(page.contains("autocomplete=\"username\""), "{page}");
    let csrf = csrf_of(&page);
    let ask = |email: &'static str| {
        let c = c.clone();
        let (url, csrf) = (app.url("/login/forgot"), csrf.clone());
        async move {
            let r = c
                .post(url)
                .form(&[("csrf", csrf.as_str()), ("email", email)])
                .send()
                .await
                .unwrap();
            (r.status(), without_csrf(&r.text().await.unwrap()))
        }
    };
    let known = ask("anna@acme.example").await;
    let unknown = ask("nobody@acme.example").await;
    assert_eq!(known.0, StatusCode::OK);
    assert!(known.1.contains("id=\"reset-sent\""), "{}", known.1);
    assert_eq!(
        known, unknown,
        "the same answer whether or not the address has a login"
    );
    // Four more for anna's address from this client: the fifth within a minute is the last.
    for _ in 0..4 {
        assert_eq!(ask("anna@acme.example").await.0, StatusCode::OK);
    }
    let (status, page) = ask("anna@acme.example").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Zu viele Anfragen"), "{page}");
}
