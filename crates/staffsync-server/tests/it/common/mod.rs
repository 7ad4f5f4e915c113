//! Helpers every module of this test binary shares: the service on a port of its own
//! (`app`: `spawn_app`, `TestApp`), a test's accounts, admins, tokens, simulated Personio
//! companies and syncs (`accounts`), and here bounded waits and the login form.

mod accounts;
mod app;

pub use accounts::*;
pub use app::*;

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `check` until it returns `Some`, failing after `limit` (a bounded wait, never an
/// assertion on time).
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The CSRF token of the first form on the page.
pub fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let len = html[start..].find('"').expect("end of the csrf value");
    html[start..start + len].to_owned()
}

/// Posts the login form at `base` as `email` (with the form's CSRF token and cookie).
pub async fn login(
    c: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    login_forwarded(c, base, email, password, None).await
}

/// `login`, both requests with `X-Forwarded-For: forwarded` when given (as a proxy in
/// front of the server sends them).
pub async fn login_forwarded(
    c: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
    forwarded: Option<&str>,
) -> reqwest::Response {
    let with_header = |req: reqwest::RequestBuilder| match forwarded {
        Some(f) => req.header("x-forwarded-for", f),
        None => req,
    };
    let html = with_header(c.get(format!("{base}/login")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    with_header(c.post(format!("{base}/login")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// `GET url` by `c`: status and body.
pub async fn get(c: &reqwest::Client, url: String) -> (reqwest::StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// `s` as askama writes it into HTML.
pub fn escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// "Vorname Nachname", as the pages name a directory employee.
pub fn name(e: &staffsync_core::DirectoryEmployee) -> String {
    format!("{} {}", e.first_name, e.last_name)
}
