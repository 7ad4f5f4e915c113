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
//! The customer can create files, folders and symbolic links in their folder, so
//! everything here is done relative to directory handles, one name at a time, without
//! following a link: the account folder, `processed/` and `rejected/` are opened on every
//! pass with `O_NOFOLLOW` and must be real directories owned by the server's user, or the
//! whole pass of that account is refused (logged once, naming the path; the offending
//! entry is left as it is, never followed, never removed). Only regular files are read,
//! through the handle that was checked; files are moved with `renameat` (never
//! replacing anything) and notes are created with `O_EXCL | O_NOFOLLOW`, so a planted
//! link is never written through: another name is taken instead. Target names too long
//! for the file system are shortened (the extension kept). A file that still cannot be
//! moved is remembered in memory and not handled again until it changes; the pass goes
//! on with the next. Folders the server creates are `0700`; `processed/` and `rejected/`
//! give the group read access only when the operator made the account folder writable
//! for a group (the SFTP setup of docs/employee-file.md), never write access.
//!
//! This module must never import a file it could not read whole, never delete a file
//! (it only moves them), never follow a symbolic link inside the inbox, and never import
//! into an account that does not take files.

use crate::imports::{self, ImportError};
use crate::run::{SyncOptions, SyncReport, SyncResult};
use crate::state::AppState;
use employee_file::{Format, Limits};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RenameFlags, Stat};
use rustix::io::Errno;
use staffsync_store::Account;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// Where a file went, and the text written beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Processed { file: PathBuf, result: String },
    Rejected { file: PathBuf, reason: String },
}

/// Why an account's inbox pass did nothing.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// A folder is not one the server can trust (a symbolic link, not a directory, or
    /// another user's): nothing was read from it or moved into it.
    #[error(
        "{} {why}: nothing is imported from this inbox until an operator replaces it with a folder of the server's user (the server neither follows nor removes it)",
        path.display()
    )]
    Refused { path: PathBuf, why: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What the inbox remembers between passes, in memory per process.
#[derive(Debug, Default)]
pub struct Memory {
    /// Files handled once that could not be moved away: not handled again until they
    /// change (or the process restarts), so one stuck file is never imported on every tick.
    unmovable: Mutex<HashSet<FileKey>>,
    /// The refusal last logged per account folder, so a refused folder warns once.
    refused: Mutex<HashMap<PathBuf, String>>,
}

/// One version of one file in one folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FileKey {
    dir: PathBuf,
    name: OsString,
    inode: (i128, i128),
    size: i128,
    modified: i128,
}

impl Memory {
    fn remember_unmovable(&self, key: FileKey) {
        lock(&self.unmovable).insert(key);
    }

    fn is_unmovable(&self, key: &FileKey) -> bool {
        lock(&self.unmovable).contains(key)
    }

    /// Records that `dir` was refused for `why`: true when that is news (to be logged).
    fn refused(&self, dir: &Path, why: &str) -> bool {
        lock(&self.refused)
            .insert(dir.to_owned(), why.to_owned())
            .as_deref()
            != Some(why)
    }

