//! Importing an employee file for someone waiting on it (a web upload, the REST API) or
//! for the inbox: takes the account's lease at once or not at all, runs
//! [`run::run`] with the file with the lease renewed, gives it back, and tells the alerts
//! how it went.
//!
//! An import is a run like a full sync: it needs the lease, so it never interrupts a
//! running one; a busy account is refused, not waited for. The run is spawned, so a
//! caller that goes away (a dropped request) never leaves half a run. [`read`] parses the
//! file on the blocking pool for every channel, in a [`ParseSlots`] slot: one file of an
//! account at a time (a second is refused as busy, like a second run), [`SERVER_PARSES`]
//! for the whole server (a file waits up to [`SERVER_WAIT`] for one). Parsing happens
//! before the lease is taken, so without the slots parallel uploads would add up their
//! memory (each up to the reader's budget, about 250 MB). This module must never apply
//! anything but through `run::run`, nor parse a file outside a slot.

use crate::alerts::{self, Origin};
use crate::lease::{self, LeaseError};
use crate::run::{self, Scope, SyncError, SyncOptions, SyncReport};
use crate::sources::{Given, Source};
use crate::state::AppState;
use employee_file::{EmployeeFile, Format, Limits, ReadError};
use staffsync_store::{Account, AccountId};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Employee files parsed at once in this process: each may take up to the reader's
/// budget (about 250 MB, docs/benchmarks.md "Hostile files"), and one at a time keeps the
/// peak for any hostile upload under 300 MB; a large legitimate file is a few seconds of
/// one core, well within [`SERVER_WAIT`] for the next.
pub const SERVER_PARSES: usize = 1;
/// How long a file waits for one of the server's slots before it is refused as
/// [`ImportError::ServerBusy`]: many times the longest legitimate parse.
pub const SERVER_WAIT: Duration = Duration::from_secs(60);

/// Why an import did not produce a run.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("another sync or import of this account is running; try again when it has finished")]
    Busy,
    #[error(transparent)]
    Lease(LeaseError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The spawned run ended without an answer (it panicked): the lease expires by itself.
    #[error("the import stopped unexpectedly: {0}")]
    Stopped(String),
    /// The file was not read ([`read`]).
    #[error("the file was refused: {0}")]
    Refused(ReadError),
    /// Every parsing slot of the server stayed taken for [`SERVER_WAIT`].
    #[error("the server is reading other employee files; try again in a minute")]
    ServerBusy,
}

/// Who may parse an employee file now: one file per account, a few per server.
#[derive(Debug)]
pub struct ParseSlots {
    /// Accounts whose file is being parsed (or waiting for a server slot).
    accounts: Mutex<HashSet<AccountId>>,
    server: Arc<Semaphore>,
}

/// A taken slot; given back when dropped (after the parse, also when the caller is gone).
#[derive(Debug)]
struct ParseSlot {
    _account: AccountSlot,
    _server: OwnedSemaphorePermit,
}

/// An account's slot, given back when dropped.
#[derive(Debug)]
struct AccountSlot {
    slots: Arc<ParseSlots>,
    account: AccountId,
}

impl Drop for AccountSlot {
    fn drop(&mut self) {
        self.slots
            .accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.account);
    }
}

impl ParseSlots {
    /// Slots for `server` files at once (at least one).
    pub fn new(server: usize) -> Self {
        ParseSlots {
            accounts: Mutex::default(),
            server: Arc::new(Semaphore::new(server.max(1))),
        }
    }

    /// A slot for `account`: refused at once as [`ImportError::Busy`] while another file
    /// of the account is parsed or waiting, else waits up to `wait` for a server slot.
    /// The account's slot is taken first, so one account never holds two places in the
    /// server's queue.
    async fn take(
        self: &Arc<Self>,
        account: AccountId,
        wait: Duration,
    ) -> Result<ParseSlot, ImportError> {
        let newly = self
            .accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(account);
        if !newly {
            return Err(ImportError::Busy);
        }
        let account = AccountSlot {
            slots: self.clone(),
            account,
        };
        let permit = tokio::time::timeout(wait, self.server.clone().acquire_owned()).await;
        match permit {
            Ok(Ok(permit)) => Ok(ParseSlot {
                _account: account,
                _server: permit,
            }),
            // The semaphore is never closed; timed out.
            _ => Err(ImportError::ServerBusy),
        }
    }

    /// Runs `work` on the blocking pool in a slot of `account` (see [`ParseSlots::take`]);
    /// the slot is held until `work` returns, also when the caller stops waiting.
    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        account: AccountId,
        wait: Duration,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ImportError> {
        let slot = self.take(account, wait).await?;
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(slot);
            out
        })
        .await
        .map_err(|e| ImportError::Stopped(format!("reading the file stopped unexpectedly: {e}")))
    }
}

