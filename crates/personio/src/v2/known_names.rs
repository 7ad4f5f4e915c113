//! Names of org units and offices a client looked up recently, so that the targeted runs
//! webhooks start (one or two people each) do not ask for the same department's name on
//! every event.
//!
//! Units get renamed, and Personio sends no webhook for that, so a name is trusted only
//! for [`KNOWN_NAME_TTL`], and only by targeted fetches: a full listing always asks
//! again (it is what picks up renames) and refreshes what is kept here. The owner of a
//! long-lived client drops it after a full sync that ran on another client (see
//! `staffsync-server`'s client cache), so a targeted run never writes back a name older
//! than the directory's. This module must never hand out a name older than the TTL.

use super::LookupKind;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a looked-up name serves targeted fetches of the same client.
pub const KNOWN_NAME_TTL: Duration = Duration::from_secs(10 * 60);

/// The names, with when each was looked up.
#[derive(Debug, Default)]
pub(crate) struct KnownNames(Mutex<HashMap<(LookupKind, String), (String, Instant)>>);

impl KnownNames {
    /// The name of `id`, if it was looked up less than [`KNOWN_NAME_TTL`] ago.
    pub(crate) fn get(&self, kind: LookupKind, id: &str) -> Option<String> {
        let names = self.0.lock().unwrap_or_else(|p| p.into_inner());
        names
            .get(&(kind, id.to_owned()))
            .filter(|(_, at)| at.elapsed() < KNOWN_NAME_TTL)
            .map(|(name, _)| name.clone())
    }

    /// Keeps `name` for `id`, looked up just now (expired entries go at the same time).
    pub(crate) fn put(&self, kind: LookupKind, id: &str, name: &str) {
        let mut names = self.0.lock().unwrap_or_else(|p| p.into_inner());
        names.retain(|_, (_, at)| at.elapsed() < KNOWN_NAME_TTL);
        names.insert((kind, id.to_owned()), (name.to_owned(), Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_known_by_kind_and_id_and_replaced_by_a_newer_one() {
        let known = KnownNames::default();
        assert_eq!(known.get(LookupKind::OrgUnit, "7"), None);
        known.put(LookupKind::OrgUnit, "7", "Vertrieb");
        assert_eq!(
            known.get(LookupKind::OrgUnit, "7").as_deref(),
            Some("Vertrieb")
        );
        assert_eq!(known.get(LookupKind::Office, "7"), None);
        known.put(LookupKind::OrgUnit, "7", "Vertrieb DACH");
        assert_eq!(
            known.get(LookupKind::OrgUnit, "7").as_deref(),
            Some("Vertrieb DACH")
        );
    }
}