    /// Records that `dir` was read: true when it had been refused before.
    fn accepted(&self, dir: &Path) -> bool {
        lock(&self.refused).remove(dir).is_some()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
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
        .filter(|a| crate::sources::of(a).takes_files)
    {
        let dir = root.join(account.slug.as_str());
        match check(state, &account, &dir).await {
            Ok(outcomes) => {
                if state.file_inbox.accepted(&dir) {
                    tracing::info!(account = %account.slug, path = %dir.display(), "inbox: the folder is read again");
                }
                for o in outcomes {
                    tracing::info!(account = %account.slug, outcome = ?o, "inbox: file handled");
                }
            }
            Err(e @ InboxError::Refused { .. }) => {
                if state.file_inbox.refused(&dir, &e.to_string()) {
                    tracing::warn!(account = %account.slug, "inbox: refused: {e}");
                }
            }
            Err(e) => {
                tracing::warn!(account = %account.slug, error = %e, "inbox: could not read the folder")
            }
        }
    }
}

/// Handles `dir`, the inbox of `account` (`<inbox>/<slug>`): imports its newest settled
/// file, if any. The inbox root is created (`0700`) when missing and followed as the
/// operator configured it; from the account folder down nothing is followed.
pub async fn check(
    state: &AppState,
    account: &Account,
    dir: &Path,
) -> Result<Vec<Outcome>, InboxError> {
    let settle = state.config.inbox_settle;
    let memory = state.file_inbox.clone();
    let path = dir.to_owned();
    let (folders, mut files) = blocking(dir, move || {
        let folders = Folders::open(&path)?;
        let files = candidates(&folders, settle, &memory)?;
        Ok((folders, files))
    })
    .await?;
    let Some(mut newest) = files.pop() else {
        return Ok(Vec::new());
    };
    let folders = Arc::new(folders);
    let mut out = Vec::new();
    for older in files {
        let reason = format!(
            "superseded: {} arrived later and was imported instead",
            newest.name.to_string_lossy()
        );
        out.extend(finish(state, &folders, older, Folder::Rejected, reason, false).await);
    }
    let limit = state.config.max_upload_bytes;
    let (f, name) = (folders.clone(), newest.name.clone());
    let read = blocking(dir, move || Ok(read_file(&f, &name, limit))).await?;
    let (folder, text, same) = match read {
        Err(reason) => (Folder::Rejected, reason, false),
        Ok((bytes, stat)) => {
            newest.stat = stat;
            match import(state, account, &newest.name, bytes).await {
                None => return Ok(out), // the account is busy: the file waits for the next tick
                Some(Ok(result)) => (Folder::Processed, result, true),
                Some(Err(reason)) => (Folder::Rejected, reason, true),
            }
        }
    };
    out.extend(finish(state, &folders, newest, folder, text, same).await);
    Ok(out)
}

/// Runs blocking file work for the inbox at `dir` off the async threads.
async fn blocking<T: Send + 'static>(
    dir: &Path,
    work: impl FnOnce() -> Result<T, InboxError> + Send + 'static,
) -> Result<T, InboxError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| InboxError::Io {
            path: dir.to_owned(),
            source: std::io::Error::other(e),
        })?
}

/// The two folders a handled file goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Folder {
    Processed,
    Rejected,
}

impl Folder {
    fn name(self) -> &'static str {
        match self {
            Folder::Processed => "processed",
            Folder::Rejected => "rejected",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Folder::Processed => "result",
            Folder::Rejected => "reason",
        }
    }
}

/// An account's inbox, opened and checked for this pass: every later step goes through
/// these handles, so replacing a folder by a link after the check changes nothing.
#[derive(Debug)]
struct Folders {
    path: PathBuf,
    inbox: OwnedFd,
    processed: OwnedFd,
    rejected: OwnedFd,
    /// The group's read permission on notes, when the operator shared the account folder.
    note_mode: u32,
}

impl Folders {
    fn open(dir: &Path) -> Result<Folders, InboxError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source: std::io::Error| InboxError::Io { path, source }
        };
        let (Some(root), Some(name)) = (dir.parent(), dir.file_name()) else {
            return Err(io(dir)(std::io::ErrorKind::InvalidInput.into()));
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(io(root))?;
        let root_fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io(root)(e.into()))?;
        let (inbox, stat) = own_folder(&root_fd, dir, name, 0o700)?;
        // The group the operator lets upload (a group-writable account folder: the SFTP
        // user's) may read the results, as it reads the folder; never write. Otherwise
        // (a 0755 folder of an older version too) the results are the server's alone.
        let shared = if stat.st_mode & 0o020 == 0 {
            0
        } else {
            stat.st_mode & 0o050
        };
        let results = |name: &str| -> Result<OwnedFd, InboxError> {
            let path = dir.join(name);
            let wanted = 0o700 | shared;
            let (fd, stat) = own_folder(&inbox, &path, name.as_ref(), wanted)?;
            // The results are the server's: a folder an older version made (0755, or
            // group-writable under a loose umask) gets the same modes as a new one.
            if stat.st_mode & 0o777 != wanted {
                let mode = (stat.st_mode & 0o7000) | wanted;
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))
                    .map_err(|e| io(&path)(e.into()))?;
                tracing::info!(path = %path.display(), "inbox: the folder's permissions set to {mode:o}");
            }
            Ok(fd)
        };
        let processed = results("processed")?;
        let rejected = results("rejected")?;
        Ok(Folders {
            path: dir.to_owned(),
            inbox,
            processed,
            rejected,
            note_mode: 0o600 | (shared & 0o040),
        })
    }

    fn fd(&self, folder: Folder) -> &OwnedFd {
        match folder {
            Folder::Processed => &self.processed,
            Folder::Rejected => &self.rejected,
        }
    }
}

