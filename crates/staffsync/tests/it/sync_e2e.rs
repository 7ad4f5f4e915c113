//! End-to-end: the real `staffsync` binary syncing from the real simulator into SQLite;
//! the identity stories (re-keying, issue 24) on PostgreSQL too.

use crate::common;

use common::*;
use serde_json::json;
use time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_import_mirrors_everyone_who_has_started_and_not_left() {
    let w = World::connected(300).await;
    let report = w.sync();
    assert_eq!(report["result"], "applied");
    let employees = w.employees();
    assert_eq!(ids(&employees), w.expected_ids(TODAY).await);
    assert!(
        employees.len() > 200,
        "most of the company is in: {}",
        employees.len()
    );
    let skipped = report["plan"]["skips"].as_array().expect("skips").len();
    assert!(
        skipped > 0,
        "onboarding and inactive people are skipped with reasons"
    );

    let groups = w.json(&["groups", "acme"]);
    let kinds: std::collections::BTreeSet<&str> = groups
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["kind"].as_str())
        .collect();
    for kind in ["department", "office", "position"] {
        assert!(kinds.contains(kind), "{kind} groups exist: {kinds:?}");
    }
    for g in groups.as_array().expect("groups") {
        assert!(
            g["member_count"].as_i64().unwrap_or(0) > 0,
            "no empty group: {g}"
        );
    }
    // A second sync of the same data changes nothing.
    let again = w.sync();
    assert_eq!(again["plan"]["creates"].as_array().map(Vec::len), Some(0));
    assert_eq!(again["plan"]["updates"].as_array().map(Vec::len), Some(0));
    assert_eq!(again["plan"]["removals"].as_array().map(Vec::len), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_position_and_supervisor_changes_are_followed() {
    let w = World::connected(120).await;
    w.sync();
    let people = w.employees();
    let a = people[0]["personio_id"].as_i64().expect("id");
    let b = people[1]["personio_id"].as_i64().expect("id");
    w.sim_patch(a, json!({"department": "Forschung & Entwicklung", "position": "Chief Tea Officer", "supervisor_id": b}))
        .await;
    let report = w.sync();
    assert_eq!(
        report["plan"]["updates"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    let fields: Vec<&str> = report["plan"]["updates"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    for f in ["department", "position", "supervisor_personio_id"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let e = w.employee(a).expect("still there");
    assert_eq!(e["department"], "Forschung & Entwicklung");
    assert_eq!(e["position"], "Chief Tea Officer");
    assert_eq!(e["supervisor_personio_id"], b);
    let groups = e["groups"].as_array().expect("groups");
    assert!(groups.contains(&json!({"kind": "department", "name": "Forschung & Entwicklung"})));
    assert!(groups.contains(&json!({"kind": "position", "name": "Chief Tea Officer"})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leavers_are_removed_whether_terminated_or_deleted() {
    let w = World::connected(120).await;
    w.sync();
    let people = w.employees();
    let terminated = people[2]["personio_id"].as_i64().expect("id");
    let deleted = people[3]["personio_id"].as_i64().expect("id");
    let yesterday = TODAY - Duration::days(1);
    w.sim_post(
        &format!("/_sim/employees/{terminated}/terminate"),
        json!({"termination_date": staffsync_core::dates::format_date(yesterday)}),
    )
    .await;
    w.sim_delete(deleted).await;
    let report = w.sync();
    assert_eq!(
        report["plan"]["removals"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    assert!(w.employee(terminated).is_none());
    assert!(w.employee(deleted).is_none());
    assert_eq!(ids(&w.employees()), w.expected_ids(TODAY).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_future_hire_is_imported_on_the_day_their_hire_date_arrives() {
    let w = World::connected(60).await;
    let start = TODAY + Duration::days(3);
    let hired = w
        .sim_post(
            "/_sim/employees",
            json!({"first_name": "Zoë", "last_name": "Öztürk", "email": "zoe.oeztuerk@example.com",
                   "status": "active", "hire_date": staffsync_core::dates::format_date(start), "department": "Vertrieb"}),
        )
        .await;
    let id = hired["id"].as_i64().expect("new id");
    let report = w.sync();
    let skip = report["plan"]["skips"]
        .as_array()
        .expect("skips")
        .iter()
        .find(|s| s["personio_id"] == id)
        .cloned();
    assert_eq!(
        skip.map(|s| s["reason"].clone()),
        Some(json!("not_started"))
    );
    assert!(w.employee(id).is_none());
    // The day before: still out. On the day: in.
    let out = w.run_on(start - Duration::days(1), &["sync", "acme"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(w.employee(id).is_none());
    let out = w.run_on(start, &["sync", "acme"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let e = w.employee(id).expect("imported on the hire date");
    assert_eq!(e["first_name"], "Zoë");
    assert_eq!(e["hire_date"], staffsync_core::dates::format_date(start));
}

/// A rehire in Personio (a new profile with the old e-mail; the old one's e-mail changed)
/// is the same person (issue 24, point 1): the directory entry is re-keyed, not removed
/// and created, so feedback written before stays theirs.
async fn a_rehire(backend: Backend) {
    let w = World::connected_on(backend, 60).await;
    w.sync();
    let person = w.employees()[0].clone();
    let old = person["personio_id"].as_i64().expect("id");
    let email = person["email"].as_str().expect("email").to_owned();
    w.ok(&[
        "feedback",
        "add",
        "acme",
        "--author-personio-id",
        &old.to_string(),
        "--body",
        "Vor der Wiedereinstellung",
    ]);
    w.sim_post(
        &format!("/_sim/employees/{old}/terminate"),
        json!({"termination_date": staffsync_core::dates::format_date(TODAY - Duration::days(30))}),
    )
    .await;
    let rehired = w
        .sim_post(
            &format!("/_sim/employees/{old}/rehire"),
            json!({"hire_date": staffsync_core::dates::format_date(TODAY)}),
        )
        .await;
    let new = rehired["id"].as_i64().expect("new id");
    assert_ne!(new, old);
    let report = w.sync();
    assert_eq!(
        report["plan"]["skips"]
            .as_array()
            .expect("skips")
            .iter()
            .filter(|s| s["reason"] == "duplicate_email")
            .count(),
        0
    );
    assert!(w.employee(old).is_none(), "old profile removed");
    let e = w.employee(new).expect("new profile imported");
    assert_eq!(e["email"], email.as_str());
    assert_eq!(
        report["plan"]["rekeys"],
        json!([{"from": old, "to": new}]),
        "{report}"
    );
    assert_eq!(report["plan"]["removals"], json!([]), "{report}");
    let feedback = w.json(&["feedback", "list", "acme"]);
    assert_eq!(feedback[0]["body"], "Vor der Wiedereinstellung");
    assert_eq!(
        feedback[0]["author"], new,
        "the feedback stays the re-keyed person's: {feedback}"
    );
    w.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehire_replaces_the_old_profile_without_a_conflict() {
    a_rehire(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehire_replaces_the_old_profile_without_a_conflict_on_postgresql() {
    a_rehire(Backend::Postgres).await;
}

/// A change of legal entity in Personio: a new profile takes the person's e-mail, the old
/// one (still active) gets another address. The person follows their address (re-keyed,
/// their feedback stays theirs); the old profile under its new address is someone new.
async fn a_change_of_legal_entity(backend: Backend) {
    let w = World::connected_on(backend, 60).await;
    w.sync();
    let person = w.employees()[0].clone();
    let old = person["personio_id"].as_i64().expect("id");
    let email = person["email"].as_str().expect("email").to_owned();
    w.ok(&[
        "feedback",
        "add",
        "acme",
        "--author-personio-id",
        &old.to_string(),
        "--body",
        "Vor dem Wechsel",
    ]);
    w.sim_patch(old, json!({"email": format!("alt.{email}")}))
        .await;
    let moved = w
        .sim_post(
            "/_sim/employees",
            json!({"first_name": person["first_name"], "last_name": person["last_name"],
                   "email": email, "status": "active", "hire_date": "2020-01-01",
                   "department": person["department"]}),
        )
        .await;
    let new = moved["id"].as_i64().expect("new id");
    let report = w.sync();
    assert_eq!(
        report["plan"]["rekeys"],
        json!([{"from": old, "to": new}]),
        "{report}"
    );
    assert_eq!(
        w.employee(new).expect("the person")["email"],
        email.as_str()
    );
    let old_profile = w.employee(old).expect("the old profile, someone new");
    assert_eq!(old_profile["email"], format!("alt.{email}"));
    let feedback = w.json(&["feedback", "list", "acme"]);
    assert_eq!(feedback[0]["author"], new, "{feedback}");
    w.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_of_legal_entity_keeps_the_person_with_their_address() {
    a_change_of_legal_entity(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_of_legal_entity_keeps_the_person_with_their_address_on_postgresql() {
    a_change_of_legal_entity(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_emails_are_skipped_with_a_reason_naming_the_other() {
    let w = World::connected(60).await;
    w.sync();
    let keeper = w.employees()[0].clone();
    let keeper_id = keeper["personio_id"].as_i64().expect("id");
    let taken = keeper["email"].as_str().expect("email").to_uppercase();
    let hire = |first: &str, email: &str| {
        json!({"first_name": first, "last_name": "Doppel", "email": email, "status": "active",
               "hire_date": "2020-01-01", "department": "Vertrieb"})
    };
    let copycat = w.sim_post("/_sim/employees", hire("Copy", &taken)).await["id"]
        .as_i64()
        .expect("id");
    let twin_a = w
        .sim_post("/_sim/employees", hire("Twin A", "twins@example.com"))
        .await["id"]
        .as_i64()
        .expect("id");
    let twin_b = w
        .sim_post("/_sim/employees", hire("Twin B", "Twins@Example.com"))
        .await["id"]
        .as_i64()
        .expect("id");
    let report = w.sync();
    let skips = report["plan"]["skips"].as_array().expect("skips");
    let skip_of = |id: i64| {
        skips
            .iter()
            .find(|s| s["personio_id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(skip_of(copycat)["reason"], "duplicate_email");
    assert_eq!(skip_of(copycat)["other"], keeper_id);
    assert_eq!(skip_of(twin_a)["reason"], "duplicate_email");
    assert_eq!(skip_of(twin_b)["reason"], "duplicate_email");
    assert!(w.employee(keeper_id).is_some());
    for id in [copycat, twin_a, twin_b] {
        assert!(w.employee(id).is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personio_outage_mid_listing_fails_the_run_and_changes_nothing() {
    let w = World::connected(350).await;
    w.sync();
    let before = w.employees();
    let victim = before[0]["personio_id"].as_i64().expect("id");
    w.sim_delete(victim).await;
    w.sim_post(
        "/_sim/faults",
        json!({"fail_page": {"offset": 200, "status": 500}}),
    )
    .await;
    let out = w.run(&["sync", "acme"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing changed"),
        "{}",
        describe(&out)
    );
    assert_eq!(w.employees(), before, "directory untouched");
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs[0]["status"], "failed");
    assert!(runs[0]["error"].as_str().is_some_and(|e| !e.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mass_removal_is_held_until_accepted() {
    let w = World::connected(100).await;
    w.sync();
    let before = w.employees();
    let leaving: Vec<i64> = before
        .iter()
        .take(before.len() / 3)
        .filter_map(|e| e["personio_id"].as_i64())
        .collect();
    for id in &leaving {
        w.sim_delete(*id).await;
    }
    let out = w.run(&["sync", "acme"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert_eq!(w.employees(), before, "nothing changed while held");
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs[0]["status"], "held");
    let out = w.run(&["sync", "acme", "--accept-deletions"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let after = ids(&w.employees());
    assert!(leaving.iter().all(|id| !after.contains(id)));
    assert_eq!(after, w.expected_ids(TODAY).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_person_erases_them_from_every_file_and_keeps_their_feedback() {
    let w = World::connected(80).await;
    w.sync();
    let id = w.employees()[5]["personio_id"].as_i64().expect("id");
    // Unique values, so finding them anywhere on disk can only mean they were not erased.
    let email = "brunhilde.quetzal@example.com";
    let last_name = "Quetzalcoatl-Brünnhilde";
    w.sim_patch(id, json!({"last_name": last_name, "email": email}))
        .await;
    w.sync();
    let groups = w.employee(id).expect("present")["groups"].clone();
    w.ok(&[
        "feedback",
        "add",
        "acme",
        "--author-personio-id",
        &id.to_string(),
        "--body",
        "Mehr Kaffee bitte",
    ]);
    // Their name also lands in the history of a change, which must be scrubbed too.
    w.sim_patch(id, json!({"position": "Head of Kaffee"})).await;
    w.sync();
    let department = w.employee(id).expect("present")["department"].clone();
    w.sim_delete(id).await;
    w.sync();
    assert!(w.employee(id).is_none());
    for needle in [email, last_name, CLIENT_SECRET] {
        assert_eq!(
            found_in_files(w.data_dir(), needle),
            None,
            "{needle:?} must not remain on disk"
        );
    }
    // The history keeps who went and why, by id and department: no name, no e-mail.
    let store = staffsync_store::Store::open(&staffsync_store::StoreConfig {
        data_dir: w.data_dir().to_owned(),
        database_url: None,
        secret_key: None,
    })
    .await
    .expect("store opens");
    let acme = store
        .account(&staffsync_core::AccountSlug::parse("acme").unwrap())
        .await
        .unwrap()
        .expect("acme");
    let mut kept = Vec::new();
    for run in store.runs(acme.id).await.unwrap() {
        for c in store.run_changes(acme.id, run.id).await.unwrap() {
            if c.key.0 == id && c.detail.is_some() {
                kept.push((c.action, c.detail));
            }
        }
    }
    assert_eq!(
        kept,
        [(
            "remove".to_owned(),
            Some(json!({"reason": "not_listed", "department": department}))
        )]
    );
    let feedback = w.json(&["feedback", "list", "acme"]);
    let item = &feedback[0];
    assert_eq!(item["body"], "Mehr Kaffee bitte");
    assert_eq!(item["author"], serde_json::Value::Null);
    assert_eq!(item["groups"], groups, "the group snapshot survives");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_attributes_chosen_by_the_admin_become_groups_and_leave_can_be_kept() {
    let w = World::connected(150).await;
    w.ok(&[
        "account",
        "policy",
        "acme",
        "--group-attribute",
        "Standort",
        "--keep-on-leave",
        "true",
    ]);
    w.sync();
    let groups = w.json(&["groups", "acme"]);
    let custom: Vec<&str> = groups
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["kind"] == "custom")
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert!(!custom.is_empty(), "custom groups exist");
    assert!(
        custom.iter().all(|n| n.starts_with("Standort: ")),
        "{custom:?}"
    );
    let on_leave = w
        .sim_employees()
        .await
        .into_iter()
        .filter(|e| e["status"] == "leave")
        .count();
    let kept = w
        .employees()
        .into_iter()
        .filter(|e| e["status"] == "leave")
        .count();
    assert!(
        on_leave > 0 && kept > 0,
        "people on leave are kept ({kept} of {on_leave})"
    );

    // Bad policy input is refused with a clear message and changes nothing.
    let out = w.run(&["account", "policy", "acme", "--max-removal-share", "1.5"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 0 and 1"));
}

/// Issue 14, finding 1 (command line): `--accept-deletions` accepts what the held run
/// listed. People who disappeared after it are not removed on its strength: the run is
/// held again, with the new list, and the next `--accept-deletions` accepts that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_deletions_applies_only_what_the_held_run_listed() {
    let w = World::connected(100).await;
    w.sync();
    let before = w.employees();
    let people: Vec<i64> = before
        .iter()
        .filter_map(|e| e["personio_id"].as_i64())
        .collect();
    for id in &people[..30] {
        w.sim_delete(*id).await;
    }
    let out = w.run(&["sync", "acme"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    // Five more leave Personio before the admin accepts the 30 they reviewed.
    for id in &people[30..35] {
        w.sim_delete(*id).await;
    }
    let out = w.run(&["sync", "acme", "--accept-deletions"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "held again, not applied: {}",
        describe(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("- {}", people[34])), "{stdout}");
    assert_eq!(w.employees(), before, "nobody removed");
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs[0]["status"], "held");
    assert_eq!(runs[0]["removed"], 35);
    assert_eq!(runs[1]["status"], "superseded");

    let out = w.run(&["sync", "acme", "--accept-deletions"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let after = ids(&w.employees());
    assert!(people[..35].iter().all(|id| !after.contains(id)));
    assert_eq!(after.len(), before.len() - 35);
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs[0]["status"], "applied");
    assert_eq!(runs[1]["status"], "accepted");
    // The history names who accepted, and when; runs nobody decided on carry no decision.
    assert_eq!(runs[1]["decision"]["by"], "cli", "{}", runs[1]);
    assert!(runs[1]["decision"]["at"].is_string());
    assert!(runs[0].get("decision").is_none());
}

/// Issue 14, finding 6 (command line): a sync while another one holds the account waits
/// for `--wait`, then gives up with a clear message, and the other run is not
/// interrupted: it finishes and applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_never_interrupts_the_running_one() {
    let w = World::connected(60).await;
    let slow = w
        .http
        .post(w.sim_url("/_sim/faults"))
        .json(&json!({"slow": {"delay_ms": 4000, "requests": 10}}))
        .send()
        .await
        .expect("fault");
    assert!(slow.status().is_success());
    let first = w
        .command(&["sync", "acme", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("first sync starts");
    // Wait (bounded) until the first sync's run is recorded as running.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let runs = w.json(&["runs", "acme"]);
        if runs[0]["status"] == "running" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the first sync never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = w.run(&["sync", "acme", "--wait", "1s"]);
    assert_eq!(second.status.code(), Some(1), "{}", describe(&second));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("another sync of this account is running"),
        "{stderr}"
    );
    let first = first.wait_with_output().expect("first sync ends");
    assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).expect("json");
    assert_eq!(report["result"], "applied");
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs}");
}

// The command line around the sync: what a newcomer sees in the first hour (issue 15).

/// Runs `args` with stdout a pipe whose reader has already gone (`| head` that finished).
fn run_into_closed_pipe(w: &World, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    w.command(args)
        .stdout(std::process::Stdio::from(writer))
        .output()
        .expect("staffsync runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_end_quietly_when_the_reader_of_stdout_has_gone() {
    let w = World::connected(30).await;
    w.sync();
    for args in [
        &["employees", "acme"][..],
        &["groups", "acme"],
        &["runs", "acme"],
        &["employees", "acme", "--json"],
        &["account", "list"],
        &["token", "list", "acme"],
    ] {
        let out = run_into_closed_pipe(&w, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?} ends quietly: {stderr}"
        );
    }
    let url = w.sim.base_url();
    let out = run_into_closed_pipe(
        &w,
        &[
            "personio",
            "fetch",
            "--client-id",
            CLIENT_ID,
            "--personio-url",
            &url,
            "--rate-limit",
            "off",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));
    // A sync's exit code is its result's, whether or not anyone reads the summary.
    let out = run_into_closed_pipe(&w, &["sync", "acme"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_and_say_what_was_wrong_in_the_users_words() {
    let w = World::connected(5).await;
    let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();

    let out = w.run(&["employees", "Not_A_Slug"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(stderr(&out).contains("Not_A_Slug"), "{}", describe(&out));

    let out = w.run(&["serve", "--sync-interval", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr(&out).contains("--sync-interval"),
        "{}",
        describe(&out)
    );

    let out = w.run(&["account", "create", "zoned", "--time-zone", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));

    let out = w
        .command(&["connect", "acme", "--client-id", CLIENT_ID])
        .env_remove("PERSONIO_CLIENT_SECRET")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr(&out).contains("set PERSONIO_CLIENT_SECRET or pass --client-secret"),
        "{}",
        describe(&out)
    );

    // Not usage errors, but said in the user's words: the slug, never a Rust type or an
    // internal id.
    let out = w.run(&["employees", "nosuch"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("no account named nosuch;"),
        "{}",
        describe(&out)
    );
    assert!(!stderr(&out).contains("AccountSlug"), "{}", describe(&out));
    let out = w.run(&[
        "feedback",
        "add",
        "acme",
        "--author-personio-id",
        "999999",
        "--body",
        "hi",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("no employee with Personio id 999999 in account acme"),
        "{}",
        describe(&out)
    );
}

/// An admin e-mail the mailer could not send to (a line break and a `Bcc:` header, an
/// angle bracket) is a usage error naming what is wrong, and creates nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_email_that_is_no_address_is_a_usage_error() {
    let w = World::without_accounts().await;
    for (email, problem) in [
        ("anna@acme.example\nBcc: eve@evil.example", "line break"),
        ("anna<x>@acme.example", "before the @"),
        ("anna@localhost", "domain name"),
    ] {
        let out = w
            .command(&["account", "create", "acme", "--admin-email", email])
            .env("STAFFSYNC_ADMIN_PASSWORD", "a-long-enough-password")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{email:?}: {}", describe(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--admin-email"), "{}", describe(&out));
        assert!(err.contains(problem), "{email:?}: {}", describe(&out));
    }
    assert!(
        !w.ok(&["account", "list"]).contains("acme"),
        "nothing created"
    );
    let out = w
        .command(&[
            "account",
            "create",
            "acme",
            "--admin-email",
            " anna@acme.example ",
        ])
        .env("STAFFSYNC_ADMIN_PASSWORD", "a-long-enough-password")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("created admin anna@acme.example:"),
        "{}",
        describe(&out)
    );
}

/// Runs `serve` on `data_dir` expecting it to stop at start-up (a bounded wait: killed
/// and failed after 60 s); returns its error line.
fn serve_fails_at_startup(w: &World, data_dir: &std::path::Path) -> String {
    let mut child = w
        .command(&["serve", "--listen", "127.0.0.1:0", "--no-scheduler"])
        .env("STAFFSYNC_DATA_DIR", data_dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("waits").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve on {} did not stop", data_dir.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    // The error itself, not a log line before it (which may name the path too).
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {}", describe(&out)))
        .to_owned()
}

/// Whatever stops `serve` at start-up names the path: a data directory under a regular
/// file, a key file or a database file that is a directory, and a database SQLite cannot
/// open (its `-wal` file is a directory: like a read-only data directory, but failing for
/// root too, who may write anywhere).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_errors_name_the_path() {
    let w = World::without_accounts().await;
    let root = w.data_dir();
    std::fs::write(root.join("file"), "").unwrap();
    let under_file = root.join("file").join("data");
    let err = serve_fails_at_startup(&w, &under_file);
    assert!(err.contains(&under_file.display().to_string()), "{err}");

    // (what is a directory, the file the error must name)
    for (i, (dir, named)) in [
        ("secret.key", "secret.key"),
        ("staffsync.db", "staffsync.db"),
        ("staffsync.db-wal", "staffsync.db"),
    ]
    .into_iter()
    .enumerate()
    {
        let data = root.join(format!("data{i}"));
        std::fs::create_dir_all(data.join(dir)).unwrap();
        let named = data.join(named);
        let err = serve_fails_at_startup(&w, &data);
        assert!(err.contains(&named.display().to_string()), "{dir}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_to_an_unreachable_url_names_it_and_does_not_retry() {
    let w = World::connected(5).await;
    // Port 1 on the loopback: nothing listens there, the connection is refused at once.
    let out = w
        .command(&[
            "connect",
            "acme",
            "--client-id",
            CLIENT_ID,
            "--personio-url",
            "http://127.0.0.1:1",
        ])
        .env("STAFFSYNC_LOG", "warn")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("http://127.0.0.1:1"), "{stderr}");
    assert!(
        !stderr.contains("WARN") && !stderr.contains("retry"),
        "one attempt, no retries logged: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_in_a_pipe_have_no_colour_codes() {
    let w = World::connected(5).await;
    let out = w
        .command(&["sync", "acme"])
        .env("STAFFSYNC_LOG", "info")
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("INFO"), "info lines are logged: {stderr}");
    assert!(!stderr.contains('\u{1b}'), "no ANSI escapes: {stderr:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_flags_show_only_where_used_and_work_before_and_after_the_command() {
    let w = World::connected(5).await;
    let help = |args: &[&str]| String::from_utf8_lossy(&w.run(args).stdout).into_owned();
    let fetch = help(&["personio", "fetch", "--help"]);
    assert!(
        !fetch.contains("--data-dir") && !fetch.contains("--database-url"),
        "{fetch}"
    );
    assert!(fetch.contains("The API credential's Client ID"), "{fetch}");
    assert!(!help(&["personio-sim", "--help"]).contains("--data-dir"));
    let employees = help(&["employees", "--help"]);
    assert!(
        employees.contains("--data-dir") && employees.contains("<SLUG>  The account's slug"),
        "{employees}"
    );

    let dir = w.data_dir().to_str().expect("utf-8 path").to_owned();
    let elsewhere = tempfile::TempDir::new().expect("tempdir");
    let elsewhere = elsewhere.path().to_str().expect("utf-8 path").to_owned();
    for args in [
        vec!["--data-dir", dir.as_str(), "account", "list"],
        vec!["account", "list", "--data-dir", dir.as_str()],
        // After the command it wins over the one before (and over the environment).
        vec![
            "--data-dir",
            elsewhere.as_str(),
            "account",
            "list",
            "--data-dir",
            dir.as_str(),
        ],
    ] {
        let out = w
            .command(&args)
            .env("STAFFSYNC_DATA_DIR", &elsewhere)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", describe(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("acme"),
            "{args:?}: {}",
            describe(&out)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_times_are_printed_to_the_minute_in_utc() {
    let w = World::connected(5).await;
    w.sync();
    let out = w.ok(&["runs", "acme"]);
    let row = out.lines().nth(1).expect("a run");
    let started: Vec<&str> = row.split_whitespace().skip(1).take(3).collect();
    assert_eq!(started.len(), 3, "{out}");
    assert!(
        time::Date::parse(
            started[0],
            time::macros::format_description!("[year]-[month]-[day]")
        )
        .is_ok()
            && started[1].len() == 5
            && started[1].as_bytes()[2] == b':'
            && started[2] == "UTC",
        "{out}"
    );
}

/// Issue 11 through the real binary: a settings document that excludes an employment type
/// is refused while invalid (exit 2, naming the field), previewed with `--dry-run` (exit 3:
/// the guard would hold it; nothing saved), saved, and then the next sync is held like any
/// mass removal and applies exactly those people after review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluding_an_employment_type_is_held_then_applied_after_review() {
    let w = World::connected(120).await;
    w.sync();
    let before = w.employees();
    let in_directory = ids(&before);
    let externals: std::collections::BTreeSet<i64> = w
        .sim_employees()
        .await
        .iter()
        .filter(|e| e["employment_type"] == "external")
        .filter_map(|e| e["id"].as_i64())
        .filter(|id| in_directory.contains(id))
        .collect();
    assert!(!externals.is_empty(), "the simulated company has externals");
    let file = w.data_dir().join("settings.json");
    // A tight guard, so that even a few removals are held for review.
    std::fs::write(
        &file,
        r#"{"scope": {"exclude": [{"attribute": "employment_type", "values": []}]}}"#,
    )
    .unwrap();
    let out = w.run(&["settings", "acme", "--set", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("scope.exclude[0].values"),
        "{}",
        describe(&out)
    );
    std::fs::write(
        &file,
        r#"{"scope": {"exclude": [{"attribute": "employment_type", "values": [" External "]}]},
            "deletion_guard": {"max_share": 0.01, "min_people": 1}}"#,
    )
    .unwrap();
    let out = w.run(&[
        "settings",
        "acme",
        "--set",
        file.to_str().unwrap(),
        "--dry-run",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let preview: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(preview["removals"], externals.len(), "{preview}");
    assert_eq!(preview["held"], true);
    assert_eq!(
        w.json(&["settings", "acme"])["scope"]["exclude"],
        json!([]),
        "nothing saved"
    );

    w.ok(&["settings", "acme", "--set", file.to_str().unwrap()]);
    let saved = w.json(&["settings", "acme"]);
    assert_eq!(saved["scope"]["exclude"][0]["attribute"], "employment_type");
    let out = w.run(&["sync", "acme"]);
    assert_eq!(out.status.code(), Some(3), "held: {}", describe(&out));
    assert_eq!(w.employees(), before, "nobody removed before the review");
    let out = w.run(&["sync", "acme", "--accept-deletions"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let after = ids(&w.employees());
    assert!(externals.iter().all(|id| !after.contains(id)));
    assert_eq!(after.len(), before.len() - externals.len());
    let runs = w.json(&["runs", "acme"]);
    assert_eq!(runs[0]["status"], "applied");
    assert_eq!(runs[0]["removed"], externals.len());
}

/// `staffsync personio fetch` prints everyone Personio lists, once each, in either form
/// (its lines are made as pages arrive and printed once the listing is complete).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personio_fetch_prints_everyone_once_as_text_or_json() {
    let w = World::connected(40).await;
    let url = w.sim.base_url();
    let fetch = |json: bool| {
        let mut args = vec![
            "personio",
            "fetch",
            "--client-id",
            CLIENT_ID,
            "--personio-url",
            &url,
            "--rate-limit",
            "off",
        ];
        if json {
            args.push("--json");
        }
        let out = w.run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        out
    };
    let json = fetch(true);
    let ids: Vec<i64> = String::from_utf8_lossy(&json.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object a line");
            v["id"].as_i64().expect("an id")
        })
        .collect();
    assert_eq!(ids.len(), 40, "everyone, whatever their status");
    let unique: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 40, "each once");
    assert!(
        String::from_utf8_lossy(&json.stderr).contains("read 40 employees"),
        "{}",
        describe(&json)
    );
    let text = fetch(false);
    let text = String::from_utf8_lossy(&text.stdout);
    let text_ids: Vec<i64> = text
        .lines()
        .map(|l| {
            assert_eq!(l.matches('\t').count(), 4, "{l}");
            l.split('\t').next().unwrap().parse().expect("the id first")
        })
        .collect();
    assert_eq!(text_ids, ids, "the same people in the same order");
}
