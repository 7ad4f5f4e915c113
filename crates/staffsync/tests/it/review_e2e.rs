//! Reviews of held runs through the real binary (issue 22, point 4), on SQLite and on
//! PostgreSQL: while the deletion guard holds a run's removals, the rest of it applies.

use crate::common;

use common::*;
use serde_json::json;
use staffsync_store::RunId;

/// A third of the company leaves Personio at once, one person is hired and one moves:
/// the sync is held (exit 3) for the removals only; the hire and the move are in the
/// directory at once, the leavers stay until the review, and accepting removes exactly
/// them.
async fn hires_and_moves_apply_while_removals_are_held(w: &World) {
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
    let w = World::connected(90).await;
    hires_and_moves_apply_while_removals_are_held(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hires_and_moves_apply_while_removals_are_held_on_postgres() {
    let w = World::connected_on(Backend::Postgres, 90).await;
    hires_and_moves_apply_while_removals_are_held(&w).await;
    w.finish().await;
}

/// A third of the company turns inactive: held; the admin rejects (as "Ablehnen" does);
/// the next syncs neither hold nor remove them and list them as kept; "Jetzt entfernen"
/// removes one with the next sync; one listed as active again is no longer kept, and
/// when they leave later they go like anyone.
async fn rejected_people_are_kept_until_the_source_lists_them_again(w: &World) {
    w.sync();
    let people = ids(&w.employees());
    let leaving = people[..people.len() / 3].to_vec();
    for id in &leaving {
        w.sim_patch(*id, json!({"status": "inactive"})).await;
    }
    let out = w.run(&["sync", "acme", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let held: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let run = RunId(held["run_id"].as_i64().expect("run id"));
    let (store, acme) = w.acme().await;
    let kept = store
        .reject_and_keep(acme.id, run, "admin:anna@acme.example")
        .await
        .unwrap();
    assert_eq!(kept, Some(leaving.len()));

    for _ in 0..2 {
        let report = w.sync();
        assert_eq!(report["result"], "applied", "not held again: {report}");
        let kept: Vec<i64> = report["plan"]["kept"]
            .as_array()
            .expect("kept")
            .iter()
            .filter_map(|k| k["personio_id"].as_i64())
            .collect();
        assert_eq!(kept, leaving, "shown as kept");
        assert_eq!(report["plan"]["removals"], json!([]));
        assert_eq!(ids(&w.employees()), people, "nobody removed");
    }
    // A person at the terminal reads who is kept.
    let out = w.run(&["sync", "acme"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for id in &leaving {
        assert!(
            text.contains(&format!("  kept (a review was rejected): {id} ")),
            "{text}"
        );
    }

    // "Jetzt entfernen" for one: the next sync removes exactly them, without a review.
    let removed = leaving[1];
    let released = store
        .release_kept(acme.id, &[staffsync_core::PersonKey(removed)].into())
        .await
        .unwrap();
    assert_eq!(released, 1);
    let report = w.sync();
    assert_eq!(report["result"], "applied", "{report}");
    assert_eq!(report["plan"]["removals"][0]["personio_id"], removed);
    assert_eq!(report["plan"]["removals"].as_array().map(Vec::len), Some(1));
    assert!(w.employee(removed).is_none());

    // Listed as active again: no longer kept.
    let back = leaving[0];
    w.sim_patch(back, json!({"status": "active"})).await;
    let report = w.sync();
    assert_eq!(report["plan"]["unkept"], json!([back]), "{report}");
    let still: Vec<i64> = store
        .kept_people(acme.id)
        .await
        .unwrap()
        .iter()
        .map(|k| k.key.0)
        .collect();
    assert_eq!(still, leaving[2..].to_vec());
    // Leaving again later, they go like anyone (one person: within the guard).
    w.sim_patch(back, json!({"status": "inactive"})).await;
    let report = w.sync();
    assert_eq!(report["result"], "applied", "{report}");
    assert_eq!(report["plan"]["removals"][0]["personio_id"], back);
    assert!(w.employee(back).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_people_are_kept_until_the_source_lists_them_again_on_sqlite() {
    let w = World::connected(60).await;
    rejected_people_are_kept_until_the_source_lists_them_again(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_people_are_kept_until_the_source_lists_them_again_on_postgres() {
    let w = World::connected_on(Backend::Postgres, 60).await;
    rejected_people_are_kept_until_the_source_lists_them_again(&w).await;
    w.finish().await;
}
