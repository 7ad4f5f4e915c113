//! End-to-end: directory rules (issue 11) through the real `staffsync` binary and the
//! simulator: reporting lines follow a manager's move, and `serve`'s daily date check
//! moves people between tenure bands without a Personio request.

use crate::common::*;
use crate::serve_common::{ServeProcess, wait_for};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use time::Date;

/// Reporting-line groups as `staffsync employees --json` shows them: (kind, manager) → members.
fn lines_of(employees: &[Value]) -> BTreeMap<(String, i64), BTreeSet<i64>> {
    let mut out: BTreeMap<(String, i64), BTreeSet<i64>> = BTreeMap::new();
    for e in employees {
        let id = e["personio_id"].as_i64().expect("id");
        for g in e["groups"].as_array().expect("groups") {
            if let Some(manager) = g["manager_personio_id"].as_i64() {
                let kind = g["kind"].as_str().expect("kind").to_owned();
                out.entry((kind, manager)).or_default().insert(id);
            }
        }
    }
    out
}

/// The managers above `id`, nearest first, by the employees' supervisor links.
fn chain(employees: &[Value], id: i64) -> Vec<i64> {
    let sup: BTreeMap<i64, i64> = employees
        .iter()
        .filter_map(|e| {
            Some((
                e["personio_id"].as_i64()?,
                e["supervisor_personio_id"].as_i64()?,
            ))
        })
        .collect();
    let mut out = Vec::new();
    let mut at = id;
    while let Some(&s) = sup.get(&at) {
        if out.contains(&s) || s == id {
            break;
        }
        out.push(s);
        at = s;
    }
    out
}

