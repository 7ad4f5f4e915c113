//! Alert e-mails end to end (issue 13): the real `staffsync serve` sends through a real
//! SMTP server process (aiosmtpd, `smtp_sink.py` beside this file, with AUTH: the URL
//! carries a password) and the test reads what it received.
//!
//! A held run mails each admin once (German by default, English for the admin who last
//! logged in in English), the next held run of the same incident mails nobody, the
//! accepted run mails "resolved"; a credential Personio rejects mails at once. No
//! received e-mail and no log line contains the Personio secret or the SMTP password.
//! Needs `python3` with `aiosmtpd` (installed by .ci/run; `scripts/test` skips this
//! module by name when it is missing outside CI).

use crate::serve_common::{ServeProcess, wait_for};
use personio_sim::SimConfig;
use secrecy::SecretString;
use serde_json::Value;
use staffsync_core::AccountSlug;
use staffsync_store::{
    AccountId, IncidentKind, NewConnection, RunKind, RunStatus, RunSummary, Store, StoreConfig,
};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CLIENT_ID: &str = "alerts-client";
const CLIENT_SECRET: &str = "alerts-secret-Heron-73";
const WRONG_SECRET: &str = "rotated-secret-Ibis-58";
const SMTP_USER: &str = "alerts";
const SMTP_PASSWORD: &str = "smtp-pass-Marten-31";
const LIMIT: Duration = Duration::from_secs(90);

