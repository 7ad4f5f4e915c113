//! The main job on PostgreSQL: the real binary with `STAFFSYNC_DATABASE_URL`, against the
//! simulator. Skipped (with a printed reason) when no PostgreSQL is configured.

use crate::common;

use common::*;
use serde_json::json;
use sqlx::Connection;

/// A fresh database on the server named by STAFFSYNC_TEST_DATABASE_URL; dropped by `drop_db`.
pub(crate) async fn fresh_database() -> (String, String) {
    let admin_url = std::env::var("STAFFSYNC_TEST_DATABASE_URL").expect(
        "needs PostgreSQL: set STAFFSYNC_TEST_DATABASE_URL (scripts/test skips this test \
         visibly when no server answers)",
    );
    let name = format!("ss_e2e_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create db");
    let (base, _) = admin_url.rsplit_once('/').expect("URL with a database");
    (admin_url.clone(), format!("{base}/{name}"))
}

pub(crate) async fn drop_db(admin_url: &str, url: &str) {
    let name = url.rsplit('/').next().unwrap_or_default();
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_job_runs_on_postgresql() {
    let w = World::connected_on(Backend::Postgres, 150).await;
    w.sync();
    assert_eq!(ids(&w.employees()), w.expected_ids(TODAY).await);
    let leaver = w.employees()[0]["personio_id"].as_i64().expect("id");
    let mover = w.employees()[1]["personio_id"].as_i64().expect("id");
    w.sim_delete(leaver).await;
    w.sim_patch(mover, json!({"department": "Rechtsabteilung"}))
        .await;
    let report = w.sync();
    assert_eq!(report["plan"]["removals"].as_array().map(Vec::len), Some(1));
    assert!(w.employee(leaver).is_none());
    assert_eq!(
        w.employee(mover).expect("mover")["department"],
        "Rechtsabteilung"
    );
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs.as_array().map(Vec::len), Some(2));
    // The SQLite data dir holds no database when PostgreSQL is used.
    assert!(!w.data_dir().join("staffsync.db").exists());
    w.finish().await;
}