fn set_settings(w: &World, document: Value) {
    let file = w.data_dir().join("settings.json");
    std::fs::write(&file, document.to_string()).unwrap();
    w.ok(&["settings", "acme", "--set", file.to_str().unwrap()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managers_move_changes_the_lines_of_every_manager_above_old_and_new() {
    let w = World::connected(300).await;
    set_settings(&w, json!({"groups": {"reporting_lines": true}}));
    w.sync();
    let before = w.employees();
    let groups = lines_of(&before);
    let members = |g: &BTreeMap<(String, i64), BTreeSet<i64>>, kind: &str, m: i64| {
        g.get(&(kind.to_owned(), m)).cloned().unwrap_or_default()
    };
    // A manager with reports and at least two managers above, and a new manager for them
    // in another line: not below them, not above them, and not below their manager (so
    // at least that manager loses them).
    let ids = ids(&before);
    let mover = ids
        .iter()
        .copied()
        .filter(|id| chain(&before, *id).len() >= 2)
        .filter(|id| !members(&groups, "reports_direct", *id).is_empty())
        .max_by_key(|id| members(&groups, "reports_all", *id).len())
        .expect("a manager with two managers above");
    let below = members(&groups, "reports_all", mover);
    let old_chain = chain(&before, mover);
    let target = ids
        .iter()
        .copied()
        .filter(|id| *id != mover && !below.contains(id) && !old_chain.contains(id))
        .filter(|id| !chain(&before, *id).contains(&old_chain[0]))
        .max_by_key(|id| chain(&before, *id).len())
        .expect("someone in another line");
    let mut new_chain = vec![target];
    new_chain.extend(chain(&before, target));
    assert!(
        old_chain.iter().any(|m| !new_chain.contains(m)),
        "the old line has managers the new one lacks: {old_chain:?} / {new_chain:?}"
    );

    w.sim_patch(mover, json!({"supervisor_id": target})).await;
    let report = w.sync();
    assert_eq!(report["result"], "applied", "{report}");
    let after = lines_of(&w.employees());
    let moved: BTreeSet<i64> = below.iter().copied().chain([mover]).collect();
    for m in old_chain.iter().filter(|m| !new_chain.contains(m)) {
        assert!(members(&groups, "reports_all", *m).is_superset(&moved));
        assert!(
            members(&after, "reports_all", *m).is_disjoint(&moved),
            "manager {m} above the old position still has the moved people"
        );
    }
    for m in new_chain.iter().filter(|m| !old_chain.contains(m)) {
        assert!(
            members(&after, "reports_all", *m).is_superset(&moved),
            "manager {m} above the new position lacks the moved people"
        );
    }
    // Managers above both positions keep everyone.
    for m in old_chain.iter().filter(|m| new_chain.contains(m)) {
        assert!(members(&after, "reports_all", *m).is_superset(&moved));
    }
    assert!(members(&groups, "reports_direct", old_chain[0]).contains(&mover));
    assert!(!members(&after, "reports_direct", old_chain[0]).contains(&mover));
    assert!(members(&after, "reports_direct", target).contains(&mover));
    // The groups the survey app reads name the new manager's line after them.
    let listed = w.json(&["groups", "acme"]);
    let direct = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kind"] == "reports_direct" && g["manager_personio_id"] == target)
        .expect("the new manager's direct-reports group");
    let person = w.employee(target).expect("the new manager");
    assert_eq!(
        direct["name"],
        format!(
            "{} {}",
            person["first_name"].as_str().unwrap(),
            person["last_name"].as_str().unwrap()
        )
    );
    // A second sync has nothing left to change.
    let again = w.sync();
    assert_eq!(again["plan"]["updates"].as_array().map(Vec::len), Some(0));
}

/// The date a tenure of `hired` completes its third month.
fn third_month(hired: Date) -> Date {
    let total = hired.month() as u8 + 2;
    let (year, month) = (hired.year() + i32::from(total / 12), total % 12 + 1);
    let month = time::Month::try_from(month).unwrap();
    Date::from_calendar_date(year, month, hired.day().min(month.length(year))).unwrap()
}

fn serve_on(w: &World, today: Date, name: &str) -> ServeProcess {
    let today = staffsync_core::dates::format_date(today);
    ServeProcess::start(
        w.data_dir(),
        w.data_dir().join(format!("{name}.log")),
        &[
            "--scheduler-poll",
            "100ms",
            "--poll-interval",
            "0",
            "--personio-rate-limit",
            "off",
        ],
        &[("STAFFSYNC_TODAY", today.as_str())],
    )
}

fn runs(w: &World) -> Vec<Value> {
    w.json(&["runs", "acme"]).as_array().cloned().unwrap()
}

fn tenure_of(w: &World, id: i64) -> Vec<String> {
    let e = w.employee(id).expect("in the directory");
    e["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == "tenure")
        .map(|g| g["key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_date_check_moves_a_person_to_the_next_tenure_band_without_asking_personio() {
    let w = World::connected(120).await;
    let company = w.sim_employees().await;
    let on = |key: &str, d: Date| {
        let d = staffsync_core::dates::format_date(d);
        company.iter().any(|e| e[key].as_str() == Some(d.as_str()))
    };
    // A hire date whose third month completes on a day when the date check has nothing
    // to ask Personio for (nobody left the day before, nobody starts that day), so any
    // request that day would be the tenure band's.
    let (hired, day) = (10..60)
        .map(|back| TODAY - time::Duration::days(back))
        .map(|h| (h, third_month(h)))
        .find(|(_, d)| {
            !on("termination_date", *d - time::Duration::days(1)) && !on("hire_date", *d)
        })
        .expect("a quiet day");
    let eve = day - time::Duration::days(1);
    let person = w
        .sim_post(
            "/_sim/employees",
            json!({"first_name": "Tara", "last_name": "Tenure", "email": "tara.tenure@example.com",
                   "status": "active", "hire_date": staffsync_core::dates::format_date(hired)}),
        )
        .await["id"]
        .as_i64()
        .expect("the simulator's id");
    set_settings(&w, json!({"groups": {"tenure": true}}));

    // The evening before: `serve` runs the full sync the saved settings queued.
    let mut serve = serve_on(&w, eve, "eve");
    wait_for("the full sync of the eve", Duration::from_secs(60), || {
        let applied = runs(&w)
            .iter()
            .any(|r| r["kind"] == "full" && r["status"] == "applied");
        async move { applied.then_some(()) }
    })
    .await;
    serve.terminate(Duration::from_secs(30));
    assert_eq!(tenure_of(&w, person), ["lt_3m"]);

    // The day the third month completes.
    let requests = w.sim_requests().await;
    let seen = runs(&w).len();
    let mut serve = serve_on(&w, day, "day");
    let new = wait_for(
        "the date check's run, finished",
        Duration::from_secs(60),
        || {
            let all = runs(&w);
            let new = all[..all.len() - seen].to_vec();
            let finished = !new.is_empty() && new.iter().all(|r| r["status"] != "running");
            async move { finished.then_some(new) }
        },
    )
    .await;
    serve.terminate(Duration::from_secs(30));
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(
        (&new[0]["kind"], &new[0]["status"]),
        (&json!("targeted"), &json!("applied")),
        "{new:?}"
    );
    assert_eq!(tenure_of(&w, person), ["3_6m"]);
    assert_eq!(
        w.sim_requests().await,
        requests,
        "the date check asked Personio"
    );
}
