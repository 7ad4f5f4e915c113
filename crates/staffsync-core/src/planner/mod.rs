//! The planner: a pure function from (directory, snapshot, policy, today) to a [`Plan`].
//!
//! It does no I/O: no network, no files, no clock ("today" is a parameter). The same input
//! always gives the same plan, every list in it sorted by Personio id. [`plan`] is
//! [`prepare_against`] on each record (compared with the directory's record for its id,
//! so an unchanged person is not rebuilt) followed by [`plan_prepared`]; a full sync calls
//! the two itself, preparing records as their pages arrive ([`prepare`](mod@prepare)) and
//! comparing them once the directory has loaded. Either way gives the same plan.
//!
//! # Rules
//!
//! * **Identity** is the Personio id; the e-mail is just a field (a changed address is an
//!   update). One exception, **re-keying** ([`rekey`]): a directory person who gives up
//!   their address (not listed, ineligible, or listed under another address nobody
//!   else has or claims) while one new record takes it is the same person under the
//!   new id ([`Plan::rekeys`]; an update of the new id, their old id's record explained
//!   by the re-key). The plan is made against the directory so re-keyed.
//! * **Deletion guard for re-keys**: more than 5 % of the directory and at least 5
//!   people re-keyed at once hold the plan ([`Hold::rekeying`](crate::Hold)) until an
//!   admin accepts exactly those re-keys.
//! * **Normalization** ([`normalize()`]) and **groups** ([`groups()`], including the
//!   tenure band on `today`) turn a listed record into the directory record. Its
//!   `supervisor_personio_id` is set only when the supervisor is in the resulting
//!   directory.
//! * **Reporting lines** (when the settings turn them on): from the supervisor links of
//!   the resulting directory, every manager's `reports_direct` and `reports_all` groups
//!   (see [Reporting lines](#reporting-lines) below); a supervisor cycle adds
//!   [`Warning::SupervisorCycle`].
//! * **Scope** ([`scope`]): a record out of the account's scope rules is skipped with
//!   [`SkipReason::Excluded`] naming the rule, before anything else is checked; someone in
//!   the directory is then removed ([`RemovalReason::Excluded`]), counted by the guard.
//! * **Eligibility** ([`eligibility()`]) decides per record; then e-mail conflicts among
//!   eligible records are decided (see [`duplicates`]'s rules, summarized in
//!   [`SkipReason::DuplicateEmail`](crate::SkipReason)).
//! * **Malformed** records ([`Snapshot::malformed`], and ids listed more than once) are
//!   skipped with [`SkipReason::Malformed`]; someone in the directory with such an id stays
//!   exactly as they are (their skip is their only entry in the plan).
//! * **Diff**: an eligible record not in the directory is a create; one in it is an update
//!   when the record differs, else it is counted in [`Plan::unchanged`]. Someone in the
//!   directory who is listed but ineligible is removed ([`RemovalReason::NoLongerEligible`]),
//!   someone not listed is removed ([`RemovalReason::NotListed`]). Ineligible records not
//!   in the directory are skips.
//! * **Duplicate e-mails**: someone in the directory who loses an e-mail conflict is not
//!   removed (they are still employed; the data needs fixing): they are skipped with
//!   [`SkipReason::DuplicateEmail`] and stay as they are.
//! * **Incomplete listing** ([`Snapshot::complete`] false): nobody is removed. People not
//!   listed go to [`Plan::kept_unlisted`]; people listed but ineligible are skips and stay
//!   as they are. [`Warning::IncompleteListing`] is added.
//! * **Warnings**: [`Warning::AttributeNotReadable`] for each of `hire_date`,
//!   `termination_date`, `status` that the credential cannot read, on every plan.
//! * **Future hires**: the people skipped as not started yet, with their hire dates, are
//!   [`Plan::pending_hires`] (the store keeps them for the daily date check).
//! * **Deletion guard**: when removals exceed [`DeletionGuard::max_share`] of the
//!   directory and are at least [`DeletionGuard::min_people`], or would leave a non-empty
//!   directory empty (however small: an empty file or listing), and the admin did not
//!   accept exactly these removals, [`Plan::held`] is set. A held plan still lists
//!   everything, but only its creates and updates apply: the people it would remove (and
//!   the old keys of its re-keys, which are not made) are kept exactly as they are while
//!   it is planned, as a malformed record's person is, so hires and moves go through
//!   while the listed removals wait for the review. Which removals a plan has is known
//!   before anything else is decided ([`removal_ids`]), so the guard decides first.
//!
//! * **Scope** ([`Snapshot::scope`], targeted runs): only directory people and records
//!   (and malformed ids) in the scope are planned; the rules above apply to them as to a
//!   full run (an in-scope directory person not listed is removed only when the snapshot
//!   is complete). Everyone else in the directory is kept as they are: they hold their
//!   e-mail addresses in conflicts and count as present for supervisor links. The one
//!   exception keeps the directory consistent: an out-of-scope person whose derived
//!   fields change gets an update, as a full run would give them: clearing a
//!   `supervisor_personio_id` that names someone this plan removes, and new
//!   reporting-line groups when someone above them moved, came or went.
//!
//! # Reporting lines
//!
//! Everyone in the resulting directory is in `reports_direct` of their supervisor and in
//! `reports_all` of everyone above them, up to the top of their line; a supervisor
//! outside the resulting directory ends the line. Groups are named by the manager's
//! Personio id. People on a supervisor cycle keep their direct reports but get no
//! `reports_all` through the cycle. Directory people kept exactly as they are (malformed
//! records, losers of an e-mail conflict, people an incomplete listing keeps) count in
//! the lines of others with their stored supervisor, but their own groups stay as they
//! are until a plan updates them. The daily date check moves people between tenure and
//! age bands without a listing ([`tenure_plan`]).
//!
//! Every directory id and every listed id (within the scope, plus the out-of-scope
//! supervisor-link updates) is in exactly one of: creates, updates, removals, skips,
//! `kept_unlisted`, or the `unchanged` count.
//!
//! [`DeletionGuard::max_share`]: crate::DeletionGuard::max_share
//! [`DeletionGuard::min_people`]: crate::DeletionGuard::min_people
//! [`Snapshot::malformed`]: crate::Snapshot::malformed
//! [`Snapshot::complete`]: crate::Snapshot::complete
//! [`Snapshot::scope`]: crate::Snapshot::scope
//! [`SkipReason::Malformed`]: crate::SkipReason::Malformed
//! [`SkipReason::DuplicateEmail`]: crate::SkipReason::DuplicateEmail
//! [`RemovalReason::NoLongerEligible`]: crate::RemovalReason::NoLongerEligible
//! [`RemovalReason::NotListed`]: crate::RemovalReason::NotListed
//! [`RemovalReason::Excluded`]: crate::RemovalReason::Excluded
//! [`SkipReason::Excluded`]: crate::SkipReason::Excluded
//! [`Warning::SupervisorCycle`]: crate::Warning::SupervisorCycle
//! [`Warning::IncompleteListing`]: crate::Warning::IncompleteListing
//! [`Warning::AttributeNotReadable`]: crate::Warning::AttributeNotReadable
//! [`Plan::unchanged`]: crate::Plan::unchanged
//! [`Plan::kept_unlisted`]: crate::Plan::kept_unlisted
//! [`Plan::held`]: crate::Plan::held
//! [`Plan::rekeys`]: crate::Plan::rekeys