/// Opens (creating it with `mode` when missing) the folder `name` of `parent` without
/// following a link, and checks that it is a directory of the server's user.
fn own_folder(
    parent: &OwnedFd,
    path: &Path,
    name: &OsStr,
    mode: u32,
) -> Result<(OwnedFd, Stat), InboxError> {
    let io = |e: Errno| InboxError::Io {
        path: path.to_owned(),
        source: e.into(),
    };
    let refused = |why: String| InboxError::Refused {
        path: path.to_owned(),
        why,
    };
    match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(mode)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(io(e)),
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(parent, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(e @ (Errno::LOOP | Errno::NOTDIR)) => {
            return Err(
                match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                        refused("is a symbolic link".to_owned())
                    }
                    Ok(_) => refused("is not a directory".to_owned()),
                    Err(_) => io(e),
                },
            );
        }
        Err(e) => return Err(io(e)),
    };
    let stat = rustix::fs::fstat(&fd).map_err(io)?;
    let me = rustix::process::geteuid().as_raw();
    if stat.st_uid != me {
        return Err(refused(format!(
            "belongs to user id {}, not to the server's user (id {me})",
            stat.st_uid
        )));
    }
    Ok((fd, stat))
}

/// A settled regular file of the inbox, as it was listed.
#[derive(Debug, Clone)]
struct Candidate {
    name: OsString,
    stat: Stat,
}

impl Candidate {
    fn key(&self, dir: &Path) -> FileKey {
        FileKey {
            dir: dir.to_owned(),
            name: self.name.clone(),
            inode: (i128::from(self.stat.st_dev), i128::from(self.stat.st_ino)),
            size: i128::from(self.stat.st_size),
            modified: modified_nanos(&self.stat),
        }
    }
}

fn modified_nanos(stat: &Stat) -> i128 {
    i128::from(stat.st_mtime) * 1_000_000_000 + i128::from(stat.st_mtime_nsec)
}

/// The importable regular files of the inbox that have not changed for `settle` and
/// are not known to be stuck, oldest first.
fn candidates(
    folders: &Folders,
    settle: Duration,
    memory: &Memory,
) -> Result<Vec<Candidate>, InboxError> {
    let io = |e: Errno| InboxError::Io {
        path: folders.path.clone(),
        source: e.into(),
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let settle = settle.as_nanos();
    let mut out = Vec::new();
    for entry in rustix::fs::Dir::read_from(&folders.inbox).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = OsStr::from_bytes(entry.file_name().to_bytes());
        if !importable_name(&name.to_string_lossy()) {
            continue;
        }
        let stat = match rustix::fs::statat(&folders.inbox, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => stat,
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(io(e)),
        };
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            continue;
        }
        let age = i128::try_from(now).unwrap_or(i128::MAX) - modified_nanos(&stat);
        if age < i128::try_from(settle).unwrap_or(i128::MAX) {
            continue;
        }
        let file = Candidate {
            name: name.to_owned(),
            stat,
        };
        if !memory.is_unmovable(&file.key(&folders.path)) {
            out.push(file);
        }
    }
    out.sort_by(|a, b| {
        modified_nanos(&a.stat)
            .cmp(&modified_nanos(&b.stat))
            .then_with(|| a.name.cmp(&b.name))
    });
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

/// Reads `name` of the inbox whole through one handle opened without following a link:
/// its bytes and what it is, or why it is not imported.
fn read_file(folders: &Folders, name: &OsStr, limit: u64) -> Result<(Vec<u8>, Stat), String> {
    let unreadable = |e: std::io::Error| format!("could not be read: {e}");
    // NONBLOCK: opening a FIFO put there in the meantime must not wait for a writer.
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(&folders.inbox, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::LOOP) => return Err("is a symbolic link, which is never read".to_owned()),
        Err(e) => return Err(unreadable(e.into())),
    };
    let stat = rustix::fs::fstat(&fd).map_err(|e| unreadable(e.into()))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err("is not a regular file".to_owned());
    }
    let too_big =
        |size: u64| format!("the file has {size} bytes, more than the {limit} bytes allowed");
    let size = u64::try_from(stat.st_size).unwrap_or_default();
    if size > limit {
        return Err(too_big(size));
    }
    let mut bytes = Vec::new();
    std::fs::File::from(fd)
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
    Ok((bytes, stat))
}

