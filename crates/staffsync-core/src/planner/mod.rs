//! The planner: a pure function from (directory, snapshot, policy, today) to a [`Plan`].
//!
//! It does no I/O: no network, no files, no clock ("today" is a parameter). The same input
//! always gives the same plan, every list in it sorted by Personio id.
//!
//! # Rules
//!
//! * **Identity** is the Personio id; the e-mail is just a field (a changed address is an
//!   update).
//! * **Normalization** ([`normalize()`]) and **groups** ([`groups()`]) turn a listed record
//!   into the directory record. Its `supervisor_personio_id` is set only when the
//!   supervisor is in the resulting directory.
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
//! * **Deletion guard**: when removals exceed [`DeletionGuard::max_fraction`] of the
//!   directory and are at least [`DeletionGuard::min_people`], and the admin did not
//!   accept deletions, [`Plan::held`] is set. The plan still lists everything.
//!
//! * **Scope** ([`Snapshot::scope`], targeted runs): only directory people and records
//!   (and malformed ids) in the scope are planned; the rules above apply to them as to a
//!   full run (an in-scope directory person not listed is removed only when the snapshot
//!   is complete). Everyone else in the directory is kept as they are: they hold their
//!   e-mail addresses in conflicts and count as present for supervisor links. The one
//!   exception keeps the directory consistent: an out-of-scope person whose
//!   `supervisor_personio_id` names someone this plan removes gets an update clearing
//!   that link (a full run would clear it too).
//!
//! Every directory id and every listed id (within the scope, plus the out-of-scope
//! supervisor-link updates) is in exactly one of: creates, updates, removals, skips,
//! `kept_unlisted`, or the `unchanged` count.
//!
//! [`DeletionGuard::max_fraction`]: crate::DeletionGuard::max_fraction
//! [`DeletionGuard::min_people`]: crate::DeletionGuard::min_people
//! [`Snapshot::malformed`]: crate::Snapshot::malformed
//! [`Snapshot::complete`]: crate::Snapshot::complete
//! [`Snapshot::scope`]: crate::Snapshot::scope
//! [`SkipReason::Malformed`]: crate::SkipReason::Malformed
//! [`SkipReason::DuplicateEmail`]: crate::SkipReason::DuplicateEmail
//! [`RemovalReason::NoLongerEligible`]: crate::RemovalReason::NoLongerEligible
//! [`RemovalReason::NotListed`]: crate::RemovalReason::NotListed
//! [`Warning::IncompleteListing`]: crate::Warning::IncompleteListing
//! [`Warning::AttributeNotReadable`]: crate::Warning::AttributeNotReadable
//! [`Plan::unchanged`]: crate::Plan::unchanged
//! [`Plan::kept_unlisted`]: crate::Plan::kept_unlisted
//! [`Plan::held`]: crate::Plan::held

pub mod diff;
pub mod duplicates;
pub mod eligibility;
pub mod groups;
pub mod normalize;

pub use diff::{changes, groups_text};
pub use eligibility::{Readable, eligibility, is_eligible};
pub use groups::groups;
pub use normalize::{attributes, normalize};

