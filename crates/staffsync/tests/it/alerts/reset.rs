//! The password-reset e-mail end to end: the real `staffsync serve` with a real SMTP
//! server (the alert tests' sink) mails "Passwort vergessen?" links, in the admin's
//! language; the link sets a new password once and ends the admin's sessions; an unknown
//! address gets the same answer and no mail. And `staffsync admin reset-password`, through
//! the binary, prints a link that works the same way, or refuses an address that is not an
//! admin of the account. Neither the password nor a token reaches the log.

use super::{SMTP_PASSWORD, SMTP_USER, Sink, subject, to};
use crate::serve_common::ServeProcess;
use std::process::Command;

const OLD: &str = "the-first-password-1";
const NEW: &str = "the-second-password-2";
const THIRD: &str = "the-third-password-3";
const BASE: &str = "https://staffsync.example.test";

fn staffsync(data: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_staffsync"));
    cmd.args(args)
        .env("STAFFSYNC_DATA_DIR", data)
        .env_remove("STAFFSYNC_DATABASE_URL")
        .env_remove("STAFFSYNC_PUBLIC_BASE_URL")
        .env_remove("STAFFSYNC_ADMIN_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// A client that keeps cookies (by name, for every path) and follows no redirect.
#[derive(Default)]
struct Browser {
    http: reqwest::Client,
    cookies: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
}

fn client() -> Browser {
    Browser {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        cookies: Default::default(),
    }
}

impl Browser {
    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, String) {
        let cookie: Vec<String> = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let r = req
            .header("cookie", cookie.join("; "))
            .send()
            .await
            .unwrap();
        for set in r.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies
                    .lock()
                    .unwrap()
                    .insert(k.trim().to_owned(), v.to_owned());
            }
        }
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// The value of the first `csrf` field of `html`.
fn csrf(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn get(c: &Browser, url: String) -> (u16, String) {
    c.send(c.http.get(url)).await
}

async fn post(c: &Browser, url: String, form: &[(&str, &str)]) -> (u16, String) {
    c.send(c.http.post(url).form(form)).await
}

/// Logs `c` in at `base`; the status of the login's answer.
async fn login(c: &Browser, base: &str, email: &str, password: &str) -> u16 {
    let (_, page) = get(c, format!("{base}/login")).await;
    let csrf = csrf(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("email", email),
        ("password", password),
    ];
    post(c, format!("{base}/login"), &form).await.0
}

/// Sets `password` through the link's path `path` (…/login/reset?token=…).
async fn use_link(base: &str, path: &str, password: &str) -> (u16, String) {
    let c = client();
    let (status, page) = get(&c, format!("{base}{path}")).await;
    if status != 200 {
        return (status, page);
    }
    let token = path.split("token=").nth(1).unwrap();
    let csrf = csrf(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("token", token),
        ("password", password),
        ("password2", password),
    ];
    post(&c, format!("{base}/login/reset"), &form).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_by_mail_or_by_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sink = Sink::start(&dir.path().join("mail"));
    for (slug, email) in [
        ("acme", "anna@acme.example"),
        ("other", "olga@other.example"),
    ] {
        let out = staffsync(
            &data,
            &["account", "create", slug, "--admin-email", email],
            &[("STAFFSYNC_ADMIN_PASSWORD", OLD)],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let smtp_url = format!("smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{}", sink.port);
    let serve = ServeProcess::start(
        &data,
        dir.path().join("serve.log"),
        &["--no-scheduler", "--public-base-url", BASE],
        &[
            ("STAFFSYNC_SMTP_URL", smtp_url.as_str()),
            (
                "STAFFSYNC_MAIL_FROM",
                "staffsync <alerts@staffsync.example.test>",
            ),
        ],
    );
    let base = format!("http://{}", serve.addr);

    // Anna is logged in somewhere (in English: her mail comes in English).
    let elsewhere = client();
    let (_, page) = get(&elsewhere, format!("{base}/login?lang=en")).await;
    let csrf_value = csrf(&page);
    let form = [
        ("csrf", csrf_value.as_str()),
        ("email", "anna@acme.example"),
        ("password", OLD),
    ];
    assert_eq!(
        post(&elsewhere, format!("{base}/login"), &form).await.0,
        303
    );
    assert_eq!(get(&elsewhere, format!("{base}/integration")).await.0, 200);

    // "Forgot your password?" for an unknown address, then for anna's: the same answer.
    let c = client();
    let (_, page) = get(&c, format!("{base}/login/forgot")).await;
    let token = csrf(&page);
    let unknown = post(
        &c,
        format!("{base}/login/forgot"),
        &[("csrf", &token), ("email", "nobody@acme.example")],
    )
    .await;
    let known = post(
        &c,
        format!("{base}/login/forgot"),
        &[("csrf", &token), ("email", "Anna@acme.example")],
    )
    .await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, 200);
    let mails = sink.wait_for_count(1, "the reset e-mail").await;
    assert_eq!(mails.len(), 1, "only anna's address gets a mail");
    let mail = &mails[0];
    assert_eq!(to(mail), "anna@acme.example");
    assert!(
        subject(mail).contains("reset your password"),
        "{}",
        subject(mail)
    );
    let text = mail["text"].as_str().unwrap();
    let start = text
        .find(&format!("{BASE}/login/reset?token="))
        .expect("the link");
    let link: String = text[start..].split_whitespace().next().unwrap().to_owned();
    assert!(mail["html"].as_str().unwrap().contains(&link));
    let path = link.strip_prefix(BASE).unwrap().to_owned();

    // The link sets the new password once; anna's other session ended.
    let (status, page) = use_link(&base, &path, NEW).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("reset-done"), "{page}");
    assert_eq!(get(&elsewhere, format!("{base}/integration")).await.0, 303);
    assert_eq!(login(&client(), &base, "anna@acme.example", OLD).await, 401);
    assert_eq!(login(&client(), &base, "anna@acme.example", NEW).await, 303);
    assert_eq!(use_link(&base, &path, THIRD).await.0, 410, "used once only");

    // The operator's way: a link printed by the binary, for an admin of that account only.
    let out = staffsync(
        &data,
        &["admin", "reset-password", "acme", "olga@other.example"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no admin olga@other.example in account acme")
    );
    let out = staffsync(
        &data,
        &["admin", "reset-password", "acme", "anna@acme.example"],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let printed = printed.trim();
    assert!(printed.starts_with("/login/reset?token="), "{printed}");
    assert_eq!(use_link(&base, printed, THIRD).await.0, 200);
    assert_eq!(
        login(&client(), &base, "anna@acme.example", THIRD).await,
        303
    );
    assert_eq!(use_link(&base, printed, NEW).await.0, 410);
    // With a base URL the link is whole; --set-password sets one at once.
    let out = staffsync(
        &data,
        &[
            "admin",
            "reset-password",
            "acme",
            "anna@acme.example",
            "--public-base-url",
            BASE,
        ],
        &[],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(&format!("{BASE}/login/reset?token="))
    );
    let out = staffsync(
        &data,
        &[
            "admin",
            "reset-password",
            "acme",
            "anna@acme.example",
            "--set-password",
        ],
        &[("STAFFSYNC_ADMIN_PASSWORD", OLD)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(login(&client(), &base, "anna@acme.example", OLD).await, 303);

    // No password and no token in the log.
    let log = serve.log_text();
    assert!(log.contains("password reset link mailed"), "{log}");
    let token = path.split("token=").nth(1).unwrap();
    for secret in [OLD, NEW, THIRD, token, SMTP_PASSWORD] {
        assert!(!log.contains(secret), "the log holds a secret");
    }
    drop(serve);
}
