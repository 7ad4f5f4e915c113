//! The JSON the API (and the CLI's `--json`) shows: serializable, documented view types
//! built from the store's types.
//!
//! [`EmployeeView`] has the shape of `staffsync employees --json`, so the CLI can print
//! `EmployeeView::from(&employee)` and both stay the same. Views only reshape what they are
//! given; they must never query anything or add data from another account.

use serde::{Deserialize, Serialize};
use staffsync_core::dates::format_date;
use staffsync_core::tenure::TenureBand;
use staffsync_core::{AgeBand, DirectoryEmployee, GroupKey, GroupKind, PersonKey};
use staffsync_engine::PersonRefs;
use staffsync_store::{Feedback, GroupSummary, RunChange, RunSummary};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// A group's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupKindView {
    Department,
    Office,
    Team,
    Position,
    Subcompany,
    CostCenter,
    Custom,
    Tenure,
    Age,
    IdpGroup,
    ReportsDirect,
    ReportsAll,
}

impl From<GroupKind> for GroupKindView {
    fn from(k: GroupKind) -> Self {
        match k {
            GroupKind::Department => GroupKindView::Department,
            GroupKind::Office => GroupKindView::Office,
            GroupKind::Team => GroupKindView::Team,
            GroupKind::Position => GroupKindView::Position,
            GroupKind::Subcompany => GroupKindView::Subcompany,
            GroupKind::CostCenter => GroupKindView::CostCenter,
            GroupKind::Custom => GroupKindView::Custom,
            GroupKind::Tenure => GroupKindView::Tenure,
            GroupKind::Age => GroupKindView::Age,
            GroupKind::IdpGroup => GroupKindView::IdpGroup,
            GroupKind::ReportsDirect => GroupKindView::ReportsDirect,
            GroupKind::ReportsAll => GroupKindView::ReportsAll,
        }
    }
}

/// A group by its identity: kind and name (custom groups are named `"<label>: <value>"`).
/// Reporting lines are identified by `manager_personio_id` (their `name` is the manager's
/// current name), tenure and age bands by `key` (their `name` is the band's German name,
/// `name_en` its English one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GroupKeyView {
    pub kind: GroupKindView,
    pub name: String,
    /// Tenure bands: `lt_3m`, `3_6m`, `6_12m`, `1_2y`, `2_4y`, `4_6y`, `6_10y`, `10y_plus`.
    /// Age bands: `lt_25`, `25_34`, `35_44`, `45_54`, `55_plus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Tenure and age bands: the English name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// Reporting lines (`reports_direct`, `reports_all`): the manager's Personio id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_personio_id: Option<i64>,
    /// Reporting lines of a file account: the manager's `ImportId` (instead of
    /// `manager_personio_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_import_id: Option<String>,
}

impl From<&GroupKey> for GroupKeyView {
    /// A reporting line is named by its manager's id until [`ManagerNames::name`] gives it
    /// the manager's name.
    fn from(g: &GroupKey) -> Self {
        let mut view = GroupKeyView {
            kind: g.kind.into(),
            name: g.name.to_string(),
            key: None,
            name_en: None,
            manager_personio_id: None,
            manager_import_id: None,
        };
        match g.kind {
            GroupKind::Tenure => {
                if let Some(band) = TenureBand::parse(&g.name) {
                    view.key = Some(band.key().to_owned());
                    view.name = band.name_de().to_owned();
                    view.name_en = Some(band.name_en().to_owned());
                }
            }
            GroupKind::Age => {
                if let Some(band) = AgeBand::parse(&g.name) {
                    view.key = Some(band.key().to_owned());
                    view.name = band.name_de().to_owned();
                    view.name_en = Some(band.name_en().to_owned());
                }
            }
            GroupKind::ReportsDirect | GroupKind::ReportsAll => {
                view.manager_personio_id = g.name.parse().ok();
            }
            _ => {}
        }
        view
    }
}

/// Managers' current names, to name reporting-line groups ("Anna Weber"): a renamed
/// manager renames their groups, whose identity (the Personio id) stays.
#[derive(Debug, Default)]
pub struct ManagerNames(HashMap<PersonKey, String>);

