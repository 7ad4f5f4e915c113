//! Importing an employee file for someone waiting on it (a web upload, the REST API) or
//! for the inbox: takes the account's lease at once or not at all, runs
//! [`sync_job::run_import`] with the lease renewed, gives it back, and tells the alerts
//! how it went.
//!
//! An import is a run like a full sync: it needs the lease, so it never interrupts a
//! running one; a busy account is refused, not waited for. The run is spawned, so a
//! caller that goes away (a dropped request) never leaves half a run. [`read`] parses the
//! file on the blocking pool for every channel. This module must never apply anything
//! but through `run_import`.

use crate::alerts::{self, Origin};
use crate::lease::{self, LeaseError};
use crate::state::AppState;
use crate::sync_job::{self, SyncError, SyncOptions, SyncReport};
use employee_file::{EmployeeFile, Format, Limits, ReadError};
use staffsync_store::Account;
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
    /// The spawned run ended without an answer (it panicked): the lease expires by itself.
    #[error("the import stopped unexpectedly: {0}")]
    Stopped(String),
}

/// Reads `bytes` as `format` with [`employee_file::read`] on the blocking pool: a large
/// workbook is seconds of CPU work, which must not stall the server's request threads.
pub async fn read(
    bytes: impl AsRef<[u8]> + Send + 'static,
    format: Format,
    sheet: Option<String>,
    limits: Limits,
) -> Result<EmployeeFile, ReadError> {
    tokio::task::spawn_blocking(move || {
        employee_file::read(bytes.as_ref(), format, sheet.as_deref(), &limits)
    })
    .await
    .unwrap_or_else(|e| {
        Err(ReadError::Corrupt {
            format,
            detail: format!("reading it stopped unexpectedly: {e}"),
        })
    })
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
        let work = sync_job::run_import(store, &lease, &account, file, &options);
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