pub mod diff;
pub mod duplicates;
pub mod eligibility;
pub mod group_changes;
pub mod groups;
pub mod normalize;
pub mod prepare;
pub mod rekey;
mod reporting;
pub mod scope;
pub mod tenure;

pub use diff::{changes, groups_text};
pub use eligibility::{Readable, eligibility, is_eligible};
pub use groups::groups;
pub use normalize::{attributes, kept, minimize, normalize};
pub use prepare::{KnownDirectory, Prepared, PreparedSnapshot, Rules, prepare, prepare_against};
pub use scope::{ScopeRules, rule_text};
pub use tenure::{age_standing, tenure_group, tenure_plan};

use crate::directory::DirectoryEmployee;
use crate::ids::PersonKey;
use crate::plan::{
    Hold, Plan, Policy, Rekey, Removal, RemovalReason, Skip, SkipReason, Snapshot, Update, Warning,
};
use foldhash::HashMap;
use prepare::Verdict;
use reporting::{Lines, Scratch};
use std::collections::{BTreeMap, BTreeSet};
use time::Date;

/// Decides what a sync does (see the module docs for the rules).
///
/// Prepares every in-scope record ([`prepare()`]) and hands over to [`plan_prepared`]; a
/// full sync prepares records as their pages arrive and calls [`plan_prepared`] itself.
pub fn plan(
    directory: &[DirectoryEmployee],
    snapshot: &Snapshot,
    policy: &Policy,
    today: Date,
) -> Plan {
    let rules = Rules::new(&snapshot.readable_attributes, policy, today);
    let dir = index(directory);
    // Sized up front: grown by doubling, a list of 100,000 prepared records is copied
    // (and its fresh pages zeroed) over and over. Each record is compared with the
    // directory as it is prepared: an unchanged one is not built at all.
    let mut records = Vec::with_capacity(snapshot.employees.len());
    records.extend(
        snapshot
            .employees
            .iter()
            .filter(|e| snapshot.in_scope(e.id))
            .map(|e| prepare::prepare_against(e, &rules, dir.get(&e.id).copied())),
    );
    plan_indexed(
        directory,
        dir,
        PreparedSnapshot {
            records,
            malformed: snapshot.malformed.clone(),
            complete: snapshot.complete,
            scope: snapshot.scope.clone(),
            rules,
        },
    )
}