impl ManagerNames {
    /// The names of the managers in `directory` (the people someone reports to: only
    /// they have reporting lines to name).
    pub fn of(directory: &[DirectoryEmployee]) -> Self {
        let managers: std::collections::HashSet<PersonKey> =
            directory.iter().filter_map(|e| e.supervisor_key).collect();
        ManagerNames(
            directory
                .iter()
                .filter(|e| managers.contains(&e.key))
                .map(|e| (e.key, format!("{} {}", e.first_name, e.last_name)))
                .collect(),
        )
    }

    pub fn new(names: HashMap<PersonKey, String>) -> Self {
        ManagerNames(names)
    }

    /// Gives `group` its manager's name, when it is a reporting line of someone known.
    pub fn name(&self, group: &mut GroupKeyView) {
        if let Some(name) = group
            .manager_personio_id
            .and_then(|id| self.0.get(&PersonKey(id)))
        {
            group.name.clone_from(name);
        }
    }

    /// The view of `group`, a reporting line named after its manager.
    pub fn group_view(&self, group: &GroupSummary, anonymity_threshold: usize) -> GroupView {
        let mut view = GroupView::new(group, anonymity_threshold);
        self.name(&mut view.group);
        view
    }

    /// [`Self::name`] for every group of `employee`.
    pub fn name_all(&self, employee: &mut EmployeeView) {
        self.name_groups(&mut employee.groups);
    }

    /// [`Self::name`] for each of `groups`.
    pub fn name_groups(&self, groups: &mut [GroupKeyView]) {
        groups.iter_mut().for_each(|g| self.name(g));
    }
}

/// How answers name people ([`PersonRefs`], the engine's one place for it), applied to
/// the views: they are built with the person key in `personio_id` (and
/// `manager_personio_id`), and these put each person's source id where their account
/// shows it (a Personio id stays; a file or SCIM account's people get their `import_id`,
/// also in reporting-line groups; a key never shows).
pub trait ShowIds {
    /// `view` as its account shows it.
    fn employee(&self, view: &mut EmployeeView);
    /// `feedback` as its account shows it (the author and the reporting lines).
    fn feedback(&self, feedback: &mut FeedbackView);
    /// `group` as its account shows it (a reporting line: its manager's source id).
    fn group(&self, group: &mut GroupKeyView);
}

impl ShowIds for PersonRefs {
    fn employee(&self, view: &mut EmployeeView) {
        if !self.by_import_id() {
            return;
        }
        let id =
            |key: Option<i64>| key.and_then(|k| self.import_id(PersonKey(k)).map(str::to_owned));
        view.import_id = id(view.personio_id.take());
        view.supervisor_import_id = Some(id(view.supervisor_personio_id.take().flatten()));
        view.groups.iter_mut().for_each(|g| self.group(g));
    }

    fn feedback(&self, feedback: &mut FeedbackView) {
        if !self.by_import_id() {
            return;
        }
        if let Some(author) = &mut feedback.author {
            author.import_id = author
                .personio_id
                .take()
                .and_then(|k| self.import_id(PersonKey(k)).map(str::to_owned));
        }
        feedback.groups.iter_mut().for_each(|g| self.group(g));
    }

    fn group(&self, group: &mut GroupKeyView) {
        if self.by_import_id()
            && let Some(key) = group.manager_personio_id.take()
        {
            group.manager_import_id = self.import_id(PersonKey(key)).map(str::to_owned);
        }
    }
}

/// One person in the directory (same shape as `staffsync employees --json`). A file
/// account's people have `import_id` and `supervisor_import_id` instead of `personio_id`
/// and `supervisor_personio_id` ([`ShowIds`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EmployeeView {
    /// Personio accounts: the employee's Personio id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personio_id: Option<i64>,
    /// File accounts: the employee's `ImportId` from the employee file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub department: Option<String>,
    pub office: Option<String>,
    pub team: Option<String>,
    pub position: Option<String>,
    pub status: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(example = "2024-04-01")]
    pub hire_date: Option<String>,
    /// `YYYY-MM-DD`.
    pub termination_date: Option<String>,
    /// Personio accounts: set only when the supervisor is in the directory too.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub supervisor_personio_id: Option<Option<i64>>,
    /// File accounts: the supervisor's `ImportId` (`ReportsToId`), set only when the
    /// supervisor is in the directory too.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub supervisor_import_id: Option<Option<String>>,
    /// Other imported attributes: standard ones by key, custom ones by their label.
    pub attributes: BTreeMap<String, String>,
    pub groups: Vec<GroupKeyView>,
}

