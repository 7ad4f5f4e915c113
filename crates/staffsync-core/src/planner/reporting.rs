//! Reporting lines: the `reports_direct` and `reports_all` groups of every manager, from
//! the supervisor links of the resulting directory.
//!
//! A person is in `reports_direct` of their supervisor and in `reports_all` of everyone
//! above them: their supervisor, that one's supervisor, and so on up to someone without
//! one in the directory (a supervisor outside the directory ends the line). Groups are
//! named by the manager's Personio id in decimal, so a renamed manager keeps their groups.
//! A manager is never in their own groups.
//!
//! Personio data may contain supervisor cycles (A reports to B, B to A; or A to A). The
//! people on a cycle keep `reports_direct` as the data says (except to themselves) but get
//! no `reports_all` through the cycle: their line ends at them, and people below a cycle
//! are in `reports_all` of the cycle's people up to the first one they reach. Each cycle
//! is reported once, by its ids ([`Lines::cycles`]), so the planner can warn.
//!
//! Everything here is O(n · depth) and allocates only the groups it hands out: this runs
//! on every plan of a directory of 100,000 people. It must never look at anything but
//! the (id, supervisor) pairs it was given.

use crate::directory::{GroupKey, GroupKind};
use crate::ids::PersonKey;
use std::sync::{Arc, OnceLock};

/// No supervisor in the resulting directory.
const NONE: u32 = u32::MAX;

/// The reporting lines of a resulting directory.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    /// Everyone in the resulting directory, sorted.
    ids: Vec<PersonKey>,
    /// Each person's supervisor (an index into `ids`), or [`NONE`].
    parent: Vec<u32>,
    /// Whether the person is on a supervisor cycle.
    on_cycle: Vec<bool>,
    /// The people of each cycle, each list sorted, the lists sorted by their first id.
    cycles: Vec<Vec<PersonKey>>,
    /// Each manager's group name, made once when first asked for: everyone below a
    /// manager shares it (a person is in 3.8 reporting-line groups on average).
    names: Vec<OnceLock<Arc<str>>>,
}

/// Reusable buffers for [`Lines::unchanged`] (no allocation per person).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    expected: Vec<i64>,
    found: Vec<i64>,
}

impl Lines {
    /// The lines of `people`: everyone in the resulting directory with the supervisor
    /// they will have (anyone, or nobody: a supervisor not among `people` ends the line).
    pub(crate) fn new(mut people: Vec<(PersonKey, Option<PersonKey>)>) -> Self {
        people.sort_unstable_by_key(|p| p.0);
        people.dedup_by_key(|p| p.0);
        let ids: Vec<PersonKey> = people.iter().map(|p| p.0).collect();
        let parent: Vec<u32> = people
            .iter()
            .map(|(_, s)| {
                s.and_then(|s| ids.binary_search(&s).ok())
                    .map_or(NONE, |i| i as u32)
            })
            .collect();
        drop(people);
        let (on_cycle, cycles) = find_cycles(&ids, &parent);
        let names = std::iter::repeat_with(OnceLock::new)
            .take(ids.len())
            .collect();
        Lines {
            ids,
            parent,
            on_cycle,
            cycles,
            names,
        }
    }

    /// The name of manager `m`'s groups (their key), shared by everyone below them.
    fn name(&self, m: usize) -> Arc<str> {
        self.names[m]
            .get_or_init(|| self.ids[m].0.to_string().into())
            .clone()
    }

    /// The supervisor cycles, each by its people's ids (sorted).
    pub(crate) fn cycles(&self) -> &[Vec<PersonKey>] {
        &self.cycles
    }

    fn index(&self, id: PersonKey) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    /// The direct manager of person `i`: their supervisor, unless that is themself.
    fn direct(&self, i: usize) -> Option<usize> {
        let p = self.parent[i];
        (p != NONE && p as usize != i).then_some(p as usize)
    }

    /// The managers above person `i`, nearest first (see the module docs for cycles).
    fn above(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let mut current = i;
        std::iter::from_fn(move || {
            if self.on_cycle[current] {
                return None;
            }
            let p = self.parent[current];
            if p == NONE {
                return None;
            }
            current = p as usize;
            Some(current)
        })
    }

    /// The reporting-line groups of `id`, sorted as a [`crate::GroupSet`] sorts them;
    /// none for someone not in the resulting directory.
    pub(crate) fn groups(&self, id: PersonKey) -> Vec<GroupKey> {
        let Some(i) = self.index(id) else {
            return Vec::new();
        };
        let direct = self.direct(i);
        let mut all: Vec<Arc<str>> = self.above(i).map(|m| self.name(m)).collect();
        // Names sort as text, as the set sorts them.
        all.sort_unstable();
        let mut out = Vec::with_capacity(usize::from(direct.is_some()) + all.len());
        if let Some(m) = direct {
            out.push(GroupKey::new(GroupKind::ReportsDirect, self.name(m)));
        }
        out.extend(
            all.into_iter()
                .map(|name| GroupKey::new(GroupKind::ReportsAll, name)),
        );
        out
    }

