//! The planner alone, on generated companies of 10,000 and 100,000 people: a first sync
//! (empty directory), a no-change re-sync, and a re-sync where 5% moved department; each
//! with the standard groups, and again (`*_lines_tenure`) with reporting lines and tenure
//! bands on (a hierarchy five levels deep: everyone reports to the person at a tenth of
//! their index).
//!
//! Run with `cargo bench -p staffsync-core --bench planner`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use staffsync_core::planner::{apply, plan};
use staffsync_core::{
    EmploymentStatus, ExtraAttribute, GroupSettings, OrgUnit, PersonKey, Policy, Settings,
    Snapshot, SourceEmployee,
};
use std::collections::BTreeSet;
use std::hint::black_box;

// The allocator the `staffsync` binary runs the planner with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use time::macros::date;

const DEPARTMENTS: [&str; 8] = [
    "Vertrieb",
    "Marketing",
    "Engineering",
    "Personal",
    "Finanzen",
    "Recht",
    "Einkauf",
    "Logistik",
];
const OFFICES: [&str; 5] = ["Berlin", "München", "Hamburg", "Wien", "Zürich"];

fn unit(name: &str, id: i64) -> Option<OrgUnit> {
    Some(OrgUnit {
        id: Some(id),
        name: name.to_owned(),
    })
}

fn company(n: usize) -> Snapshot {
    let employees = (0..n)
        .map(|i| {
            let id = 1_000_000 + i as i64;
            let mut e = SourceEmployee::new(PersonKey(id));
            e.first_name = Some(format!("Vorname{i}"));
            e.last_name = Some(format!("Nachname{i}"));
            e.email = Some(format!("person{i}@example.com"));
            e.status = Some(if i % 20 == 0 {
                EmploymentStatus::Inactive
            } else {
                EmploymentStatus::Active
            });
            // Spread over 16 years, so every tenure band has people.
            e.hire_date =
                Some(date!(2010 - 01 - 01) + time::Duration::days((i * 37 % 5_900) as i64));
            e.department = unit(DEPARTMENTS[i % DEPARTMENTS.len()], (i % 8) as i64);
            e.office = unit(OFFICES[i % OFFICES.len()], (i % 5) as i64);
            e.position = Some(format!("Position {}", i % 40));
            e.supervisor_id = (i >= 10).then(|| PersonKey(1_000_000 + (i / 10) as i64));
            e.attributes.push(ExtraAttribute {
                key: "dynamic_33400".into(),
                label: "Standort".into(),
                kind: "standard".into(),
                universal_id: None,
                value: Some(OFFICES[(i / 3) % OFFICES.len()].into()),
            });
            e
        })
        .collect();
    let readable = [
        "first_name",
        "last_name",
        "email",
        "department",
        "hire_date",
        "termination_date",
        "status",
    ]
    .into_iter()
    .map(String::from)
    .collect::<BTreeSet<_>>();
    Snapshot {
        employees,
        readable_attributes: readable,
        complete: true,
        ..Snapshot::default()
    }
}

fn bench(c: &mut Criterion) {
    let today = date!(2026 - 11 - 24);
    let standard = Policy::from(Settings {
        groups: GroupSettings::with_custom(["Standort"]),
        ..Settings::default()
    });
    // Issue 11: reporting lines and tenure bands on as well.
    let mut derived = standard.clone();
    derived.settings.groups.reporting_lines = true;
    derived.settings.groups.tenure = true;
    let mut group = c.benchmark_group("planner");
    group.sample_size(10);
    for (suffix, policy) in [("", &standard), ("_lines_tenure", &derived)] {
        bench_policy(&mut group, suffix, policy, today);
    }
    group.finish();
}

fn bench_policy(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    suffix: &str,
    policy: &Policy,
    today: time::Date,
) {
    for n in [10_000usize, 100_000] {
        let snapshot = company(n);
        let first = plan(&[], &snapshot, policy, today);
        let directory = apply(&[], &first);
        let mut moved = snapshot.clone();
        for e in moved.employees.iter_mut().step_by(20) {
            e.department = unit("Forschung", 99);
        }
        let id = |name: &str| BenchmarkId::new(format!("{name}{suffix}"), n);
        group.bench_with_input(id("first_sync"), &snapshot, |b, s| {
            b.iter(|| black_box(plan(&[], s, policy, today)))
        });
        group.bench_with_input(id("no_change"), &snapshot, |b, s| {
            b.iter(|| black_box(plan(&directory, s, policy, today)))
        });
        group.bench_with_input(id("five_percent_moved"), &moved, |b, s| {
            b.iter(|| black_box(plan(&directory, s, policy, today)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
