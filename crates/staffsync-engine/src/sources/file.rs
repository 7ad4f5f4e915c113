//! The employee-file source: a file read by `employee_file::read` is the whole company,
//! like a complete Personio listing.
//!
//! Each row becomes the planner's [`SourceEmployee`]: its id is the person key the store
//! keeps for the row's `ImportId` (handed out on the first import that names it; a dry run
//! gets provisional keys and stores none), `ReportsToId` the supervisor's key,
//! Department, Office and Team org units by name, Language and every other column an
//! attribute by its header name. The readable attributes are the columns the file has
//! (an absent HireDate column is "unknown", as for a Personio credential that cannot read
//! it), recorded for the settings check ([`readable_columns`]). A row with an error
//! becomes a malformed record naming row, column and problem, so the person its
//! `ImportId` names stays exactly as they are.
//!
//! Future hires are planned like Personio's: skipped until their hire date. Their records
//! are kept with the plan (`Store::apply_import`), so the daily date check creates them on
//! their hire date without a new file ([`due_snapshot`]).
//!
//! This module must never contact Personio, apply a plan, or plan from a file that was
//! refused (a refused file never gets here: nobody is removed).

use super::{AfterApply, Planned};
use crate::run::{
    ImportDetails, Scope, SyncError, SyncOptions, accepted_removals, plan_scoped, today_and_policy,
    with_kept,
};
use employee_file::{Columns, EmployeeFile, FileRow, RowError};
use staffsync_core::{
    DirectoryEmployee, ExtraAttribute, MalformedEmployee, OrgUnit, PersonKey, Snapshot,
    SourceEmployee, planner,
};
use staffsync_store::{Account, Store};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use time::Date;

/// A file account's source, opened for one run: with the file of an import, or without
/// one (the date check reads what the last import kept).
#[derive(Debug)]
pub struct FileSource {
    file: Option<EmployeeFile>,
}

impl FileSource {
    pub(super) fn with_file(file: EmployeeFile) -> Self {
        FileSource { file: Some(file) }
    }

    pub(super) fn without_file() -> Self {
        FileSource { file: None }
    }

    pub(super) fn has_file(&self) -> bool {
        self.file.is_some()
    }

    pub(super) async fn read(
        self,
        store: &Store,
        account: &Account,
        scope: Scope<'_>,
        options: &SyncOptions,
    ) -> Result<Option<Planned>, SyncError> {
        match (scope, self.file) {
            (Scope::Everyone, Some(file)) => {
                plan_full(store, account, file, options).await.map(Some)
            }
            (Scope::DueDates(today), _) => match due_snapshot(store, account, today).await? {
                Some(snapshot) => plan_scoped(store, account, &snapshot, today)
                    .await
                    .map(Some),
                None => Ok(None),
            },
            // Refused before the run started (`Source::check`); tenure is the pipeline's.
            (Scope::Everyone | Scope::People { .. }, _) => {
                Err(SyncError::FileAccount(account.slug.to_string()))
            }
            (Scope::Tenure(_), _) => Ok(None),
        }
    }
}

/// The names settings use for the file's standard columns (scope rules, group
/// dimensions); the other columns go by their header name.
pub const STANDARD_COLUMNS: [&str; 11] = [
    "first_name",
    "last_name",
    "email",
    "language",
    "department",
    "office",
    "team",
    "position",
    "hire_date",
    "termination_date",
    "status",
];

/// Attribute columns whose header names one of the planner's own fields: a column
/// "Gender" also fills `gender`, so a scope rule on `gender` sees it, and it still forms
/// groups like any other column.
const NAMED_FIELDS: [&str; 4] = ["gender", "preferred_name", "employment_type", "subcompany"];

/// What settings may name for a file with these columns: the standard ones present (see
/// [`STANDARD_COLUMNS`]) and every other column by its header name.
pub fn readable_columns(columns: &Columns) -> Vec<String> {
    let present = [
        true,
        true,
        true,
        columns.language,
        columns.department,
        columns.office,
        columns.team,
        columns.position,
        columns.hire_date,
        columns.termination_date,
        columns.status,
    ];
    STANDARD_COLUMNS
        .iter()
        .zip(present)
        .filter(|(_, p)| *p)
        .map(|(k, _)| (*k).to_owned())
        .chain(columns.attributes.iter().map(|a| a.to_string()))
        .collect()
}

/// The `ImportId`s a file names, each once, in the file's order (good rows first, then
/// the rows with errors that have one).
fn import_ids(file: &EmployeeFile) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    file.rows
        .iter()
        .map(|r| r.import_id.as_str())
        .chain(file.errors.iter().filter_map(|e| e.import_id.as_deref()))
        .filter(|id| seen.insert(*id))
        .collect()
}

