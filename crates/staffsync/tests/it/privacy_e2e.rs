//! End-to-end, on SQLite and PostgreSQL (issue 24): age bands from a birth date that is
//! stored nowhere, moved by `serve`'s daily date check without asking Personio; and only
//! the custom attributes the settings name are kept (an account upgraded from an earlier
//! release keeps what it kept).
//!
//! "Stored nowhere" is checked on the bytes: every file of the data directory (the
//! SQLite database and its WAL), every row of every table on PostgreSQL, and the logs of
//! every command and `serve` (at debug level), for each birth date in the usual shapes.

use crate::common::*;
use crate::serve_common::{ServeProcess, wait_for};
use serde_json::{Value, json};
use sqlx::Connection as _;
use std::collections::BTreeSet;
use std::time::Duration;
use time::Date;
use time::macros::date;

const BIRTH_DATE: &str = "dynamic_99001";

fn backend(pg: bool) -> Backend {
    if pg {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// Runs `staffsync` with logs at debug level; asserts exit 0 and returns (stdout, log).
fn logged(w: &World, today: Date, args: &[&str]) -> (String, String) {
    let out = w
        .command(args)
        .env("STAFFSYNC_TODAY", staffsync_core::dates::format_date(today))
        .env("STAFFSYNC_LOG", "debug")
        .output()
        .expect("staffsync runs");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", describe(&out));
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn set_settings(w: &World, document: Value) -> String {
    let file = w.data_dir().join("settings.json");
    std::fs::write(&file, document.to_string()).unwrap();
    let (_, log) = logged(
        w,
        TODAY,
        &["settings", "acme", "--set", file.to_str().unwrap()],
    );
    std::fs::remove_file(&file).unwrap();
    log
}

fn serve_on(w: &World, today: Date, name: &str) -> ServeProcess {
    let today = staffsync_core::dates::format_date(today);
    let mut envs = vec![
        ("STAFFSYNC_TODAY", today.as_str()),
        ("STAFFSYNC_LOG", "debug,hyper=info,h2=info,reqwest=info"),
    ];
    if let Some(url) = &w.database_url {
        envs.push(("STAFFSYNC_DATABASE_URL", url.as_str()));
    }
    ServeProcess::start(
        w.data_dir(),
        // Outside the data directory: the data directory is scanned on its own.
        std::env::temp_dir().join(format!(
            "staffsync-privacy-{}-{name}.log",
            uuid::Uuid::new_v4().simple()
        )),
        &[
            "--scheduler-poll",
            "100ms",
            "--poll-interval",
            "0",
            "--personio-rate-limit",
            "off",
        ],
        &envs,
    )
}

fn runs(w: &World) -> Vec<Value> {
    w.json(&["runs", "acme"]).as_array().cloned().unwrap()
}

/// The `age` group keys of `e` as `staffsync employees --json` shows them.
fn age_of(e: &Value) -> Vec<String> {
    e["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == "age")
        .map(|g| g["key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The reference: the band of someone born on `born`, on `today`, counting the
/// birthdays whose month is over (a band begins on the first of the month after).
fn reference_band(born: Date, today: Date) -> Option<&'static str> {
    let ym = |d: Date| d.year() * 12 + d.month() as i32;
    let months = ym(today) - ym(born) - 1;
    if months < 0 {
        return None;
    }
    Some(match months / 12 {
        0..25 => "lt_25",
        25..35 => "25_34",
        35..45 => "35_44",
        45..55 => "45_54",
        _ => "55_plus",
    })
}

/// Every shape a birth date could be written in.
fn shapes(d: Date) -> Vec<String> {
    let ymd = staffsync_core::dates::format_date(d);
    vec![
        ymd.clone(),
        format!("{:02}.{:02}.{}", d.day(), d.month() as u8, d.year()),
        format!("{ymd}T00:00:00"),
        ymd.replace('-', ""),
    ]
}

/// The birth dates to look for: those that are not also another date of the company
/// (a hire date, a creation time, …), which may be stored rightly.
async fn birth_dates(w: &World) -> BTreeSet<Date> {
    let company = w.sim_employees().await;
    let mut other = String::new();
    for e in &company {
        for (k, v) in e.as_object().unwrap() {
            if k != BIRTH_DATE {
                other.push_str(&v.to_string());
            }
        }
    }
    let all: BTreeSet<Date> = company
        .iter()
        .filter_map(|e| staffsync_core::dates::parse_calendar_date(e[BIRTH_DATE].as_str()?))
        .collect();
    let wanted: BTreeSet<Date> = all
        .iter()
        .copied()
        .filter(|d| !shapes(*d).iter().any(|s| other.contains(s.as_str())))
        .collect();
    assert!(
        wanted.len() * 10 >= all.len() * 8,
        "most birth dates are told apart from other dates ({} of {})",
        wanted.len(),
        all.len()
    );
    wanted
}

/// Everything the store holds, as bytes: every file below the data directory, and on
/// PostgreSQL every row of every table as text.
async fn stored_bytes(w: &World) -> Vec<u8> {
    let mut bytes = Vec::new();
    for file in files_below(w.data_dir()) {
        bytes.extend(std::fs::read(&file).unwrap_or_default());
    }
    if let Some(url) = &w.database_url {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert!(tables.iter().any(|t| t == "employees"), "{tables:?}");
        for table in tables {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT t::text FROM \"{table}\" t"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            for row in rows {
                bytes.extend(row.into_bytes());
            }
        }
    }
    bytes
}

fn assert_nowhere(what: &str, haystack: &[u8], dates: &BTreeSet<Date>) {
    for d in dates {
        for shape in shapes(*d) {
            assert!(
                !haystack.windows(shape.len()).any(|w| w == shape.as_bytes()),
                "the birth date {shape} is in the {what}"
            );
        }
    }
}

/// The person whose 25th birthday is on 2026-06-20: under 25 until June 30th, 25_34 from
/// July 1st (the first of the month after the birthday).
const BORN: Date = date!(2001 - 06 - 20);
const EVE: Date = date!(2026 - 06 - 30);
const DAY: Date = date!(2026 - 07 - 01);

async fn age_bands_come_from_birth_dates_stored_nowhere(pg: bool) {
    let w = World::connected_on(backend(pg), 80).await;
    let mut logs = String::new();
    let person = w.json(&["employees", "acme"]);
    assert_eq!(person.as_array().map(Vec::len), Some(0));
    let id = w.expected_ids(TODAY).await[3];
    w.sim_patch(
        id,
        json!({ BIRTH_DATE: staffsync_core::dates::format_date(BORN) }),
    )
    .await;
    // By label, as an admin names it; the label is what Personio lists for the key.
    logs += &set_settings(
        &w,
        json!({"groups": {"age": {"attribute": "Geburtsdatum"}}}),
    );
    let dates = birth_dates(&w).await;
    assert!(dates.contains(&BORN));

    // The evening before: `serve` runs the full sync the saved settings queued.
    let mut serve = serve_on(&w, EVE, "eve");
    wait_for("the full sync of the eve", Duration::from_secs(90), || {
        let applied = runs(&w)
            .iter()
            .any(|r| r["kind"] == "full" && r["status"] == "applied");
        async move { applied.then_some(()) }
    })
    .await;
    serve.terminate(Duration::from_secs(30));
    logs += &serve.log_text();
    let _ = std::fs::remove_file(&serve.log);
    let company = w.sim_employees().await;
    let employees = w.employees();
    assert!(!employees.is_empty());
    for e in &employees {
        let sim = company
            .iter()
            .find(|s| s["id"] == e["personio_id"])
            .expect("listed");
        let born =
            staffsync_core::dates::parse_calendar_date(sim[BIRTH_DATE].as_str().unwrap()).unwrap();
        let want: Vec<String> = reference_band(born, EVE)
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(age_of(e), want, "{e}");
        assert!(e["attributes"].get("Geburtsdatum").is_none(), "{e}");
    }
    let find = |id: i64| w.employee(id).expect("in the directory");
    assert_eq!(age_of(&find(id)), ["lt_25"]);
    let groups = w.json(&["groups", "acme"]);
    let band = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kind"] == "age" && g["key"] == "lt_25")
        .expect("the lt_25 group");
    assert_eq!(
        (&band["name"], &band["name_en"]),
        (&json!("unter 25 Jahre"), &json!("under 25"))
    );

    // Personio now says something else: only a request could tell, and none is made.
    w.sim_patch(id, json!({ BIRTH_DATE: "1950-01-01" })).await;
    let seen = runs(&w).len();
    let mut serve = serve_on(&w, DAY, "day");
    let new = wait_for("the date check's run", Duration::from_secs(90), || {
        let all = runs(&w);
        let new = all[..all.len() - seen].to_vec();
        let finished = new
            .iter()
            .any(|r| r["kind"] == "targeted" && r["status"] == "applied");
        async move { finished.then_some(new) }
    })
    .await;
    serve.terminate(Duration::from_secs(30));
    logs += &serve.log_text();
    let _ = std::fs::remove_file(&serve.log);
    assert!(new.iter().all(|r| r["kind"] == "targeted"), "{new:?}");
    assert_eq!(
        age_of(&find(id)),
        ["25_34"],
        "moved by the stored month alone"
    );

    let (_, log) = logged(&w, DAY, &["employees", "acme", "--json"]);
    logs += &log;
    assert_nowhere("store", &stored_bytes(&w).await, &dates);
    assert_nowhere("logs", logs.as_bytes(), &dates);
    w.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn age_bands_come_from_birth_dates_stored_nowhere_on_sqlite() {
    age_bands_come_from_birth_dates_stored_nowhere(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn age_bands_come_from_birth_dates_stored_nowhere_on_postgresql() {
    age_bands_come_from_birth_dates_stored_nowhere(true).await;
}

/// The custom attributes the directory holds, over everyone.
fn held(w: &World) -> BTreeSet<String> {
    w.employees()
        .iter()
        .flat_map(|e| {
            e["attributes"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|k| {
            ![
                "gender",
                "preferred_name",
                "employment_type",
                "subcompany",
                "cost_centers",
            ]
            .contains(&k.as_str())
        })
        .collect()
}

async fn only_named_attributes_are_kept(pg: bool) {
    let w = World::connected_on(backend(pg), 60).await;
    // A new account keeps nothing unasked (the standard attributes are fields of their own).
    w.sync();
    assert_eq!(held(&w), BTreeSet::new());
    assert!(
        w.employees()
            .iter()
            .any(|e| e["attributes"].get("gender").is_some())
    );
    // Ticking one keeps it on the next sync; grouping by another keeps that one too.
    set_settings(
        &w,
        json!({"keep_attributes": ["Sprachen"], "groups": {"attributes": ["department", "dynamic_33400"]}}),
    );
    w.sync();
    assert_eq!(
        held(&w),
        BTreeSet::from(["Sprachen".to_owned(), "Standort".to_owned()])
    );
    // Unticked, it is dropped from everyone on the next sync.
    set_settings(&w, json!({"keep_attributes": []}));
    w.sync();
    assert_eq!(held(&w), BTreeSet::new());

    // An account from before kept attributes: the release before kept everything. Its
    // store is made so by undoing the upgrade (migration 0013) on a directory that holds
    // them, and the upgrade applied again by the next command.
    set_settings(
        &w,
        json!({"keep_attributes": ["Sprachen", "Standort", "weekly_working_hours"]}),
    );
    w.sync();
    let before = held(&w);
    assert_eq!(before.len(), 3, "{before:?}");
    let undo = [
        "DELETE FROM _sqlx_migrations WHERE version = 13",
        "ALTER TABLE employees DROP COLUMN age_band_next",
        "ALTER TABLE connections DROP COLUMN attribute_labels",
        "UPDATE accounts SET policy = '{}'",
        "DELETE FROM settings_versions",
    ];
    match &w.database_url {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            for sql in undo {
                sqlx::query(sql).execute(&mut conn).await.unwrap();
            }
        }
        None => {
            let url = format!("sqlite://{}", w.data_dir().join("staffsync.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            for sql in undo {
                sqlx::query(sql).execute(&mut conn).await.unwrap();
            }
        }
    }
    let settings = w.json(&["settings", "acme"]);
    let kept: BTreeSet<String> = settings["keep_attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kept, before, "the upgrade keeps what the directory held");
    let report = w.sync();
    assert_eq!(
        report["plan"]["updates"].as_array().map(Vec::len),
        Some(0),
        "{report}"
    );
    assert_eq!(held(&w), before);
    w.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_named_attributes_are_kept_on_sqlite() {
    only_named_attributes_are_kept(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_named_attributes_are_kept_on_postgresql() {
    only_named_attributes_are_kept(true).await;
}
