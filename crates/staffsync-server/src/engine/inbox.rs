//! The automated drop: each file account has a folder `<inbox>/<slug>/` (by default
//! `<data-dir>/inbox/<slug>/`, created for it) where the customer's system puts
//! `employees.csv` or `employees.xlsx` (any `.csv`, `.xlsx` or `.ods`), for example over
//! SFTP (docs/employee-file.md says how an operator sets that up).
//!
//! On each scheduler tick the newest file that has not changed for the settle time
//! (so a file still being uploaded is left alone) is imported like an upload, and then
//! moved, with a time stamp in front of its name, to `processed/` (imported; a
//! `.result.txt` beside it says what changed and which rows were left out) or to
//! `rejected/` (not imported; a `.reason.txt` beside it says why). Older files that
//! arrived before it are moved to `rejected/` as superseded: the newest file is the
//! company. Hidden files and names ending in `.part`, `.tmp` or `.filepart` (uploads in
//! progress) are never read.
//!
//! This module must never import a file it could not read whole, never delete a file
//! (it only moves them), and never import into an account that does not take files.

use crate::engine::imports::{self, ImportError};
use crate::engine::sync_job::{SyncOptions, SyncReport, SyncResult};
use crate::state::AppState;
use employee_file::{Format, Limits};
use staffsync_store::{Account, AccountSource};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// Where a file went, and the text written beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Processed { file: PathBuf, result: String },
    Rejected { file: PathBuf, reason: String },
}

/// One pass over every file account's folder. Errors are logged per account.
pub async fn step(state: &AppState) {
    let Some(root) = state.config.inbox_dir.clone() else {
        return;
    };
    let accounts = match state.store.accounts().await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "inbox: could not list accounts");
            return;
        }
    };
    for account in accounts
        .into_iter()
        .filter(|a| a.source == AccountSource::File)
    {
        let dir = root.join(account.slug.as_str());
        match check(state, &account, &dir).await {
            Ok(outcomes) => {
                for o in outcomes {
                    tracing::info!(account = %account.slug, outcome = ?o, "inbox: file handled");
                }
            }
            Err(e) => {
                tracing::warn!(account = %account.slug, error = %e, "inbox: could not read the folder")
            }
        }
    }
}

/// Handles `dir`, the inbox of `account`: imports its newest settled file, if any.
pub async fn check(
    state: &AppState,
    account: &Account,
    dir: &Path,
) -> std::io::Result<Vec<Outcome>> {
    tokio::fs::create_dir_all(dir).await?;
    let mut files = candidates(dir, state.config.inbox_settle).await?;
    let Some((newest, _)) = files.pop() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (older, _) in files {
        let reason = format!(
            "superseded: {} arrived later and was imported instead",
            file_name(&newest)
        );
        out.push(reject(dir, &older, &reason).await?);
    }
    match import(state, account, &newest).await {
        Ok(None) => {} // the account is busy: the file waits for the next tick
        Ok(Some(Ok(result))) => out.push(process(dir, &newest, &result).await?),
        Ok(Some(Err(reason))) => out.push(reject(dir, &newest, &reason).await?),
        Err(e) => out.push(reject(dir, &newest, &format!("could not be read: {e}")).await?),
    }
    Ok(out)
}