/// Decides what a sync does from records prepared one by one (see the module docs for the
/// rules, and [`prepare`](mod@prepare) for the split): the same plan as [`plan`] for the
/// same records. Takes the snapshot by value: creates and updates move their prepared
/// record into the plan instead of copying it.
pub fn plan_prepared(directory: &[DirectoryEmployee], snapshot: PreparedSnapshot) -> Plan {
    plan_indexed(directory, index(directory), snapshot)
}

/// The directory by Personio id.
fn index(directory: &[DirectoryEmployee]) -> HashMap<PersonKey, &DirectoryEmployee> {
    directory.iter().map(|d| (d.key, d)).collect()
}

/// [`plan_prepared`] with the directory already indexed (`dir`, from [`index`]): records
/// prepared as `Same` were compared with these very records. Re-keys ([`rekey`]) are
/// found first; the plan is then made against the directory re-keyed.
fn plan_indexed<'d>(
    directory: &'d [DirectoryEmployee],
    dir: HashMap<PersonKey, &'d DirectoryEmployee>,
    snapshot: PreparedSnapshot,
) -> Plan {
    let rekeys = rekey::find(&dir, &snapshot);
    if rekeys.is_empty() {
        return plan_keyed(directory, dir, snapshot, Vec::new(), Vec::new());
    }
    let policy = &snapshot.rules.policy;
    let rekeys_held =
        rekey::holds(rekeys.len(), directory.len()) && !policy.accepts_rekeys(rekeys.iter());
    let rekeyed = rekey::rewrite(directory, &rekeys);
    let rekeyed_dir = index(&rekeyed);
    if rekeys_held || removals_held_before_planning(&rekeyed_dir, &snapshot) {
        // A held plan applies no re-key (they wait with the removals for the review),
        // so it is made against the directory as it is, the old keys kept as they are.
        drop(rekeyed_dir);
        return plan_keyed(directory, dir, snapshot, Vec::new(), rekeys);
    }
    drop(dir);
    plan_keyed(&rekeyed, rekeyed_dir, snapshot, rekeys, Vec::new())
}