/// One row as the planner's record. `keys` holds the key of every `ImportId` of the file
/// (a `ReportsToId` names a row of the file: the reader checked).
pub fn to_source(
    row: FileRow,
    keys: &HashMap<String, PersonKey>,
    kind: &Arc<str>,
) -> Option<SourceEmployee> {
    let key = |id: &str| keys.get(id).copied();
    let mut e = SourceEmployee::new(key(row.import_id.as_str())?);
    e.first_name = Some(row.first_name);
    e.last_name = Some(row.last_name);
    e.email = Some(row.email.as_str().to_owned());
    e.status = row.status;
    e.position = row.position;
    e.hire_date = row.hire_date;
    e.termination_date = row.termination_date;
    let unit = |name: Option<String>| name.map(|name| OrgUnit { id: None, name });
    e.department = unit(row.department);
    e.office = unit(row.office);
    e.team = unit(row.team);
    e.supervisor_id = row.reports_to.as_ref().and_then(|r| key(r.as_str()));
    let attribute = |key: Arc<str>, value: String| ExtraAttribute {
        label: Arc::clone(&key),
        key,
        kind: Arc::clone(kind),
        universal_id: None,
        value: Some(value),
    };
    if let Some(language) = row.language {
        e.attributes
            .push(attribute(Arc::from("language"), language));
    }
    for (column, value) in row.attributes {
        match NAMED_FIELDS
            .iter()
            .find(|f| column.eq_ignore_ascii_case(f))
            .copied()
        {
            Some("gender") => e.gender = Some(value.clone()),
            Some("preferred_name") => e.preferred_name = Some(value.clone()),
            Some("employment_type") => e.employment_type = Some(value.clone()),
            Some(_) => {
                e.subcompany = Some(OrgUnit {
                    id: None,
                    name: value.clone(),
                })
            }
            None => {}
        }
        e.attributes.push(attribute(column, value));
    }
    Some(e)
}

/// A row error as the planner's malformed record: "row 7, column Email: …", with the key
/// of the row's `ImportId` when it has one (that person stays as they are).
pub fn to_malformed(error: &RowError, keys: &HashMap<String, PersonKey>) -> MalformedEmployee {
    MalformedEmployee {
        id: error
            .import_id
            .as_deref()
            .and_then(|id| keys.get(id).copied()),
        reason: row_error_text(error),
    }
}

/// "row 7, column Email: not a valid e-mail address".
pub fn row_error_text(error: &RowError) -> String {
    format!(
        "row {}, column {}: {}",
        error.row, error.column, error.message
    )
}

/// Keys for `file`'s `ImportId`s: handed out by the store, or provisional for a dry run.
async fn keys_for(
    store: &Store,
    account: &Account,
    file: &EmployeeFile,
    dry_run: bool,
) -> Result<HashMap<String, PersonKey>, SyncError> {
    let ids = import_ids(file);
    let keys = if dry_run {
        store.provisional_import_keys(account.id, &ids).await?
    } else {
        store.allocate_import_keys(account.id, &ids).await?
    };
    Ok(ids
        .into_iter()
        .map(str::to_owned)
        .zip(keys)
        .collect::<HashMap<_, _>>())
}

/// Maps `file` to the planner's records and plans it against the account's directory
/// (see the module docs), with the import's details for the report.
async fn plan_full(
    store: &Store,
    account: &Account,
    file: EmployeeFile,
    options: &SyncOptions,
) -> Result<Planned, SyncError> {
    let keys = keys_for(store, account, &file, options.dry_run).await?;
    // Recorded only when the import applies (`AfterApply::File`): a preview changes
    // nothing, not even what settings accept later.
    let columns = readable_columns(&file.columns);
    let readable: BTreeSet<String> = columns.iter().cloned().collect();
    let accepted = accepted_removals(store, account, options).await?;
    let (today, mut policy) = today_and_policy(account, options, accepted);
    with_kept(store, account, &mut policy).await?;
    let rules = planner::Rules::new(&readable, &policy, today);
    let directory = planner::KnownDirectory::new(store.directory(account.id).await?);

    let malformed: Vec<MalformedEmployee> =
        file.errors.iter().map(|e| to_malformed(e, &keys)).collect();
    let fetched = file.rows.len();
    let kind: Arc<str> = Arc::from("standard");
    // Each row is mapped and prepared, then dropped, as a Personio page is: only records
    // that may be future hires are kept, for the date check.
    let mut records = Vec::with_capacity(fetched);
    let mut later: Vec<SourceEmployee> = Vec::new();
    for row in file.rows {
        let Some(e) = to_source(row, &keys, &kind) else {
            continue;
        };
        records.push(planner::prepare_against(&e, &rules, directory.get(e.id)));
        if e.hire_date.is_some_and(|d| d > today) {
            // Kept until their hire date: only what the directory may hold of them (no
            // unnamed attribute, the birth date cut down to its month).
            later.push(planner::minimize(e, &policy.settings));
        }
    }
    let snapshot = planner::PreparedSnapshot {
        records,
        malformed,
        // A file read without being refused is the whole company.
        complete: true,
        scope: None,
        rules,
    };
    let plan = planner::plan_prepared(directory.people(), snapshot);
    let pending: BTreeSet<PersonKey> = plan.pending_hires.iter().map(|(id, _)| *id).collect();
    later.retain(|e| pending.contains(&e.id));
    let mut listed: Vec<PersonKey> = keys.values().copied().collect();
    listed.sort_unstable();
    let import_ids: BTreeMap<PersonKey, String> =
        keys.into_iter().map(|(id, key)| (key, id)).collect();
    Ok(Planned {
        fetched,
        today,
        plan,
        after: AfterApply::File {
            listed,
            future_hires: later,
            columns,
        },
        import: Some(ImportDetails {
            row_errors: file.errors,
            row_warnings: file.warnings,
            import_ids,
        }),
    })
}

