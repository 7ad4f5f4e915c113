//! How far each scheduled sync this process runs has come: the employees read from
//! Personio so far (and the total when Personio says it), per account, for the web app's
//! live status. Written only by the scheduler's progress callback, read by anyone;
//! forgotten when the sync ends (the [`Tracker`] is dropped, also when it fails).
//!
//! It is in-memory and per process: another process's sync shows no progress here (the
//! page then says since when it runs). It must never influence a sync: it only records
//! what the fetch reports.

use staffsync_store::AccountId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// How far one sync's fetch has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchProgress {
    pub employees_read: usize,
    /// Known once Personio's first page has said it.
    pub employees_total: Option<usize>,
}

/// The progress of every sync this process runs now.
#[derive(Debug, Default)]
pub struct Board(Mutex<HashMap<AccountId, FetchProgress>>);

impl Board {
    /// How far `account`'s running sync has come, if this process runs one that reported.
    pub fn get(&self, account: AccountId) -> Option<FetchProgress> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&account)
            .copied()
    }

    /// Starts recording `account`'s sync: nothing read yet.
    pub(crate) fn track(self: &Arc<Self>, account: AccountId) -> Tracker {
        self.set(
            account,
            FetchProgress {
                employees_read: 0,
                employees_total: None,
            },
        );
        Tracker {
            board: self.clone(),
            account,
        }
    }

    fn set(&self, account: AccountId, progress: FetchProgress) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(account, progress);
    }
}

/// Records one sync's progress; forgets it when dropped.
#[derive(Debug)]
pub(crate) struct Tracker {
    board: Arc<Board>,
    account: AccountId,
}

impl Tracker {
    /// The fetch's callback: `read` employees so far, of `total` when known.
    pub(crate) fn report(&self, read: usize, total: Option<usize>) {
        self.board.set(
            self.account,
            FetchProgress {
                employees_read: read,
                employees_total: total,
            },
        );
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.board
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_per_account_and_gone_when_the_sync_ends() {
        let board = Arc::new(Board::default());
        let (a, b) = (AccountId(1), AccountId(2));
        let tracker = board.track(a);
        assert_eq!(
            board.get(a),
            Some(FetchProgress {
                employees_read: 0,
                employees_total: None
            })
        );
        tracker.report(100, Some(250));
        assert_eq!(board.get(a).map(|p| p.employees_read), Some(100));
        assert_eq!(board.get(a).and_then(|p| p.employees_total), Some(250));
        assert_eq!(board.get(b), None);
        drop(tracker);
        assert_eq!(board.get(a), None);
    }
}