    /// Whether `current`, someone's reporting-line groups as stored (sorted, only those
    /// kinds), equals [`Lines::groups`] of `id`, found without building the groups.
    pub(crate) fn unchanged(
        &self,
        id: PersonKey,
        current: &[GroupKey],
        scratch: &mut Scratch,
    ) -> bool {
        let Some(i) = self.index(id) else {
            return current.is_empty();
        };
        let split = current.partition_point(|g| g.kind == GroupKind::ReportsDirect);
        let (direct, all) = current.split_at(split);
        let direct_ok = match (self.direct(i), direct) {
            (None, []) => true,
            (Some(m), [g]) => g.name.parse::<i64>() == Ok(self.ids[m].0),
            _ => false,
        };
        if !direct_ok || all.iter().any(|g| g.kind != GroupKind::ReportsAll) {
            return false;
        }
        let Scratch { expected, found } = scratch;
        expected.clear();
        expected.extend(self.above(i).map(|m| self.ids[m].0));
        if expected.len() != all.len() {
            return false;
        }
        found.clear();
        for g in all {
            match g.name.parse::<i64>() {
                Ok(n) => found.push(n),
                Err(_) => return false,
            }
        }
        expected.sort_unstable();
        found.sort_unstable();
        expected == found
    }
}

/// Marks the people on supervisor cycles and lists each cycle once: every walk up from
/// an unvisited person stops at someone already seen; when that someone is on the walk
/// itself, the walk from there on is a cycle. Each person is walked over once.
fn find_cycles(ids: &[PersonKey], parent: &[u32]) -> (Vec<bool>, Vec<Vec<PersonKey>>) {
    const UNSEEN: u8 = 0;
    const ON_WALK: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![UNSEEN; ids.len()];
    let mut on_cycle = vec![false; ids.len()];
    let mut cycles = Vec::new();
    let mut walk: Vec<usize> = Vec::new();
    for start in 0..ids.len() {
        let mut current = start;
        while current != NONE as usize && state[current] == UNSEEN {
            state[current] = ON_WALK;
            walk.push(current);
            current = parent[current] as usize;
        }
        if current != NONE as usize
            && state[current] == ON_WALK
            && let Some(from) = walk.iter().rposition(|&w| w == current)
        {
            let mut cycle: Vec<PersonKey> = walk[from..].iter().map(|&w| ids[w]).collect();
            for &w in &walk[from..] {
                on_cycle[w] = true;
            }
            cycle.sort_unstable();
            cycles.push(cycle);
        }
        for &w in &walk {
            state[w] = DONE;
        }
        walk.clear();
    }
    cycles.sort_unstable();
    (on_cycle, cycles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pairs: &[(i64, Option<i64>)]) -> Lines {
        Lines::new(
            pairs
                .iter()
                .map(|&(a, b)| (PersonKey(a), b.map(PersonKey)))
                .collect(),
        )
    }

    fn names(l: &Lines, id: i64) -> Vec<String> {
        l.groups(PersonKey(id))
            .into_iter()
            .map(|g| format!("{}:{}", g.kind, g.name))
            .collect()
    }

    #[test]
    fn lines_end_at_the_top_and_at_people_outside() {
        // 1 ← 2 ← 3 ← 10; 4 reports to 99, who is not in the directory.
        let l = lines(&[
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (10, Some(3)),
            (4, Some(99)),
        ]);
        assert!(names(&l, 1).is_empty());
        assert!(names(&l, 4).is_empty());
        assert_eq!(
            names(&l, 10),
            [
                "reports_direct:3",
                "reports_all:1",
                "reports_all:2",
                "reports_all:3"
            ]
        );
        assert!(l.cycles().is_empty());
        let mut scratch = Scratch::default();
        let g = l.groups(PersonKey(10));
        assert!(l.unchanged(PersonKey(10), &g, &mut scratch));
        assert!(!l.unchanged(PersonKey(10), &g[1..], &mut scratch));
        assert!(!l.unchanged(PersonKey(3), &g, &mut scratch));
        assert!(l.unchanged(PersonKey(77), &[], &mut scratch));
    }

    #[test]
    fn cycles_are_found_once_and_end_the_lines_through_them() {
        // 1 ↔ 2, 3 → 1, 4 → 3; 5 → 5; 6 → 7 → 8 → 6.
        let l = lines(&[
            (1, Some(2)),
            (2, Some(1)),
            (3, Some(1)),
            (4, Some(3)),
            (5, Some(5)),
            (6, Some(7)),
            (7, Some(8)),
            (8, Some(6)),
        ]);
        let ids = |v: &[i64]| v.iter().copied().map(PersonKey).collect::<Vec<_>>();
        assert_eq!(l.cycles(), [ids(&[1, 2]), ids(&[5]), ids(&[6, 7, 8])]);
        assert_eq!(names(&l, 1), ["reports_direct:2"]);
        assert!(names(&l, 5).is_empty());
        assert_eq!(
            names(&l, 4),
            ["reports_direct:3", "reports_all:1", "reports_all:3"]
        );
    }
}