impl From<&DirectoryEmployee> for EmployeeView {
    fn from(e: &DirectoryEmployee) -> Self {
        EmployeeView {
            personio_id: Some(e.key.0),
            import_id: None,
            email: e.email.clone(),
            first_name: e.first_name.clone(),
            last_name: e.last_name.clone(),
            department: e.department.clone(),
            office: e.office.clone(),
            team: e.team.clone(),
            position: e.position.clone(),
            status: e.status.clone(),
            hire_date: e.hire_date.map(format_date),
            termination_date: e.termination_date.map(format_date),
            supervisor_personio_id: Some(e.supervisor_key.map(|p| p.0)),
            supervisor_import_id: None,
            attributes: e
                .attributes
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            groups: e.groups.iter().map(GroupKeyView::from).collect(),
        }
    }
}

/// A list of employees.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployeeList {
    /// Employees in this answer (on a page: on this page).
    pub count: usize,
    pub employees: Vec<EmployeeView>,
    /// With `limit` or `cursor`: the cursor of the next page (`null` on the last page).
    /// Absent without paging.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<Option<String>>,
}

impl EmployeeList {
    pub fn new(employees: Vec<EmployeeView>) -> Self {
        EmployeeList {
            count: employees.len(),
            employees,
            next_cursor: None,
        }
    }

    /// A page of employees and the next page's cursor (see [`EmployeeList::next_cursor`]).
    pub fn page(employees: Vec<EmployeeView>, next_cursor: Option<Option<String>>) -> Self {
        EmployeeList {
            next_cursor,
            ..EmployeeList::new(employees)
        }
    }
}

/// A group with its member count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    pub id: i64,
    #[serde(flatten)]
    pub group: GroupKeyView,
    pub member_count: i64,
    /// Fewer members than the anonymity threshold: survey results cannot be shown for it.
    pub below_anonymity_threshold: bool,
}

impl GroupView {
    pub fn new(g: &GroupSummary, anonymity_threshold: usize) -> Self {
        GroupView {
            id: g.id,
            group: GroupKeyView::from(&GroupKey::new(g.kind, g.name.clone())),
            member_count: g.member_count,
            below_anonymity_threshold: usize::try_from(g.member_count)
                .map_or(true, |n| n < anonymity_threshold),
        }
    }
}

/// The account's groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub groups: Vec<GroupView>,
    /// With `limit` or `cursor`: the cursor of the next page (`null` on the last page).
    /// Absent without paging.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<Option<String>>,
}

/// A group and its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupMembers {
    pub group: GroupView,
    /// Members in this answer (on a page: on this page).
    pub count: usize,
    pub employees: Vec<EmployeeView>,
    /// With `limit` or `cursor`: the cursor of the next page (`null` on the last page).
    /// Absent without paging.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<Option<String>>,
}

/// Who wrote a piece of feedback (while they are in the directory).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackAuthor {
    /// Personio accounts: the author's Personio id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personio_id: Option<i64>,
    /// File accounts: the author's `ImportId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl From<&DirectoryEmployee> for FeedbackAuthor {
    fn from(e: &DirectoryEmployee) -> Self {
        FeedbackAuthor {
            personio_id: Some(e.key.0),
            import_id: None,
            email: e.email.clone(),
            first_name: e.first_name.clone(),
            last_name: e.last_name.clone(),
        }
    }
}

/// One piece of feedback.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackView {
    pub id: i64,
    pub body: String,
    /// RFC 3339.
    #[schema(example = "2026-06-15T09:30:00Z")]
    pub created_at: String,
    /// `null` once the author has been removed from the directory (erased).
    pub author: Option<FeedbackAuthor>,
    /// The author's groups when the feedback was written (kept after erasure).
    pub groups: Vec<GroupKeyView>,
}

