//! Preparing listed records one at a time, so a full sync never holds a listing twice.
//!
//! Everything the planner decides about one record on its own (its eligibility, its
//! e-mail key, its normalized directory record) depends only on the record and on
//! [`Rules`] known before the fetch starts: the readable attributes, the policy (with its
//! scope rules) and today.
//! [`prepare`] does that work, so a sync can prepare each page as it arrives and drop the
//! raw records at once; [`super::plan_prepared`] then decides what needs the whole
//! listing (malformed and duplicate ids, e-mail conflicts, supervisor links, reporting
//! lines, removals).
//! [`prepare_against`] also compares the record with the directory's record for the same
//! id, when it is known by then, and builds no record for someone unchanged.
//!
//! This module must never look at more than one listed record at a time (and at most the
//! one stored record with its id): anything that depends on other records belongs to the
//! planner proper.

use super::eligibility::{Readable, check};
use super::normalize::View;
use super::scope::ScopeRules;
use crate::directory::DirectoryEmployee;
use crate::employee::SourceEmployee;
use crate::ids::{Email, PersonKey};
use crate::plan::{MalformedEmployee, Policy, SkipReason};
use std::borrow::Cow;
use std::collections::BTreeSet;
use time::Date;

/// What a plan is made under: the credential's readable attributes, the account's policy
/// and today (and the policy's scope rules, compiled).
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub readable: Readable,
    pub policy: Policy,
    pub today: Date,
    scope: ScopeRules,
}

impl Rules {
    pub fn new(readable_attributes: &BTreeSet<String>, policy: &Policy, today: Date) -> Self {
        Rules {
            readable: Readable::from_keys(readable_attributes),
            policy: policy.clone(),
            today,
            scope: ScopeRules::new(&policy.settings.scope),
        }
    }
}

/// One listed record, prepared by [`prepare`].
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub id: PersonKey,
    pub(crate) verdict: Verdict,
}

// The record is boxed: in a re-sync nearly every record is `Same`, and a listing of
// 100,000 unboxed verdicts took 35 MB of room for records that were never built (one
// allocation per built record is cheap beside the strings inside it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    Eligible {
        /// The directory record, without a supervisor and reporting-line groups (the
        /// planner sets them once it knows who is in the directory).
        record: Box<DirectoryEmployee>,
        supervisor: Option<PersonKey>,
        /// The e-mail key when it differs from `record.email` (upper case in the address).
        key: Option<Box<str>>,
    },
    /// Eligible, and the record it makes equals the directory's record for this id apart
    /// from `supervisor_personio_id` and the reporting-line groups (set later, from the
    /// whole plan): only
    /// [`prepare_against`] decides this, and the plan is made against the same
    /// directory. No record is built: at 100,000 people, most unchanged, building and
    /// dropping them was most of a re-sync's plan (and of its memory).
    Same {
        supervisor: Option<PersonKey>,
        /// As for `Eligible`; `None`: the directory record's e-mail is its own key.
        key: Option<Box<str>>,
    },
    Ineligible(SkipReason),
}

impl Verdict {
    /// The address key of an eligible record (compared ignoring case); `known` is the
    /// directory's record for the id (needed for `Same`).
    pub(crate) fn key<'a>(&'a self, known: Option<&'a DirectoryEmployee>) -> Option<&'a str> {
        match self {
            Verdict::Eligible { record, key, .. } => Some(key.as_deref().unwrap_or(&record.email)),
            Verdict::Same { key, .. } => key.as_deref().or(known.map(|d| d.email.as_str())),
            Verdict::Ineligible(_) => None,
        }
    }

    pub(crate) fn is_eligible(&self) -> bool {
        matches!(self, Verdict::Eligible { .. } | Verdict::Same { .. })
    }

    /// The supervisor Personio names for an eligible record.
    pub(crate) fn supervisor(&self) -> Option<PersonKey> {
        match self {
            Verdict::Eligible { supervisor, .. } | Verdict::Same { supervisor, .. } => *supervisor,
            Verdict::Ineligible(_) => None,
        }
    }
}

/// Prepares one listed record under `rules` (see the module docs).
pub fn prepare(employee: &SourceEmployee, rules: &Rules) -> Prepared {
    prepare_against(employee, rules, None)
}

/// [`prepare`], compared with `known`, the directory's record for the same id: when the
/// record would equal it (apart from the supervisor link) no record is built, only the
/// note that it is unchanged. Plan the result with [`super::plan_prepared`] against the
/// directory `known` comes from (such as a [`KnownDirectory`]'s), and no other: the plan
/// takes the record from there.
pub fn prepare_against(
    employee: &SourceEmployee,
    rules: &Rules,
    known: Option<&DirectoryEmployee>,
) -> Prepared {
    // Scope first: someone the account leaves out is nobody's concern, whatever else is
    // wrong with their record (and never a known future hire).
    let checked = match rules.scope.out_of_scope(employee) {
        Some(rule) => Err(SkipReason::Excluded { rule }),
        None => check(employee, rules.readable, &rules.policy, rules.today),
    };
    let verdict = match checked {
        Ok(email) => {
            let key = match Email::key_of(email) {
                Cow::Borrowed(_) => None,
                Cow::Owned(key) => Some(key.into_boxed_str()),
            };
            let view = View::new(employee, &rules.policy, rules.today);
            match known {
                Some(d) if d.key == employee.id && view.same_as(d) => Verdict::Same {
                    key,
                    supervisor: employee.supervisor_id,
                },
                _ => Verdict::Eligible {
                    key,
                    record: Box::new(view.into_record(None)),
                    supervisor: employee.supervisor_id,
                },
            }
        }
        Err(reason) => Verdict::Ineligible(reason),
    };
    Prepared {
        id: employee.id,
        verdict,
    }
}

/// A listing prepared record by record: the input of [`super::plan_prepared`].
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedSnapshot {
    /// The listed records, each prepared under `rules`, in any order.
    pub records: Vec<Prepared>,
    /// As [`crate::Snapshot::malformed`].
    pub malformed: Vec<MalformedEmployee>,
    /// As [`crate::Snapshot::complete`].
    pub complete: bool,
    /// As [`crate::Snapshot::scope`].
    pub scope: Option<BTreeSet<PersonKey>>,
    /// What the records were prepared under; the plan is made under the same rules.
    pub rules: Rules,
}

/// A directory loaded for planning, indexed by Personio id, for [`prepare_against`] while
/// a listing is still arriving; plan with [`KnownDirectory::people`].
#[derive(Debug, Default)]
pub struct KnownDirectory {
    people: Vec<DirectoryEmployee>,
    by_id: foldhash::HashMap<PersonKey, usize>,
}

impl KnownDirectory {
    pub fn new(people: Vec<DirectoryEmployee>) -> Self {
        let by_id = people.iter().enumerate().map(|(i, d)| (d.key, i)).collect();
        KnownDirectory { people, by_id }
    }

    /// The directory's record for `id`.
    pub fn get(&self, id: PersonKey) -> Option<&DirectoryEmployee> {
        self.by_id.get(&id).and_then(|&i| self.people.get(i))
    }

    pub fn people(&self) -> &[DirectoryEmployee] {
        &self.people
    }
}
