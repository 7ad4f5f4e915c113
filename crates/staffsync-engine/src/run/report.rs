//! What a run is asked ([`SyncOptions`]), what it answers ([`SyncReport`]) and how it
//! fails ([`SyncError`]). Values only: the pipeline that makes them is [`run`](super::run).

use employee_file::RowError;
use serde::Serialize;
use staffsync_core::{PersonKey, Plan, RunFailure, Settings};
use staffsync_store::{RunId, StoreError};
use std::collections::BTreeMap;
use time::Date;

/// How to run a sync.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Plan and record the plan, change nothing.
    pub dry_run: bool,
    /// The held run whose removals an admin reviewed and accepted: this run may remove
    /// those people (and no one else) beyond the deletion guard. Void when that run is no
    /// longer `held` (a newer run superseded it, or it was rejected).
    pub accept_held: Option<RunId>,
    /// Overrides "today" (tests, and replaying a day). Default: today in the account's zone.
    pub today: Option<Date>,
    /// Overrides the client's pacing (benchmarks against a simulator without limits).
    pub unlimited_rate: bool,
    /// The per-IP budget shared with the process's other syncs (`serve`), if any.
    pub ip_budget: Option<personio::IpBudget>,
    /// Plan with these settings instead of the account's (a settings preview; only
    /// with `dry_run`, so a document nobody saved never changes the directory).
    pub settings: Option<Settings>,
}

/// What a finished run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncResult {
    Applied,
    DryRun,
    /// The deletion guard stopped it; nothing changed.
    Held,
}

impl SyncResult {
    /// The `result` label of `staffsync_syncs_total`.
    pub fn label(self) -> &'static str {
        match self {
            SyncResult::Applied => "applied",
            SyncResult::DryRun => "dry_run",
            SyncResult::Held => "held",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub run_id: RunId,
    pub result: SyncResult,
    pub fetched: usize,
    pub today: String,
    pub plan: Plan,
    /// An import's rows with errors and its people's `ImportId`s; `None` for Personio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportDetails>,
}

/// What an import adds to its [`SyncReport`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportDetails {
    /// The file's rows left out, each naming its row, column and problem (their people,
    /// when the row has an `ImportId`, are kept as they are).
    pub row_errors: Vec<RowError>,
    /// Rows applied with a value left out (a `ReportsToId` naming nobody in the file: the
    /// row applied without a manager), each naming its row, column and why.
    pub row_warnings: Vec<RowError>,
    /// The `ImportId` of every key in the file (a dry run's provisional keys included;
    /// people only in the directory are not here: see `Store::import_ids`).
    #[serde(skip)]
    pub import_ids: BTreeMap<PersonKey, String>,
}

/// Why a run failed. In every case the directory is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("account {0} is not connected to Personio (run `staffsync connect` first)")]
    NotConnected(String),
    /// A Personio run asked of a file account: it never contacts Personio.
    #[error("account {0} takes employee files: use `staffsync import`")]
    FileAccount(String),
    /// An import asked of a Personio account.
    #[error(
        "account {0} syncs from Personio and takes no employee files (create an account with `staffsync account create <slug> --source file` for files)"
    )]
    PersonioAccount(String),
    /// A Personio run or an import asked of a SCIM account: its people are what the
    /// identity provider pushed.
    #[error(
        "account {0} takes its people from an identity provider over SCIM (/scim/v2): it is neither synced from Personio nor imported"
    )]
    ScimAccount(String),
    #[error(transparent)]
    Personio(#[from] personio::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lease passed in is for account {lease}, not for account {account}")]
    WrongLease { lease: String, account: String },
}

/// Progress of the fetch, for a progress bar: (employees read so far, total when known).
pub type ProgressFn<'a> = &'a (dyn Fn(usize, Option<usize>) + Send + Sync);

impl SyncError {
    /// The failure as a value (what the run records and the pages say in their language):
    /// its kind and parameters, never a remote server's text.
    pub fn failure(&self) -> RunFailure {
        use personio::Error as P;
        match self {
            SyncError::Personio(p) => match p {
                P::WrongCredentials
                | P::Unauthorized { .. }
                | P::Api {
                    status: 401 | 403, ..
                } => RunFailure::CredentialRejected,
                P::AttributeNotReadable { attribute } => RunFailure::AttributeUnreadable {
                    attribute: attribute.clone(),
                },
                P::Unavailable { status, .. } => RunFailure::SourceUnavailable { status: *status },
                P::RateLimited { .. } => RunFailure::SourceRateLimited,
                P::Malformed { .. } | P::IncompleteListing { .. } => RunFailure::SourceInconsistent,
                P::Redirected { .. } | P::Config(_) => RunFailure::SourceAddress,
                P::Api { status, .. } => RunFailure::SourceRefused {
                    status: Some(*status),
                },
                _ => RunFailure::SourceRefused { status: None },
            },
            SyncError::NotConnected(_) => RunFailure::NotConnected,
            SyncError::FileAccount(_)
            | SyncError::PersonioAccount(_)
            | SyncError::ScimAccount(_) => RunFailure::WrongSource,
            SyncError::Store(_) | SyncError::WrongLease { .. } => RunFailure::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_keeps_its_kind_and_parameters_and_no_remote_text() {
        let down = SyncError::Personio(personio::Error::Unavailable {
            status: Some(500),
            detail: "Something went wrong".into(),
        });
        assert_eq!(
            down.failure(),
            RunFailure::SourceUnavailable { status: Some(500) }
        );
        assert!(!down.failure().message("Personio").contains("Something"));
        let missing = SyncError::Personio(personio::Error::AttributeNotReadable {
            attribute: "department".into(),
        });
        assert_eq!(
            missing.failure(),
            RunFailure::AttributeUnreadable {
                attribute: "department".into()
            }
        );
        let refused = SyncError::Personio(personio::Error::Api {
            status: 403,
            path: "/v1/company/employees".into(),
            message: "Forbidden".into(),
        });
        assert_eq!(refused.failure(), RunFailure::CredentialRejected);
    }
}
