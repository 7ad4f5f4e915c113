//! Example tests for the planner, one or more per rule.

use staffsync_core::planner::{apply, plan, preview};
use staffsync_core::{
    CostCenter, DirectoryEmployee, EmploymentStatus, ExtraAttribute, FieldChange, GroupKey,
    GroupKind, GroupSettings, Hold, MalformedEmployee, OrgUnit, PersonKey, Plan, Policy, Rekey,
    Removal, RemovalReason, Settings, Skip, SkipReason, Snapshot, SourceEmployee, Warning,
};
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2026 - 03 - 15);

fn id(n: i64) -> PersonKey {
    PersonKey(n)
}

fn unit(name: &str) -> Option<OrgUnit> {
    Some(OrgUnit {
        id: None,
        name: name.to_owned(),
    })
}

fn person(n: i64, email: &str) -> SourceEmployee {
    let mut e = SourceEmployee::new(id(n));
    e.first_name = Some(format!("First{n}"));
    e.last_name = Some(format!("Last{n}"));
    e.email = Some(email.to_owned());
    e.status = Some(EmploymentStatus::Active);
    e.hire_date = Some(date!(2020 - 01 - 01));
    e
}

fn readable_all() -> std::collections::BTreeSet<String> {
    [
        "id",
        "first_name",
        "last_name",
        "email",
        "status",
        "hire_date",
        "termination_date",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

fn snap(employees: Vec<SourceEmployee>) -> Snapshot {
    Snapshot {
        employees,
        malformed: Vec::new(),
        readable_attributes: readable_all(),
        complete: true,
        scope: None,
    }
}

fn run(directory: &[DirectoryEmployee], snapshot: &Snapshot) -> Plan {
    plan(directory, snapshot, &Policy::default(), TODAY)
}

/// The directory a previous sync of `employees` produced.
fn directory_of(employees: Vec<SourceEmployee>) -> Vec<DirectoryEmployee> {
    let p = run(&[], &snap(employees));
    assert!(p.updates.is_empty() && p.removals.is_empty());
    apply(&[], &p)
}

fn skip(n: i64, reason: SkipReason) -> Skip {
    Skip {
        key: Some(id(n)),
        reason,
    }
}

fn ids(v: &[DirectoryEmployee]) -> Vec<i64> {
    v.iter().map(|d| d.key.0).collect()
}

fn change(field: &str, before: Option<&str>, after: Option<&str>) -> FieldChange {
    FieldChange {
        field: field.into(),
        before: before.map(str::to_owned),
        after: after.map(str::to_owned),
    }
}

#[test]
fn empty_inputs_make_an_empty_plan() {
    let p = run(&[], &snap(vec![]));
    assert!(p.is_empty());
    assert_eq!(p, Plan::default());
}

#[test]
fn normalizes_names_attributes_and_groups() {
    let mut e = person(1, "  Ada@Example.com ");
    e.first_name = Some("  Ada ".into());
    e.last_name = Some("Lovelace\t".into());
    e.preferred_name = Some("".into());
    e.gender = Some("female".into());
    e.employment_type = Some("internal".into());
    e.position = Some(" Engineer ".into());
    e.department = unit("Research");
    e.office = unit("Hamburg");
    e.team = unit("");
    e.subcompany = unit("Acme GmbH");
    e.cost_centers = vec![
        CostCenter {
            id: Some(1),
            name: "CC 1".into(),
            percentage: Some(50.0),
        },
        CostCenter {
            id: Some(2),
            name: "CC 2".into(),
            percentage: Some(50.0),
        },
    ];
    let extra = |key: &str, label: &str, value: Option<&str>| ExtraAttribute {
        key: key.into(),
        label: label.into(),
        kind: "standard".into(),
        universal_id: None,
        value: value.map(str::to_owned),
    };
    e.attributes = vec![
        extra("dynamic_1", "Standort", Some("Hamburg")),
        extra("dynamic_2", "Shirt size", Some("")),
        extra("weekly_working_hours", "Weekly hours", Some("40")),
        extra("dynamic_3", "Level", Some("Senior")),
        extra("dynamic_4", "", Some("x")),
        extra("dynamic_5", "Gehaltsband", Some("B3")),
    ];
    let policy = Policy::from(Settings {
        groups: GroupSettings::with_custom(["dynamic_1", "level", "dynamic_2"]),
        // Kept by key and by label (ignoring case); the salary band is named nowhere.
        keep_attributes: vec!["dynamic_4".into(), "weekly hours".into()],
        ..Settings::default()
    });
    let p = plan(&[], &snap(vec![e]), &policy, TODAY);
    assert_eq!(p.creates.len(), 1);
    let d = &p.creates[0];
    assert_eq!(d.email, "Ada@Example.com");
    assert_eq!(d.first_name, "Ada");
    assert_eq!(d.last_name, "Lovelace");
    assert_eq!(d.position.as_deref(), Some("Engineer"));
    assert_eq!(d.team, None);
    assert_eq!(d.status.as_deref(), Some("active"));
    let attrs: Vec<(&str, &str)> = d.attributes.iter().collect();
    assert_eq!(
        attrs,
        vec![
            ("Level", "Senior"),
            ("Standort", "Hamburg"),
            ("cost_centers", "CC 1, CC 2"),
            ("dynamic_4", "x"),
            ("employment_type", "internal"),
            ("gender", "female"),
            ("subcompany", "Acme GmbH"),
            ("weekly_working_hours", "40"),
        ]
    );
    let groups: Vec<GroupKey> = d.groups.iter().cloned().collect();
    assert_eq!(
        groups,
        vec![
            GroupKey::new(GroupKind::Department, "Research"),
            GroupKey::new(GroupKind::Office, "Hamburg"),
            GroupKey::new(GroupKind::Position, "Engineer"),
            GroupKey::new(GroupKind::Subcompany, "Acme GmbH"),
            GroupKey::new(GroupKind::CostCenter, "CC 1"),
            GroupKey::new(GroupKind::CostCenter, "CC 2"),
            GroupKey::new(GroupKind::Custom, "Level: Senior"),
            GroupKey::new(GroupKind::Custom, "Standort: Hamburg"),
        ]
    );
}

#[test]
fn future_hire_is_skipped_then_created_on_the_hire_date() {
    let mut e = person(1, "new@x.de");
    e.hire_date = Some(date!(2026 - 03 - 16));
    let s = snap(vec![e]);
    let p = run(&[], &s);
    assert!(p.creates.is_empty());
    assert_eq!(
        p.skips,
        vec![skip(
            1,
            SkipReason::NotStarted {
                hire_date: date!(2026 - 03 - 16)
            }
        )]
    );
    assert_eq!(p.pending_hires, vec![(id(1), date!(2026 - 03 - 16))]);
    let p = plan(&[], &s, &Policy::default(), date!(2026 - 03 - 16));
    assert_eq!(ids(&p.creates), vec![1]);
    assert!(p.skips.is_empty());
    assert!(p.pending_hires.is_empty());
}

#[test]
fn the_plan_lists_the_future_hires_with_their_hire_dates() {
    let mut later = person(3, "later@x.de");
    later.hire_date = Some(date!(2026 - 06 - 01));
    let mut soon = person(1, "soon@x.de");
    soon.hire_date = Some(date!(2026 - 03 - 16));
    // Not started, but without an e-mail: skipped for that, so not a future hire.
    let mut no_email = person(4, "");
    no_email.hire_date = Some(date!(2026 - 04 - 01));
    // In the directory, and now starting later: removed, not kept as a future hire.
    let moved = person(5, "moved@x.de");
    let directory = directory_of(vec![moved.clone()]);
    let mut moved = moved;
    moved.hire_date = Some(date!(2026 - 05 - 01));
    let s = snap(vec![
        later,
        person(2, "started@x.de"),
        no_email,
        soon,
        moved,
    ]);
    let p = run(&directory, &s);
    assert_eq!(
        p.pending_hires,
        vec![
            (id(1), date!(2026 - 03 - 16)),
            (id(3), date!(2026 - 06 - 01))
        ]
    );
    assert_eq!(ids(&p.creates), vec![2]);
    assert_eq!(p.removals.len(), 1);
}

#[test]
fn termination_day_is_still_in() {
    let mut e = person(1, "leaver@x.de");
    e.termination_date = Some(TODAY);
    let s = snap(vec![e]);
    let dir = directory_of(s.employees.clone());
    assert_eq!(ids(&dir), vec![1]);
    let p = run(&dir, &s);
    assert!(p.is_empty());
    assert_eq!(p.unchanged, 1);

    let tomorrow = date!(2026 - 03 - 16);
    let p = plan(&dir, &s, &Policy::default(), tomorrow);
    assert_eq!(p.removals.len(), 1);
    assert_eq!(
        p.removals[0].reason,
        RemovalReason::NoLongerEligible {
            because: SkipReason::Terminated {
                termination_date: TODAY
            }
        }
    );
}

#[test]
fn leave_is_out_unless_the_policy_keeps_it() {
    let mut e = person(1, "away@x.de");
    e.status = Some(EmploymentStatus::Leave);
    let s = snap(vec![e]);
    let p = run(&[], &s);
    assert_eq!(
        p.skips,
        vec![skip(
            1,
            SkipReason::Status {
                status: "leave".into()
            }
        )]
    );
    let keep = Policy::from(Settings {
        keep_on_leave: true,
        ..Settings::default()
    });
    let p = plan(&[], &s, &keep, TODAY);
    assert_eq!(ids(&p.creates), vec![1]);
    assert_eq!(p.creates[0].status.as_deref(), Some("leave"));
}

#[test]
fn onboarding_inactive_and_unknown_statuses_are_out() {
    let mut a = person(1, "a@x.de");
    a.status = Some(EmploymentStatus::Onboarding);
    let mut b = person(2, "b@x.de");
    b.status = Some(EmploymentStatus::Inactive);
    let mut c = person(3, "c@x.de");
    c.status = Some(EmploymentStatus::parse("sabbatical"));
    let mut d = person(4, "d@x.de");
    d.status = None;
    let p = run(&[], &snap(vec![d, c, b, a]));
    let st = |s: &str| SkipReason::Status { status: s.into() };
    assert_eq!(
        p.skips,
        vec![
            skip(1, st("onboarding")),
            skip(2, st("inactive")),
            skip(3, st("sabbatical")),
            skip(4, st("")),
        ]
    );
}

#[test]
fn department_position_and_supervisor_changes_are_updates() {
    let boss = person(1, "boss@x.de");
    let mut e = person(2, "e@x.de");
    e.department = unit("Research");
    e.position = Some("Engineer".into());
    let dir = directory_of(vec![boss.clone(), e.clone()]);

    e.department = unit("Sales");
    e.position = None;
    e.supervisor_id = Some(id(1));
    let p = run(&dir, &snap(vec![boss, e]));
    assert_eq!(p.unchanged, 1);
    assert_eq!(p.updates.len(), 1);
    let u = &p.updates[0];
    assert_eq!(u.after.key, id(2));
    assert_eq!(u.after.supervisor_key, Some(id(1)));
    assert_eq!(
        u.changes,
        vec![
            change("department", Some("Research"), Some("Sales")),
            change("position", Some("Engineer"), None),
            change("supervisor_personio_id", None, Some("1")),
            change(
                "groups",
                Some("department: Research; position: Engineer"),
                Some("department: Sales")
            ),
        ]
    );
}

#[test]
fn supervisor_is_linked_only_when_in_the_directory() {
    let mut boss = person(1, "boss@x.de");
    boss.status = Some(EmploymentStatus::Inactive);
    let mut e = person(2, "e@x.de");
    e.supervisor_id = Some(id(1));
    let mut f = person(3, "f@x.de");
    f.supervisor_id = Some(id(99));
    let p = run(&[], &snap(vec![boss, e, f]));
    assert_eq!(ids(&p.creates), vec![2, 3]);
    assert!(p.creates.iter().all(|d| d.supervisor_key.is_none()));
}

#[test]
fn email_change_is_an_update_and_attributes_are_diffed() {
    let mut e = person(1, "old@x.de");
    e.gender = Some("female".into());
    let dir = directory_of(vec![e.clone()]);
    e.email = Some("New@x.de".into());
    e.gender = None;
    e.hire_date = Some(date!(2021 - 02 - 03));
    let p = run(&dir, &snap(vec![e]));
    assert!(p.creates.is_empty() && p.removals.is_empty());
    assert_eq!(
        p.updates[0].changes,
        vec![
            change("email", Some("old@x.de"), Some("New@x.de")),
            change("hire_date", Some("2020-01-01"), Some("2021-02-03")),
            change("attributes.gender", Some("female"), None),
        ]
    );
}

#[test]
fn leaver_is_removed_and_unlisted_people_too() {
    let dir = directory_of(vec![
        person(1, "a@x.de"),
        person(2, "b@x.de"),
        person(3, "c@x.de"),
    ]);
    let mut leaver = person(2, "b@x.de");
    leaver.status = Some(EmploymentStatus::Inactive);
    leaver.termination_date = Some(date!(2026 - 02 - 28));
    let p = run(&dir, &snap(vec![person(1, "a@x.de"), leaver]));
    let reasons: Vec<(i64, RemovalReason)> = p
        .removals
        .iter()
        .map(|r| (r.key.0, r.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                2,
                RemovalReason::NoLongerEligible {
                    because: SkipReason::Status {
                        status: "inactive".into()
                    }
                }
            ),
            (3, RemovalReason::NotListed),
        ]
    );
    assert_eq!(p.unchanged, 1);
    assert!(p.skips.is_empty());
    assert_eq!(ids(&apply(&dir, &p)), vec![1]);
}

#[test]
fn a_rehire_under_a_new_profile_is_re_keyed_not_replaced() {
    let dir = directory_of(vec![person(1, "ada@x.de"), person(2, "bob@x.de")]);
    let mut old = person(1, "ada_old_1@x.de");
    old.status = Some(EmploymentStatus::Inactive);
    old.termination_date = Some(date!(2025 - 12 - 31));
    let mut new = person(7, " ADA@x.de ");
    new.first_name = Some("First1".into());
    new.last_name = Some("Last1".into());
    new.hire_date = Some(date!(2026 - 02 - 01));
    let p = run(&dir, &snap(vec![new, old, person(2, "bob@x.de")]));
    assert_eq!(
        p.rekeys,
        vec![Rekey {
            from: id(1),
            to: id(7)
        }]
    );
    assert!(p.creates.is_empty() && p.removals.is_empty());
    assert!(
        p.skips.is_empty(),
        "the old profile is explained by its re-key"
    );
    assert_eq!(p.updates.len(), 1);
    assert_eq!(p.updates[0].after.key, id(7));
    assert_eq!(
        p.updates[0].changes,
        vec![
            change("email", Some("ada@x.de"), Some("ADA@x.de")),
            change("hire_date", Some("2020-01-01"), Some("2026-02-01")),
        ]
    );
    assert_eq!(p.held, None, "one of two, below the guard's minimum");
    let after = apply(&dir, &p);
    assert_eq!(ids(&after), vec![2, 7]);
    assert_eq!(after[1].email, "ADA@x.de");
    // Planned again: nothing to do.
    let again = run(&after, &snap(vec![person(2, "bob@x.de")]));
    assert_eq!(
        again.removals.len(),
        1,
        "the person under 7 is not listed now"
    );
}

#[test]
fn a_re_key_with_nothing_else_changed_is_an_update_without_changes() {
    let dir = directory_of(vec![person(1, "ada@x.de")]);
    let mut new = person(7, "ada@x.de");
    new.first_name = Some("First1".into());
    new.last_name = Some("Last1".into());
    let p = run(&dir, &snap(vec![new]));
    assert_eq!(
        p.rekeys,
        vec![Rekey {
            from: id(1),
            to: id(7)
        }]
    );
    assert_eq!(p.updates.len(), 1);
    assert!(p.updates[0].changes.is_empty());
    assert_eq!(p.unchanged, 0);
    assert!(!p.is_empty());
}

#[test]
fn a_legal_entity_change_re_keys_the_address_owner_and_the_old_profile_is_someone_new() {
    // The old profile keeps working under a changed address; the new one has the
    // person's address: the directory entry (and its history) follows the address.
    let dir = directory_of(vec![person(1, "ada@x.de")]);
    let p = run(
        &dir,
        &snap(vec![person(1, "ada.alt@x.de"), person(7, "ada@x.de")]),
    );
    assert_eq!(
        p.rekeys,
        vec![Rekey {
            from: id(1),
            to: id(7)
        }]
    );
    assert_eq!(ids(&p.creates), vec![1]);
    assert_eq!(p.creates[0].email, "ada.alt@x.de");
    assert!(p.removals.is_empty());
    let after = apply(&dir, &p);
    assert_eq!(ids(&after), vec![1, 7]);
    assert_eq!(after[1].email, "ada@x.de");
}

#[test]
fn supervisor_links_in_the_directory_follow_the_re_keyed_person() {
    // 2 reports to 1 and is kept as they are (a malformed record); 3's record already
    // names the new profile; 4's record still names the old one (the source's word: the
    // link goes, as when a supervisor leaves).
    let mut two = person(2, "two@x.de");
    two.supervisor_id = Some(id(1));
    let mut three = person(3, "three@x.de");
    three.supervisor_id = Some(id(1));
    let mut four = person(4, "four@x.de");
    four.supervisor_id = Some(id(1));
    let dir = directory_of(vec![
        person(1, "ada@x.de"),
        two,
        three.clone(),
        four.clone(),
    ]);
    assert_eq!(dir[1].supervisor_key, Some(id(1)));
    three.supervisor_id = Some(id(7));
    let mut s = snap(vec![person(7, "ada@x.de"), three, four]);
    s.malformed.push(MalformedEmployee {
        id: Some(id(2)),
        reason: "bad".into(),
    });
    let p = run(&dir, &s);
    assert_eq!(
        p.rekeys,
        vec![Rekey {
            from: id(1),
            to: id(7)
        }]
    );
    let after = apply(&dir, &p);
    let sup = |n: i64| {
        after
            .iter()
            .find(|d| d.key == id(n))
            .unwrap()
            .supervisor_key
    };
    assert_eq!((sup(2), sup(3), sup(4)), (Some(id(7)), Some(id(7)), None));
}

#[test]
fn no_re_key_when_the_address_is_not_one_persons() {
    let dir = directory_of(vec![person(1, "ada@x.de")]);
    // Two new records with the address: the conflict rules decide (both skipped).
    let p = run(
        &dir,
        &snap(vec![person(7, "ada@x.de"), person(8, "Ada@x.de")]),
    );
    assert!(p.rekeys.is_empty());
    assert_eq!(p.removals.len(), 1);
    // The directory person still listed with it keeps it.
    let p = run(
        &dir,
        &snap(vec![person(1, "ada@x.de"), person(7, "ada@x.de")]),
    );
    assert!(p.rekeys.is_empty());
    // An incomplete listing removes nobody, so nobody is re-keyed either.
    let mut s = snap(vec![person(7, "ada@x.de")]);
    s.complete = false;
    assert!(run(&dir, &s).rekeys.is_empty());
}

#[test]
fn the_old_profile_re_keys_only_when_the_address_it_moves_to_is_its_alone() {
    // 1's profile moves to an address 2 keeps (2 is listed with it): 1 cannot have it and
    // is kept as they are, old address and all, so 7 is no re-key of 1 but a conflict.
    let s = snap(vec![
        person(1, "ada.alt@x.de"),
        person(2, "ada.alt@x.de"),
        person(7, "ada@x.de"),
    ]);
    let dir = directory_of(vec![person(1, "ada@x.de"), person(2, "ada.alt@x.de")]);
    let p = run(&dir, &s);
    assert!(p.rekeys.is_empty(), "{:?}", p.rekeys);
    assert!(p.creates.is_empty());
    assert_eq!(apply(&dir, &p), dir, "everyone kept as they are");

    // An old directory where 3 has the address too: 3 (not listed) goes, 1 cannot move.
    // 7 is no re-key now, nor at the next sync, when 1 alone has the address (before,
    // the next sync re-keyed 1: a re-key a sync late).
    let mut old = dir.clone();
    let mut three = dir[0].clone();
    three.key = id(3);
    old.push(three);
    let p = run(&old, &s);
    assert!(p.rekeys.is_empty(), "{:?}", p.rekeys);
    let removed: Vec<PersonKey> = p.removals.iter().map(|r| r.key).collect();
    assert_eq!(removed, vec![id(3)]);
    let after = apply(&old, &p);
    assert_eq!(after, dir);
    let again = run(&after, &s);
    assert!(again.is_empty(), "{again:?}");
}

/// `size` people, the first `changing` of whom come back under new ids (+1000).
fn rekey_case(size: i64, changing: i64, policy: &Policy) -> Plan {
    let all: Vec<SourceEmployee> = (1..=size)
        .map(|n| person(n, &format!("p{n}@x.de")))
        .collect();
    let dir = directory_of(all.clone());
    let listed: Vec<SourceEmployee> = all
        .into_iter()
        .map(|mut e| {
            if e.id.0 <= changing {
                e.id = id(e.id.0 + 1000);
            }
            e
        })
        .collect();
    plan(&dir, &snap(listed), policy, TODAY)
}

#[test]
fn mass_re_keying_is_held_and_accepting_binds_to_the_reviewed_re_keys() {
    let policy = Policy::default();
    assert_eq!(rekey_case(100, 5, &policy).held, None, "5 = 5 % of 100");
    let held = rekey_case(100, 6, &policy);
    assert_eq!(
        held.held,
        Some(Hold {
            removing: 0,
            directory_size: 100,
            rekeying: 6
        })
    );
    assert_eq!(held.rekeys.len(), 6, "a held plan still lists everything");
    assert_eq!(rekey_case(10, 4, &policy).held, None, "4 < 5 people");
    let accept = Policy {
        accepted_removals: Some(Default::default()),
        accepted_rekeys: Some(held.rekeys.iter().map(|r| (r.from, r.to)).collect()),
        ..Policy::default()
    };
    let p = rekey_case(100, 6, &accept);
    assert_eq!((p.held, p.rekeys.len()), (None, 6));
    assert!(
        rekey_case(100, 7, &accept).held.is_some(),
        "one nobody reviewed"
    );
    assert_eq!(rekey_case(100, 5, &accept).held, None);
}

#[test]
fn duplicate_email_the_one_in_the_directory_keeps_it() {
    let dir = directory_of(vec![person(1, "dup@x.de")]);
    let p = run(
        &dir,
        &snap(vec![
            person(3, "Dup@X.de"),
            person(1, "dup@x.de"),
            person(2, "dup@x.de"),
        ]),
    );
    assert_eq!(p.unchanged, 1);
    assert!(p.creates.is_empty() && p.removals.is_empty());
    let dup = SkipReason::DuplicateEmail { other: id(1) };
    assert_eq!(p.skips, vec![skip(2, dup.clone()), skip(3, dup)]);
}

#[test]
fn duplicate_email_none_in_the_directory_all_are_skipped() {
    let p = run(
        &[],
        &snap(vec![
            person(5, "dup@x.de"),
            person(4, "DUP@x.de"),
            person(6, "dup@X.DE"),
            person(7, "other@x.de"),
        ]),
    );
    assert_eq!(ids(&p.creates), vec![7]);
    let dup = |n| SkipReason::DuplicateEmail { other: id(n) };
    assert_eq!(
        p.skips,
        vec![skip(4, dup(5)), skip(5, dup(4)), skip(6, dup(4))]
    );
}

#[test]
fn duplicate_email_a_directory_person_taking_anothers_address_keeps_their_own() {
    // 1 keeps "a"; 2 (in the directory) claims "a" too: 2 is skipped and stays as they are.
    let dir = directory_of(vec![person(1, "a@x.de"), person(2, "b@x.de")]);
    let p = run(&dir, &snap(vec![person(1, "a@x.de"), person(2, "A@x.de")]));
    assert_eq!(p.unchanged, 1);
    assert!(p.updates.is_empty() && p.removals.is_empty());
    assert_eq!(
        p.skips,
        vec![skip(2, SkipReason::DuplicateEmail { other: id(1) })]
    );
    assert_eq!(apply(&dir, &p), dir);

    // Swapping addresses is fine: no two eligible records claim the same one.
    let p = run(&dir, &snap(vec![person(1, "b@x.de"), person(2, "a@x.de")]));
    assert_eq!(p.updates.len(), 2);
    assert!(p.skips.is_empty());
}

#[test]
fn missing_fields_are_named_in_order() {
    let mut a = person(1, "a@x.de");
    a.first_name = Some("  ".into());
    a.last_name = None;
    a.email = None;
    let mut b = person(2, "b@x.de");
    b.last_name = None;
    b.email = Some("broken".into());
    let mut c = person(3, "");
    c.status = Some(EmploymentStatus::Inactive);
    let mut d = person(4, "not an email@x.de");
    d.status = Some(EmploymentStatus::Inactive);
    let p = run(&[], &snap(vec![a, b, c, d]));
    let missing = |f: &str| SkipReason::MissingField { field: f.into() };
    assert_eq!(
        p.skips,
        vec![
            skip(1, missing("first_name")),
            skip(2, missing("last_name")),
            skip(3, missing("email")),
            skip(4, SkipReason::InvalidEmail),
        ]
    );
}

#[test]
fn invalid_email_is_skipped_and_removes_from_the_directory() {
    let dir = directory_of(vec![person(1, "a@x.de")]);
    let p = run(&dir, &snap(vec![person(1, "a@x")]));
    assert_eq!(
        p.removals[0].reason,
        RemovalReason::NoLongerEligible {
            because: SkipReason::InvalidEmail
        }
    );
}

#[test]
fn unreadable_attributes_warn_and_do_not_exclude() {
    let mut s = snap(vec![]);
    s.readable_attributes.remove("hire_date");
    let mut e = person(1, "a@x.de");
    e.hire_date = None;
    s.employees.push(e);
    let p = run(&[], &s);
    assert_eq!(ids(&p.creates), vec![1]);
    assert_eq!(
        p.warnings,
        vec![Warning::AttributeNotReadable {
            attribute: "hire_date".into()
        }]
    );

    // Nothing readable: all three warnings, in order, and a missing status counts as active.
    let mut e = person(2, "b@x.de");
    e.status = None;
    e.hire_date = None;
    let s = Snapshot {
        employees: vec![e],
        complete: true,
        ..Snapshot::default()
    };
    let p = run(&[], &s);
    assert_eq!(ids(&p.creates), vec![2]);
    assert_eq!(p.creates[0].status, None);
    let w = |a: &str| Warning::AttributeNotReadable {
        attribute: a.into(),
    };
    assert_eq!(
        p.warnings,
        vec![w("hire_date"), w("termination_date"), w("status")]
    );
    // Even an empty plan carries them.
    let p = run(&[], &Snapshot::default());
    assert_eq!(p.warnings.len(), 4);
    assert_eq!(p.warnings[3], Warning::IncompleteListing);
}

#[test]
fn malformed_records_protect_people_in_the_directory() {
    let dir = directory_of(vec![person(1, "a@x.de"), person(2, "b@x.de")]);
    let mut s = snap(vec![]);
    s.malformed = vec![
        MalformedEmployee {
            id: Some(id(1)),
            reason: "hire_date: not a date".into(),
        },
        MalformedEmployee {
            id: None,
            reason: "no id".into(),
        },
        MalformedEmployee {
            id: Some(id(3)),
            reason: "bad".into(),
        },
    ];
    // 2 is listed twice: malformed as well.
    s.employees = vec![person(2, "b@x.de"), person(2, "b2@x.de")];
    let p = run(&dir, &s);
    assert!(p.is_empty());
    assert_eq!(p.unchanged, 0);
    let malformed = |d: &str| SkipReason::Malformed { detail: d.into() };
    assert_eq!(
        p.skips,
        vec![
            Skip {
                key: None,
                reason: malformed("no id")
            },
            skip(1, malformed("hire_date: not a date")),
            skip(2, malformed("listed more than once")),
            skip(3, malformed("bad")),
        ]
    );
    assert_eq!(apply(&dir, &p), dir);

    // A protected person keeps their address: a new record cannot take it.
    s.employees = vec![person(2, "b@x.de"), person(4, "A@x.de")];
    let p = run(&dir, &s);
    assert!(p.creates.is_empty());
    assert!(
        p.skips
            .contains(&skip(4, SkipReason::DuplicateEmail { other: id(1) }))
    );
}

#[test]
fn incomplete_listing_removes_nobody() {
    let dir = directory_of(vec![
        person(1, "a@x.de"),
        person(2, "b@x.de"),
        person(3, "c@x.de"),
    ]);
    let mut leaver = person(2, "b@x.de");
    leaver.status = Some(EmploymentStatus::Inactive);
    let mut changed = person(1, "a@x.de");
    changed.position = Some("Boss".into());
    let mut s = snap(vec![changed, leaver, person(4, "d@x.de")]);
    s.complete = false;
    let p = run(&dir, &s);
    assert!(p.removals.is_empty());
    assert_eq!(ids(&p.creates), vec![4]);
    assert_eq!(p.updates.len(), 1);
    assert_eq!(p.kept_unlisted, vec![id(3)]);
    assert_eq!(
        p.skips,
        vec![skip(
            2,
            SkipReason::Status {
                status: "inactive".into()
            }
        )]
    );
    assert_eq!(p.warnings, vec![Warning::IncompleteListing]);
    assert_eq!(ids(&apply(&dir, &p)), vec![1, 2, 3, 4]);
}

fn guard_case(directory_size: i64, removing: i64, policy: &Policy) -> Plan {
    let all: Vec<SourceEmployee> = (1..=directory_size)
        .map(|n| person(n, &format!("p{n}@x.de")))
        .collect();
    let dir = directory_of(all.clone());
    let kept: Vec<SourceEmployee> = all.into_iter().skip(removing as usize).collect();
    plan(&dir, &snap(kept), policy, TODAY)
}

#[test]
fn deletion_guard_holds_above_the_fraction_and_minimum() {
    let policy = Policy::default();
    let p = guard_case(100, 21, &policy);
    assert_eq!(
        p.held,
        Some(Hold {
            removing: 21,
            directory_size: 100,
            rekeying: 0
        })
    );
    assert_eq!(p.removals.len(), 21, "a held plan still lists everything");
    assert_eq!(guard_case(100, 20, &policy).held, None);
    assert_eq!(guard_case(10, 4, &policy).held, None, "4 < min_people");
    assert!(guard_case(10, 5, &policy).held.is_some());
    assert!(guard_case(24, 5, &policy).held.is_some(), "5 > 4.8");
    assert_eq!(guard_case(25, 5, &policy).held, None, "5 = 20% of 25");
}

#[test]
fn emptying_the_directory_is_held_however_small_it_is() {
    let policy = Policy::default();
    assert_eq!(
        guard_case(4, 4, &policy).held,
        Some(Hold {
            removing: 4,
            directory_size: 4,
            rekeying: 0
        }),
        "4 < min_people, but it would leave nobody"
    );
    assert!(guard_case(1, 1, &policy).held.is_some());
    assert_eq!(guard_case(4, 3, &policy).held, None, "someone stays");
    assert_eq!(guard_case(0, 0, &policy).held, None, "nobody to protect");
    // Everyone replaced is not an empty directory (a rehire in a one-person company).
    let dir = directory_of(vec![person(1, "ada@x.de")]);
    assert_eq!(run(&dir, &snap(vec![person(7, "new@x.de")])).held, None);
    // A person who reviewed exactly these removals lets them through.
    let reviewed = guard_case(4, 4, &policy);
    let accepted = Policy {
        accepted_removals: Some(reviewed.removals.iter().map(|r| r.key).collect()),
        ..Policy::default()
    };
    assert_eq!(guard_case(4, 4, &accepted).held, None);
}

#[test]
fn accepted_deletions_are_not_held_and_held_plans_apply_all_but_their_removals() {
    let reviewed = guard_case(10, 10, &Policy::default());
    assert!(reviewed.held.is_some());
    let accept = Policy {
        accepted_removals: Some(reviewed.removals.iter().map(|r| r.key).collect()),
        ..Policy::default()
    };
    let p = guard_case(10, 10, &accept);
    assert_eq!(p.held, None);
    assert_eq!(p.removals.len(), 10);

    let all: Vec<SourceEmployee> = (1..=10).map(|n| person(n, &format!("p{n}@x.de"))).collect();
    let dir = directory_of(all);
    let p = run(&dir, &snap(vec![person(11, "new@x.de")]));
    assert!(p.held.is_some());
    // The hire goes in; the ten removals wait for the review.
    assert_eq!(ids(&apply(&dir, &p)), (1..=11).collect::<Vec<_>>());
    assert_eq!(p.removals.len(), 10);
    assert_eq!(ids(&preview(&dir, &p)), vec![11]);
}

#[test]
fn accepting_binds_to_the_reviewed_removals() {
    // The admin reviewed a plan removing 6 of 10; by the time it runs, a 7th is gone too.
    let reviewed = guard_case(10, 6, &Policy::default());
    assert!(reviewed.held.is_some());
    let accept = Policy {
        accepted_removals: Some(reviewed.removals.iter().map(|r| r.key).collect()),
        ..Policy::default()
    };
    let more = guard_case(10, 7, &accept);
    assert_eq!(more.removals.len(), 7);
    assert!(
        more.held.is_some(),
        "a removal nobody reviewed is held again"
    );
    // Fewer than reviewed (someone came back): a subset, so it goes through.
    let fewer = guard_case(10, 5, &accept);
    assert_eq!((fewer.held, fewer.removals.len()), (None, 5));
    // Nothing reviewed at all: held as before.
    let empty = Policy {
        accepted_removals: Some(Default::default()),
        ..Policy::default()
    };
    assert!(guard_case(10, 6, &empty).held.is_some());
}

#[test]
fn output_does_not_depend_on_input_order() {
    let mut employees: Vec<SourceEmployee> = (1..=30)
        .map(|n| {
            let mut e = person(n, &format!("p{}@x.de", n % 7));
            if n % 5 == 0 {
                e.status = Some(EmploymentStatus::Inactive);
            }
            e.supervisor_id = Some(id((n * 3) % 31));
            e
        })
        .collect();
    let dir = directory_of(vec![person(3, "p3@x.de"), person(40, "gone@x.de")]);
    let mut rev_dir = dir.clone();
    rev_dir.reverse();
    let a = run(&dir, &snap(employees.clone()));
    employees.reverse();
    let b = run(&rev_dir, &snap(employees));
    assert_eq!(a, b);
}

#[test]
fn plans_serialize() {
    let p = run(&[], &snap(vec![person(1, "a@x.de")]));
    let json = serde_json_roundtrip(&p);
    assert_eq!(json, p);
}

fn serde_json_roundtrip(p: &Plan) -> Plan {
    let text = serde_json::to_string(p).expect("serializes");
    serde_json::from_str(&text).expect("deserializes")
}

fn scoped(employees: Vec<SourceEmployee>, scope: &[i64]) -> Snapshot {
    let mut s = snap(employees);
    s.scope = Some(scope.iter().copied().map(id).collect());
    s
}

#[test]
fn scope_plans_only_its_ids_and_keeps_everyone_else() {
    let mut boss = person(1, "boss@x.de");
    boss.position = Some("Boss".into());
    let mut report = person(2, "r@x.de");
    report.supervisor_id = Some(id(1));
    let dir = directory_of(vec![boss, report, person(3, "c@x.de")]);

    // A new hire reporting to someone outside the scope: created, with the link.
    let mut hire = person(4, "d@x.de");
    hire.supervisor_id = Some(id(1));
    let p = run(&dir, &scoped(vec![hire], &[4]));
    assert_eq!(ids(&p.creates), vec![4]);
    assert_eq!(p.creates[0].supervisor_key, Some(id(1)));
    assert!(p.updates.is_empty() && p.removals.is_empty() && p.skips.is_empty());
    assert_eq!(p.unchanged, 0);

    // Records outside the scope are ignored, even when they would change someone.
    let mut moved = person(3, "c@x.de");
    moved.department = unit("Sales");
    let p = run(&dir, &scoped(vec![moved, person(5, "e@x.de")], &[]));
    assert!(p.is_empty() && p.skips.is_empty() && p.unchanged == 0);

    // An in-scope person not listed is removed (complete snapshot), and the out-of-scope
    // report's link to them is cleared.
    let p = run(&dir, &scoped(vec![], &[1]));
    assert_eq!(p.removals.len(), 1);
    assert_eq!(p.removals[0].reason, RemovalReason::NotListed);
    assert_eq!(p.updates.len(), 1);
    assert_eq!(p.updates[0].after.key, id(2));
    assert_eq!(p.updates[0].after.supervisor_key, None);
    assert_eq!(
        p.updates[0].changes,
        vec![FieldChange {
            field: "supervisor_personio_id".into(),
            before: Some("1".into()),
            after: None,
        }]
    );
    assert_eq!(ids(&apply(&dir, &p)), vec![2, 3]);

    // …but not from an incomplete snapshot.
    let mut s = scoped(vec![], &[1]);
    s.complete = false;
    let p = run(&dir, &s);
    assert!(p.removals.is_empty() && p.updates.is_empty());
    assert_eq!(p.kept_unlisted, vec![id(1)]);
}

#[test]
fn scope_respects_addresses_held_outside_it() {
    let dir = directory_of(vec![person(1, "a@x.de"), person(2, "b@x.de")]);
    // A new hire claiming the address of someone outside the scope loses to them.
    let p = run(&dir, &scoped(vec![person(3, "A@x.de")], &[3]));
    assert!(p.creates.is_empty());
    assert_eq!(
        p.skips,
        vec![skip(3, SkipReason::DuplicateEmail { other: id(1) })]
    );
    // A terminated in-scope person is removed as no longer eligible.
    let mut leaver = person(2, "b@x.de");
    leaver.termination_date = Some(date!(2026 - 03 - 01));
    let p = run(&dir, &scoped(vec![leaver], &[2]));
    assert_eq!(p.removals.len(), 1);
    assert!(matches!(
        p.removals[0].reason,
        RemovalReason::NoLongerEligible {
            because: SkipReason::Terminated { .. }
        }
    ));
    // The snapshot's scope survives a JSON round trip and defaults to None.
    let s = scoped(vec![], &[2, 7]);
    let back: Snapshot =
        serde_json::from_str(&serde_json::to_string(&s).expect("encodes")).expect("decodes");
    assert_eq!(back, s);
    let legacy: Snapshot = serde_json::from_str(
        r#"{"employees":[],"malformed":[],"readable_attributes":[],"complete":true}"#,
    )
    .expect("decodes");
    assert_eq!(legacy.scope, None);
}

// ---------------------------------------------------------------- directory rules (issue 11)

fn with_settings(settings: staffsync_core::Settings) -> Policy {
    Policy {
        settings,
        accepted_removals: None,
        accepted_rekeys: None,
        kept: Default::default(),
    }
}

fn external(n: i64) -> SourceEmployee {
    let mut e = person(n, &format!("p{n}@x.de"));
    e.employment_type = Some("External".into());
    e
}

#[test]
fn excluded_people_are_skipped_or_removed_naming_the_rule() {
    let policy = with_settings(staffsync_core::Settings {
        scope: staffsync_core::Scope {
            include: Vec::new(),
            exclude: vec![staffsync_core::Rule {
                attribute: "employment_type".into(),
                values: vec![" external".into()],
            }],
        },
        ..Default::default()
    });
    let directory = directory_of(vec![person(1, "p1@x.de"), external(2)]);
    let mut not_started = external(4);
    not_started.hire_date = Some(date!(2026 - 04 - 01));
    let p = plan(
        &directory,
        &snap(vec![
            person(1, "p1@x.de"),
            external(2),
            external(3),
            not_started,
        ]),
        &policy,
        TODAY,
    );
    let rule = "exclude employment_type = external".to_owned();
    assert_eq!(
        p.removals,
        vec![Removal {
            key: id(2),
            reason: RemovalReason::Excluded { rule: rule.clone() },
        }]
    );
    assert_eq!(
        p.skips,
        vec![
            skip(3, SkipReason::Excluded { rule: rule.clone() }),
            // Out of scope before anything else: not a future hire either.
            skip(4, SkipReason::Excluded { rule }),
        ]
    );
    assert!(p.pending_hires.is_empty());
    assert_eq!(p.unchanged, 1);
    let json = serde_json::to_value(&p.removals[0]).unwrap();
    assert_eq!(json["reason"], "excluded");
    assert_eq!(json["rule"], "exclude employment_type = external");
}

#[test]
fn include_rules_name_themselves_and_a_mass_exclusion_is_held() {
    let policy = with_settings(staffsync_core::Settings {
        scope: staffsync_core::Scope {
            include: vec![
                staffsync_core::Rule {
                    attribute: "office".into(),
                    values: vec!["Berlin".into(), "Wien".into()],
                },
                staffsync_core::Rule {
                    attribute: "Standort".into(),
                    values: vec!["Nord".into()],
                },
            ],
            exclude: Vec::new(),
        },
        ..Default::default()
    });
    let people: Vec<SourceEmployee> = (1..=10)
        .map(|n| {
            let mut e = person(n, &format!("p{n}@x.de"));
            e.office = unit(if n <= 2 { "berlin" } else { "Hamburg" });
            e
        })
        .collect();
    let directory = directory_of(people.clone());
    let p = plan(&directory, &snap(people), &policy, TODAY);
    assert_eq!(p.removals.len(), 8);
    assert_eq!(
        p.removals[0].reason,
        RemovalReason::Excluded {
            rule: "include office = Berlin, Wien or Standort = Nord".into()
        }
    );
    assert_eq!(
        p.held,
        Some(Hold {
            removing: 8,
            directory_size: 10,
            rekeying: 0
        })
    );
}

fn reports(n: i64, to: Option<i64>) -> SourceEmployee {
    let mut e = person(n, &format!("p{n}@x.de"));
    e.supervisor_id = to.map(id);
    e
}

fn reporting_policy() -> Policy {
    with_settings(staffsync_core::Settings {
        groups: staffsync_core::GroupSettings {
            reporting_lines: true,
            ..Default::default()
        },
        ..Default::default()
    })
}

fn groups_of(d: &[DirectoryEmployee], n: i64) -> Vec<String> {
    d.iter()
        .find(|d| d.key == id(n))
        .map(|d| {
            d.groups
                .iter()
                .filter(|g| g.kind.is_reporting_line())
                .map(|g| format!("{}:{}", g.kind, g.name))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn reporting_lines_group_direct_and_all_reports_by_manager_id() {
    // 1 ← 2 ← 3, 2 ← 4; 5 reports to 6, who has left (not listed).
    let people = vec![
        reports(1, None),
        reports(2, Some(1)),
        reports(3, Some(2)),
        reports(4, Some(2)),
        reports(5, Some(6)),
    ];
    let p = plan(&[], &snap(people.clone()), &reporting_policy(), TODAY);
    let dir = apply(&[], &p);
    assert!(groups_of(&dir, 1).is_empty());
    assert_eq!(groups_of(&dir, 2), ["reports_direct:1", "reports_all:1"]);
    assert_eq!(
        groups_of(&dir, 3),
        ["reports_direct:2", "reports_all:1", "reports_all:2"]
    );
    assert!(groups_of(&dir, 5).is_empty());
    assert!(p.warnings.is_empty());

    // 3 moves under 1: only 3's groups change (2 loses a report, 1 keeps everyone).
    let mut moved = people.clone();
    moved[2].supervisor_id = Some(id(1));
    let p = plan(&dir, &snap(moved), &reporting_policy(), TODAY);
    assert_eq!(p.updates.len(), 1);
    assert_eq!(
        p.updates[0].changes,
        vec![
            change("supervisor_personio_id", Some("2"), Some("1")),
            change(
                "groups",
                Some("reports_direct: 2; reports_all: 1; reports_all: 2"),
                Some("reports_direct: 1; reports_all: 1")
            ),
        ]
    );
    // Turned off: the groups go.
    let off = plan(&dir, &snap(people), &Policy::default(), TODAY);
    assert_eq!(off.updates.len(), 3);
    assert!(apply(&dir, &off).iter().all(|d| d.groups.is_empty()));
}

#[test]
fn a_supervisor_cycle_is_warned_about_and_does_not_loop() {
    // 1 ↔ 2, 3 reports to 1; 4 reports to themself.
    let people = vec![
        reports(1, Some(2)),
        reports(2, Some(1)),
        reports(3, Some(1)),
        reports(4, Some(4)),
    ];
    let p = plan(&[], &snap(people), &reporting_policy(), TODAY);
    assert_eq!(
        p.warnings,
        vec![
            Warning::SupervisorCycle {
                ids: vec![id(1), id(2)]
            },
            Warning::SupervisorCycle { ids: vec![id(4)] },
        ]
    );
    assert!(p.warnings[0].to_string().contains("1, 2 form a cycle"));
    let dir = apply(&[], &p);
    assert_eq!(groups_of(&dir, 1), ["reports_direct:2"]);
    assert_eq!(groups_of(&dir, 3), ["reports_direct:1", "reports_all:1"]);
    assert!(groups_of(&dir, 4).is_empty());
}

#[test]
fn tenure_bands_follow_the_hire_date_and_the_date_check_moves_people() {
    let policy = with_settings(staffsync_core::Settings {
        groups: staffsync_core::GroupSettings {
            attributes: Vec::new(),
            tenure: true,
            ..Default::default()
        },
        ..Default::default()
    });
    let mut new = person(1, "p1@x.de");
    new.hire_date = Some(date!(2025 - 12 - 31));
    let mut old = person(2, "p2@x.de");
    old.hire_date = Some(date!(2014 - 01 - 01));
    let mut unknown = person(3, "p3@x.de");
    unknown.hire_date = None;
    let dir = apply(
        &[],
        &plan(&[], &snap(vec![new, old, unknown]), &policy, TODAY),
    );
    let tenure = |d: &[DirectoryEmployee], n: i64| -> Vec<String> {
        d.iter()
            .find(|d| d.key == id(n))
            .unwrap()
            .groups
            .iter()
            .map(|g| format!("{}:{}", g.kind, g.name))
            .collect()
    };
    assert_eq!(tenure(&dir, 1), ["tenure:lt_3m"]);
    assert_eq!(tenure(&dir, 2), ["tenure:10y_plus"]);
    assert!(tenure(&dir, 3).is_empty());
    // Hired on 31 December: three months are complete on 31 March, not a day earlier.
    let check = staffsync_core::planner::tenure_plan(&dir, &policy, date!(2026 - 03 - 30));
    assert!(check.is_empty());
    let check = staffsync_core::planner::tenure_plan(&dir, &policy, date!(2026 - 03 - 31));
    assert_eq!(check.unchanged, 2);
    assert_eq!(
        check.updates[0].changes,
        vec![change(
            "groups",
            Some("tenure: lt_3m"),
            Some("tenure: 3_6m")
        )]
    );
}

fn birth_date(value: &str) -> ExtraAttribute {
    ExtraAttribute {
        key: "dynamic_99001".into(),
        label: "Geburtsdatum".into(),
        kind: "date".into(),
        universal_id: None,
        value: Some(value.to_owned()),
    }
}

fn with_age(attribute: &str) -> Policy {
    Policy::from(Settings {
        groups: GroupSettings {
            age: Some(staffsync_core::AgeGroups {
                attribute: attribute.into(),
            }),
            ..GroupSettings::default()
        },
        ..Settings::default()
    })
}

#[test]
fn an_age_band_comes_from_the_birth_date_which_goes_nowhere() {
    // Turned 25 on 2026-02-10: 25_34 from March 1st; born in March: not yet 35 in March.
    let mut a = person(1, "a@example.com");
    a.attributes.push(birth_date("10.02.2001"));
    let mut b = person(2, "b@example.com");
    b.attributes.push(birth_date("1991-03-02T00:00:00+01:00"));
    let mut c = person(3, "c@example.com");
    c.attributes.push(birth_date("1960-07-01"));
    let mut d = person(4, "d@example.com");
    d.attributes.push(birth_date("unbekannt"));
    let p = plan(
        &[],
        &snap(vec![a, b, c, d]),
        &with_age(" geburtsdatum"),
        TODAY,
    );
    let band = |i: usize| -> Vec<&str> {
        p.creates[i]
            .groups
            .iter()
            .filter(|g| g.kind == GroupKind::Age)
            .map(|g| &*g.name)
            .collect()
    };
    assert_eq!(
        (band(0), band(1), band(2), band(3)),
        (
            vec!["25_34"],
            vec!["25_34"],
            vec!["55_plus"],
            Vec::<&str>::new()
        )
    );
    let next: Vec<Option<String>> = p
        .creates
        .iter()
        .map(|d| d.age_band_next.map(|m| m.to_string()))
        .collect();
    assert_eq!(
        next,
        [Some("2036-03".into()), Some("2026-04".into()), None, None]
    );
    for d in &p.creates {
        assert!(d.attributes.iter().all(|(k, _)| k != "Geburtsdatum"));
    }
    // Named by key, the same; naming it in a custom group by key makes no group of it.
    let mut policy = with_age("dynamic_99001");
    policy
        .settings
        .groups
        .attributes
        .push("dynamic_99001".into());
    let mut a = person(1, "a@example.com");
    a.attributes.push(birth_date("2001-02-10"));
    let p = plan(&[], &snap(vec![a]), &policy, TODAY);
    let groups: Vec<&GroupKey> = p.creates[0].groups.iter().collect();
    assert_eq!(groups, [&GroupKey::new(GroupKind::Age, "25_34")]);
}

#[test]
fn a_kept_record_holds_only_what_may_be_stored() {
    let mut e = person(1, "a@example.com");
    e.attributes.push(birth_date("17.05.1990"));
    e.attributes.push(ExtraAttribute {
        key: "dynamic_5".into(),
        label: "Gehaltsband".into(),
        kind: "standard".into(),
        universal_id: None,
        value: Some("B3".into()),
    });
    let mut policy = with_age("Geburtsdatum");
    let kept = staffsync_core::planner::minimize(e.clone(), &policy.settings);
    let values: Vec<(&str, Option<&str>)> = kept
        .attributes
        .iter()
        .map(|a| (&*a.key, a.value.as_deref()))
        .collect();
    assert_eq!(values, [("dynamic_99001", Some("1990-05"))]);
    // The month is all the band needs: the kept record plans as the full one does.
    let full = plan(&[], &snap(vec![e.clone()]), &policy, TODAY);
    let from_kept = plan(&[], &snap(vec![kept]), &policy, TODAY);
    assert_eq!(full.creates, from_kept.creates);
    policy.settings.keep_attributes = vec!["Gehaltsband".into()];
    policy.settings.groups.age = None;
    let kept = staffsync_core::planner::minimize(e, &policy.settings);
    let keys: Vec<&str> = kept.attributes.iter().map(|a| &*a.key).collect();
    assert_eq!(keys, ["dynamic_5"]);
}

#[test]
fn a_held_plan_applies_hires_and_moves_and_keeps_the_listed_people_as_they_are() {
    // Ten people; 2 reports to 1. Six leave at once (1 among them), 10 moves, 11 is hired.
    let mut all: Vec<SourceEmployee> = (1..=10).map(|n| person(n, &format!("p{n}@x.de"))).collect();
    all[1].supervisor_id = Some(id(1));
    let dir = directory_of(all.clone());
    let mut listed: Vec<SourceEmployee> = all
        .into_iter()
        .filter(|e| e.id.0 > 6 || e.id.0 == 2)
        .collect();
    listed.iter_mut().find(|e| e.id.0 == 10).unwrap().department = unit("Vertrieb");
    listed.push(person(11, "new@x.de"));
    let p = run(&dir, &snap(listed));
    assert!(p.held.is_some());
    assert_eq!(
        p.removals.iter().map(|r| r.key.0).collect::<Vec<_>>(),
        vec![1, 3, 4, 5, 6],
        "the review lists exactly who would go"
    );
    assert_eq!(ids(&p.creates), vec![11]);
    assert_eq!(
        p.updates.iter().map(|u| u.after.key.0).collect::<Vec<_>>(),
        vec![10]
    );
    let after = apply(&dir, &p);
    assert_eq!(ids(&after), (1..=11).collect::<Vec<_>>());
    // 2 still reports to 1, who waits for the review: the link is not cut.
    assert_eq!(after[1].supervisor_key, Some(id(1)));
}

#[test]
fn held_re_keys_wait_like_removals() {
    let held = rekey_case(100, 6, &Policy::default());
    assert!(held.held.is_some());
    assert!(held.updates.is_empty() && held.creates.is_empty());
    // The new ids are skipped (their addresses stay with the old ids) until the review.
    for r in &held.rekeys {
        assert!(held.skips.iter().any(|s| s.key == Some(r.to)));
    }
}

#[test]
fn kept_people_are_neither_removed_nor_held_until_their_reason_changes() {
    let all: Vec<SourceEmployee> = (1..=10).map(|n| person(n, &format!("p{n}@x.de"))).collect();
    let dir = directory_of(all.clone());
    let listed: Vec<SourceEmployee> = all.iter().filter(|e| e.id.0 > 6).cloned().collect();
    let held = run(&dir, &snap(listed.clone()));
    assert!(held.held.is_some(), "6 of 10 leave: held");
    // The admin rejected: the six are kept against "not listed".
    let policy = Policy {
        kept: held
            .removals
            .iter()
            .map(|r| (r.key, r.reason.clone()))
            .collect(),
        ..Policy::default()
    };
    let p = plan(&dir, &snap(listed.clone()), &policy, TODAY);
    assert_eq!(p.held, None);
    assert!(p.removals.is_empty());
    assert_eq!(
        p.kept.iter().map(|r| r.key.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert!(p.unkept.is_empty());
    assert_eq!(ids(&apply(&dir, &p)), ids(&dir));
    // One is listed again: no longer kept. Another is now out of scope by a rule: a
    // removal for another reason, so no longer kept either (and reviewed like any).
    let mut again = listed.clone();
    again.push(all[0].clone());
    let mut other = all[1].clone();
    other.status = Some(EmploymentStatus::Inactive);
    again.push(other);
    let p = plan(&dir, &snap(again), &policy, TODAY);
    assert_eq!(
        p.kept.iter().map(|r| r.key.0).collect::<Vec<_>>(),
        vec![3, 4, 5, 6]
    );
    assert_eq!(p.unkept, vec![id(1), id(2)]);
    assert_eq!(
        p.removals.iter().map(|r| r.key.0).collect::<Vec<_>>(),
        vec![2]
    );
}

/// Issue 23: the identity provider's groups a person is a member of become `idp_group`
/// groups named by their `displayName` (trimmed; blank names make none); leaving the last
/// member's group removes the group from the person, as with every other own group.
#[test]
fn idp_groups_become_groups_of_their_kind_by_name() {
    let mut a = person(1, "a@example.com");
    a.idp_groups = vec![" Vertrieb Nord ".into(), "Alle".into(), "  ".into()];
    let mut b = person(2, "b@example.com");
    b.idp_groups = vec!["Alle".into()];
    let p = run(&[], &snap(vec![a.clone(), b.clone()]));
    let idp = |d: &DirectoryEmployee| -> Vec<String> {
        d.groups
            .iter()
            .filter(|g| g.kind == GroupKind::IdpGroup)
            .map(|g| g.name.to_string())
            .collect()
    };
    assert_eq!(idp(&p.creates[0]), ["Alle", "Vertrieb Nord"]);
    assert_eq!(idp(&p.creates[1]), ["Alle"]);
    assert_eq!(GroupKind::IdpGroup.as_str(), "idp_group");
    assert_eq!(GroupKind::parse("idp_group"), Some(GroupKind::IdpGroup));

    let directory = apply(&[], &p);
    a.idp_groups = vec!["Alle".into()];
    let p = run(&directory, &snap(vec![a, b]));
    assert_eq!(p.updates.len(), 1, "{p:?}");
    let after = apply(&directory, &p);
    assert!(after.iter().all(|d| idp(d) == ["Alle"]), "{after:?}");
}
