//! Issue 22, point 3: the history as an audit trail. A held run lists everyone it would
//! remove by name, department and reason while they are in the directory (also after
//! other runs applied), and the list can be downloaded as CSV before accepting; an
//! accepted hold is one entry of the history, naming who accepted it; the removed
//! people's entries keep source id, department and reason, never the name; previews have
//! their own filter; a file account's runs are imports. Over HTTP against a simulated
//! Personio (or an imported employee file), in German and English.

use crate::common::{
    TestApp, account, admin, connect_personio, csrf_of, escaped, file_account, get, logged_in,
    name, personio, sim_call, spawn_app, sync_now, sync_with,
};
use reqwest::StatusCode;
use staffsync_core::DirectoryEmployee;
use staffsync_engine::{SyncOptions, SyncResult};
use staffsync_store::Account;

const ADMIN: &str = "admin@acme.example";

/// The app with the account `acme` (its admin `ADMIN`) connected to `sim`, synced once.
async fn acme(sim: &personio_sim::SimHandle) -> (TestApp, Account) {
    let app = spawn_app(|_| {}).await;
    let acme = account(&app.store, "acme", "Acme").await;
    admin(&app.store, acme.id, ADMIN).await;
    connect_personio(&app.store, acme.id, sim).await;
    let acme = app.store.account_by_id(acme.id).await.unwrap().unwrap();
    sync_now(&app.store, &acme, None).await;
    (app, acme)
}

/// `people` leave the simulated Personio company.
async fn leave(sim: &personio_sim::SimHandle, people: &[&DirectoryEmployee]) {
    for e in people {
        sim_call(
            sim,
            reqwest::Method::DELETE,
            &format!("/_sim/employees/{}", e.key),
            serde_json::Value::Null,
        )
        .await;
    }
}

/// The removals card of a run page.
fn removals(html: &str) -> &str {
    let start = html
        .find("id=\"removals\"")
        .unwrap_or_else(|| panic!("a removals card: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</table>").unwrap()]
}

