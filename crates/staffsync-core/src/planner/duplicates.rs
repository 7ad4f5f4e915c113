//! E-mail conflicts: several people may not share one address (compared ignoring case).
//!
//! Only two kinds of people hold an address:
//!
//! * eligible records, with the address Personio lists for them (their *claim*);
//! * directory people the plan keeps as they are ("retained": malformed records, people an
//!   incomplete listing does not let us remove, and losers of a conflict who are in the
//!   directory), with the address the directory holds for them.
//!
//! People leaving the directory hold nothing, so a rehire (old profile out, new id with the
//! old address) or a leaver whose address went to someone new is no conflict.
//!
//! A claim on an address a retained person holds loses to them. Otherwise, among several
//! claims on one address the *keeper* is the one claimant in the directory (when several
//! are, the one of them whose directory address is this one); everybody else loses to the
//! keeper. Without a keeper all claimants lose, each naming the lowest other id. A loser in
//! the directory is retained, so their directory address may block further claims: the
//! result is the least fixed point, computed with a work list in linear time.

use crate::directory::DirectoryEmployee;
use crate::ids::PersonKey;
use std::collections::hash_map::Entry;
// foldhash, not std's SipHash: hashing 100,000 addresses was a tenth of a plan's time, and
// foldhash is still seeded per process (no fixed collisions to aim for in Personio data).
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The key a directory address is compared by.
pub(crate) fn directory_key(employee: &DirectoryEmployee) -> String {
    employee.email.trim().to_lowercase()
}

enum Members {
    One(PersonKey),
    Many(Vec<PersonKey>),
}

impl Members {
    fn ids(&self) -> &[PersonKey] {
        match self {
            Members::One(id) => std::slice::from_ref(id),
            Members::Many(ids) => ids,
        }
    }
}

/// Decides the conflicts. `claims`: eligible id → address key, in id order. `retained`:
/// directory people kept as they are regardless (never claimants). Returns loser → the
/// person they lost to.
pub(crate) fn resolve(
    claims: &[(PersonKey, &str)],
    directory: &HashMap<PersonKey, &DirectoryEmployee>,
    retained: &BTreeSet<PersonKey>,
) -> BTreeMap<PersonKey, PersonKey> {
    // Claimants per address, in id order. Most addresses have one: no Vec for those.
    let mut by_key: HashMap<&str, Members> = HashMap::with_capacity(claims.len());
    let mut contested: Vec<&str> = Vec::new();
    for (id, key) in claims {
        match by_key.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(Members::One(*id));
            }
            Entry::Occupied(mut slot) => match slot.get_mut() {
                Members::One(first) => {
                    let first = *first;
                    slot.insert(Members::Many(vec![first, *id]));
                    contested.push(key);
                }
                Members::Many(ids) => ids.push(*id),
            },
        }
    }
    let keeper = |key: &str, members: &[PersonKey]| -> Option<PersonKey> {
        if let [only] = members {
            return Some(*only);
        }
        let mut incumbents = members
            .iter()
            .copied()
            .filter(|id| directory.contains_key(id));
        match (incumbents.next(), incumbents.next()) {
            (None, _) => return None,
            (Some(only), None) => return Some(only),
            _ => {}
        }
        let mut same = members
            .iter()
            .copied()
            .filter(|id| directory.get(id).is_some_and(|d| directory_key(d) == key));
        match (same.next(), same.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    };

    // Phase 1: which addresses end up held by retained people. Only addresses that are
    // contested or held can have losers.
    let mut held: HashMap<String, PersonKey> = HashMap::new();
    let mut queue: VecDeque<&str> = contested.iter().copied().collect();
    for id in retained {
        if let Some(d) = directory.get(id)
            && let Entry::Vacant(slot) = held.entry(directory_key(d))
        {
            if let Some((k, _)) = by_key.get_key_value(slot.key().as_str()) {
                queue.push_back(*k);
            }
            slot.insert(*id);
        }
    }
    let mut decided: HashSet<&str> = HashSet::new();
    let mut blocked: HashSet<&str> = HashSet::new();
    let mut lost: HashSet<PersonKey> = HashSet::new();
    while let Some(key) = queue.pop_front() {
        let Some(members) = by_key.get(key) else {
            continue;
        };
        let members = members.ids();
        let losers: Vec<PersonKey> = if held.contains_key(key) {
            if !blocked.insert(key) {
                continue;
            }
            members.to_vec()
        } else {
            if !decided.insert(key) {
                continue;
            }
            let keeper = keeper(key, members);
            members
                .iter()
                .copied()
                .filter(|id| Some(*id) != keeper)
                .collect()
        };
        for id in losers {
            if !lost.insert(id) {
                continue;
            }
            let Some(d) = directory.get(&id) else {
                continue;
            };
            if let Entry::Vacant(slot) = held.entry(directory_key(d)) {
                if let Some((k, _)) = by_key.get_key_value(slot.key().as_str()) {
                    queue.push_back(*k);
                }
                slot.insert(id);
            }
        }
    }

    // Phase 2: the reasons, from the final state alone (independent of the work order).
    let mut out = BTreeMap::new();
    for (key, holder) in &held {
        let Some(members) = by_key.get(key.as_str()) else {
            continue;
        };
        let members = members.ids();
        for id in members {
            let other = if holder == id {
                members.iter().copied().find(|m| m != id)
            } else {
                Some(*holder)
            };
            out.insert(*id, other.unwrap_or(*holder));
        }
    }
    for key in contested {
        if held.contains_key(key) {
            continue;
        }
        let Some(members) = by_key.get(key) else {
            continue;
        };
        let members = members.ids();
        let keeper = keeper(key, members);
        for id in members.iter().copied().filter(|id| Some(*id) != keeper) {
            let other = keeper.or_else(|| members.iter().copied().find(|m| *m != id));
            if let Some(other) = other {
                out.insert(id, other);
            }
        }
    }
    out
}
