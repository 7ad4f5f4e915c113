//! Re-keying: someone who would leave the directory while a new record takes their
//! e-mail address stays themselves under the new id.
//!
//! Personio creates a new profile for a rehire (and at times for a change of legal
//! entity), customers regenerate `ImportId`s, identity providers re-provision: each
//! would otherwise remove the person and create a stranger with a new identity (and no
//! history). The rule, decided here before the rest of the plan:
//!
//! * a **new record** (an eligible record whose id is not in the directory, listed once,
//!   and the only eligible record claiming its address, compared ignoring case) and
//! * a **directory person** (in scope, not malformed, of a complete listing) with that
//!   same address, who gives it up: not listed, listed but ineligible, or listed with
//!   another address (the old profile whose address was changed so the new one could
//!   have it) that is theirs alone: no other directory person has it and no other
//!   eligible record claims it. A move to a contested address may fail (the conflict
//!   rules then keep them as they are, old address and all), and a re-key that hung on
//!   how a conflict ends could come one sync late: once a sync removed another holder
//!   of the old address, the next would re-key the person that sync kept as they were
//!
//! are one person: the directory entry takes the new id ([`Rekey`]) and the plan is made
//! against the directory so re-keyed (`rewrite`), where the new record updates it. A
//! supervisor link in the directory naming the old id names the new one (the person's
//! reports stay their reports); the listing's own links are the source's word (see
//! `rewrite`). The old profile, when it is still listed and eligible under its new
//! address, is a new person (a create); otherwise (terminated, the usual case) its record
//! is explained by the re-key and has no skip of its own.
//!
//! The deletion guard holds a plan that re-keys more than [`MAX_SHARE`] of the directory
//! and at least [`MIN_PEOPLE`] people, as it holds a mass removal: so many ids changing
//! at once is likelier an export from another system than a wave of rehires.

use super::prepare::{Prepared, PreparedSnapshot, Verdict};
use crate::directory::DirectoryEmployee;
use crate::ids::{Email, PersonKey};
use crate::plan::Rekey;
use foldhash::{HashMap, HashMapExt as _};

/// Re-keys beyond this share of the directory hold the plan…
pub const MAX_SHARE: f64 = 0.05;
/// …when they are at least this many people.
pub const MIN_PEOPLE: usize = 5;

/// Whether `rekeying` re-keys of a directory of `size` people hold the plan.
pub fn holds(rekeying: usize, size: usize) -> bool {
    rekeying >= MIN_PEOPLE && rekeying as f64 > MAX_SHARE * size as f64
}

/// The re-keys of `snapshot` against `dir` (see the module docs), sorted by `from`.
/// Costs one pass over the records when nobody new is listed (the usual run).
pub(crate) fn find(
    dir: &HashMap<PersonKey, &DirectoryEmployee>,
    snapshot: &PreparedSnapshot,
) -> Vec<Rekey> {
    if !snapshot.complete {
        return Vec::new();
    }
    let in_scope = |id: &PersonKey| snapshot.scope.as_ref().is_none_or(|s| s.contains(id));
    // New records by address key.
    let mut new: HashMap<String, Option<PersonKey>> = HashMap::new();
    for r in &snapshot.records {
        if dir.contains_key(&r.id) || !in_scope(&r.id) {
            continue;
        }
        if let Some(key) = r.verdict.key(None) {
            new.entry(Email::key_of(key).into_owned())
                .and_modify(|who| *who = None)
                .or_insert(Some(r.id));
        }
    }
    new.retain(|_, who| who.is_some());
    if new.is_empty() {
        return Vec::new();
    }
    // Ids listed more than once or reported malformed never re-key (nor are re-keyed).
    let mut listed: HashMap<PersonKey, (usize, Option<&Prepared>)> = HashMap::new();
    for r in &snapshot.records {
        let entry = listed.entry(r.id).or_insert((0, Some(r)));
        entry.0 += 1;
    }
    let malformed = |id: &PersonKey| {
        snapshot.malformed.iter().any(|m| m.id == Some(*id))
            || listed.get(id).is_some_and(|(n, _)| *n > 1)
    };
    // Any other eligible claim on a new address (someone in the directory keeping it,
    // someone else moving to it) leaves it to the e-mail conflict rules.
    for r in &snapshot.records {
        if !dir.contains_key(&r.id) || !in_scope(&r.id) {
            continue;
        }
        if let Some(key) = r.verdict.key(dir.get(&r.id).copied())
            && let Some(who) = new.get_mut(&*Email::key_of(key))
        {
            *who = None;
        }
    }
    // Two directory people with one address (an old directory) leave it to the rules.
    let mut owners: HashMap<&str, usize> = HashMap::new();
    for d in dir.values() {
        let key = Email::key_of(&d.email);
        if let Some((k, _)) = new.get_key_value(&*key) {
            *owners.entry(k.as_str()).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    // Re-keys of people listed under another address, with the address they move to.
    let mut moving: Vec<(Rekey, String)> = Vec::new();
    for d in dir.values() {
        if !in_scope(&d.key) || malformed(&d.key) {
            continue;
        }
        let key = Email::key_of(&d.email);
        let Some(Some(to)) = new.get(&*key) else {
            continue;
        };
        if owners.get(&*key).copied() != Some(1) {
            continue;
        }
        if malformed(to) {
            continue;
        }
        // Listed with the same address: they keep it (handled above: it claims it).
        if let Some((_, Some(r))) = listed.get(&d.key)
            && matches!(r.verdict, Verdict::Same { .. })
        {
            continue;
        }
        let rekey = Rekey {
            from: d.key,
            to: *to,
        };
        // Still listed and eligible: under another address (listed with this one, they
        // claim it and were passed over above).
        match listed
            .get(&d.key)
            .and_then(|(_, r)| r.as_ref()?.verdict.key(Some(d)))
        {
            Some(elsewhere) => moving.push((rekey, Email::key_of(elsewhere).into_owned())),
            None => out.push(rekey),
        }
    }
    if !moving.is_empty() {
        // The address moved to must be theirs alone: their own claim is its one holder.
        let mut holders: HashMap<&str, usize> =
            moving.iter().map(|(_, key)| (key.as_str(), 0)).collect();
        for d in dir.values() {
            if let Some(n) = holders.get_mut(&*Email::key_of(&d.email)) {
                *n += 1;
            }
        }
        for r in &snapshot.records {
            if in_scope(&r.id)
                && let Some(key) = r.verdict.key(dir.get(&r.id).copied())
                && let Some(n) = holders.get_mut(&*Email::key_of(key))
            {
                *n += 1;
            }
        }
        out.extend(
            moving
                .iter()
                .filter(|(_, key)| holders[key.as_str()] == 1)
                .map(|(rekey, _)| *rekey),
        );
    }
    out.sort_unstable();
    out
}

/// The directory with each re-keyed entry under its new id, and every supervisor link
/// naming an old id naming the new one (the person's reports stay their reports). The
/// listing's links are left as the source gives them: a record that still names the
/// old id loses its link, as when a supervisor leaves, until the source names the new
/// one.
pub(crate) fn rewrite(directory: &[DirectoryEmployee], rekeys: &[Rekey]) -> Vec<DirectoryEmployee> {
    let to: HashMap<PersonKey, PersonKey> = rekeys.iter().map(|r| (r.from, r.to)).collect();
    directory
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if let Some(new) = to.get(&d.key) {
                d.key = *new;
            }
            if let Some(new) = d.supervisor_key.and_then(|s| to.get(&s)) {
                d.supervisor_key = Some(*new);
            }
            d
        })
        .collect()
}