impl FeedbackView {
    /// `author` is the author's directory entry, if they are still in the directory.
    pub fn new(f: &Feedback, author: Option<&DirectoryEmployee>) -> Self {
        FeedbackView {
            id: f.id,
            body: f.body.clone(),
            created_at: rfc3339(f.created_at),
            author: f.author.and(author).map(FeedbackAuthor::from),
            groups: f.groups.iter().map(GroupKeyView::from).collect(),
        }
    }
}

/// The account's feedback, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackList {
    pub feedback: Vec<FeedbackView>,
    /// With `limit` or `cursor`: the cursor of the next page (`null` on the last page).
    /// Absent without paging.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<Option<String>>,
}

/// A sync run in numbers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    pub id: i64,
    /// `full` or `dry_run`.
    pub kind: String,
    /// `running`, `applied`, `failed`, `held`, `dry_run`, `interrupted`, `rejected`.
    pub status: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339; `null` while running.
    pub finished_at: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub removed: i64,
    pub skipped: i64,
    pub unchanged: i64,
    pub skipped_by_reason: BTreeMap<String, i64>,
    pub warnings: Vec<String>,
    /// Why it failed, in stable English words (never a remote server's text).
    pub error: Option<String>,
    /// Why it failed, as a machine code: `attribute_unreadable`, `credential_rejected`,
    /// `source_unavailable`, `source_rate_limited`, `source_inconsistent`,
    /// `source_refused`, `source_address`, `timed_out`, `not_connected`, `wrong_source`,
    /// `internal`; `null` when it did not fail or failed before codes were recorded.
    pub error_code: Option<String>,
    /// Set when the deletion guard held the run: who would have been removed.
    #[schema(value_type = Option<Object>)]
    pub held: Option<serde_json::Value>,
}

impl From<&RunSummary> for RunView {
    fn from(r: &RunSummary) -> Self {
        RunView {
            id: r.id.0,
            kind: r.kind.as_str().to_owned(),
            status: r.status.as_str().to_owned(),
            started_at: rfc3339(r.started_at),
            finished_at: r.finished_at.map(rfc3339),
            created: r.created,
            updated: r.updated,
            removed: r.removed,
            skipped: r.skipped,
            unchanged: r.unchanged,
            skipped_by_reason: r.skipped_by_reason.clone(),
            warnings: r.warnings.clone(),
            error: r.error.clone(),
            error_code: r
                .failure
                .as_ref()
                .filter(|f| **f != staffsync_core::RunFailure::Unknown)
                .map(|f| f.code().to_owned()),
            held: r.held.as_ref().and_then(|h| serde_json::to_value(h).ok()),
        }
    }
}

/// The account's runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunList {
    pub runs: Vec<RunView>,
    /// With `limit` or `cursor`: the cursor of the next page (`null` on the last page).
    /// Absent without paging.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<Option<String>>,
}

/// One person's part in a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunChangeView {
    /// The Personio id (an account that takes employee files: its internal person key).
    pub personio_id: i64,
    /// File accounts: the person's `ImportId`, while they are in the directory or the
    /// last imported file (an erased person's is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
    /// `create`, `update`, `remove`, `skip` or `keep` (someone an admin kept by
    /// rejecting a review, not removed; `detail` says why they would have been).
    pub action: String,
    /// What changed; for a held run's removals, why (`{"reason": "not_listed"}`,
    /// `{"reason": "excluded", "rule": …}`); `null` once the person has been erased
    /// (so for every applied removal).
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

impl From<&RunChange> for RunChangeView {
    fn from(c: &RunChange) -> Self {
        RunChangeView {
            personio_id: c.key.0,
            import_id: None,
            action: c.action.clone(),
            detail: c.detail.clone(),
        }
    }
}

/// A run with its per-employee changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDetail {
    pub run: RunView,
    pub changes: Vec<RunChangeView>,
}