/// Whether the guard holds the removals of `snapshot` against `dir` (see
/// [`removal_ids`]), decided before planning: needed only when there are re-keys, to
/// choose the directory the plan is made against.
fn removals_held_before_planning(
    dir: &HashMap<PersonKey, &DirectoryEmployee>,
    snapshot: &PreparedSnapshot,
) -> bool {
    let in_scope = |id: &PersonKey| snapshot.scope.as_ref().is_none_or(|s| s.contains(id));
    let mut listed: Vec<(PersonKey, bool)> = snapshot
        .records
        .iter()
        .filter(|r| in_scope(&r.id))
        .map(|r| (r.id, r.verdict.is_eligible()))
        .collect();
    listed.sort_unstable_by_key(|(id, _)| *id);
    let mut malformed: BTreeSet<PersonKey> = snapshot
        .malformed
        .iter()
        .filter_map(|m| m.id)
        .filter(in_scope)
        .collect();
    malformed.extend(
        listed
            .windows(2)
            .filter(|pair| pair[0].0 == pair[1].0)
            .map(|pair| pair[0].0),
    );
    listed.dedup_by_key(|(id, _)| *id);
    listed.retain(|(id, _)| !malformed.contains(id));
    let mut removing = removal_ids(dir, snapshot.complete, in_scope, &listed, &malformed);
    // Approximate (kept for any reason): this only chooses the directory to plan against.
    removing.retain(|id| !snapshot.rules.policy.kept.contains_key(id));
    let creates = listed
        .iter()
        .any(|(id, eligible)| *eligible && !dir.contains_key(id));
    guard_trips(&snapshot.rules.policy, &removing, dir.len(), creates)
}

/// The directory people (in scope) a plan removes: with a complete listing, those not
/// listed and those listed as ineligible, never someone whose record was malformed.
/// `listed`: the well-formed listed ids, sorted, each with whether it is eligible. The
/// same set the plan's removals end up with, known before anything is decided, so that
/// a held plan can keep these people as they are while the rest of it applies.
fn removal_ids(
    dir: &HashMap<PersonKey, &DirectoryEmployee>,
    complete: bool,
    in_scope: impl Fn(&PersonKey) -> bool,
    listed: &[(PersonKey, bool)],
    malformed: &BTreeSet<PersonKey>,
) -> BTreeSet<PersonKey> {
    if !complete {
        return BTreeSet::new();
    }
    dir.keys()
        .copied()
        .filter(|id| in_scope(id) && !malformed.contains(id))
        .filter(|id| match listed.binary_search_by_key(id, |(l, _)| *l) {
            Ok(i) => !listed[i].1,
            Err(_) => true,
        })
        .collect()
}

/// Whether the deletion guard stops removing `removing` people from a directory of
/// `size` (`creates`: whether the plan creates anyone): beyond the share and the
/// minimum, or everyone (an empty file or listing is far likelier a mistake than a
/// company without staff), unless the admin accepted exactly these removals.
fn guard_trips(
    policy: &Policy,
    removing: &BTreeSet<PersonKey>,
    size: usize,
    creates: bool,
) -> bool {
    let guard = policy.settings.deletion_guard;
    let n = removing.len();
    let empties = n > 0 && n == size && !creates;
    let beyond_share = n >= guard.min_people && n as f64 > guard.max_share * size as f64;
    (beyond_share || empties) && !policy.accepts(removing.iter())
}