/// Imports the bytes of the file `name`: `None` when the account is busy, else the result
/// text of an applied import or the reason it was not.
async fn import(
    state: &AppState,
    account: &Account,
    name: &OsStr,
    bytes: Vec<u8>,
) -> Option<Result<String, String>> {
    let Some(format) = Format::from_file_name(&name.to_string_lossy()) else {
        return Some(Err("not a .csv, .xlsx or .ods file".to_owned()));
    };
    let limits = Limits {
        max_bytes: state.config.max_upload_bytes,
        ..Limits::default()
    };
    let file = match imports::read(state, account.id, bytes, format, None, limits).await {
        Ok(file) => file,
        Err(ImportError::Busy | ImportError::ServerBusy) => return None,
        Err(ImportError::Refused(e)) => return Some(Err(e.to_string())),
        Err(e) => return Some(Err(e.to_string())),
    };
    let options = SyncOptions {
        today: Some(state.today_in(&account.time_zone)),
        ..SyncOptions::default()
    };
    let holder = format!("{}:inbox", state.config.instance_id);
    match imports::import_now(state, account, file, &options, &holder).await {
        Ok(report) => Some(summary(&report)),
        Err(ImportError::Busy) => None,
        Err(e) => Some(Err(e.to_string())),
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
        for w in &import.row_warnings {
            text.push_str(&format!(
                "warning: row {}, column {}: {}\n",
                w.row, w.column, w.message
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

/// Moves `file` to `folder` with `text` beside it. When that fails the pass goes on and
/// the file is remembered, so it is not handled again on the next tick.
async fn finish(
    state: &AppState,
    folders: &Arc<Folders>,
    file: Candidate,
    folder: Folder,
    text: String,
    same_file: bool,
) -> Option<Outcome> {
    let (f, name, stat, note) = (folders.clone(), file.name.clone(), file.stat, text.clone());
    let moved = tokio::task::spawn_blocking(move || {
        move_to(&f, folder, &name, same_file.then_some(&stat), &note)
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    settle_move(&state.file_inbox, folders, &file, folder, moved, text)
}

/// The outcome of a move, or (it failed) the file remembered as stuck and the failure
/// logged.
fn settle_move(
    memory: &Memory,
    folders: &Folders,
    file: &Candidate,
    folder: Folder,
    moved: std::io::Result<PathBuf>,
    text: String,
) -> Option<Outcome> {
    match moved {
        Ok(to) => Some(match folder {
            Folder::Processed => Outcome::Processed {
                file: to,
                result: text,
            },
            Folder::Rejected => Outcome::Rejected {
                file: to,
                reason: text,
            },
        }),
        Err(e) => {
            tracing::warn!(
                path = %folders.path.join(&file.name).display(),
                error = %e,
                "inbox: could not move the file to {}/; it is not read again until it changes",
                folder.name()
            );
            memory.remember_unmovable(file.key(&folders.path));
            None
        }
    }
}

/// The longest file name the file systems we run on take (`NAME_MAX`), in bytes.
const NAME_MAX: usize = 255;
/// What a note's name adds to its file's: `.result.txt` or `.reason.txt`.
const NOTE_SUFFIX: usize = ".result.txt".len();

/// Moves `name` from the inbox into `folder` as `<UTC time stamp>-<name>` (with a counter
/// after the stamp when that is taken, the name shortened to fit) and creates `text`
/// beside it as `<that name>.<suffix>.txt`. Neither the file nor the note replaces or
/// writes through anything already there. With `same`, the file is moved only if it is
/// still the one that was read (not replaced meanwhile).
fn move_to(
    folders: &Folders,
    folder: Folder,
    name: &OsStr,
    same: Option<&Stat>,
    text: &str,
) -> std::io::Result<PathBuf> {
    let to = folders.fd(folder);
    if let Some(read) = same {
        let now = rustix::fs::statat(&folders.inbox, name, AtFlags::SYMLINK_NOFOLLOW)?;
        if (now.st_dev, now.st_ino) != (read.st_dev, read.st_ino) {
            return Err(std::io::Error::other(
                "it was replaced while it was imported (the new file waits for the next pass)",
            ));
        }
    }
    let stamp = OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let original = name.to_string_lossy();
    for n in 1..=1000 {
        let prefix = if n == 1 {
            format!("{stamp}-")
        } else {
            format!("{stamp}-{n}-")
        };
        let target = format!(
            "{prefix}{}",
            shorten(&original, NAME_MAX - NOTE_SUFFIX - prefix.len())
        );
        let note = format!("{target}.{}.txt", folder.suffix());
        if exists(to, &target)? || exists(to, &note)? {
            continue;
        }
        match rustix::fs::renameat_with(&folders.inbox, name, to, &target, RenameFlags::NOREPLACE) {
            Ok(()) => {}
            Err(Errno::EXIST) => continue,
            // A file system without RENAME_NOREPLACE: the name was free a moment ago, and
            // nobody but the server writes into this folder.
            Err(Errno::INVAL) => rustix::fs::renameat(&folders.inbox, name, to, &target)?,
            Err(e) => return Err(e.into()),
        }
        let path = folders.path.join(folder.name()).join(&target);
        if let Err(e) = write_note(to, &note, text, folders.note_mode) {
            tracing::warn!(path = %path.display(), error = %e, "inbox: moved the file but could not write the note beside it");
        }
        return Ok(path);
    }
    Err(std::io::Error::other("no free name for it"))
}

/// Whether `name` exists in `dir` (as anything, a link too).
fn exists(dir: &OwnedFd, name: &str) -> std::io::Result<bool> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(_) => Ok(true),
        Err(Errno::NOENT) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Creates the note `name` in `dir`: a new file, never one already there, never
/// through a link.
fn write_note(dir: &OwnedFd, name: &str, text: &str, mode: u32) -> std::io::Result<()> {
    let flags = OFlags::WRONLY
        | OFlags::CREATE
        | OFlags::EXCL
        | OFlags::NOFOLLOW
        | OFlags::NOCTTY
        | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(mode))?;
    std::fs::File::from(fd).write_all(text.as_bytes())
}

/// `name` cut to at most `max` bytes on a character boundary, its extension kept.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if name.len() - dot < max => name.split_at(dot),
        _ => (name, ""),
    };
    let mut end = max - ext.len();
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ext}", &stem[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_file_that_cannot_be_moved_is_not_handled_again_until_it_changes() {
        let tmp = tempfile::TempDir::new().unwrap();
        let dir = tmp.path().join("inbox").join("acme");
        let folders = Folders::open(&dir).unwrap();
        std::fs::write(dir.join("employees.csv"), "v1").unwrap();
        let memory = Memory::default();
        let files = candidates(&folders, Duration::ZERO, &memory).unwrap();
        assert_eq!(files.len(), 1);
        // `processed/` goes away under the open handle: the move fails (ENOENT).
        std::fs::remove_dir(dir.join("processed")).unwrap();

        let moved = move_to(&folders, Folder::Processed, &files[0].name, None, "ok");
        let outcome = settle_move(
            &memory,
            &folders,
            &files[0],
            Folder::Processed,
            moved,
            "ok".into(),
        );

        assert_eq!(outcome, None);
        assert!(dir.join("employees.csv").is_file(), "left where it was");
        assert!(
            candidates(&folders, Duration::ZERO, &memory)
                .unwrap()
                .is_empty()
        );
        std::fs::write(dir.join("employees.csv"), "v2, changed").unwrap();
        assert_eq!(
            candidates(&folders, Duration::ZERO, &memory).unwrap().len(),
            1
        );
    }

    #[test]
    fn only_regular_files_are_read_and_never_through_a_link() {
        let tmp = tempfile::TempDir::new().unwrap();
        let dir = tmp.path().join("inbox").join("acme");
        let folders = Folders::open(&dir).unwrap();
        let outside = tmp.path().join("secret.csv");
        std::fs::write(&outside, "secret").unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("link.csv")).unwrap();
        let fifo = OsStr::new("fifo.csv");
        rustix::fs::mknodat(
            &folders.inbox,
            fifo,
            FileType::Fifo,
            Mode::RUSR | Mode::WUSR,
            0,
        )
        .unwrap();
        std::fs::write(dir.join("employees.csv"), "bytes").unwrap();

        let link = read_file(&folders, OsStr::new("link.csv"), 100);
        let fifo = read_file(&folders, fifo, 100); // returns: a FIFO is opened without waiting
        let big = read_file(&folders, OsStr::new("employees.csv"), 3);
        let file = read_file(&folders, OsStr::new("employees.csv"), 100);

        assert_eq!(link.unwrap_err(), "is a symbolic link, which is never read");
        assert_eq!(fifo.unwrap_err(), "is not a regular file");
        assert_eq!(
            big.unwrap_err(),
            "the file has 5 bytes, more than the 3 bytes allowed"
        );
        assert_eq!(file.unwrap().0, b"bytes");
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary_keeping_the_extension() {
        assert_eq!(shorten("employees.csv", 20), "employees.csv");
        assert_eq!(shorten("abcdefghij.csv", 10), "abcdef.csv");
        // "ü" is two bytes: never cut in half.
        assert_eq!(shorten("üüüüü.xlsx", 10), "üü.xlsx");
        let long = format!("{}.csv", "ä".repeat(200));
        let short = shorten(&long, 200);
        assert!(short.len() <= 200 && short.ends_with(".csv"), "{short}");
    }
}