/// Answer to `POST /sync`: `{"queued": true}`, or, when a sync of the account was
/// already queued or running, `{"queued": true, "already_queued": true, "run_id": N}`
/// (`run_id` only when it is running).
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncQueued {
    pub queued: bool,
    /// A sync was already queued or running: no second one was queued.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_queued: bool,
    /// The run already running, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<i64>,
}

/// `t` as RFC 3339, as every answer shows times.
pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Answer to `POST /imports` (and `staffsync import --json`): the run's numbers, the
/// rows left out, and the people behind the numbers, named by `ImportId`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportAnswer {
    pub run_id: i64,
    /// `applied`, `dry_run` (nothing changed) or `held` (the deletion guard stopped it:
    /// nothing changed).
    pub result: String,
    /// The day the file was planned for, `YYYY-MM-DD` (hire and termination dates).
    pub today: String,
    /// Rows read without errors.
    pub rows: usize,
    pub creates: usize,
    pub updates: usize,
    pub removals: usize,
    /// People of the file who are not in the directory and why (not started yet, left,
    /// out of scope, their row had an error, …).
    pub skipped: usize,
    pub unchanged: usize,
    /// People who stay themselves under a new `ImportId` (their old entry gave up its
    /// e-mail address to a new `ImportId` in this file): counted among `updates`, each
    /// with an `import_id` change.
    pub rekeys: usize,
    /// Set when the deletion guard held the run: `{removing, directory_size}`, and
    /// `rekeying` when it held the run for too many new `ImportId`s.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub held: Option<serde_json::Value>,
    /// The rows left out: each is reported and protects the person its `ImportId` names.
    pub row_errors: Vec<RowErrorView>,
    /// Rows applied with a value left out: a `ReportsToId` that names nobody in the file
    /// (the row applied without a manager).
    pub row_warnings: Vec<RowErrorView>,
    pub warnings: Vec<String>,
    pub people: ImportPeople,
}

/// A row of the file left out, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowErrorView {
    /// The spreadsheet's row number (the header is row 1).
    pub row: usize,
    /// The column as named in the file's header.
    pub column: String,
    /// The row's `ImportId`, when it has a usable one.
    pub import_id: Option<String>,
    pub message: String,
}

impl From<&employee_file::RowError> for RowErrorView {
    fn from(e: &employee_file::RowError) -> Self {
        RowErrorView {
            row: e.row,
            column: e.column.clone(),
            import_id: e.import_id.clone(),
            message: e.message.clone(),
        }
    }
}

/// The people behind [`ImportAnswer`]'s numbers.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportPeople {
    pub creates: Vec<ImportPerson>,
    pub updates: Vec<ImportPerson>,
    pub removals: Vec<ImportPerson>,
    pub skips: Vec<ImportPerson>,
    /// Everyone the import keeps under a new `ImportId` (held or applied), each with the
    /// change `{"field": "import_id", "before", "after"}`.
    pub rekeys: Vec<ImportPerson>,
}

/// One person of an import.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportPerson {
    /// `null` only for a skipped row without a usable `ImportId`.
    pub import_id: Option<String>,
    /// First and last name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Updates: `[{field, before, after}]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub changes: Option<serde_json::Value>,
    /// Removals and skips: `{"reason": "not_listed" | "not_started" | "malformed" | …, …}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub why: Option<serde_json::Value>,
}

