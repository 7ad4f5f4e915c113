//! The planner's input ([`Snapshot`], [`Policy`]) and output ([`Plan`]).
//!
//! A plan is a complete, explainable decision: every person Personio listed or the
//! directory holds appears in exactly one of creates, updates, removals, skips,
//! `kept_unlisted` or the unchanged count, with a reason where they are not simply mirrored.
//! A skip of someone in the directory means they stay exactly as they are.

use crate::directory::{DirectoryEmployee, GroupKey};
use crate::employee::SourceEmployee;
use crate::field::Field;
use crate::ids::PersonKey;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::Date;

/// An employee record Personio sent that could not be parsed. Its id, when known, protects
/// the person from removal: we cannot tell whether they are still employed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MalformedEmployee {
    pub id: Option<PersonKey>,
    pub reason: String,
}

/// What Personio said, as far as the client could read it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub employees: Vec<SourceEmployee>,
    pub malformed: Vec<MalformedEmployee>,
    /// Attribute keys the credential may read (from `/attributes`). Decides whether an
    /// absent hire or termination date means "none" or "we cannot know".
    pub readable_attributes: BTreeSet<String>,
    /// False when the listing was not read to the end or was inconsistent. The planner
    /// never removes anyone from an incomplete snapshot.
    pub complete: bool,
    /// `Some(ids)` for a targeted run: only directory people and records with these ids
    /// are planned; everyone else in the directory stays as they are (they still hold
    /// their e-mail addresses and can be supervisors). `None`: everyone (a full run).
    #[serde(default)]
    pub scope: Option<BTreeSet<PersonKey>>,
}

impl Snapshot {
    /// Whether `id` is planned by this snapshot (always, without a scope).
    pub fn in_scope(&self, id: PersonKey) -> bool {
        self.scope.as_ref().is_none_or(|s| s.contains(&id))
    }
}

pub use crate::settings::DeletionGuard;

/// Per-account choices that shape the plan: the admin's [`Settings`], and for one run the
/// removals they reviewed. Serialized as the settings alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Policy {
    pub settings: Settings,
    /// The removals an admin reviewed and accepted for this run (those of the held run
    /// they looked at). The guard lets a plan through only when every one of its removals
    /// is among them: accepting never approves a removal nobody saw. Per run, never
    /// stored with the account.
    #[serde(skip)]
    pub accepted_removals: Option<BTreeSet<PersonKey>>,
    /// The re-keys (old id, new id) an admin reviewed and accepted for this run, with
    /// `accepted_removals` (from the same held run): a plan held for its re-keys goes
    /// through only when every one of them is among these. Per run, never stored.
    #[serde(skip)]
    pub accepted_rekeys: Option<BTreeSet<(PersonKey, PersonKey)>>,
    /// People an admin kept by rejecting a held run, with the reason they were kept
    /// against: while that is still why a plan would remove them, they are neither
    /// removed nor held but listed in [`Plan::kept`]. Stored by the store, read per run.
    #[serde(skip)]
    pub kept: BTreeMap<PersonKey, RemovalReason>,
}

impl From<Settings> for Policy {
    fn from(settings: Settings) -> Self {
        Policy {
            settings,
            accepted_removals: None,
            accepted_rekeys: None,
            kept: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// Whether every removal of `removals` was reviewed and accepted.
    pub fn accepts<'a>(&self, mut removals: impl Iterator<Item = &'a PersonKey>) -> bool {
        self.accepted_removals
            .as_ref()
            .is_some_and(|accepted| removals.all(|id| accepted.contains(id)))
    }

    /// Whether every re-key of `rekeys` was reviewed and accepted.
    pub fn accepts_rekeys<'a>(&self, mut rekeys: impl Iterator<Item = &'a Rekey>) -> bool {
        self.accepted_rekeys
            .as_ref()
            .is_some_and(|accepted| rekeys.all(|r| accepted.contains(&(r.from, r.to))))
    }
}

/// Why someone listed by Personio is not (or no longer) in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// Hire date (a calendar date) is after today.
    NotStarted {
        #[serde(with = "crate::dates::ymd")]
        hire_date: Date,
    },
    /// Termination date is before today (the termination day itself is still in).
    Terminated {
        #[serde(with = "crate::dates::ymd")]
        termination_date: Date,
    },
    /// Status other than `active` (or `leave` when the account keeps those). `""` when the
    /// status is readable but empty.
    Status {
        status: String,
    },
    /// First name, last name or e-mail missing.
    MissingField {
        field: String,
    },
    InvalidEmail,
    /// Another person has this e-mail (compared ignoring case): `other` is the one who keeps
    /// it (the claimant already in the directory, or a directory person kept as they are),
    /// or, when nobody may keep it, another claimant (all of them are skipped).
    DuplicateEmail {
        other: PersonKey,
    },
    /// Personio sent a record we could not read.
    Malformed {
        detail: String,
    },
    /// Out of the account's scope: `rule` says which rule, in words
    /// (`exclude employment_type = external`; see [`crate::planner::scope`]).
    Excluded {
        rule: String,
    },
}