/// [`plan_indexed`] against the directory after `rekeys` (each `to` is in it already).
/// `waiting`: re-keys found but held, so not made: the plan is held, and their old keys
/// stay as they are with the held removals.
fn plan_keyed<'d>(
    directory: &'d [DirectoryEmployee],
    dir: HashMap<PersonKey, &'d DirectoryEmployee>,
    snapshot: PreparedSnapshot,
    rekeys: Vec<Rekey>,
    waiting: Vec<Rekey>,
) -> Plan {
    let rekeyed = |id: &PersonKey| !rekeys.is_empty() && rekeys.iter().any(|r| r.to == *id);
    let PreparedSnapshot {
        records,
        malformed: reported_malformed,
        complete,
        scope,
        rules,
    } = snapshot;
    let mut out = Plan::default();
    for attribute in rules.readable.missing() {
        out.warnings.push(Warning::AttributeNotReadable {
            attribute: attribute.to_owned(),
        });
    }
    if !complete {
        out.warnings.push(Warning::IncompleteListing);
    }

    // Malformed ids: reported as such, and ids listed more than once.
    let in_scope = |id: &PersonKey| scope.as_ref().is_none_or(|s| s.contains(id));
    let mut malformed: BTreeMap<PersonKey, String> = BTreeMap::new();
    for m in &reported_malformed {
        match m.id {
            Some(id) if !in_scope(&id) => {}
            Some(id) => {
                malformed.entry(id).or_insert_with(|| m.reason.clone());
            }
            None => out.skips.push(Skip {
                key: None,
                reason: SkipReason::Malformed {
                    detail: m.reason.clone(),
                },
            }),
        }
    }
    let policy = &rules.policy;
    let mut listed: Vec<Prepared> = records;
    listed.retain(|r| in_scope(&r.id));
    // Unstable: records with one id are all dropped below (listed more than once), so
    // their order does not matter; a stable sort would allocate scratch space for half
    // the records (16 MB at 100,000), fresh pages to fault in and zero on every plan.
    listed.sort_unstable_by_key(|r| r.id);
    for pair in listed.windows(2) {
        if pair[0].id == pair[1].id {
            malformed
                .entry(pair[0].id)
                .or_insert_with(|| "listed more than once".to_owned());
        }
    }
    listed.dedup_by_key(|r| r.id);
    let listed_ids: Vec<PersonKey> = listed.iter().map(|r| r.id).collect();
    let is_listed = |id: &PersonKey| listed_ids.binary_search(id).is_ok();

    // Per-record verdicts, in id order (malformed ids have none).
    listed.retain(|r| !malformed.contains_key(&r.id));
    // A held plan applies everything but its removals and re-keys: the people they name
    // are kept exactly as they are (holding their addresses, in the lines of others)
    // until an admin reviews them. Decided before planning, from the removals alone.
    let waiting_from: BTreeSet<PersonKey> = waiting.iter().map(|r| r.from).collect();
    let flags: Vec<(PersonKey, bool)> = listed
        .iter()
        .map(|r| (r.id, r.verdict.is_eligible()))
        .collect();
    let malformed_ids: BTreeSet<PersonKey> = malformed.keys().copied().collect();
    let mut removing = removal_ids(&dir, complete, in_scope, &flags, &malformed_ids);
    // People an admin kept, who would go for the reason they were kept against, stay
    // as they are, outside the guard's count; kept people whose reason changed (or who
    // are listed again, or gone) are kept no longer.
    let reason_of = |id: &PersonKey| match listed.binary_search_by_key(id, |r| r.id) {
        Ok(i) => match &listed[i].verdict {
            Verdict::Ineligible(skip) => Some(RemovalReason::of(skip.clone())),
            _ => None,
        },
        Err(_) => Some(RemovalReason::NotListed),
    };
    let mut kept_now: BTreeSet<PersonKey> = BTreeSet::new();
    for (id, reason) in &policy.kept {
        if !in_scope(id) {
            continue;
        }
        if removing.contains(id) && reason_of(id).as_ref() == Some(reason) {
            kept_now.insert(*id);
        } else if !dir.contains_key(id)
            || removing.contains(id)
            || flags
                .binary_search_by_key(id, |(l, _)| *l)
                .is_ok_and(|i| flags[i].1)
        {
            out.unkept.push(*id);
        }
    }
    removing.retain(|id| !kept_now.contains(id));
    let creates = flags
        .iter()
        .any(|(id, eligible)| *eligible && !dir.contains_key(id));
    drop(flags);
    let withheld: BTreeSet<PersonKey> =
        if !waiting.is_empty() || guard_trips(policy, &removing, directory.len(), creates) {
            removing.iter().chain(&waiting_from).copied().collect()
        } else {
            BTreeSet::new()
        };
    // The old key of a waiting re-key stays as it is, explained by its re-key: its
    // record (if still listed, under another address) is not planned.
    listed.retain(|r| !(waiting_from.contains(&r.id) && r.verdict.is_eligible()));
    let verdicts = listed;
    let verdict_of = |id: &PersonKey| {
        verdicts
            .binary_search_by_key(id, |r| r.id)
            .ok()
            .map(|i| &verdicts[i].verdict)
    };

    // Directory people kept as they are whatever the conflicts (out-of-scope people too).
    let mut retained: BTreeSet<PersonKey> = malformed
        .keys()
        .copied()
        .filter(|id| dir.contains_key(id))
        .chain(dir.keys().copied().filter(|id| !in_scope(id)))
        .chain(withheld.iter().copied())
        .chain(kept_now.iter().copied())
        .collect();
    if !complete {
        for id in dir.keys().filter(|id| in_scope(id)) {
            let stays = match verdict_of(id) {
                None => !malformed.contains_key(id),
                Some(v) => !v.is_eligible(),
            };
            if stays {
                retained.insert(*id);
            }
        }
    }

    let claims: Vec<(PersonKey, &str)> = verdicts
        .iter()
        .filter_map(|r| {
            r.verdict
                .key(dir.get(&r.id).copied())
                .map(|key| (r.id, key))
        })
        .collect();
    let losers = duplicates::resolve(&claims, &dir, &retained);
    drop(claims);

    // Who is in the resulting directory: winners, and retained people (including losers in
    // the directory). Computed before the records move into the plan.
    // A flag per verdict (ids sorted) rather than a set of ids: hashing 100,000 ids into a
    // set cost a plan ~8 ms more.
    let winners: Vec<bool> = verdicts
        .iter()
        .map(|r| {
            r.verdict.is_eligible() && (!losers.contains_key(&r.id) || dir.contains_key(&r.id))
        })
        .collect();
    let verdict_ids: Vec<PersonKey> = verdicts.iter().map(|r| r.id).collect();
    let in_result = |id: &PersonKey| {
        retained.contains(id) || verdict_ids.binary_search(id).is_ok_and(|i| winners[i])
    };
    // Reporting lines need everyone in the resulting directory with the supervisor
    // their record will carry: winners as listed (a loser in the directory keeps their
    // record), retained people as they are.
    let lines = policy.settings.groups.reporting_lines.then(|| {
        let mut people = Vec::with_capacity(verdicts.len() + retained.len());
        for (r, _) in verdicts.iter().zip(&winners).filter(|(_, w)| **w) {
            let supervisor = match (losers.contains_key(&r.id), dir.get(&r.id)) {
                (true, Some(d)) => d.supervisor_key,
                _ => r.verdict.supervisor(),
            };
            people.push((r.id, supervisor));
        }
        people.extend(retained.iter().map(|id| {
            let supervisor = dir.get(id).and_then(|d| d.supervisor_key);
            (*id, supervisor)
        }));
        Lines::new(people)
    });
    if let Some(lines) = &lines {
        for ids in lines.cycles() {
            out.warnings
                .push(Warning::SupervisorCycle { ids: ids.clone() });
        }
    }
    let mut derived = Derived {
        lines: lines.as_ref(),
        scratch: Scratch::default(),
    };

    // Room for every create at once: grown by doubling, the list would reach up to twice
    // the size it needs at the run's peak.
    out.creates.reserve(
        verdicts
            .iter()
            .filter(|r| r.verdict.is_eligible() && !dir.contains_key(&r.id))
            .count(),
    );

    for Prepared { id, verdict } in verdicts {
        let reason = match verdict {
            Verdict::Eligible {
                mut record,
                supervisor,
                ..
            } => match losers.get(&id) {
                Some(other) => SkipReason::DuplicateEmail { other: *other },
                None => {
                    record.supervisor_key = supervisor.filter(in_result);
                    let lines = derived.groups(id);
                    if !lines.is_empty() {
                        record.groups.set_reporting_lines(lines);
                    }
                    match dir.get(&id) {
                        None => out.creates.push(*record),
                        Some(before) if **before == *record && !rekeyed(&id) => out.unchanged += 1,
                        Some(before) => {
                            let changes = changes(before, &record);
                            out.updates.push(Update {
                                after: *record,
                                changes,
                            });
                        }
                    }
                    continue;
                }
            },
            Verdict::Same { supervisor, .. } => match (losers.get(&id), dir.get(&id)) {
                (Some(other), _) => SkipReason::DuplicateEmail { other: *other },
                (None, Some(before)) => {
                    match derived.update(before, supervisor.filter(in_result)) {
                        None if rekeyed(&id) => out.updates.push(Update {
                            after: (*before).clone(),
                            changes: Vec::new(),
                        }),
                        None => out.unchanged += 1,
                        Some(update) => out.updates.push(update),
                    }
                    continue;
                }
                // Cannot happen when `prepare_against` was given this directory's
                // records, as it must be. Should it, the record is skipped (nothing is
                // written) rather than the run failing.
                (None, None) => {
                    debug_assert!(
                        false,
                        "a record prepared as unchanged has no directory entry"
                    );
                    SkipReason::Malformed {
                        detail: "prepared against another directory".to_owned(),
                    }
                }
            },
            Verdict::Ineligible(reason) => reason,
        };
        if waiting_from.contains(&id) {
            continue;
        }
        if dir.contains_key(&id) && complete && !losers.contains_key(&id) {
            let removal = Removal {
                key: id,
                reason: RemovalReason::of(reason),
            };
            if kept_now.contains(&id) {
                out.kept.push(removal);
            } else {
                out.removals.push(removal);
            }
        } else {
            out.skips.push(Skip {
                key: Some(id),
                reason,
            });
        }
    }
    let mut unlisted: Vec<PersonKey> = dir
        .keys()
        .copied()
        .filter(|id| in_scope(id) && !is_listed(id) && !malformed.contains_key(id))
        .filter(|id| !waiting_from.contains(id))
        .collect();
    unlisted.sort_unstable();
    for (id, detail) in malformed {
        out.skips.push(Skip {
            key: Some(id),
            reason: SkipReason::Malformed { detail },
        });
    }
    for id in unlisted {
        if complete {
            let removal = Removal {
                key: id,
                reason: RemovalReason::NotListed,
            };
            if kept_now.contains(&id) {
                out.kept.push(removal);
            } else {
                out.removals.push(removal);
            }
        } else {
            out.kept_unlisted.push(id);
        }
    }

    // A re-keyed old id's record (a terminated old profile) is explained by its re-key.
    if !rekeys.is_empty() {
        out.skips
            .retain(|s| s.key.is_none_or(|id| !rekeys.iter().any(|r| r.from == id)));
    }
    out.skips.sort_by_key(|s| s.key);
    out.removals.sort_by_key(|r| r.key);
    out.kept.sort_by_key(|r| r.key);
    out.pending_hires = out
        .skips
        .iter()
        .filter_map(|s| match (s.key, &s.reason) {
            (Some(id), SkipReason::NotStarted { hire_date }) => Some((id, *hire_date)),
            _ => None,
        })
        .collect();
    if scope.is_some() && (!out.removals.is_empty() || lines.is_some()) {
        let removed = if withheld.is_empty() {
            removing
        } else {
            BTreeSet::new()
        };
        update_outside_scope(directory, &mut out, in_scope, &mut derived, &removed);
    }

    // Each reason to hold is lifted only by accepting exactly what was reviewed. Held
    // before planning, or (an empty listing that creates nobody after all) now: either
    // way nobody is removed or re-keyed.
    let removing: BTreeSet<PersonKey> = out.removals.iter().map(|r| r.key).collect();
    if !withheld.is_empty()
        || guard_trips(policy, &removing, directory.len(), !out.creates.is_empty())
    {
        out.held = Some(Hold {
            removing: removing.len(),
            directory_size: directory.len(),
            rekeying: rekeys.len() + waiting.len(),
        });
    }
    out.rekeys = if waiting.is_empty() { rekeys } else { waiting };
    if out.held.is_some() {
        // The groups as they are after what a held plan applies: its removals wait.
        let removals = std::mem::take(&mut out.removals);
        group_changes::decide(directory, &mut out);
        out.removals = removals;
    } else {
        group_changes::decide(directory, &mut out);
    }
    out
}