impl ImportAnswer {
    /// The answer for `report` (a [`run_import`](staffsync_engine::run::run_import)
    /// report). `before` holds the account's `ImportId`s and `names` its people's names as
    /// they were before the run (people removed are erased by now).
    pub fn new(
        report: &staffsync_engine::run::SyncReport,
        before: &HashMap<PersonKey, String>,
        names: &HashMap<PersonKey, String>,
    ) -> Self {
        let plan = &report.plan;
        let empty = staffsync_engine::run::ImportDetails::default();
        let import = report.import.as_ref().unwrap_or(&empty);
        let id_of = |key: PersonKey| {
            import
                .import_ids
                .get(&key)
                .or_else(|| before.get(&key))
                .cloned()
        };
        let person = |key: PersonKey| ImportPerson {
            import_id: id_of(key),
            name: names.get(&key).cloned(),
            email: None,
            changes: None,
            why: None,
        };
        let people = ImportPeople {
            creates: plan
                .creates
                .iter()
                .map(|e| ImportPerson {
                    name: Some(format!("{} {}", e.first_name, e.last_name)),
                    email: Some(e.email.clone()),
                    ..person(e.key)
                })
                .collect(),
            updates: plan
                .updates
                .iter()
                .map(|u| {
                    let key = u.after.key;
                    let mut changes = to_json(&u.changes);
                    // A re-key is a change of the person's ImportId, listed first.
                    let rekeyed = plan.rekeys.iter().find(|r| r.to == key);
                    if let (Some(r), Some(serde_json::Value::Array(list))) = (rekeyed, &mut changes)
                    {
                        list.insert(
                            0,
                            serde_json::json!({
                                "field": "import_id",
                                "before": id_of(r.from),
                                "after": id_of(key),
                            }),
                        );
                    }
                    ImportPerson {
                        name: Some(format!("{} {}", u.after.first_name, u.after.last_name)),
                        changes,
                        ..person(key)
                    }
                })
                .collect(),
            removals: plan
                .removals
                .iter()
                .map(|r| ImportPerson {
                    why: to_json(&r.reason),
                    ..person(r.key)
                })
                .collect(),
            skips: plan
                .skips
                .iter()
                .map(|s| ImportPerson {
                    why: to_json(&s.reason),
                    ..s.key.map(person).unwrap_or_default()
                })
                .collect(),
            rekeys: plan
                .rekeys
                .iter()
                .map(|r| ImportPerson {
                    // Named as the directory knew them (under the old key).
                    name: names.get(&r.from).cloned(),
                    changes: Some(serde_json::json!([{
                        "field": "import_id",
                        "before": id_of(r.from),
                        "after": id_of(r.to),
                    }])),
                    ..person(r.to)
                })
                .collect(),
        };
        ImportAnswer {
            run_id: report.run_id.0,
            result: match report.result {
                staffsync_engine::run::SyncResult::Applied => "applied",
                staffsync_engine::run::SyncResult::DryRun => "dry_run",
                staffsync_engine::run::SyncResult::Held => "held",
            }
            .to_owned(),
            today: report.today.clone(),
            rows: report.fetched,
            creates: plan.creates.len(),
            updates: plan.updates.len(),
            removals: plan.removals.len(),
            skipped: plan.skips.len(),
            unchanged: plan.unchanged,
            rekeys: plan.rekeys.len(),
            held: plan.held.and_then(|h| serde_json::to_value(h).ok()),
            row_errors: import.row_errors.iter().map(RowErrorView::from).collect(),
            row_warnings: import.row_warnings.iter().map(RowErrorView::from).collect(),
            warnings: plan
                .warnings
                .iter()
                .map(|w| import_warning(w, &id_of))
                .collect(),
            people,
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// A plan's warning in an import's words: the file's columns, people by `ImportId`.
fn import_warning(
    w: &staffsync_core::Warning,
    id_of: &dyn Fn(PersonKey) -> Option<String>,
) -> String {
    use staffsync_core::Warning;
    match w {
        Warning::AttributeNotReadable { attribute } => {
            let (column, rule) = match attribute.as_str() {
                "hire_date" => ("HireDate", "nobody waits for a start date"),
                "termination_date" => (
                    "TerminationDate",
                    "people who leave go when they are no longer in the file",
                ),
                "status" => ("Status", "everyone in it counts as active"),
                other => (other, "a rule that depends on it cannot be applied"),
            };
            format!("the file has no {column} column, so {rule}")
        }
        Warning::SupervisorCycle { ids } => {
            let ids: Vec<String> = ids
                .iter()
                .map(|k| id_of(*k).unwrap_or_else(|| k.to_string()))
                .collect();
            format!(
                "the ReportsToId of {} form a cycle, so they are in no \"all reports\" group \
                 through it (fix ReportsToId in the file)",
                ids.join(", ")
            )
        }
        other => other.to_string(),
    }
}
