//! [`GroupSet`]: the groups of one directory person.
//!
//! A directory holds one per person, each with half a dozen groups, for up to 100,000
//! people at once during a sync. A sorted list of exactly the groups takes a third of the
//! room of a `BTreeSet<GroupKey>` (whose first node has room for eleven) and costs far
//! less to build and drop; lookups are binary searches. Serialized as a JSON array, like
//! the set it replaces. This type must never hold a group twice or out of order.

use crate::directory::GroupKey;
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};

/// A set of groups: sorted by (kind, name), without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupSet(Vec<GroupKey>);

impl GroupSet {
    pub fn new() -> Self {
        GroupSet(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries there is room for (tests of memory use).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.0.capacity()
    }

    /// The groups, sorted.
    pub fn iter(&self) -> std::slice::Iter<'_, GroupKey> {
        self.0.iter()
    }

    pub fn contains(&self, key: &GroupKey) -> bool {
        self.0.binary_search(key).is_ok()
    }

    /// Adds `key`; false when it was there already.
    pub fn insert(&mut self, key: GroupKey) -> bool {
        match self.0.binary_search(&key) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, key);
                true
            }
        }
    }

    /// The groups of the person's own record, then the reporting-line groups (which sort
    /// last, see [`GroupKind::is_reporting_line`](crate::GroupKind::is_reporting_line)).
    pub fn split_reporting_lines(&self) -> (&[GroupKey], &[GroupKey]) {
        self.0
            .split_at(self.0.partition_point(|g| !g.kind.is_reporting_line()))
    }

    /// Replaces the reporting-line groups by `lines` (reporting-line groups only, sorted
    /// without repeats; checked, sorted here if they are not).
    pub(crate) fn set_reporting_lines(&mut self, lines: Vec<GroupKey>) {
        let own = self.split_reporting_lines().0.len();
        let mut groups = Vec::with_capacity(own + lines.len());
        groups.extend(self.0.drain(..own));
        groups.extend(lines);
        *self = GroupSet::from_sorted(groups);
    }

    /// From groups already sorted without repeats (checked; sorted here if they are not).
    pub(crate) fn from_sorted(mut groups: Vec<GroupKey>) -> Self {
        if groups.windows(2).all(|w| w[0] < w[1]) {
            groups.shrink_to_fit();
            GroupSet(groups)
        } else {
            groups.into_iter().collect()
        }
    }
}

impl FromIterator<GroupKey> for GroupSet {
    fn from_iter<I: IntoIterator<Item = GroupKey>>(iter: I) -> Self {
        let mut groups: Vec<GroupKey> = iter.into_iter().collect();
        groups.sort_unstable();
        groups.dedup();
        // Exactly their number: one per person for a whole directory.
        groups.shrink_to_fit();
        GroupSet(groups)
    }
}

impl Extend<GroupKey> for GroupSet {
    fn extend<I: IntoIterator<Item = GroupKey>>(&mut self, iter: I) {
        for key in iter {
            self.insert(key);
        }
    }
}

impl<const N: usize> From<[GroupKey; N]> for GroupSet {
    fn from(groups: [GroupKey; N]) -> Self {
        groups.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a GroupSet {
    type Item = &'a GroupKey;
    type IntoIter = std::slice::Iter<'a, GroupKey>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for GroupSet {
    type Item = GroupKey;
    type IntoIter = std::vec::IntoIter<GroupKey>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Serialize for GroupSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for GroupSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<GroupKey>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::GroupKind;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn key() -> impl Strategy<Value = GroupKey> {
        (
            prop::sample::select(vec![
                GroupKind::Department,
                GroupKind::Team,
                GroupKind::Custom,
            ]),
            "[a-c]{0,2}",
        )
            .prop_map(|(kind, name)| GroupKey::new(kind, name))
    }

    proptest! {
        /// Behaves as a `BTreeSet<GroupKey>` built from the same groups: same members,
        /// same order, same JSON, whether collected, inserted one by one or read back.
        #[test]
        fn behaves_as_a_sorted_set(keys in prop::collection::vec(key(), 0..12), probe in key()) {
            let set: BTreeSet<GroupKey> = keys.iter().cloned().collect();
            let groups: GroupSet = keys.iter().cloned().collect();
            prop_assert_eq!(groups.len(), set.len());
            prop_assert_eq!(groups.iter().collect::<Vec<_>>(), set.iter().collect::<Vec<_>>());
            prop_assert_eq!(groups.contains(&probe), set.contains(&probe));
            let json = serde_json::to_string(&groups).unwrap_or_default();
            prop_assert_eq!(&json, &serde_json::to_string(&set).unwrap_or_default());
            let back: GroupSet = serde_json::from_str(&json).unwrap_or_default();
            prop_assert_eq!(&back, &groups);
            let mut inserted = GroupSet::new();
            for k in &keys {
                inserted.insert(k.clone());
            }
            prop_assert_eq!(&inserted, &groups);
            prop_assert_eq!(GroupSet::from_sorted(keys.clone()), groups.clone());
            prop_assert_eq!(GroupSet::from_sorted(set.into_iter().collect()), groups);
        }
    }
}