/// Out-of-scope directory people whose derived fields this (scoped) plan changes: their
/// supervisor link when the plan removes the supervisor (the directory never names a
/// supervisor who is not in it), and their reporting-line groups when people above them
/// moved, came or went. A full run would update them the same way.
fn update_outside_scope(
    directory: &[DirectoryEmployee],
    out: &mut Plan,
    in_scope: impl Fn(&PersonKey) -> bool,
    derived: &mut Derived<'_>,
    removed: &BTreeSet<PersonKey>,
) {
    for d in directory {
        if in_scope(&d.key) {
            continue;
        }
        let supervisor = d.supervisor_key.filter(|s| !removed.contains(s));
        if let Some(update) = derived.update(d, supervisor) {
            out.updates.push(update);
        }
    }
    out.updates.sort_by_key(|u| u.after.key);
}

/// What the planner derives from the whole resulting directory for one person: the
/// supervisor link and the reporting-line groups (see [`reporting`]).
struct Derived<'l> {
    /// `None`: the account has no reporting-line groups.
    lines: Option<&'l Lines>,
    scratch: Scratch,
}

impl Derived<'_> {
    /// The reporting-line groups of `id` (sorted as a group set sorts them).
    fn groups(&self, id: PersonKey) -> Vec<crate::GroupKey> {
        self.lines.map_or_else(Vec::new, |l| l.groups(id))
    }

    /// The update that gives `before` this supervisor and its reporting-line groups;
    /// `None` when it has them already. Builds nothing for someone unchanged.
    fn update(
        &mut self,
        before: &DirectoryEmployee,
        supervisor: Option<PersonKey>,
    ) -> Option<Update> {
        let current = before.groups.split_reporting_lines().1;
        let lines_same = match self.lines {
            None => current.is_empty(),
            Some(l) => l.unchanged(before.key, current, &mut self.scratch),
        };
        if lines_same && before.supervisor_key == supervisor {
            return None;
        }
        let mut after = before.clone();
        after.supervisor_key = supervisor;
        if !lines_same {
            after.groups.set_reporting_lines(self.groups(before.key));
        }
        let changes = changes(before, &after);
        Some(Update { after, changes })
    }
}