impl SkipReason {
    /// A short stable code, for counts and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::NotStarted { .. } => "not_started",
            SkipReason::Terminated { .. } => "terminated",
            SkipReason::Status { .. } => "status",
            SkipReason::MissingField { .. } => "missing_field",
            SkipReason::InvalidEmail => "invalid_email",
            SkipReason::DuplicateEmail { .. } => "duplicate_email",
            SkipReason::Malformed { .. } => "malformed",
            SkipReason::Excluded { .. } => "excluded",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    /// The person's key, when their record had one that could be read.
    #[serde(rename = "personio_id")]
    pub key: Option<PersonKey>,
    #[serde(flatten)]
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RemovalReason {
    /// Personio no longer lists them.
    NotListed,
    /// Listed, but no longer eligible.
    NoLongerEligible { because: SkipReason },
    /// Listed, but out of the account's scope: `rule` says which rule, in words.
    Excluded { rule: String },
}

impl RemovalReason {
    /// Why someone in the directory whose record is `skip` is removed.
    pub fn of(skip: SkipReason) -> RemovalReason {
        match skip {
            SkipReason::Excluded { rule } => RemovalReason::Excluded { rule },
            because => RemovalReason::NoLongerEligible { because },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    #[serde(rename = "personio_id")]
    pub key: PersonKey,
    #[serde(flatten)]
    pub reason: RemovalReason,
}

/// One field of a person that changes; values as text, `None` for empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: Field,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    pub after: DirectoryEmployee,
    pub changes: Vec<FieldChange>,
}

/// Something the admin should know that does not stop the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum Warning {
    /// The credential cannot read this attribute, so a rule depending on it cannot be applied.
    AttributeNotReadable { attribute: String },
    /// The listing was incomplete, so nobody was removed.
    IncompleteListing,
    /// These people's supervisors form a cycle in Personio (A reports to B, B to A): they
    /// get no `reports_all` groups through it. Sorted ids, one warning per cycle.
    SupervisorCycle { ids: Vec<PersonKey> },
}

/// The deletion guard stopped this plan: too many removals, or too many re-keys
/// ([`Plan::rekeys`]; see [`crate::planner::rekey`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub removing: usize,
    pub directory_size: usize,
    /// How many people the plan re-keys (written only when some are).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rekeying: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Someone in the directory who stays themselves under a new source id (a rehire's new
/// Personio profile, a regenerated `ImportId`): their directory entry (its row, feedback
/// and group history) changes its key from `from` to `to`. The plan's update for `to`
/// (always present, with no changes when only the key changes) is their record after
/// the run. See [`crate::planner::rekey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rekey {
    pub from: PersonKey,
    pub to: PersonKey,
}

/// The planner's decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub creates: Vec<DirectoryEmployee>,
    pub updates: Vec<Update>,
    pub removals: Vec<Removal>,
    /// Directory people who keep their entry under a new id, sorted by `from`: each
    /// `to` has an update (applied after the key changed). Written only when there are
    /// some.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rekeys: Vec<Rekey>,
    /// Listed records not mirrored, and why. Someone in the directory with a skip (a
    /// malformed record, an e-mail conflict, or ineligible in an incomplete listing) stays
    /// exactly as they are.
    pub skips: Vec<Skip>,
    /// Eligible people whose directory record is already right.
    pub unchanged: usize,
    /// Directory people the (incomplete) listing did not include: kept as they are, since
    /// an incomplete listing removes nobody.
    #[serde(default)]
    pub kept_unlisted: Vec<PersonKey>,
    pub warnings: Vec<Warning>,
    /// `Some` when the deletion guard holds the plan: nothing may be applied.
    pub held: Option<Hold>,
    /// Known future hires: the people skipped as [`SkipReason::NotStarted`], with their
    /// hire dates, by id. The store keeps them so the daily date check brings each in on
    /// their hire date. Read with a default (plans written before it have none) and not
    /// written: the skips already show these people in `sync --json` and previews.
    #[serde(default, skip_serializing)]
    pub pending_hires: Vec<(PersonKey, Date)>,
    /// People an admin kept ([`Policy::kept`]) whom the plan would remove for the reason
    /// they were kept against: they stay exactly as they are, outside the guard's count.
    /// Written only when there are some.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Removal>,
    /// Kept people whose reason no longer applies (listed and eligible again, removed
    /// for another reason now, or gone from the directory): the store forgets that they
    /// were kept. Written only when there are some.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unkept: Vec<PersonKey>,
    /// What applying the plan does to groups (renamed, removed): decided by the planner
    /// ([`crate::planner::group_changes`]), applied by the store as it is.
    #[serde(default, skip_serializing_if = "GroupChanges::is_empty")]
    pub groups: GroupChanges,
}

/// What a plan does to the directory's groups besides memberships.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChanges {
    /// Groups that keep their id under a new name: each lost all its members to one new
    /// group of its kind with exactly those members.
    pub renamed: Vec<GroupRename>,
    /// Groups left without members, sorted.
    pub removed: Vec<GroupKey>,
}

impl GroupChanges {
    pub fn is_empty(&self) -> bool {
        self.renamed.is_empty() && self.removed.is_empty()
    }
}

/// A group that takes a new name and keeps its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRename {
    pub from: GroupKey,
    pub to: GroupKey,
}

impl Plan {
    /// True when applying this plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.creates.is_empty() && self.updates.is_empty() && self.removals.is_empty()
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::AttributeNotReadable { attribute } => {
                let rule = match attribute.as_str() {
                    "hire_date" => "people who have not started yet cannot be told apart",
                    "termination_date" => "people who have left cannot be recognised by date",
                    "status" => "people on leave or inactive cannot be recognised by status",
                    _ => "a rule that depends on it cannot be applied",
                };
                write!(
                    f,
                    "the Personio credential cannot read {attribute:?}, so {rule} \
                     (tick it under Settings → API credentials → Employees: read)"
                )
            }
            Warning::IncompleteListing => {
                f.write_str("Personio's listing was incomplete, so nobody was removed")
            }
            Warning::SupervisorCycle { ids } => {
                let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "the supervisors of {} form a cycle in Personio, so they are in no \
                     \"all reports\" group through it (fix the supervisor attribute in Personio)",
                    ids.join(", ")
                )
            }
        }
    }
}