/// The date check of a file account on `today` without a new file: the known future
/// hires whose hire date has come (from their kept records) and the directory people
/// whose termination date has passed (from their directory records), as a snapshot
/// scoped to them; `None` when nobody is due. The account's settings and the columns of
/// its last import apply, as in an import.
async fn due_snapshot(
    store: &Store,
    account: &Account,
    today: Date,
) -> Result<Option<Snapshot>, SyncError> {
    let mut employees: Vec<SourceEmployee> = store
        .pending_hire_records(account.id)
        .await?
        .into_iter()
        .filter(|e| e.hire_date.is_some_and(|d| d <= today))
        .collect();
    employees.extend(
        store
            .directory(account.id)
            .await?
            .iter()
            .filter(|d| d.termination_date.is_some_and(|t| t < today))
            .map(leaver),
    );
    if employees.is_empty() {
        return Ok(None);
    }
    let scope = employees.iter().map(|e| e.id).collect();
    let readable = store.file_columns(account.id).await?.into_iter().collect();
    Ok(Some(Snapshot {
        employees,
        malformed: Vec::new(),
        readable_attributes: readable,
        complete: true,
        scope: Some(scope),
    }))
}

/// A directory person as a record whose termination date the planner sees as passed
/// (the last file said when they leave; no new file is needed to let them go).
fn leaver(d: &DirectoryEmployee) -> SourceEmployee {
    let mut e = SourceEmployee::new(d.key);
    e.first_name = Some(d.first_name.clone());
    e.last_name = Some(d.last_name.clone());
    e.email = Some(d.email.clone());
    e.status = d
        .status
        .as_deref()
        .map(staffsync_core::EmploymentStatus::parse);
    e.hire_date = d.hire_date;
    e.termination_date = d.termination_date;
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use employee_file::{ImportId, RowProblem};
    use staffsync_core::{Email, EmploymentStatus, Policy, Settings};
    use time::macros::date;

    fn row(n: usize, id: &str, first: &str) -> FileRow {
        FileRow {
            row: n,
            import_id: ImportId::parse(id).unwrap(),
            email: Email::parse(&format!("{}@example.com", first.to_lowercase())).unwrap(),
            first_name: first.to_owned(),
            last_name: "Muster".to_owned(),
            language: None,
            reports_to: None,
            department: None,
            office: None,
            team: None,
            position: None,
            hire_date: None,
            termination_date: None,
            status: None,
            attributes: Vec::new(),
        }
    }

    fn keys(ids: &[(&str, i64)]) -> HashMap<String, PersonKey> {
        ids.iter()
            .map(|(id, k)| ((*id).to_owned(), PersonKey(*k)))
            .collect()
    }

    #[test]
    fn a_row_becomes_the_planners_record_with_keys() {
        let kind: Arc<str> = Arc::from("standard");
        let mut r = row(2, "E-2", "Ada");
        r.reports_to = ImportId::parse("E-1");
        r.department = Some("Vertrieb".into());
        r.office = Some("Berlin".into());
        r.team = Some("Nord".into());
        r.position = Some("Lead".into());
        r.status = Some(EmploymentStatus::Active);
        r.hire_date = Some(date!(2024 - 03 - 01));
        r.language = Some("de".into());
        r.attributes = vec![
            (Arc::from("Kostenstelle"), "4711".into()),
            (Arc::from("Gender"), "f".into()),
        ];
        let e = to_source(r, &keys(&[("E-1", 7), ("E-2", 9)]), &kind).unwrap();
        assert_eq!(e.id, PersonKey(9));
        assert_eq!(e.supervisor_id, Some(PersonKey(7)));
        assert_eq!(e.email.as_deref(), Some("ada@example.com"));
        assert_eq!(
            e.department,
            Some(OrgUnit {
                id: None,
                name: "Vertrieb".into()
            })
        );
        assert_eq!(e.office.map(|u| u.name).as_deref(), Some("Berlin"));
        assert_eq!(e.team.map(|u| u.name).as_deref(), Some("Nord"));
        assert_eq!(e.hire_date, Some(date!(2024 - 03 - 01)));
        // A column named like one of the planner's fields fills it too.
        assert_eq!(e.gender.as_deref(), Some("f"));
        let attrs: Vec<(&str, &str, Option<&str>)> = e
            .attributes
            .iter()
            .map(|a| (&*a.key, &*a.label, a.value.as_deref()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("language", "language", Some("de")),
                ("Kostenstelle", "Kostenstelle", Some("4711")),
                ("Gender", "Gender", Some("f")),
            ]
        );
        // No key for the row: nothing to plan (cannot happen: every ImportId gets one).
        assert!(to_source(row(3, "E-3", "Bob"), &keys(&[]), &kind).is_none());
    }

    #[test]
    fn readable_columns_are_the_columns_present() {
        let columns = Columns {
            department: true,
            status: true,
            attributes: vec![Arc::from("Kostenstelle")],
            ..Columns::default()
        };
        assert_eq!(
            readable_columns(&columns),
            [
                "first_name",
                "last_name",
                "email",
                "department",
                "status",
                "Kostenstelle"
            ]
        );
    }

    #[test]
    fn a_row_error_protects_the_person_it_names() {
        let error = RowError::new(
            7,
            "Email".into(),
            Some("E-7".into()),
            RowProblem::NotAnEmail("ada@".into()),
        );
        let m = to_malformed(&error, &keys(&[("E-7", 3)]));
        assert_eq!(m.id, Some(PersonKey(3)));
        assert_eq!(
            m.reason,
            "row 7, column Email: \"ada@\" is not a valid e-mail address"
        );
        let anonymous = RowError {
            import_id: None,
            ..error
        };
        assert_eq!(to_malformed(&anonymous, &keys(&[])).id, None);
    }

    /// Planned the way `plan_full` plans: without a HireDate column nobody waits for a
    /// hire date (unknown, as for a credential that cannot read it) and the plan warns;
    /// with it, a future hire is skipped and known; a bad row keeps its person.
    #[test]
    fn columns_decide_what_the_planner_may_read() {
        let kind: Arc<str> = Arc::from("standard");
        let today = date!(2026 - 06 - 15);
        let ids = keys(&[("E-1", 1), ("E-2", 2), ("E-3", 3)]);
        let plan_of = |columns: &Columns, rows: Vec<FileRow>, errors: &[RowError], directory| {
            let readable: BTreeSet<String> = readable_columns(columns).into_iter().collect();
            let snapshot = Snapshot {
                employees: rows
                    .into_iter()
                    .filter_map(|r| to_source(r, &ids, &kind))
                    .collect(),
                malformed: errors.iter().map(|e| to_malformed(e, &ids)).collect(),
                readable_attributes: readable,
                complete: true,
                scope: None,
            };
            let policy = Policy::from(Settings::default());
            planner::plan(directory, &snapshot, &policy, today)
        };
        let mut later = row(3, "E-2", "Eve");
        later.hire_date = Some(date!(2026 - 07 - 01));
        let without = Columns::default();
        let plan = plan_of(&without, vec![row(2, "E-1", "Ada")], &[], &[]);
        assert_eq!(plan.creates.len(), 1);
        assert!(plan.warnings.iter().any(|w| matches!(
            w,
            staffsync_core::Warning::AttributeNotReadable { attribute } if attribute == "hire_date"
        )));
        let with = Columns {
            hire_date: true,
            ..Columns::default()
        };
        let plan = plan_of(&with, vec![row(2, "E-1", "Ada"), later], &[], &[]);
        assert_eq!(plan.creates.len(), 1);
        assert_eq!(plan.pending_hires, [(PersonKey(2), date!(2026 - 07 - 01))]);

        let directory = planner::apply(&[], &plan);
        let error = RowError::new(
            4,
            "Email".into(),
            Some("E-1".into()),
            RowProblem::NotAnEmail("ada@".into()),
        );
        let plan = plan_of(&with, vec![], &[error], &directory);
        assert!(plan.removals.is_empty(), "{plan:?}");
        assert_eq!(plan.skips.len(), 1);
    }
}
