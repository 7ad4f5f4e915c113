//! Issue 22, point 2: the web app names people and groups by name wherever a name exists.
//! Reporting lines by their manager ("Team von Julia Jäger", "Alle unter …"), a removed
//! manager neutrally and never by an id, tenure bands in words and in order, attributes
//! by their German or English name, scope rules in words. A rule typed by an attribute's
//! name is stored by the attribute's key. Over HTTP, against a simulated Personio (or an
//! imported employee file).

use crate::common::{
    TestApp, account, admin, connect_personio, csrf_of, escaped, file_account, get, logged_in,
    name, personio, sim_call, spawn_app, sync_now,
};
use reqwest::StatusCode;
use staffsync_core::{DirectoryEmployee, GroupKind, PersonKey, Rule, Settings, TenureBand};
use staffsync_store::Account;

const ADMIN: &str = "admin@acme.example";

/// The app with the account `acme` (its admin `ADMIN`), its settings changed by `tune`,
/// connected to `sim` and synced once.
async fn acme(
    sim: &personio_sim::SimHandle,
    tune: impl FnOnce(&mut Settings),
) -> (TestApp, Account) {
    let app = spawn_app(|_| {}).await;
    let account = account(&app.store, "acme", "Acme").await;
    admin(&app.store, account.id, ADMIN).await;
    let mut settings = account.policy.settings.clone();
    tune(&mut settings);
    app.store
        .set_settings(account.id, &settings, "test")
        .await
        .unwrap();
    connect_personio(&app.store, account.id, sim).await;
    let account = app.store.account_by_id(account.id).await.unwrap().unwrap();
    sync_now(&app.store, &account, None).await;
    (app, account)
}

/// `form` posted to `url` by `c`.
async fn post(c: &reqwest::Client, url: String, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(url).form(form).send().await.unwrap()
}

/// The texts of the options of the select `id`.
fn options(html: &str, id: &str) -> Vec<String> {
    let start = html
        .find(&format!("<select id=\"{id}\""))
        .expect("the select");
    let select = &html[start..start + html[start..].find("</select>").unwrap()];
    select
        .split("<option")
        .skip(1)
        .map(|o| {
            let text = &o[o.find('>').unwrap() + 1..];
            text[..text.find("</option>").unwrap()].to_owned()
        })
        .collect()
}