use crate::directory::DirectoryEmployee;
use crate::employee::SourceEmployee;
use crate::ids::PersonioId;
use crate::plan::{
    Hold, Plan, Policy, Removal, RemovalReason, Skip, SkipReason, Snapshot, Update, Warning,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::Date;

/// Why a listed, readable record is not mirrored.
enum Verdict {
    Eligible(String),
    Ineligible(SkipReason),
}

/// Decides what a sync does (see the module docs for the rules).
pub fn plan(
    directory: &[DirectoryEmployee],
    snapshot: &Snapshot,
    policy: &Policy,
    today: Date,
) -> Plan {
    let mut out = Plan::default();
    let readable = Readable::from_keys(&snapshot.readable_attributes);
    for attribute in readable.missing() {
        out.warnings.push(Warning::AttributeNotReadable {
            attribute: attribute.to_owned(),
        });
    }
    if !snapshot.complete {
        out.warnings.push(Warning::IncompleteListing);
    }

    let dir: HashMap<PersonioId, &DirectoryEmployee> =
        directory.iter().map(|d| (d.personio_id, d)).collect();

    // Malformed ids: reported as such, and ids listed more than once.
    let in_scope = |id: &PersonioId| snapshot.in_scope(*id);
    let mut malformed: BTreeMap<PersonioId, String> = BTreeMap::new();
    for m in &snapshot.malformed {
        match m.id {
            Some(id) if !in_scope(&id) => {}
            Some(id) => {
                malformed.entry(id).or_insert_with(|| m.reason.clone());
            }
            None => out.skips.push(Skip {
                personio_id: None,
                reason: SkipReason::Malformed {
                    detail: m.reason.clone(),
                },
            }),
        }
    }
    let mut listed: Vec<&SourceEmployee> = snapshot
        .employees
        .iter()
        .filter(|e| in_scope(&e.id))
        .collect();
    listed.sort_by_key(|e| e.id);
    for pair in listed.windows(2) {
        if pair[0].id == pair[1].id {
            malformed
                .entry(pair[0].id)
                .or_insert_with(|| "listed more than once".to_owned());
        }
    }
    listed.dedup_by_key(|e| e.id);
    let is_listed = |id: &PersonioId| listed.binary_search_by_key(id, |e| e.id).is_ok();

    // Per-record eligibility, in id order.
    let verdicts: Vec<(&SourceEmployee, Verdict)> = listed
        .iter()
        .filter(|e| !malformed.contains_key(&e.id))
        .map(|e| {
            let verdict = match eligibility(e, readable, policy, today) {
                Ok(email) => Verdict::Eligible(email.key()),
                Err(reason) => Verdict::Ineligible(reason),
            };
            (*e, verdict)
        })
        .collect();
    let verdict_of = |id: &PersonioId| {
        verdicts
            .binary_search_by_key(id, |(e, _)| e.id)
            .ok()
            .map(|i| &verdicts[i].1)
    };

    // Directory people kept as they are whatever the conflicts (out-of-scope people too).
    let mut retained: BTreeSet<PersonioId> = malformed
        .keys()
        .copied()
        .filter(|id| dir.contains_key(id))
        .chain(dir.keys().copied().filter(|id| !in_scope(id)))
        .collect();
    if !snapshot.complete {
        for id in dir.keys().filter(|id| in_scope(id)) {
            let stays = match verdict_of(id) {
                None => !malformed.contains_key(id),
                Some(Verdict::Ineligible(_)) => true,
                Some(Verdict::Eligible(_)) => false,
            };
            if stays {
                retained.insert(*id);
            }
        }
    }

    let claims: Vec<(PersonioId, &str)> = verdicts
        .iter()
        .filter_map(|(e, v)| match v {
            Verdict::Eligible(key) => Some((e.id, key.as_str())),
            Verdict::Ineligible(_) => None,
        })
        .collect();
    let losers = duplicates::resolve(&claims, &dir, &retained);

    // Who is in the resulting directory: winners, and retained people (including losers in
    // the directory).
    let in_result = |id: &PersonioId| {
        retained.contains(id)
            || (matches!(verdict_of(id), Some(Verdict::Eligible(_)))
                && (!losers.contains_key(id) || dir.contains_key(id)))
    };

    for (source, verdict) in &verdicts {
        let id = source.id;
        let reason = match verdict {
            Verdict::Eligible(_) => match losers.get(&id) {
                Some(other) => SkipReason::DuplicateEmail { other: *other },
                None => {
                    let view = normalize::View::new(source, policy);
                    let supervisor = source.supervisor_id.filter(in_result);
                    match dir.get(&id) {
                        None => out.creates.push(view.to_record(supervisor)),
                        Some(before) if view.matches(before, supervisor) => out.unchanged += 1,
                        Some(before) => {
                            let after = view.to_record(supervisor);
                            let changes = changes(before, &after);
                            out.updates.push(Update { after, changes });
                        }
                    }
                    continue;
                }
            },
            Verdict::Ineligible(reason) => reason.clone(),
        };
        if dir.contains_key(&id) && snapshot.complete && !losers.contains_key(&id) {
            out.removals.push(Removal {
                personio_id: id,
                reason: RemovalReason::NoLongerEligible { because: reason },
            });
        } else {
            out.skips.push(Skip {
                personio_id: Some(id),
                reason,
            });
        }
    }
    let mut unlisted: Vec<PersonioId> = dir
        .keys()
        .copied()
        .filter(|id| in_scope(id) && !is_listed(id) && !malformed.contains_key(id))
        .collect();
    unlisted.sort_unstable();
    for (id, detail) in malformed {
        out.skips.push(Skip {
            personio_id: Some(id),
            reason: SkipReason::Malformed { detail },
        });
    }
    for id in unlisted {
        if snapshot.complete {
            out.removals.push(Removal {
                personio_id: id,
                reason: RemovalReason::NotListed,
            });
        } else {
            out.kept_unlisted.push(id);
        }
    }

    out.skips.sort_by_key(|s| s.personio_id);
    out.removals.sort_by_key(|r| r.personio_id);
    if snapshot.scope.is_some() && !out.removals.is_empty() {
        clear_links_to_removed(directory, &mut out, in_scope);
    }

    let guard = policy.deletion_guard;
    let removing = out.removals.len();
    if !policy.accept_deletions
        && removing >= guard.min_people
        && removing as f64 > guard.max_fraction * directory.len() as f64
    {
        out.held = Some(Hold {
            removing,
            directory_size: directory.len(),
        });
    }
    out
}

/// Out-of-scope directory people whose supervisor this (scoped) plan removes: an update
/// clearing that link, so the directory never names a supervisor who is not in it.
fn clear_links_to_removed(
    directory: &[DirectoryEmployee],
    out: &mut Plan,
    in_scope: impl Fn(&PersonioId) -> bool,
) {
    let removed: BTreeSet<PersonioId> = out.removals.iter().map(|r| r.personio_id).collect();
    for d in directory {
        if in_scope(&d.personio_id) {
            continue;
        }
        if d.supervisor_personio_id
            .is_some_and(|s| removed.contains(&s))
        {
            let mut after = d.clone();
            after.supervisor_personio_id = None;
            let changes = changes(d, &after);
            out.updates.push(Update { after, changes });
        }
    }
    out.updates.sort_by_key(|u| u.after.personio_id);
}

/// The directory after applying `plan`, sorted by id. A held plan applies nothing (the
/// directory comes back as it is, sorted).
pub fn apply(directory: &[DirectoryEmployee], plan: &Plan) -> Vec<DirectoryEmployee> {
    if plan.held.is_some() {
        let mut out = directory.to_vec();
        out.sort_by_key(|d| d.personio_id);
        return out;
    }
    preview(directory, plan)
}

/// The directory `plan` would produce, ignoring [`Plan::held`](crate::Plan::held); sorted
/// by id.
pub fn preview(directory: &[DirectoryEmployee], plan: &Plan) -> Vec<DirectoryEmployee> {
    let mut by_id: BTreeMap<PersonioId, DirectoryEmployee> = directory
        .iter()
        .map(|d| (d.personio_id, d.clone()))
        .collect();
    for r in &plan.removals {
        by_id.remove(&r.personio_id);
    }
    for c in &plan.creates {
        by_id.insert(c.personio_id, c.clone());
    }
    for u in &plan.updates {
        by_id.insert(u.after.personio_id, u.after.clone());
    }
    by_id.into_values().collect()
}