/// The history's table of runs.
fn runs_table(html: &str) -> &str {
    let start = html.find("id=\"runs\"").unwrap_or(html.len());
    let rest = &html[start..];
    &rest[..rest.find("</table>").unwrap_or(rest.len())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_run_names_who_would_go_and_why_downloads_as_csv_and_is_one_entry_once_accepted() {
    let sim = personio(20, 7, |_| {}).await;
    let (app, acme) = acme(&sim).await;
    let directory = app.store.directory(acme.id).await.unwrap();
    // A name a spreadsheet would run as a formula, from the HR system.
    let formula = directory[0].key;
    sim_call(
        &sim,
        reqwest::Method::PATCH,
        &format!("/_sim/employees/{formula}"),
        serde_json::json!({"first_name": "=SUMME(1;2)"}),
    )
    .await;
    sync_now(&app.store, &acme, None).await;
    let directory = app.store.directory(acme.id).await.unwrap();
    let leaving: Vec<&DirectoryEmployee> = directory.iter().take(6).collect();
    assert_eq!(leaving[0].key, formula);
    leave(&sim, &leaving).await;
    let held = sync_now(&app.store, &acme, None).await;
    assert_eq!(held.result, SyncResult::Held, "{:?}", held.result);
    let held = held.run_id;
    // Another run applies while the hold waits: the held list stays readable.
    let stays = &directory[10];
    sim_call(
        &sim,
        reqwest::Method::PATCH,
        &format!("/_sim/employees/{}", stays.key),
        serde_json::json!({"position": "Head of Audits"}),
    )
    .await;
    let ids = std::collections::BTreeSet::from([stays.key]);
    let targeted = staffsync_engine::realtime::run_targeted_now(
        &app.state,
        acme.id,
        &ids,
        staffsync_engine::run::TargetSource::Fetch,
    )
    .await
    .unwrap();
    assert!(
        matches!(targeted, staffsync_engine::realtime::Leased::Ran(_)),
        "the targeted run ran"
    );

    let c = logged_in(&app.base, ADMIN).await;
    let (status, html) = get(&c, format!("{}/history/{}", app.base, held.0)).await;
    assert_eq!(status, StatusCode::OK);
    let card = removals(&html);
    assert_eq!(card.matches("<tr class=\"removal\">").count(), 6, "{card}");
    for e in &leaving {
        assert!(card.contains(&escaped(&name(e))), "{}: {card}", name(e));
        let department = e.department.as_deref().unwrap();
        assert!(card.contains(&escaped(department)), "{department}: {card}");
    }
    assert_eq!(
        card.matches("Nicht mehr in Personio gelistet").count(),
        6,
        "{card}"
    );
    assert!(!card.contains("(gelöscht)"), "{card}");
    assert!(html.contains(&format!("/history/{}/removals.csv", held.0)));
    let (_, english) = get(&c, format!("{}/history/{}?lang=en", app.base, held.0)).await;
    assert_eq!(
        removals(&english)
            .matches("No longer listed by Personio")
            .count(),
        6
    );
    let (_, integration) = get(&c, format!("{}/integration?lang=de", app.base)).await;
    assert!(
        integration.contains(&format!("href=\"/history/{}/removals.csv\"", held.0)),
        "the review links its download"
    );

    // The download, before accepting: a proper CSV in the page's language.
    let r = c
        .get(format!("{}/history/{}/removals.csv", app.base, held.0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["Name", "E-Mail", "Personio-ID", "Abteilung", "Grund"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    for e in &leaving {
        let id = e.key.to_string();
        let row = rows
            .iter()
            .find(|r| r[2] == id)
            .unwrap_or_else(|| panic!("{id} listed: {rows:?}"));
        let expected_name = if e.key == formula {
            format!("'{}", name(e))
        } else {
            name(e)
        };
        assert!(name(e) != expected_name || !name(e).starts_with('='));
        assert_eq!(
            row.iter().collect::<Vec<_>>(),
            [
                expected_name.as_str(),
                e.email.as_str(),
                id.as_str(),
                e.department.as_deref().unwrap(),
                "Nicht mehr in Personio gelistet",
            ]
        );
    }
    assert!(
        name(leaving[0]).starts_with("=SUMME"),
        "{}",
        name(leaving[0])
    );
    let english = c
        .get(format!(
            "{}/history/{}/removals.csv?lang=en",
            app.base, held.0
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let first_line = std::str::from_utf8(&english[3..])
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(first_line, "Name,E-mail,Personio ID,Department,Reason");

    // The admin accepts in the web app; the next sync applies exactly that.
    let (_, page) = get(&c, format!("{}/integration?lang=de", app.base)).await;
    let csrf = csrf_of(&page);
    let r = c
        .post(format!("{}/integration/held/{}/accept", app.base, held.0))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "back to Integration");
    let applied = sync_with(
        &app.store,
        &acme,
        &SyncOptions {
            accept_held: Some(held),
            unlimited_rate: true,
            ..SyncOptions::default()
        },
    )
    .await;
    assert_eq!(applied.result, SyncResult::Applied);

    // One entry: the run that applied, saying who accepted, linking to the review.
    let (_, html) = get(&c, format!("{}/history", app.base)).await;
    let table = runs_table(&html);
    assert!(!table.contains("run-accepted"), "{table}");
    assert_eq!(
        table
            .matches("Entfernungen angenommen von admin@acme.example am")
            .count(),
        1,
        "{table}"
    );
    assert!(
        table.contains(&format!("href=\"/history/{}\"", held.0)),
        "{table}"
    );
    assert!(!html.contains("admin:admin@acme.example"), "{html}");
    let (_, html) = get(&c, format!("{}/history?lang=en", app.base)).await;
    assert!(
        runs_table(&html).contains("Removals accepted by admin@acme.example on"),
        "{html}"
    );

    // Gone: their entries keep id, department and reason; their names are erased.
    for run in [held, applied.run_id] {
        let (_, html) = get(&c, format!("{}/history/{}?lang=de", app.base, run.0)).await;
        let card = removals(&html);
        assert_eq!(card.matches("(gelöscht)").count(), 6, "{card}");
        for e in &leaving {
            assert!(!html.contains(&escaped(&name(e))), "{} erased", name(e));
            assert!(card.contains(&format!(">{}<", e.key)), "{card}");
            assert!(card.contains(&escaped(e.department.as_deref().unwrap())));
        }
        assert_eq!(
            card.matches("Nicht mehr in Personio gelistet").count(),
            6,
            "{card}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previews_have_their_own_filter_and_a_rejection_names_who_rejected() {
    let sim = personio(12, 5, |_| {}).await;
    let (app, acme) = acme(&sim).await;
    let preview = sync_with(
        &app.store,
        &acme,
        &SyncOptions {
            dry_run: true,
            unlimited_rate: true,
            ..SyncOptions::default()
        },
    )
    .await;
    let c = logged_in(&app.base, ADMIN).await;
    let (_, html) = get(&c, format!("{}/history", app.base)).await;
    let link = format!("href=\"/history/{}\"", preview.run_id.0);
    assert!(!runs_table(&html).contains(&link), "{html}");
    assert!(!runs_table(&html).contains("run-dry_run"), "{html}");
    assert!(html.contains("href=\"/history?show=previews\""), "{html}");
    let (_, html) = get(&c, format!("{}/history?show=previews", app.base)).await;
    let table = runs_table(&html);
    assert!(table.contains(&link), "{html}");
    assert_eq!(table.matches("<tr class=\"run ").count(), 1, "{table}");
    let (_, html) = get(&c, format!("{}/history?show=previews&lang=en", app.base)).await;
    assert!(runs_table(&html).contains(">Preview<"), "{html}");

    // A held run rejected in the web app says who rejected it.
    let directory = app.store.directory(acme.id).await.unwrap();
    leave(&sim, &directory.iter().take(5).collect::<Vec<_>>()).await;
    let held = sync_now(&app.store, &acme, None).await;
    assert_eq!(held.result, SyncResult::Held);
    let (_, page) = get(&c, format!("{}/integration?lang=de", app.base)).await;
    let r = c
        .post(format!(
            "{}/integration/held/{}/reject",
            app.base, held.run_id.0
        ))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "back to Integration");
    let (_, html) = get(&c, format!("{}/history", app.base)).await;
    assert!(
        runs_table(&html).contains("Abgelehnt von admin@acme.example am"),
        "{html}"
    );
    let (_, html) = get(&c, format!("{}/history?lang=en", app.base)).await;
    assert!(
        runs_table(&html).contains("Rejected by admin@acme.example on"),
        "{html}"
    );
}

/// An employee file with these rows (ImportId;E-Mail;Vorname;Nachname;Abteilung).
fn employee_file(rows: &str) -> employee_file::EmployeeFile {
    employee_file::read(
        format!("ImportId;E-Mail;Vorname;Nachname;Abteilung\n{rows}").as_bytes(),
        employee_file::Format::Csv,
        None,
        &Default::default(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_accounts_runs_are_imports_and_a_removal_keeps_its_import_id() {
    let app = spawn_app(|_| {}).await;
    let files = file_account(&app.store, "files", "Dateien GmbH").await;
    admin(&app.store, files.id, "admin@files.example").await;
    let both = employee_file(
        "E-1;ada@example.com;Ada;Muster;Vertrieb\n\
         E-2;eve@example.com;Eve;Quetschke;Einkauf\n",
    );
    let report = crate::common::import_now(&app.store, &files, both, &SyncOptions::default()).await;
    assert_eq!(report.result, SyncResult::Applied);
    let only_ada = employee_file("E-1;ada@example.com;Ada;Muster;Vertrieb\n");
    let report =
        crate::common::import_now(&app.store, &files, only_ada, &SyncOptions::default()).await;
    assert_eq!(report.result, SyncResult::Applied);
    assert_eq!(report.plan.removals.len(), 1);
    let c = logged_in(&app.base, "admin@files.example").await;
    for (lang, label) in [("de", ">Import<"), ("en", ">Import<")] {
        let (_, html) = get(&c, format!("{}/history?lang={lang}", app.base)).await;
        let table = runs_table(&html);
        assert!(table.contains(label), "{table}");
        assert!(!table.contains("Synchronisation<"), "{table}");
        assert!(!table.contains(">Sync<"), "{table}");
    }
    // Eve is erased; her removal keeps her ImportId, department and reason.
    let (_, html) = get(
        &c,
        format!("{}/history/{}?lang=de", app.base, report.run_id.0),
    )
    .await;
    let card = removals(&html);
    assert!(card.contains(">E-2<"), "{card}");
    assert!(card.contains(">Einkauf<"), "{card}");
    assert!(
        card.contains("Nicht mehr in der Mitarbeiterdatei"),
        "{card}"
    );
    assert!(card.contains("(gelöscht)"), "{card}");
    assert!(!html.contains("Quetschke"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_versions_say_who_and_what_changed_and_an_older_one_is_restored_as_a_new_version()
{
    let sim = personio(12, 5, |_| {}).await;
    let (app, acme) = acme(&sim).await;
    let mut first = acme.policy.settings.clone();
    first.scope.exclude.push(staffsync_core::Rule {
        attribute: "employment_type".into(),
        values: vec!["external".into()],
    });
    app.store
        .set_settings(acme.id, &first, "admin:anna@acme.example")
        .await
        .unwrap();
    let mut second = first.clone();
    second.scope.exclude.clear();
    second.deletion_guard.max_share = 0.1;
    second.deletion_guard.min_people = 3;
    let v2 = app
        .store
        .set_settings(acme.id, &second, "cli")
        .await
        .unwrap();
    let versions = app.store.settings_history(acme.id, 10).await.unwrap();
    let v1 = versions
        .iter()
        .find(|v| v.settings == first)
        .unwrap()
        .version;

    let c = logged_in(&app.base, ADMIN).await;
    let (_, html) = get(&c, format!("{}/history?lang=de", app.base)).await;
    let table = &html[html.find("id=\"settings-versions\"").expect("versions")..];
    assert!(!table.contains("admin:"), "{table}");
    assert!(table.contains(">anna@acme.example<"), "{table}");
    assert!(table.contains(">Kommandozeile<"), "{table}");
    for said in [
        "<b>Ausschließen</b>: — → <b>Beschäftigungsart ist Extern</b>",
        "<b>Ausschließen</b>: Beschäftigungsart ist Extern → <b>—</b>",
        "<b>Löschschutz</b>: 20 %, ab 5 Personen → <b>10 %, ab 3 Personen</b>",
    ] {
        assert!(table.contains(said), "{said}: {table}");
    }
    assert!(!table.contains("{\""), "no JSON: {table}");
    assert!(
        table.contains(&format!("href=\"/integration/settings?restore={v1}\"")),
        "{table}"
    );
    assert!(
        !table.contains(&format!("?restore={v2}\"")),
        "the current version is not offered: {table}"
    );
    let (_, html) = get(&c, format!("{}/history?lang=en", app.base)).await;
    assert!(
        html.contains("<b>Deletion guard</b>: 20 %, from 5 people → <b>10 %, from 3 people</b>"),
        "{html}"
    );
    assert!(html.contains(">command line<"), "{html}");

    // Restoring: the form holds version 1 and says what that changes; nothing is saved.
    let (status, html) = get(
        &c,
        format!("{}/integration/settings?restore={v1}&lang=de", app.base),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let card = &html[html.find("id=\"settings-restore\"").expect("restore card")..];
    assert!(
        card.contains(&format!("Version {v1} wiederherstellen")),
        "{card}"
    );
    assert!(card.contains("(anna@acme.example)"), "{card}");
    assert!(
        card.contains("<b>Ausschließen</b>: — → <b>Beschäftigungsart ist Extern</b>"),
        "{card}"
    );
    assert!(
        card.contains("<b>Löschschutz</b>: 10 %, ab 3 Personen → <b>20 %, ab 5 Personen</b>"),
        "{card}"
    );
    assert_eq!(
        app.store
            .account_by_id(acme.id)
            .await
            .unwrap()
            .unwrap()
            .policy
            .settings,
        second,
        "nothing saved yet"
    );
    let (_, english) = get(
        &c,
        format!("{}/integration/settings?restore={v1}&lang=en", app.base),
    )
    .await;
    assert!(
        english.contains(&format!("Restore version {v1}")),
        "{english}"
    );
    let (status, _) = get(&c, format!("{}/integration/settings?restore=999", app.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // "Speichern" of the restored form: the same checks, a new version by the admin.
    let (_, page) = get(
        &c,
        format!("{}/integration/settings?restore={v1}", app.base),
    )
    .await;
    let csrf = csrf_of(&page);
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    for key in staffsync_core::settings::STANDARD_GROUP_ATTRIBUTES {
        form.push(("group_attribute", key));
    }
    form.extend([
        ("exclude_attribute", "employment_type"),
        ("exclude_values", "external"),
        ("max_share_percent", "20"),
        ("min_people", "5"),
    ]);
    let r = c
        .post(format!("{}/integration/settings", app.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "saved");
    let newest = &app.store.settings_history(acme.id, 1).await.unwrap()[0];
    assert_eq!(newest.version, v2 + 1);
    assert_eq!(newest.changed_by, format!("admin:{ADMIN}"));
    assert_eq!(newest.settings.scope, first.scope);
    assert_eq!(newest.settings.deletion_guard, first.deletion_guard);
}
