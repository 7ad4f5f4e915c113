//! Importing an employee file for someone waiting on it (a web upload, the REST API) or
//! for the inbox: takes the account's lease at once or not at all, runs
//! [`sync_job::run_import`] with the lease renewed, and gives it back.
//!
//! An import is a run like a full sync: it needs the lease, so it never interrupts a
//! running one; a busy account is refused, not waited for. This module must never read a
//! file itself (its callers hand in what `employee_file::read` accepted) and never apply
//! anything but through `run_import`.

use crate::engine::lease::{self, LeaseError};
use crate::engine::sync_job::{self, SyncError, SyncOptions, SyncReport};
use employee_file::EmployeeFile;
use staffsync_store::{Account, Store};
use std::time::Duration;

/// Why an import did not produce a run.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("another sync or import of this account is running; try again when it has finished")]
    Busy,
    #[error(transparent)]
    Lease(LeaseError),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

/// Imports `file` into `account` under a lease held by `holder` (see the module docs).
pub async fn import_now(
    store: &Store,
    account: &Account,
    file: EmployeeFile,
    options: &SyncOptions,
    holder: &str,
    lease_len: Duration,
) -> Result<SyncReport, ImportError> {
    let lease = match lease::acquire(store, account.id, holder, lease_len, Duration::ZERO).await {
        Ok(lease) => lease,
        Err(LeaseError::Busy { .. }) => return Err(ImportError::Busy),
        Err(e) => return Err(ImportError::Lease(e)),
    };
    let run = sync_job::run_import(store, &lease, account, file, options);
    let outcome = lease::with_lease_renewal(store, &lease, lease_len, run).await;
    lease::give_back(store, lease).await;
    Ok(outcome?)
}
