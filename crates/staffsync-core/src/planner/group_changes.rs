//! What a plan does to the directory's groups, decided here so the store only applies
//! it: groups left without members are removed, and a group that loses all its members
//! to one new group of its kind with exactly those members is renamed (a department
//! renamed in Personio stays the same group, with its id and its survey results).
//!
//! Works from the people the plan touches (updates, removals, creates) and a count of
//! members per group over the directory: it never builds the whole directory after the
//! plan. Pure: no I/O.

use crate::directory::{DirectoryEmployee, GroupKey};
use crate::ids::PersonKey;
use crate::plan::{GroupChanges, GroupRename, Plan};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Fills `plan.groups` for `plan` applied to `directory` (the directory the plan was made
/// against).
pub fn decide(directory: &[DirectoryEmployee], plan: &mut Plan) {
    plan.groups = changes(directory, plan);
}

fn changes(directory: &[DirectoryEmployee], plan: &Plan) -> GroupChanges {
    if plan.updates.is_empty() && plan.removals.is_empty() {
        // Nobody leaves a group: none can be emptied (a first sync only creates).
        return GroupChanges::default();
    }
    let touched: HashSet<PersonKey> = plan
        .updates
        .iter()
        .map(|u| u.after.key)
        .chain(plan.removals.iter().map(|r| r.key))
        .collect();
    // One pass over the directory: members per group, and the touched people's groups.
    let mut members: HashMap<&GroupKey, usize> = HashMap::new();
    let mut before: HashMap<PersonKey, &DirectoryEmployee> = HashMap::new();
    for d in directory {
        for g in d.groups.iter() {
            *members.entry(g).or_default() += 1;
        }
        if touched.contains(&d.key) {
            before.insert(d.key, d);
        }
    }
    // Who leaves each group: only people the plan updates or removes do.
    let mut left: BTreeMap<&GroupKey, BTreeSet<PersonKey>> = BTreeMap::new();
    for r in &plan.removals {
        if let Some(d) = before.get(&r.key) {
            for g in d.groups.iter() {
                left.entry(g).or_default().insert(d.key);
            }
        }
    }
    for u in &plan.updates {
        if let Some(d) = before.get(&u.after.key) {
            for g in d.groups.iter().filter(|g| !u.after.groups.contains(g)) {
                left.entry(g).or_default().insert(d.key);
            }
        }
    }
    // Emptied: every member before left (unless someone joins, below).
    let mut emptied: BTreeMap<&GroupKey, BTreeSet<PersonKey>> = left
        .into_iter()
        .filter(|(g, who)| members.get(*g).copied().unwrap_or(0) == who.len())
        .collect();
    if emptied.is_empty() {
        return GroupChanges::default();
    }
    // Who joins: tracked only for the emptied groups and for new groups of their kinds
    // (the only possible renames), so a large plan does not copy every membership.
    let kinds: BTreeSet<_> = emptied.keys().map(|g| g.kind).collect();
    let mut new: BTreeMap<&GroupKey, BTreeSet<PersonKey>> = BTreeMap::new();
    let joiners = plan.creates.iter().map(|c| (c, None)).chain(
        plan.updates
            .iter()
            .map(|u| (&u.after, before.get(&u.after.key).copied())),
    );
    for (after, was) in joiners {
        for g in after.groups.iter() {
            if was.is_some_and(|d| d.groups.contains(g)) {
                continue;
            }
            emptied.remove(g);
            if kinds.contains(&g.kind) && !members.contains_key(g) {
                new.entry(g).or_default().insert(after.key);
            }
        }
    }
    let mut out = GroupChanges::default();
    for (old, was) in emptied {
        let twin = new
            .iter()
            .find(|(key, now)| key.kind == old.kind && **now == was)
            .map(|(key, _)| *key);
        match twin {
            Some(to) => {
                new.remove(to);
                out.renamed.push(GroupRename {
                    from: old.clone(),
                    to: to.clone(),
                });
            }
            None => out.removed.push(old.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::GroupKind;
    use crate::group_set::GroupSet;
    use crate::plan::{Removal, RemovalReason, Update};

    fn person(id: i64, groups: &[(GroupKind, &str)]) -> DirectoryEmployee {
        DirectoryEmployee {
            key: PersonKey(id),
            email: format!("p{id}@example.com"),
            first_name: "P".into(),
            last_name: id.to_string(),
            department: None,
            office: None,
            team: None,
            position: None,
            status: None,
            hire_date: None,
            termination_date: None,
            supervisor_key: None,
            age_band_next: None,
            attributes: Default::default(),
            groups: GroupSet::from_iter(groups.iter().map(|(k, n)| GroupKey::new(*k, *n))),
        }
    }

    fn moved(to: DirectoryEmployee) -> Update {
        Update {
            after: to,
            changes: Vec::new(),
        }
    }

    const DEPT: GroupKind = GroupKind::Department;

    #[test]
    fn a_department_whose_people_all_move_to_a_new_name_is_renamed() {
        let directory = [person(1, &[(DEPT, "Sales")]), person(2, &[(DEPT, "Sales")])];
        let mut plan = Plan {
            updates: vec![
                moved(person(1, &[(DEPT, "Vertrieb")])),
                moved(person(2, &[(DEPT, "Vertrieb")])),
            ],
            ..Plan::default()
        };
        decide(&directory, &mut plan);
        assert_eq!(
            plan.groups.renamed,
            [GroupRename {
                from: GroupKey::new(DEPT, "Sales"),
                to: GroupKey::new(DEPT, "Vertrieb"),
            }]
        );
        assert!(plan.groups.removed.is_empty());
    }

    #[test]
    fn a_group_left_empty_is_removed_and_a_split_is_no_rename() {
        let directory = [
            person(1, &[(DEPT, "Sales")]),
            person(2, &[(DEPT, "Sales")]),
            person(3, &[(DEPT, "Ops")]),
        ];
        let mut plan = Plan {
            // Sales splits in two new departments: no rename, Sales goes.
            updates: vec![
                moved(person(1, &[(DEPT, "North")])),
                moved(person(2, &[(DEPT, "South")])),
            ],
            // Ops' only member leaves.
            removals: vec![Removal {
                key: PersonKey(3),
                reason: RemovalReason::NotListed,
            }],
            ..Plan::default()
        };
        decide(&directory, &mut plan);
        assert!(plan.groups.renamed.is_empty(), "{:?}", plan.groups);
        assert_eq!(
            plan.groups.removed,
            [GroupKey::new(DEPT, "Ops"), GroupKey::new(DEPT, "Sales")]
        );
    }

    #[test]
    fn a_group_someone_stays_in_or_joins_is_kept() {
        let directory = [person(1, &[(DEPT, "Sales")]), person(2, &[(DEPT, "Sales")])];
        let mut plan = Plan {
            updates: vec![moved(person(1, &[(DEPT, "Ops")]))],
            creates: vec![person(3, &[(DEPT, "Ops")])],
            ..Plan::default()
        };
        decide(&directory, &mut plan);
        assert_eq!(plan.groups, GroupChanges::default());
    }
}