/// The SMTP server process; killed on drop.
struct Sink {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Sink {
    fn start(dir: &Path) -> Sink {
        std::fs::create_dir_all(dir).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/alerts/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir)
            .args([SMTP_USER, SMTP_PASSWORD])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs (the alert tests need python3 with aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("the SMTP sink did not start (pip install aiosmtpd): {line:?}")
            });
        Sink {
            child,
            dir: dir.to_owned(),
            port,
        }
    }

    /// Every message received so far, decoded, in the order received.
    fn mails(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
            .collect()
    }

    /// Everything received, raw and decoded, as one text (for the secret scan).
    fn everything(&self) -> String {
        let mut all = String::new();
        for e in std::fs::read_dir(&self.dir).unwrap() {
            all.push_str(&String::from_utf8_lossy(
                &std::fs::read(e.unwrap().path()).unwrap(),
            ));
        }
        all
    }

    async fn wait_for_count(&self, n: usize, what: &str) -> Vec<Value> {
        wait_for(what, LIMIT, || async {
            let m = self.mails();
            (m.len() >= n).then_some(m)
        })
        .await
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn to(mail: &Value) -> String {
    mail["to"][0].as_str().unwrap_or_default().to_owned()
}

fn subject(mail: &Value) -> String {
    mail["subject"].as_str().unwrap_or_default().to_owned()
}

async fn last_full_after(store: &Store, account: AccountId, after: i64) -> Option<RunSummary> {
    store
        .runs(account)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id.0 > after && r.kind == RunKind::Full && r.status != RunStatus::Running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_runs_and_a_rejected_credential_mail_each_admin_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sink = Sink::start(&dir.path().join("mail"));
    let store = Store::open(&StoreConfig {
        data_dir: data.clone(),
        database_url: None,
        secret_key: None,
    })
    .await
    .unwrap();
    let sim = personio_sim::spawn(SimConfig {
        employees: 50,
        seed: 13,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_limit: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let account = store
        .create_account(
            &AccountSlug::parse("acme").unwrap(),
            "Acme GmbH",
            &Default::default(),
        )
        .await
        .unwrap()
        .id;
    staffsync_engine::connect::connect(
        &store,
        account,
        &sim.base_url(),
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET.to_owned()),
    )
    .await
    .unwrap();
    store
        .create_admin(account, &"anna@acme.example".parse().unwrap(), "not-a-hash")
        .await
        .unwrap();
    let ben = store
        .create_admin(account, &"ben@acme.example".parse().unwrap(), "not-a-hash")
        .await
        .unwrap();
    store.set_admin_lang(ben.id, "en").await.unwrap();

    let smtp_url = format!("smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{}", sink.port);
    let serve = ServeProcess::start(
        &data,
        dir.path().join("serve.log"),
        &[
            "--scheduler-poll",
            "100ms",
            "--sync-interval",
            "12h",
            "--personio-rate-limit",
            "off",
            "--poll-interval",
            "0",
            "--public-base-url",
            "https://staffsync.example.test/",
        ],
        &[
            ("STAFFSYNC_SMTP_URL", smtp_url.as_str()),
            (
                "STAFFSYNC_MAIL_FROM",
                "staffsync <alerts@staffsync.example.test>",
            ),
        ],
    );
    let first = wait_for("the first sync", LIMIT, || {
        last_full_after(&store, account, 0)
    })
    .await;
    assert_eq!(first.status, RunStatus::Applied, "{}", serve.log_text());

    // 1. 15 of about 45 people disappear: the run is held, each admin gets one e-mail.
    let ids: Vec<i64> = store
        .directory(account)
        .await
        .unwrap()
        .iter()
        .map(|e| e.key.0)
        .collect();
    let http = reqwest::Client::new();
    for id in &ids[..15] {
        let r = http
            .delete(format!("{}/_sim/employees/{id}", sim.base_url()))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    store.request_sync(account, None).await.unwrap();
    let held = wait_for("the held run", LIMIT, || {
        last_full_after(&store, account, first.id.0)
    })
    .await;
    assert_eq!((held.status, held.removed), (RunStatus::Held, 15));
    let opened = sink.wait_for_count(2, "the held-run e-mails").await;
    let mut recipients: Vec<String> = opened.iter().map(to).collect();
    recipients.sort();
    assert_eq!(recipients, ["anna@acme.example", "ben@acme.example"]);
    for mail in &opened {
        let (subject, text, html) = (
            subject(mail),
            mail["text"].as_str().unwrap().to_owned(),
            mail["html"].as_str().unwrap().to_owned(),
        );
        if to(mail) == "ben@acme.example" {
            assert!(subject.contains("15 people would be removed"), "{subject}");
        } else {
            assert!(subject.contains("15 Personen würden entfernt"), "{subject}");
        }
        for body in [&text, &html] {
            assert!(
                body.contains("https://staffsync.example.test/integration#held-review"),
                "{body}"
            );
        }
    }

    // 2. The next held run is the same incident: no e-mail.
    store.request_sync(account, None).await.unwrap();
    let again = wait_for("the second held run", LIMIT, || {
        last_full_after(&store, account, held.id.0)
    })
    .await;
    assert_eq!(again.status, RunStatus::Held);

    // 3. The admin accepts: the applied run resolves the incident, one e-mail each.
    store.request_sync(account, Some(again.id)).await.unwrap();
    let applied = wait_for("the accepted run", LIMIT, || {
        last_full_after(&store, account, again.id.0)
    })
    .await;
    assert_eq!((applied.status, applied.removed), (RunStatus::Applied, 15));
    let after_resolve = sink.wait_for_count(4, "the resolved e-mails").await;
    assert_eq!(
        after_resolve.len(),
        4,
        "the second held run sent nothing: {:#?}",
        after_resolve.iter().map(subject).collect::<Vec<_>>()
    );
    for mail in &after_resolve[2..] {
        let s = subject(mail);
        assert!(
            s.contains("Synchronisation läuft wieder") || s.contains("sync running again"),
            "{s}"
        );
    }

    // 4. The credential is rotated in Personio (the stored secret no longer works): the
    //    very next run mails each admin at once.
    let conn = store.connection(account).await.unwrap().unwrap();
    store
        .save_connection(
            account,
            &NewConnection {
                client_id: conn.client_id.clone(),
                client_secret: SecretString::from(WRONG_SECRET.to_owned()),
                base_url: conn.base_url.clone(),
                api_version: conn.api_version,
                readable_attributes: conn.readable_attributes.clone(),
            },
        )
        .await
        .unwrap();
    store.request_sync(account, None).await.unwrap();
    let failed = wait_for("the failed run", LIMIT, || {
        last_full_after(&store, account, applied.id.0)
    })
    .await;
    assert_eq!(failed.status, RunStatus::Failed);
    let all = sink.wait_for_count(6, "the credential e-mails").await;
    let mut credential: Vec<(String, String)> =
        all[4..].iter().map(|m| (to(m), subject(m))).collect();
    credential.sort();
    assert!(
        credential[0]
            .1
            .contains("Personio lehnt die API-Zugangsdaten ab"),
        "{credential:?}"
    );
    assert!(
        credential[1]
            .1
            .contains("Personio rejects the API credential"),
        "{credential:?}"
    );
    let open: Vec<IncidentKind> = store
        .open_incidents(account)
        .await
        .unwrap()
        .iter()
        .map(|i| i.kind)
        .collect();
    assert_eq!(open, [IncidentKind::CredentialRejected]);

    // The metric counts each opened incident once.
    let metrics = http
        .get(format!("http://{}/metrics", serve.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for kind in ["held_run", "credential_rejected"] {
        assert!(
            metrics.contains(&format!("staffsync_alerts_total{{kind=\"{kind}\"}} 1")),
            "{kind}: {metrics}"
        );
    }

    // No secret anywhere: not in what the SMTP server received, not in the log.
    let log = serve.log_text();
    assert!(
        log.contains("alert e-mails go out through this SMTP server"),
        "{log}"
    );
    for (place, text) in [("e-mails", sink.everything()), ("log", log)] {
        for secret in [CLIENT_SECRET, WRONG_SECRET, SMTP_PASSWORD] {
            assert!(!text.contains(secret), "{place} contain a secret");
        }
    }
    drop(serve);
}

mod reset;
