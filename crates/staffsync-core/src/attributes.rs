//! [`Attributes`]: the imported attributes of one directory person, by key.
//!
//! A directory holds one per person, each with a dozen entries or so, for up to 100,000
//! people at once during a sync. A sorted list takes well under half the room of a
//! `BTreeMap<String, String>` (one allocation for the entries instead of B-tree nodes,
//! 16-byte boxed values), and the keys are shared (`Arc<str>`): the parser interns them
//! per page and the normalizer passes them on. Serialized as a JSON object, like the map
//! it replaces. This type must never hold two entries with one key.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Attribute key → value, sorted by key, keys unique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes(Vec<(Arc<str>, Box<str>)>);

impl Attributes {
    pub fn new() -> Self {
        Attributes(Vec::new())
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

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(
        &mut self,
        key: impl Into<Arc<str>>,
        value: impl Into<Box<str>>,
    ) -> Option<Box<str>> {
        let key = key.into();
        let value = value.into();
        match self.0.binary_search_by(|(k, _)| (**k).cmp(&*key)) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// The entries, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }
}

/// Later entries win over earlier ones with the same key, as with a map.
impl<K: Into<Arc<str>>, V: Into<Box<str>>> FromIterator<(K, V)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut entries: Vec<(Arc<str>, Box<str>)> = iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        // Already sorted with unique keys (as the planner builds them): kept as they are,
        // in a list of exactly their number (collected in place from a list of wider
        // items, it would keep that list's whole allocation: 50 MB at 100,000 people).
        if entries.windows(2).all(|w| w[0].0 < w[1].0) {
            entries.shrink_to_fit();
            return Attributes(entries);
        }
        // Stable: equal keys stay in input order, and the last of them is kept below.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Arc<str>, Box<str>)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match out.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => out.push(entry),
            }
        }
        Attributes(out)
    }
}

impl<K: Into<Arc<str>>, V: Into<Box<str>>, const N: usize> From<[(K, V); N]> for Attributes {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(BTreeMap::<String, String>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Behaves as a `BTreeMap<String, String>` built from the same entries: same
        /// lookups, same order, same JSON.
        #[test]
        fn behaves_as_a_sorted_map(entries in prop::collection::vec(("[a-c]{0,2}", "[x-z]{0,2}"), 0..12)) {
            let map: BTreeMap<String, String> = entries.iter().cloned().collect();
            let attrs: Attributes = entries.iter().cloned().collect();
            prop_assert_eq!(attrs.len(), map.len());
            let pairs: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            prop_assert_eq!(attrs.iter().collect::<Vec<_>>(), pairs);
            for (k, _) in &entries {
                prop_assert_eq!(attrs.get(k), map.get(k).map(String::as_str));
            }
            prop_assert_eq!(attrs.get("nope"), None);
            let json = serde_json::to_string(&attrs).unwrap_or_default();
            prop_assert_eq!(&json, &serde_json::to_string(&map).unwrap_or_default());
            let back: Attributes = serde_json::from_str(&json).unwrap_or_default();
            prop_assert_eq!(back, attrs.clone());
            let mut inserted = Attributes::new();
            for (k, v) in &entries {
                inserted.insert(k.as_str(), v.as_str());
            }
            prop_assert_eq!(inserted, attrs);
        }
    }
}