/// The importable files of `dir` that have not changed for `settle`, oldest first.
async fn candidates(dir: &Path, settle: Duration) -> std::io::Result<Vec<(PathBuf, SystemTime)>> {
    let mut out = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    let now = SystemTime::now();
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        let meta = entry.metadata().await?;
        if !meta.is_file() || !importable_name(&file_name(&path)) {
            continue;
        }
        let modified = meta.modified()?;
        if now.duration_since(modified).unwrap_or_default() < settle {
            continue;
        }
        out.push((path, modified));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

fn importable_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with('.')
        || [".part", ".tmp", ".filepart"]
            .iter()
            .any(|s| lower.ends_with(s))
    {
        return false;
    }
    Format::from_file_name(&lower).is_some()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Imports `path`: `Ok(None)` when the account is busy, else the result text of an
/// applied import or the reason it was not.
async fn import(
    state: &AppState,
    account: &Account,
    path: &Path,
) -> std::io::Result<Option<Result<String, String>>> {
    let limit = state.config.max_upload_bytes;
    let size = tokio::fs::metadata(path).await?.len();
    if size > limit {
        return Ok(Some(Err(format!(
            "the file has {size} bytes, more than the {limit} bytes allowed"
        ))));
    }
    let bytes = tokio::fs::read(path).await?;
    let Some(format) = Format::from_file_name(&file_name(path)) else {
        return Ok(Some(Err("not a .csv, .xlsx or .ods file".to_owned())));
    };
    let limits = Limits {
        max_bytes: limit,
        ..Limits::default()
    };
    let file = match imports::read(state, account.id, bytes, format, None, limits).await {
        Ok(file) => file,
        Err(ImportError::Busy | ImportError::ServerBusy) => return Ok(None),
        Err(ImportError::Refused(e)) => return Ok(Some(Err(e.to_string()))),
        Err(e) => return Ok(Some(Err(e.to_string()))),
    };
    let options = SyncOptions {
        today: Some(state.today_in(&account.time_zone)),
        ..SyncOptions::default()
    };
    let holder = format!("{}:inbox", state.config.instance_id);
    match imports::import_now(state, account, file, &options, &holder).await {
        Ok(report) => Ok(Some(summary(&report))),
        Err(ImportError::Busy) => Ok(None),
        Err(e) => Ok(Some(Err(e.to_string()))),
    }
}

/// What an import did, as the text beside the file (`Err` when it was not applied).
fn summary(report: &SyncReport) -> Result<String, String> {
    let plan = &report.plan;
    let mut text = format!(
        "run {}: {} created, {} updated, {} removed, {} skipped, {} unchanged\n",
        report.run_id.0,
        plan.creates.len(),
        plan.updates.len(),
        plan.removals.len(),
        plan.skips.len(),
        plan.unchanged,
    );
    if let Some(import) = &report.import {
        for e in &import.row_errors {
            text.push_str(&format!(
                "row {}, column {}: {}\n",
                e.row, e.column, e.message
            ));
        }
    }
    match (report.result, &plan.held) {
        (SyncResult::Held, Some(held)) => Err(format!(
            "held, nothing changed: it would remove {} of {} people, more than the deletion \
             guard allows. Review run {} in the web app's history; to apply it, upload the \
             file under Menü → Integration and confirm the removals, or run `staffsync \
             import <slug> FILE --accept-deletions`.\n{text}",
            held.removing, held.directory_size, report.run_id.0
        )),
        _ => Ok(text),
    }
}

async fn process(dir: &Path, file: &Path, result: &str) -> std::io::Result<Outcome> {
    let to = move_to(dir, "processed", file, "result", result).await?;
    Ok(Outcome::Processed {
        file: to,
        result: result.to_owned(),
    })
}

async fn reject(dir: &Path, file: &Path, reason: &str) -> std::io::Result<Outcome> {
    let to = move_to(dir, "rejected", file, "reason", reason).await?;
    Ok(Outcome::Rejected {
        file: to,
        reason: reason.to_owned(),
    })
}

/// Moves `file` into `dir/<folder>/` as `<UTC time stamp>-<name>` and writes `text`
/// beside it as `<that name>.<suffix>.txt`.
async fn move_to(
    dir: &Path,
    folder: &str,
    file: &Path,
    suffix: &str,
    text: &str,
) -> std::io::Result<PathBuf> {
    let target = dir.join(folder);
    tokio::fs::create_dir_all(&target).await?;
    let stamp = OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let mut to = target.join(format!("{stamp}-{}", file_name(file)));
    let mut n = 1;
    while tokio::fs::try_exists(&to).await? {
        n += 1;
        to = target.join(format!("{stamp}-{n}-{}", file_name(file)));
    }
    tokio::fs::rename(file, &to).await?;
    let note = PathBuf::from(format!("{}.{suffix}.txt", to.display()));
    tokio::fs::write(&note, text).await?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::importable_name;

    #[test]
    fn only_finished_spreadsheets_are_picked_up() {
        for name in ["employees.csv", "Employees.XLSX", "mitarbeiter.ods"] {
            assert!(importable_name(name), "{name}");
        }
        for name in [
            ".employees.csv",
            "employees.csv.part",
            "employees.csv.filepart",
            "employees.xlsx.tmp",
            "employees.txt",
            "employees.xls",
        ] {
            assert!(!importable_name(name), "{name}");
        }
    }
}