/// The card with `id` of a page (up to the next card).
fn card<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("a card {id}: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("<div class=\"card\"").unwrap_or(rest.len())]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_employee_filter_and_a_group_page_name_managers_and_tenure_bands_in_words() {
    let sim = personio(40, 11, |_| {}).await;
    let (app, account) = acme(&sim, |s| {
        s.groups.reporting_lines = true;
        s.groups.tenure = true;
    })
    .await;
    let directory = app.store.directory(account.id).await.unwrap();
    let groups = app.store.groups(account.id).await.unwrap();
    let manager_of = |key: &str| {
        let person = directory
            .iter()
            .find(|e| e.key.to_string() == key)
            .expect("the manager is in the directory");
        name(person)
    };
    let team = groups
        .iter()
        .find(|g| g.kind == GroupKind::ReportsDirect)
        .expect("a manager's team");
    let manager = manager_of(&team.name);
    let c = logged_in(&app.base, ADMIN).await;

    let (status, html) = get(&c, format!("{}/employees", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    let shown = options(&html, "group");
    let team_option = escaped(&format!("Team von {manager} ({})", team.member_count));
    assert!(shown.contains(&team_option), "{team_option} in {shown:#?}");
    for g in groups.iter().filter(|g| g.kind.is_reporting_line()) {
        let manager = escaped(&manager_of(&g.name));
        let wording = match g.kind {
            GroupKind::ReportsDirect => format!("Team von {manager} ({})", g.member_count),
            _ => format!("Alle unter {manager} ({})", g.member_count),
        };
        assert!(shown.contains(&wording), "{wording} in {shown:#?}");
    }
    // No group by a bare id or a key.
    for option in &shown {
        assert!(
            !option.contains("Berichtende"),
            "a reporting line by its manager: {option}"
        );
        for g in &groups {
            if g.kind.is_reporting_line() || g.kind == GroupKind::Tenure {
                assert!(!option.contains(&format!(": {} (", g.name)), "{option}");
            }
        }
    }
    // Tenure bands in words, ordered by time.
    let bands: Vec<usize> = TenureBand::ALL
        .iter()
        .filter_map(|b| {
            let label = format!("Betriebszugehörigkeit: {} (", b.name_de());
            shown.iter().position(|o| o.starts_with(&escaped(&label)))
        })
        .collect();
    let tenure_groups = groups
        .iter()
        .filter(|g| g.kind == GroupKind::Tenure)
        .count();
    assert!(tenure_groups >= 3, "several bands: {groups:?}");
    assert_eq!(
        bands.len(),
        tenure_groups,
        "every band in words: {shown:#?}"
    );
    assert!(bands.is_sorted(), "bands by time: {shown:#?}");

    // The group page (the list filtered by the group) names the manager in its title.
    let (status, page) = get(&c, format!("{}/employees?group={}", app.base, team.id)).await;
    assert_eq!(status, StatusCode::OK);
    let heading = &page[page.find("<h1 id=\"employees-title\"").unwrap()..];
    let heading = &heading[..heading.find("</h1>").unwrap()];
    assert!(
        heading.contains(&escaped(&format!("Team von {manager}"))),
        "{heading}"
    );
    assert!(
        page.contains(&format!(
            "<title>{}",
            escaped(&format!("Team von {manager}"))
        )),
        "the page's title"
    );
    // The Gruppen page says the same.
    let (_, list) = get(&c, format!("{}/groups", app.base)).await;
    assert!(
        list.contains(&format!(">{}</a>", escaped(&format!("Team von {manager}")))),
        "{list}"
    );
    let (_, found) = get(&c, format!("{}/groups?q=team+von", app.base)).await;
    assert!(
        found.contains(&escaped(&format!("Team von {manager}"))),
        "searchable by the words shown: {found}"
    );
    // English.
    let (_, page) = get(
        &c,
        format!("{}/employees?group={}&lang=en", app.base, team.id),
    )
    .await;
    assert!(
        page.contains(&escaped(&format!("Team of {manager}"))),
        "{page}"
    );
    let english = options(&page, "group");
    let bands = TenureBand::ALL
        .iter()
        .filter(|b| {
            let label = format!("Tenure: {} (", b.name_en());
            english.iter().any(|o| o.starts_with(&label))
        })
        .count();
    assert_eq!(bands, tenure_groups, "{english:#?}");
}

/// A rule on `attribute` (as typed) excluding `values`, as the settings form posts it.
fn exclude_form<'a>(csrf: &'a str, rules: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("csrf", csrf), ("group_attribute", "department")];
    for (attribute, values) in rules {
        form.push(("exclude_attribute", attribute));
        form.push(("exclude_values", values));
    }
    form
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_typed_by_the_attribute_name_is_previewed_in_words_and_stored_by_key() {
    let sim = personio(40, 5, |_| {}).await;
    let (app, account) = acme(&sim, |_| {}).await;
    let directory = app.store.directory(account.id).await.unwrap();
    let external: Vec<String> = directory
        .iter()
        .filter(|e| e.attributes.get("employment_type") == Some("external"))
        .map(name)
        .collect();
    assert!(!external.is_empty(), "the company has external staff");
    let c = logged_in(&app.base, ADMIN).await;
    let (_, page) = get(&c, format!("{}/integration/settings", app.base)).await;
    assert!(
        page.contains("<option value=\"Beschäftigungsart\">employment_type</option>"),
        "offered by name, the key in small print: {page}"
    );
    let csrf = csrf_of(&page);

    // The preview: the rule in words, for each person it keeps out.
    let r = post(
        &c,
        format!("{}/integration/settings/preview", app.base),
        &exclude_form(&csrf, &[("Beschäftigungsart", "external")]),
    )
    .await;
    let html = r.text().await.unwrap();
    assert!(!html.contains("id=\"settings-error\""), "{html}");
    let excluded = card(&html, "preview-excluded-people");
    let excluded = &excluded[..excluded.find("</table>").unwrap()];
    for person in &external {
        let row = excluded
            .split("<tr>")
            .find(|row| row.contains(&escaped(person)))
            .unwrap_or_else(|| panic!("{person} excluded: {excluded}"));
        assert!(row.contains("Beschäftigungsart ist Extern"), "{row}");
    }
    assert!(!excluded.contains("employment_type"), "{excluded}");
    // No empty name: whoever the directory does not hold says so.
    assert!(!excluded.contains("<td class=\"lead\"></td>"), "{excluded}");

    // Saved: stored by the key; shown again by name, and in words.
    let r = post(
        &c,
        format!("{}/integration/settings", app.base),
        &exclude_form(&csrf, &[("Beschäftigungsart", "external")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // On to Integration, where the queued sync runs and a review would appear.
    assert_eq!(r.headers()[reqwest::header::LOCATION], "/integration");
    let saved = app
        .store
        .account_by_id(account.id)
        .await
        .unwrap()
        .unwrap()
        .policy
        .settings;
    let by_key = vec![Rule {
        attribute: "employment_type".into(),
        values: vec!["external".into()],
    }];
    assert_eq!(saved.scope.exclude, by_key);
    let (_, page) = get(&c, format!("{}/integration/settings", app.base)).await;
    assert!(
        page.contains(
            "name=\"exclude_attribute\" list=\"rule-attributes\" value=\"Beschäftigungsart\""
        ),
        "{page}"
    );
    assert!(page.contains("Beschäftigungsart ist Extern"), "{page}");

    // The English name, and a key, mean the same attribute.
    for typed in ["Employment type", "employment_type"] {
        let r = post(
            &c,
            format!("{}/integration/settings?lang=en", app.base),
            &exclude_form(&csrf, &[(typed, "external")]),
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{typed}");
        let saved = app.store.account_by_id(account.id).await.unwrap().unwrap();
        assert_eq!(saved.policy.settings.scope.exclude, by_key, "{typed}");
    }
    let (_, page) = get(&c, format!("{}/integration/settings", app.base)).await;
    assert!(page.contains("Employment type is External"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_attribute_name_is_refused_naming_the_rule_in_the_page_language() {
    let sim = personio(10, 5, |_| {}).await;
    let (app, account) = acme(&sim, |_| {}).await;
    let before = account.policy.settings.clone();
    let c = logged_in(&app.base, ADMIN).await;
    let (_, page) = get(&c, format!("{}/integration/settings", app.base)).await;
    let csrf = csrf_of(&page);
    for (lang, expect) in [
        (
            "de",
            "Ausschließen, Regel 2: Personio liefert das Attribut „Vertragsart“ nicht.",
        ),
        (
            "en",
            "Exclude, Rule 2: Personio does not send the attribute “Vertragsart”.",
        ),
    ] {
        let r = post(
            &c,
            format!("{}/integration/settings?lang={lang}", app.base),
            &exclude_form(
                &csrf,
                &[
                    ("Beschäftigungsart", "external"),
                    ("Vertragsart", "befristet"),
                ],
            ),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
        let html = r.text().await.unwrap();
        let error = card(&html, "settings-error");
        assert!(error.contains(&escaped(expect)), "{expect}: {error}");
        // Beside the rule, which keeps what was typed.
        let rule = html
            .split("<div class=\"rule exclude-rule\">")
            .find(|r| r.contains("value=\"Vertragsart\""))
            .expect("the rule as typed");
        assert!(rule.contains("field-error"), "{rule}");
    }
    let after = app.store.account_by_id(account.id).await.unwrap().unwrap();
    assert_eq!(after.policy.settings, before, "nothing saved");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_fits_several_attributes_is_refused_and_a_key_is_taken() {
    let app = spawn_app(|_| {}).await;
    let account = file_account(&app.store, "files", "Dateien GmbH").await;
    admin(&app.store, account.id, "admin@files.example").await;
    // "Arbeitsort" is no header of the standard office column ("Office", "Standort",
    // "Büro"): a column of its own, named like the office in German.
    let file = employee_file::read(
        "ImportId;E-Mail;Vorname;Nachname;Abteilung;Arbeitsort\n\
         E-1;ada@example.com;Ada;Muster;Vertrieb;Berlin\n\
         E-2;eve@example.com;Eve;Muster;Einkauf;Köln\n"
            .as_bytes(),
        employee_file::Format::Csv,
        None,
        &Default::default(),
    )
    .unwrap();
    let options = staffsync_engine::SyncOptions::default();
    let report = crate::common::import_now(&app.store, &account, file, &options).await;
    assert_eq!(report.result, staffsync_engine::SyncResult::Applied);

    let c = logged_in(&app.base, "admin@files.example").await;
    let (_, page) = get(&c, format!("{}/integration/settings", app.base)).await;
    let csrf = csrf_of(&page);
    let save = |typed: &'static str| {
        c.post(format!("{}/integration/settings", app.base))
            .form(&exclude_form(&csrf, &[(typed, "Köln")]))
            .send()
    };
    let r = save("arbeitsort").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let error = card(&html, "settings-error");
    assert!(
        error.contains(&escaped(
            "Ausschließen, Regel 1: „arbeitsort“ passt zu mehreren Attributen"
        )),
        "{error}"
    );
    assert!(error.contains("(office)"), "the choices by key: {error}");
    let saved = app.store.account_by_id(account.id).await.unwrap().unwrap();
    assert!(
        saved.policy.settings.scope.exclude.is_empty(),
        "nothing saved"
    );
    // Typed as the column's own key, the rule is taken for that column.
    let r = save("Arbeitsort").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = app.store.account_by_id(account.id).await.unwrap().unwrap();
    assert_eq!(
        saved.policy.settings.scope.exclude[0].attribute,
        "Arbeitsort"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_page_names_the_supervisor_and_their_team_and_a_removed_one_neutrally() {
    let sim = personio(20, 7, |_| {}).await;
    let (app, account) = acme(&sim, |s| s.groups.reporting_lines = true).await;
    let directory = app.store.directory(account.id).await.unwrap();
    let has_reports =
        |e: &DirectoryEmployee| directory.iter().any(|d| d.supervisor_key == Some(e.key));
    // Someone nobody reports to, with a supervisor, moves to another manager.
    let mover = directory
        .iter()
        .find(|e| e.supervisor_key.is_some() && !has_reports(e))
        .expect("a person with a supervisor");
    let old = directory
        .iter()
        .find(|e| Some(e.key) == mover.supervisor_key)
        .unwrap();
    let new = directory
        .iter()
        .find(|e| e.key != mover.key && e.key != old.key)
        .unwrap();
    sim_call(
        &sim,
        reqwest::Method::PATCH,
        &format!("/_sim/employees/{}", mover.key),
        serde_json::json!({"supervisor_id": new.key.0}),
    )
    .await;
    let report = sync_now(&app.store, &account, None).await;
    let c = logged_in(&app.base, ADMIN).await;
    let (status, html) = get(&c, format!("{}/history/{}", app.base, report.run_id.0)).await;
    assert_eq!(status, StatusCode::OK);
    let updates = card(&html, "updates");
    let row = updates
        .split("<tr class=\"update\">")
        .find(|r| r.contains(&escaped(&name(mover))))
        .unwrap_or_else(|| panic!("{} changed: {updates}", name(mover)));
    let supervisor = format!(
        "<b>Vorgesetzte:r</b>: {} → <b>{}</b>",
        escaped(&name(old)),
        escaped(&name(new))
    );
    assert!(row.contains(&supervisor), "{supervisor}: {row}");
    assert!(
        row.contains(&escaped(&format!("Team von {}", name(new)))),
        "{row}"
    );
    for id in [old.key, new.key] {
        assert!(!updates.contains(&format!("#{id}")), "{updates}");
        assert!(!updates.contains(&format!(" {id}")), "{updates}");
    }

    // The new manager leaves: the change that ends the line names them neutrally, in
    // either language, since they are no longer in the directory.
    sim_call(
        &sim,
        reqwest::Method::DELETE,
        &format!("/_sim/employees/{}", new.key),
        serde_json::Value::Null,
    )
    .await;
    let report = sync_now(&app.store, &account, None).await;
    let (_, html) = get(&c, format!("{}/history/{}", app.base, report.run_id.0)).await;
    let updates = card(&html, "updates");
    let row = updates
        .split("<tr class=\"update\">")
        .find(|r| r.contains(&escaped(&name(mover))))
        .unwrap_or_else(|| panic!("{} changed: {updates}", name(mover)));
    assert!(
        row.contains("<b>Vorgesetzte:r</b>: eine entfernte Person → <b>—</b>"),
        "{row}"
    );
    assert!(row.contains("Team einer entfernten Person"), "{row}");
    assert!(!updates.contains(&new.key.to_string()), "{updates}");
    let (_, html) = get(
        &c,
        format!("{}/history/{}?lang=en", app.base, report.run_id.0),
    )
    .await;
    assert!(html.contains("Team of a removed person"), "{html}");
    assert!(
        html.contains("<b>Supervisor</b>: a removed person → <b>—</b>"),
        "{html}"
    );
}

/// A rehire is the same person under a new id (issue 24, point 1): the run page lists
/// them once, as changed, saying the id changed from the old to the new one, in the
/// page's language; nobody is listed as removed or created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_page_says_who_was_rekeyed() {
    let sim = personio(20, 7, |_| {}).await;
    let (app, account) = acme(&sim, |_| {}).await;
    let directory = app.store.directory(account.id).await.unwrap();
    let person = &directory[0];
    let old = person.key.0;
    let rehired = sim_call(
        &sim,
        reqwest::Method::POST,
        &format!("/_sim/employees/{old}/rehire"),
        serde_json::json!({"hire_date": "2020-01-01"}),
    )
    .await;
    let new = rehired["id"].as_i64().expect("new id");
    let report = sync_now(&app.store, &account, None).await;
    assert_eq!(report.plan.rekeys.len(), 1, "{:?}", report.plan);
    let c = logged_in(&app.base, ADMIN).await;
    let (status, html) = get(&c, format!("{}/history/{}", app.base, report.run_id.0)).await;
    assert_eq!(status, StatusCode::OK);
    let updates = card(&html, "updates");
    let row = updates
        .split("<tr class=\"update\">")
        .find(|r| {
            r.starts_with(&format!(
                "<td class=\"lead\">{}</td>",
                escaped(&name(person))
            ))
        })
        .unwrap_or_else(|| panic!("{} listed as changed: {updates}", name(person)));
    let said =
        format!("<b>Neue ID (dieselbe Person, z. B. wiedereingestellt)</b>: {old} → <b>{new}</b>");
    assert!(row.contains(&said), "{said}: {row}");
    assert!(!html.contains("id=\"removals\""), "nobody removed: {html}");
    assert!(!html.contains("id=\"creates\""), "nobody created: {html}");
}

/// Six rehires at once among twenty people (more than 5 % and at least 5) hold the run
/// like a mass removal (issue 24, point 1): the review under Integration says how many
/// would get a new id, in the page's language, and names each of them with both ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mass_rekey_is_reviewed_by_name_with_both_ids() {
    let sim = personio(20, 7, |_| {}).await;
    let (app, account) = acme(&sim, |_| {}).await;
    let directory = app.store.directory(account.id).await.unwrap();
    let mut rehired = Vec::new();
    for person in &directory[..6] {
        let old = person.key.0;
        let answer = sim_call(
            &sim,
            reqwest::Method::POST,
            &format!("/_sim/employees/{old}/rehire"),
            serde_json::json!({"hire_date": "2020-01-01"}),
        )
        .await;
        rehired.push((person, old, answer["id"].as_i64().expect("new id")));
    }
    let report = sync_now(&app.store, &account, None).await;
    assert_eq!(
        report.result,
        staffsync_engine::run::SyncResult::Held,
        "{:?}",
        report.plan
    );
    let size = directory.len();
    let c = logged_in(&app.base, ADMIN).await;
    for (lang, summary) in [
        (
            "de",
            format!("6 von {size} Personen im Verzeichnis bekämen eine neue ID"),
        ),
        ("en", format!("IDs changed for 6 of {size} people")),
    ] {
        let (status, html) = get(&c, format!("{}/integration?lang={lang}", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        let review = card(&html, "held-review");
        assert!(review.contains(&summary), "{summary}: {review}");
        let rows: Vec<&str> = review.split("<tr class=\"held-person\">").skip(1).collect();
        assert_eq!(rows.len(), 6, "{review}");
        for (person, old, new) in &rehired {
            let lead = format!("<td class=\"lead\">{}</td>", escaped(&name(person)));
            let row = rows
                .iter()
                .find(|r| r.starts_with(&lead))
                .unwrap_or_else(|| panic!("{} listed: {review}", name(person)));
            assert!(row.contains(&format!("{old} → {new}")), "{row}");
        }
    }
    // Nothing changed while it waits.
    let after = app.store.directory(account.id).await.unwrap();
    assert_eq!(after.len(), size);
    assert!(
        rehired
            .iter()
            .all(|(_, old, _)| after.iter().any(|e| e.key.0 == *old))
    );
}

/// A file account's settings page offers no preview that cannot work (its people are
/// previewed with their next file, and it says so), and its run pages name the person
/// who already has a duplicated address by name, never by a key or as "Personio-ID"
/// (issue 22, points 2 and 5).
#[tokio::test(flavor = "multi_thread")]
async fn a_file_accounts_pages_name_people_and_offer_only_what_works() {
    let app = spawn_app(|_| {}).await;
    let account = file_account(&app.store, "files", "Dateien GmbH").await;
    admin(&app.store, account.id, "admin@files.example").await;
    let read = |csv: &str| {
        employee_file::read(
            csv.as_bytes(),
            employee_file::Format::Csv,
            None,
            &Default::default(),
        )
        .unwrap()
    };
    let csv = "ImportId;E-Mail;Vorname;Nachname;Abteilung\n\
               P-17;ada@example.com;Ada;Muster;Vertrieb\n\
               P-18;eve@example.com;Eve;Muster;Einkauf\n\
               P-19;bo@example.com;Bo;Berg;Einkauf\n";
    let options = staffsync_engine::SyncOptions::default();
    let report = crate::common::import_now(&app.store, &account, read(csv), &options).await;
    assert_eq!(report.result, staffsync_engine::SyncResult::Applied);

    let c = logged_in(&app.base, "admin@files.example").await;
    for (lang, says) in [
        ("de", "Was sie ändern, zeigt dessen Vorschau"),
        ("en", "Its preview shows what they change"),
    ] {
        let (_, page) = get(&c, format!("{}/integration/settings?lang={lang}", app.base)).await;
        assert!(!page.contains("settings-preview-button"), "{page}");
        assert!(page.contains(says), "{lang}: {page}");
        assert!(!page.contains("Personio"), "{lang}: {page}");
    }

    // A second file where Eve takes Bo's address: Bo's row is skipped, naming Eve.
    let dup = csv.replace("bo@example.com", "eve@example.com");
    let report = crate::common::import_now(&app.store, &account, read(&dup), &options).await;
    for (lang, says) in [
        ("de", "E-Mail-Adresse wird auch verwendet von Eve Muster"),
        ("en", "E-mail address is also used by Eve Muster"),
    ] {
        let (_, page) = get(
            &c,
            format!("{}/history/{}?lang={lang}", app.base, report.run_id.0),
        )
        .await;
        let skips = card(&page, "skips");
        let row = skips
            .split("<tr>")
            .find(|row| row.contains(">P-19<"))
            .unwrap_or_else(|| panic!("P-19 skipped: {skips}"));
        assert!(row.contains(says), "{row}");
        assert!(!page.contains("Personio"), "{lang}: {page}");
    }
}

/// Someone skipped for their status is shown with the status in the page's words
/// ("„Inaktiv“", "“Inactive”"), never Personio's key (issue 22, point 2).
#[tokio::test(flavor = "multi_thread")]
async fn a_skipped_status_is_named_in_words() {
    let sim = personio(60, 3, |_| {}).await;
    let (app, account) = acme(&sim, |_| {}).await;
    let run = app.store.runs(account.id).await.unwrap()[0].id;
    let c = logged_in(&app.base, ADMIN).await;
    for (lang, said) in [("de", "„Inaktiv“"), ("en", "“Inactive”")] {
        let (_, page) = get(&c, format!("{}/history/{}?lang={lang}", app.base, run.0)).await;
        let skips = card(&page, "skips");
        assert!(skips.contains(said), "{lang}: {skips}");
        assert!(
            !skips.contains("inactive“") && !skips.contains("inactive”"),
            "{skips}"
        );
    }
}

/// A rule held by the guard (issue 22, point 4): `acme` under a tight guard, synced, then
/// a scope rule excluding the first person's department saved and synced once (held).
/// Answers the app, the account as saved, its settings, the department, the people the
/// rule takes out, and the held sync.
struct RuleHeld {
    app: TestApp,
    account: Account,
    settings: Settings,
    department: String,
    leaving: Vec<PersonKey>,
    directory_size: usize,
    held: staffsync_engine::run::SyncReport,
}

async fn held_by_a_department_rule(sim: &personio_sim::SimHandle) -> RuleHeld {
    let (app, account) = acme(sim, |s| {
        s.deletion_guard.max_share = 0.01;
        s.deletion_guard.min_people = 1;
    })
    .await;
    let directory = app.store.directory(account.id).await.unwrap();
    let department = directory[0].department.clone().expect("a department");
    let leaving: Vec<PersonKey> = directory
        .iter()
        .filter(|d| d.department.as_deref() == Some(department.as_str()))
        .map(|d| d.key)
        .collect();
    let mut settings = account.policy.settings.clone();
    settings.scope.exclude = vec![Rule {
        attribute: "department".into(),
        values: vec![department.clone()],
    }];
    app.store
        .set_settings(account.id, &settings, "test")
        .await
        .unwrap();
    let account = app.store.account_by_id(account.id).await.unwrap().unwrap();
    let held = sync_now(&app.store, &account, None).await;
    assert_eq!(held.result, staffsync_engine::run::SyncResult::Held);
    RuleHeld {
        app,
        account,
        settings,
        department,
        leaving,
        directory_size: directory.len(),
        held,
    }
}

/// Issue 22, point 4: a hold caused by the admin's own scope rule says so, person by
/// person with the rule in words, instead of asking whether they are still in Personio;
/// the settings page leads to the review.
#[tokio::test(flavor = "multi_thread")]
async fn a_hold_by_the_admins_own_rule_names_the_rule_person_by_person() {
    let sim = personio(20, 3, |_| {}).await;
    let RuleHeld {
        app,
        department,
        leaving,
        ..
    } = held_by_a_department_rule(&sim).await;
    let leaving = leaving.len();
    let c = logged_in(&app.base, "admin@acme.example").await;
    for (lang, rule_text, words, not_words) in [
        (
            "de",
            "Eine Regel Ihrer Einstellungen nimmt Personen aus dem Verzeichnis",
            format!("Abteilung ist {department}"),
            "wirklich nicht mehr",
        ),
        (
            "en",
            "A rule of your settings takes people out of the directory",
            format!("Department is {department}"),
            "really are no longer",
        ),
    ] {
        let (_, html) = get(&c, format!("{}/integration?lang={lang}", app.base)).await;
        let review = card(&html, "held-review");
        assert!(review.contains(rule_text), "{lang}: {review}");
        assert!(!review.contains(not_words), "{lang}: {review}");
        let rows: Vec<&str> = review.split("<tr class=\"held-person\">").skip(1).collect();
        assert_eq!(rows.len(), leaving, "{review}");
        for row in rows {
            assert!(
                row.contains(&escaped(&words)),
                "{lang}, each with the rule: {row}"
            );
        }
        let (_, page) = get(&c, format!("{}/integration/settings?lang={lang}", app.base)).await;
        assert!(
            page.contains("id=\"settings-review\"")
                && page.contains("href=\"/integration#held-review\""),
            "{lang}: the settings page leads to the review: {page}"
        );
    }
}

/// Issue 22, point 4: "Ablehnen" keeps the listed people and closes the incident; the
/// next sync neither holds nor removes them and shows them as kept ("behalten"), in
/// German and English, until the rule changes; "Jetzt entfernen" removes one of them with
/// the next sync, and nobody else.
#[tokio::test(flavor = "multi_thread")]
async fn rejecting_a_review_keeps_its_people_until_the_rule_changes_or_they_are_removed() {
    use staffsync_engine::alerts::{self, Origin};
    use staffsync_engine::run::SyncResult;
    let sim = personio(20, 3, |_| {}).await;
    let RuleHeld {
        app,
        account,
        mut settings,
        department,
        leaving,
        directory_size,
        held,
    } = held_by_a_department_rule(&sim).await;
    alerts::after_run(
        &app.state,
        account.id,
        Origin::Full { failures: 0 },
        Ok(Some(&held)),
    )
    .await;
    assert_eq!(app.store.open_incidents(account.id).await.unwrap().len(), 1);

    let c = logged_in(&app.base, ADMIN).await;
    let (_, html) = get(&c, format!("{}/integration", app.base)).await;
    let csrf = csrf_of(&html);
    let r = post(
        &c,
        format!("{}/integration/held/{}/reject", app.base, held.run_id.0),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        app.store
            .open_incidents(account.id)
            .await
            .unwrap()
            .is_empty(),
        "the incident is resolved"
    );
    // The next sync neither holds nor removes them: they are kept.
    let next = sync_now(&app.store, &account, None).await;
    assert_eq!(next.result, SyncResult::Applied, "{:?}", next.plan.held);
    assert!(next.plan.removals.is_empty());
    let kept: Vec<PersonKey> = next.plan.kept.iter().map(|k| k.key).collect();
    assert_eq!(kept, leaving);
    assert_eq!(
        app.store.directory(account.id).await.unwrap().len(),
        directory_size
    );
    for (lang, title, badge, rule) in [
        (
            "de",
            "Behalten",
            "behalten",
            format!("Abteilung ist {department}"),
        ),
        ("en", "Kept", "kept", format!("Department is {department}")),
    ] {
        // The run page lists them as kept, with the reason.
        let (_, html) = get(
            &c,
            format!("{}/history/{}?lang={lang}", app.base, next.run_id.0),
        )
        .await;
        let run_card = card(&html, "kept-people");
        assert_eq!(
            run_card.matches(&escaped(&rule)).count(),
            leaving.len(),
            "{lang}: {run_card}"
        );
        assert!(run_card.contains(badge), "{lang}: {run_card}");
        let (_, html) = get(&c, format!("{}/integration?lang={lang}", app.base)).await;
        assert!(
            !html.contains("id=\"held-review\""),
            "{lang}: no review waits"
        );
        let card = card(&html, "kept");
        assert!(
            card.contains(&format!("<h2>{title}</h2>")),
            "{lang}: {card}"
        );
        let rows: Vec<&str> = card.split("<tr class=\"kept-person\">").skip(1).collect();
        assert_eq!(rows.len(), leaving.len(), "{card}");
        for row in rows {
            assert!(
                row.contains(badge) && row.contains(&escaped(&rule)),
                "{lang}: {row}"
            );
        }
    }

    // "Jetzt entfernen" for one: the next sync removes exactly them.
    let first = leaving[0];
    let r = post(
        &c,
        format!("{}/integration/kept/{}/remove", app.base, first.0),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let removed = sync_now(&app.store, &account, None).await;
    assert_eq!(
        removed.result,
        SyncResult::Applied,
        "{:?}",
        removed.plan.held
    );
    let gone: Vec<PersonKey> = removed.plan.removals.iter().map(|r| r.key).collect();
    assert_eq!(gone, vec![first]);
    let still: Vec<PersonKey> = app
        .store
        .kept_people(account.id)
        .await
        .unwrap()
        .iter()
        .map(|k| k.key)
        .collect();
    assert_eq!(still, leaving[1..].to_vec());

    // The admin drops the rule: the kept people are synced as usual, no longer kept.
    settings.scope.exclude.clear();
    app.store
        .set_settings(account.id, &settings, "test")
        .await
        .unwrap();
    let account = app.store.account_by_id(account.id).await.unwrap().unwrap();
    let after = sync_now(&app.store, &account, None).await;
    assert_eq!(after.result, SyncResult::Applied);
    assert!(after.plan.kept.is_empty() && after.plan.removals.is_empty());
    assert!(app.store.kept_people(account.id).await.unwrap().is_empty());
    let (_, html) = get(&c, format!("{}/integration", app.base)).await;
    assert!(!html.contains("id=\"kept\""));
}