/// Reads `bytes` as `format` with [`employee_file::read`] on the blocking pool (a large
/// workbook is seconds of CPU work, which must not stall the server's request threads),
/// in a parsing slot of `account` (see the module docs).
pub async fn read(
    state: &AppState,
    account: AccountId,
    bytes: impl AsRef<[u8]> + Send + 'static,
    format: Format,
    sheet: Option<String>,
    limits: Limits,
) -> Result<EmployeeFile, ImportError> {
    let parse = move || employee_file::read(bytes.as_ref(), format, sheet.as_deref(), &limits);
    state
        .parse_slots
        .run(account, SERVER_WAIT, parse)
        .await?
        .map_err(ImportError::Refused)
}

/// Imports `file` into `account` under a lease held by `holder` (see the module docs).
pub async fn import_now(
    state: &AppState,
    account: &Account,
    file: EmployeeFile,
    options: &SyncOptions,
    holder: &str,
) -> Result<SyncReport, ImportError> {
    let lease_len = state.config.lease;
    let lease =
        match lease::acquire(&state.store, account.id, holder, lease_len, Duration::ZERO).await {
            Ok(lease) => lease,
            Err(LeaseError::Busy { .. }) => return Err(ImportError::Busy),
            Err(e) => return Err(ImportError::Lease(e)),
        };
    let (state, account, options) = (state.clone(), account.clone(), options.clone());
    let run = tokio::spawn(async move {
        let store = &state.store;
        let work = async {
            let source = Source::open(store, &account, Given::File(file)).await?;
            let report = run::run(store, &lease, &account, source, Scope::Everyone, &options);
            Ok::<_, SyncError>(run::full(report.await?))
        };
        let report = lease::with_lease_renewal(store, &lease, lease_len, work).await;
        lease::give_back(store, lease).await;
        if let Ok(report) = &report {
            let full = Origin::Full { failures: 0 };
            alerts::after_run(&state, account.id, full, Ok(Some(report))).await;
        }
        report
    });
    let report = run.await.map_err(|e| ImportError::Stopped(e.to_string()))?;
    Ok(report?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    /// Bounded waits for the blocking work's signals: a failing test, never a hanging one.
    const SIGNAL: Duration = Duration::from_secs(10);

    /// A parse that says when it started and runs until told to finish.
    fn held_parse() -> (
        impl FnOnce() -> usize + Send + 'static,
        mpsc::Receiver<()>,
        mpsc::Sender<()>,
    ) {
        let (started_tx, started) = mpsc::channel();
        let (finish, finish_rx) = mpsc::channel::<()>();
        let work = move || {
            started_tx.send(()).unwrap();
            finish_rx.recv_timeout(SIGNAL).unwrap();
            7
        };
        (work, started, finish)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_parse_per_account_at_a_time() {
        let slots = Arc::new(ParseSlots::new(2));
        let account = AccountId(1);
        let (work, started, finish) = held_parse();
        let first = tokio::spawn({
            let slots = slots.clone();
            async move { slots.run(account, SERVER_WAIT, work).await }
        });
        started.recv_timeout(SIGNAL).unwrap();

        // While the first parse runs, every other file of the account is refused at once.
        for _ in 0..8 {
            let second = slots.run(account, SERVER_WAIT, || 0).await;
            assert!(matches!(second, Err(ImportError::Busy)), "{second:?}");
        }
        // Another account is not held up.
        assert_eq!(slots.run(AccountId(2), SERVER_WAIT, || 2).await.unwrap(), 2);

        finish.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 7);
        // Given back after the parse.
        assert_eq!(slots.run(account, SERVER_WAIT, || 1).await.unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_reads_of_one_account_never_parse_in_parallel() {
        let slots = Arc::new(ParseSlots::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tries = (0..16).map(|_| {
            let (slots, inside, most) = (slots.clone(), inside.clone(), most.clone());
            tokio::spawn(async move {
                let work = move || {
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                };
                slots.run(AccountId(1), SERVER_WAIT, work).await
            })
        });
        let mut parsed = 0;
        for t in tries.collect::<Vec<_>>() {
            match t.await.unwrap() {
                Ok(()) => parsed += 1,
                Err(ImportError::Busy) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert!(parsed >= 1);
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_server_parses_a_few_files_at_once() {
        let slots = Arc::new(ParseSlots::new(2));
        let mut held = Vec::new();
        for account in 1..=2 {
            let (work, started, finish) = held_parse();
            let slots = slots.clone();
            let run =
                tokio::spawn(async move { slots.run(AccountId(account), SERVER_WAIT, work).await });
            started.recv_timeout(SIGNAL).unwrap();
            held.push((run, finish));
        }
        // Both server slots taken: a third account's file is refused when it cannot wait…
        let third = slots.run(AccountId(3), Duration::ZERO, || 3).await;
        assert!(matches!(third, Err(ImportError::ServerBusy)), "{third:?}");
        // …and its account slot is given back with it; waiting, it gets the next one.
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.run(AccountId(3), SERVER_WAIT, || 3).await }
        });
        let (run, finish) = held.remove(0);
        finish.send(()).unwrap();
        assert_eq!(run.await.unwrap().unwrap(), 7);
        assert_eq!(waiting.await.unwrap().unwrap(), 3);
        let (run, finish) = held.remove(0);
        finish.send(()).unwrap();
        assert_eq!(run.await.unwrap().unwrap(), 7);
    }
}