/// The directory after applying `plan`, sorted by id. A held plan applies its creates
/// and updates; its removals and re-keys wait for the review.
pub fn apply(directory: &[DirectoryEmployee], plan: &Plan) -> Vec<DirectoryEmployee> {
    if plan.held.is_some() {
        let applied = Plan {
            removals: Vec::new(),
            rekeys: Vec::new(),
            creates: plan.creates.clone(),
            updates: plan.updates.clone(),
            ..Plan::default()
        };
        return preview(directory, &applied);
    }
    preview(directory, plan)
}

/// The directory `plan` would produce, ignoring [`Plan::held`](crate::Plan::held); sorted
/// by id.
pub fn preview(directory: &[DirectoryEmployee], plan: &Plan) -> Vec<DirectoryEmployee> {
    let mut by_id: BTreeMap<PersonKey, DirectoryEmployee> =
        directory.iter().map(|d| (d.key, d.clone())).collect();
    for r in &plan.removals {
        by_id.remove(&r.key);
    }
    // The new id's update (always there) brings the record back under it; links to
    // the old id follow it.
    for r in &plan.rekeys {
        by_id.remove(&r.from);
    }
    if !plan.rekeys.is_empty() {
        for d in by_id.values_mut() {
            if let Some(r) = plan
                .rekeys
                .iter()
                .find(|r| Some(r.from) == d.supervisor_key)
            {
                d.supervisor_key = Some(r.to);
            }
        }
    }
    for c in &plan.creates {
        by_id.insert(c.key, c.clone());
    }
    for u in &plan.updates {
        by_id.insert(u.after.key, u.after.clone());
    }
    by_id.into_values().collect()
}
