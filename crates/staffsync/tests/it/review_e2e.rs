//! Reviews of held runs through the real binary (issue 22, point 4), on SQLite and on
//! PostgreSQL: while the deletion guard holds a run's removals, the rest of it applies.

use crate::common;
use crate::postgres_e2e::{connected_on_postgres, drop_db, fresh_database};

use common::*;
use serde_json::json;

/// A third of the company leaves Personio at once, one person is hired and one moves:
/// the sync is held (exit 3) for the removals only; the hire and the move are in the
/// directory at once, the leavers stay until the review, and accepting removes exactly
/// them.
async fn hires_and_moves_apply_while_removals_are_held(w: World) {
    w.sync();
    let before = w.employees();
    let people = ids(&before);
    let leaving = &people[..people.len() / 3];
    for id in leaving {
        w.sim_delete(*id).await;
    }
    let mover = people[people.len() - 1];
    w.sim_patch(mover, json!({"department": "Forschung & Entwicklung"}))
        .await;
    let hired = w
        .sim_post(
            "/_sim/employees",
            json!({"first_name": "Zoë", "last_name": "Öztürk", "email": "zoe.oeztuerk@example.com",
                   "status": "active", "hire_date": "2020-01-01", "department": "Vertrieb"}),
        )
        .await["id"]
        .as_i64()
        .expect("new id");

    let out = w.run(&["sync", "acme", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let listed: Vec<i64> = report["plan"]["removals"]
        .as_array()
        .expect("removals")
        .iter()
        .filter_map(|r| r["personio_id"].as_i64())
        .collect();
    assert_eq!(listed, leaving, "the review lists exactly the leavers");
    let now = ids(&w.employees());
    assert!(now.contains(&hired), "the hire did not wait");
    assert!(
        leaving.iter().all(|id| now.contains(id)),
        "the leavers wait"
    );
    assert_eq!(now.len(), people.len() + 1);
    assert_eq!(
        w.employee(mover).expect("mover")["department"],
        "Forschung & Entwicklung",
        "the move did not wait"
    );
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs[0]["status"], "held");
    assert_eq!(runs[0]["created"], 1);
    assert_eq!(runs[0]["removed"], leaving.len());

    // The next sync holds the same list again, and applies nothing new twice.
    let out = w.run(&["sync", "acme"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert_eq!(ids(&w.employees()), now);

    let out = w.run(&["sync", "acme", "--accept-deletions"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let after = ids(&w.employees());
    assert!(leaving.iter().all(|id| !after.contains(id)));
    assert_eq!(after.len(), now.len() - leaving.len());
    assert_eq!(after, w.expected_ids(TODAY).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hires_and_moves_apply_while_removals_are_held_on_sqlite() {
    hires_and_moves_apply_while_removals_are_held(World::connected(90).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hires_and_moves_apply_while_removals_are_held_on_postgres() {
    let (admin_url, url) = fresh_database().await;
    hires_and_moves_apply_while_removals_are_held(connected_on_postgres(&url, 90).await).await;
    drop_db(&admin_url, &url).await;
}
