//! Where a run's people come from: one module per source, and the registry that says
//! what each source can do.
//!
//! - [`personio`]: the Personio listing, fetched page by page, each record prepared as
//!   it arrives; a few people fetched by id (webhooks, the date check) or taken from an
//!   incremental poll;
//! - [`file`]: an employee file (already read by `employee_file::read`), its rows mapped
//!   to the planner's records with person keys from the store; the date check from the
//!   records the last import kept;
//! - [`scim`]: the users an identity provider (Microsoft Entra ID, Okta) pushed to the
//!   SCIM endpoint, as the store keeps them, mapped to the planner's records with person
//!   keys from the store; a SCIM write starts a debounced run of them.
//!
//! [`kind`] is the registry: the one place (besides creating an account) that branches
//! on [`AccountSource`]. Everything else asks the [`SourceKind`] it returns what the
//! account's source can do (be connected, take files, be polled), how answers name its
//! people, and its words for the pages. [`Source::read`] is the one dispatch from a run
//! to the source's own module; the shared rest of a run (recording, holding, dry runs,
//! applying, accepting a held run, metrics) lives in [`run`](crate::run).
//!
//! A third source is a new module here, a [`SourceKind`] in the registry and a variant of
//! [`Source`] and [`AfterApply`]: the planner and the pipeline do not change. Sources must
//! never apply a plan or start a run themselves.

pub mod file;
pub mod personio;
pub mod scim;

use crate::lang::Lang;
use crate::person_refs::RefKind;
use crate::run::{ProgressFn, Recorder, Scope, SyncError, SyncOptions};
use employee_file::EmployeeFile;
use staffsync_core::{PersonKey, Plan, SourceEmployee};
use staffsync_store::{Account, AccountSource, Store};
use std::sync::Arc;
use time::{Date, OffsetDateTime};

/// What a kind of source can do and how it is named: everything outside this module asks
/// this instead of matching on [`AccountSource`].
#[derive(Debug, PartialEq, Eq)]
pub struct SourceKind {
    pub source: AccountSource,
    /// Connected with a stored API credential: `connect`, "Jetzt synchronisieren", the
    /// scheduler's 12-hour full runs, webhooks and polls are for such accounts only.
    pub connects: bool,
    /// Takes employee files (web upload, `POST /api/v1/imports`, the inbox, `staffsync
    /// import`).
    pub takes_files: bool,
    /// Asked for changes since a time between full runs (`updated_since`).
    pub polls: bool,
    /// Takes an identity provider's SCIM pushes (`/scim/v2`, tokens of scope `scim`).
    pub takes_scim: bool,
    /// Where the attributes settings may name come from.
    pub attributes: AttributesFrom,
    /// How the API, the feed and outgoing webhooks name a person's source id (the public
    /// field names: `personio_id` or `import_id`).
    pub id_field: &'static str,
    /// How they name a person's manager's source id.
    pub manager_id_field: &'static str,
    /// What a person's key is called outside ([`crate::PersonRefs`]).
    pub refs: RefKind,
    /// The source's name for pages and letters, German and English.
    name: [&'static str; 2],
    /// Where its people are listed, as a phrase ("in Personio", "in der
    /// Mitarbeiterdatei"): the pages say "wer {in_source} fehlt".
    in_source: [&'static str; 2],
    /// Where its people come from, as a phrase ("aus Personio", "aus der
    /// Mitarbeiterdatei").
    from_source: [&'static str; 2],
    /// Why someone is removed whom the source no longer lists.
    not_listed: [&'static str; 2],
    /// What the pages' header names next to "Honestly".
    brand: [&'static str; 2],
    /// What the pages call a person's id in this source (a column's heading).
    id_name: [&'static str; 2],
    /// What the command line says to do first with a new account of this kind.
    pub first_step: &'static str,
}

/// Where the attributes that settings may name come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributesFrom {
    /// The credential's readable attributes, as Personio lists them.
    Credential,
    /// The columns of the last applied employee file.
    FileColumns,
    /// What the identity provider pushed: the SCIM attributes and extensions the users
    /// carry (see [`scim`]).
    Pushed,
}

impl SourceKind {
    /// The source's name in `lang` ("Personio", "Mitarbeiterdatei"/"employee file").
    pub fn name(&self, lang: Lang) -> &'static str {
        pick(self.name, lang)
    }

    /// "in Personio", "in der Mitarbeiterdatei" / "in the employee file".
    pub fn in_source(&self, lang: Lang) -> &'static str {
        pick(self.in_source, lang)
    }

    /// "aus Personio", "aus der Mitarbeiterdatei" / "from the employee file".
    pub fn from_source(&self, lang: Lang) -> &'static str {
        pick(self.from_source, lang)
    }

    /// Why someone is removed whom the source no longer lists ("Nicht mehr in Personio
    /// gelistet", "Nicht mehr in der Mitarbeiterdatei").
    pub fn not_listed(&self, lang: Lang) -> &'static str {
        pick(self.not_listed, lang)
    }

    /// What the pages' header names next to "Honestly" ("Personio", "Mitarbeiter-Upload").
    pub fn brand(&self, lang: Lang) -> &'static str {
        pick(self.brand, lang)
    }

    /// What the pages call a person's id in this source ("Personio-ID", "ImportId",
    /// "SCIM-ID").
    pub fn id_name(&self, lang: Lang) -> &'static str {
        pick(self.id_name, lang)
    }

    /// Whether answers name this source's people by `import_id` (not `personio_id`):
    /// an id the store keeps per person key (`Store::import_ids`): a file's `ImportId`,
    /// a SCIM user's id.
    pub fn names_people_by_import_id(&self) -> bool {
        self.refs != RefKind::Personio
    }
}

const PERSONIO: SourceKind = SourceKind {
    source: AccountSource::Personio,
    connects: true,
    takes_files: false,
    polls: true,
    takes_scim: false,
    attributes: AttributesFrom::Credential,
    id_field: "personio_id",
    manager_id_field: "supervisor_personio_id",
    refs: RefKind::Personio,
    name: ["Personio", "Personio"],
    in_source: ["in Personio", "in Personio"],
    from_source: ["aus Personio", "from Personio"],
    not_listed: [
        "Nicht mehr in Personio gelistet",
        "No longer listed by Personio",
    ],
    brand: ["Personio", "Personio"],
    id_name: ["Personio-ID", "Personio ID"],
    first_step: "Personio: connect it with `staffsync connect`",
};

const FILE: SourceKind = SourceKind {
    source: AccountSource::File,
    connects: false,
    takes_files: true,
    polls: false,
    takes_scim: false,
    attributes: AttributesFrom::FileColumns,
    id_field: "import_id",
    manager_id_field: "manager_import_id",
    refs: RefKind::ImportId,
    name: ["Mitarbeiterdatei", "employee file"],
    in_source: ["in der Mitarbeiterdatei", "in the employee file"],
    from_source: ["aus der Mitarbeiterdatei", "from the employee file"],
    not_listed: [
        "Nicht mehr in der Mitarbeiterdatei",
        "No longer in the employee file",
    ],
    brand: ["Mitarbeiter-Upload", "Employee upload"],
    id_name: ["ImportId", "ImportId"],
    first_step: "employee files: import one with `staffsync import`",
};

const SCIM: SourceKind = SourceKind {
    source: AccountSource::Scim,
    connects: false,
    takes_files: false,
    polls: false,
    takes_scim: true,
    attributes: AttributesFrom::Pushed,
    // The user's SCIM id, under the name file accounts use for theirs: the API's views
    // know `import_id` (kept per person key in `import_keys`); a field of its own
    // (`scim_id`) is for when the views take their names from here.
    id_field: "import_id",
    manager_id_field: "manager_import_id",
    refs: RefKind::Scim,
    name: ["Identitätsanbieter (SCIM)", "identity provider (SCIM)"],
    in_source: ["im Identitätsanbieter", "in the identity provider"],
    from_source: ["aus dem Identitätsanbieter", "from the identity provider"],
    not_listed: [
        "Im Identitätsanbieter deaktiviert oder gelöscht",
        "Deactivated or deleted in the identity provider",
    ],
    brand: ["SCIM", "SCIM"],
    id_name: ["SCIM-ID", "SCIM ID"],
    first_step: "SCIM: create its token with `staffsync token create <slug> --scope scim`",
};

fn pick(pair: [&'static str; 2], lang: Lang) -> &'static str {
    match lang {
        Lang::De => pair[0],
        Lang::En => pair[1],
    }
}

/// The registry: what `source` can do.
pub fn kind(source: AccountSource) -> &'static SourceKind {
    match source {
        AccountSource::Personio => &PERSONIO,
        AccountSource::File => &FILE,
        AccountSource::Scim => &SCIM,
    }
}

/// What `account`'s source can do.
pub fn of(account: &Account) -> &'static SourceKind {
    kind(account.source)
}

/// What a run brings for the account's source: nothing (the source is asked itself), an
/// employee file, or a Personio client already made (the real-time side caches them).
pub enum Given<'a> {
    /// The source is asked itself: Personio's listing (`progress` reports the pages).
    Nothing { progress: ProgressFn<'a> },
    /// An employee file, read and checked: the whole company of a file account.
    File(EmployeeFile),
    /// The account's cached Personio client.
    Client(Arc<::personio::Client>),
}

impl std::fmt::Debug for Given<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Given::Nothing { .. } => f.write_str("Nothing"),
            Given::File(file) => f.debug_tuple("File").field(&file.rows.len()).finish(),
            Given::Client(_) => f.write_str("Client"),
        }
    }
}

impl Given<'static> {
    /// Nothing given, no progress wanted.
    pub fn nothing() -> Self {
        Given::Nothing {
            progress: &|_, _| {},
        }
    }
}

/// An account's source opened for one run: made by [`Source::open`], read by the run
/// pipeline through [`Source::read`].
#[derive(Debug)]
pub enum Source<'a> {
    Personio(personio::PersonioSource<'a>),
    File(file::FileSource),
    Scim(scim::ScimSource),
}

impl<'a> Source<'a> {
    /// Opens `account`'s source with what the run was `given`. A file for a Personio
    /// account, or a Personio listing asked of a file account, is refused here, before a
    /// run is started.
    pub async fn open(
        store: &Store,
        account: &Account,
        given: Given<'a>,
    ) -> Result<Source<'a>, SyncError> {
        match (account.source, given) {
            (AccountSource::Personio, Given::File(_)) => {
                Err(SyncError::PersonioAccount(account.slug.to_string()))
            }
            (AccountSource::Personio, given) => Ok(Source::Personio(
                personio::PersonioSource::open(store, account, given).await?,
            )),
            (AccountSource::File, Given::File(file)) => {
                Ok(Source::File(file::FileSource::with_file(file)))
            }
            (AccountSource::File, Given::Nothing { .. }) => {
                Ok(Source::File(file::FileSource::without_file()))
            }
            (AccountSource::File, Given::Client(_)) => {
                Err(SyncError::FileAccount(account.slug.to_string()))
            }
            (AccountSource::Scim, Given::Nothing { .. }) => Ok(Source::Scim(scim::ScimSource)),
            // Neither a file nor Personio: what it pushed is read from the store.
            (AccountSource::Scim, Given::File(_) | Given::Client(_)) => {
                Err(SyncError::ScimAccount(account.slug.to_string()))
            }
        }
    }

    /// Refuses, before a run is started, a scope this source cannot read: a full run or
    /// a few people of a file account without a file (it never contacts Personio).
    pub(crate) fn check(&self, account: &Account, scope: &Scope<'_>) -> Result<(), SyncError> {
        match (self, scope) {
            (Source::File(f), Scope::Everyone) if !f.has_file() => {
                Err(SyncError::FileAccount(account.slug.to_string()))
            }
            (Source::File(_), Scope::People { .. }) => {
                Err(SyncError::FileAccount(account.slug.to_string()))
            }
            _ => Ok(()),
        }
    }

    /// Reads the people of `scope` and plans them (the one dispatch to a source's
    /// module). `None`: nobody to read for this scope (nobody due).
    pub(crate) async fn read(
        self,
        store: &Store,
        account: &Account,
        scope: Scope<'_>,
        options: &SyncOptions,
        recorder: &mut Recorder<'_>,
    ) -> Result<Option<Planned>, SyncError> {
        match self {
            Source::Personio(s) => s.read(store, account, scope, options, recorder).await,
            Source::File(s) => s.read(store, account, scope, options).await,
            Source::Scim(s) => s.read(store, account, scope, options).await,
        }
    }
}

/// A source's plan for one run.
#[derive(Debug)]
pub struct Planned {
    /// Records read (listed by Personio; good rows of a file).
    pub fetched: usize,
    pub today: Date,
    pub plan: Plan,
    pub after: AfterApply,
    /// What an import adds to the report (`None` for other runs).
    pub import: Option<crate::run::ImportDetails>,
}

/// What a source needs kept when its plan is applied.
#[derive(Debug)]
pub enum AfterApply {
    /// Nothing beyond the plan (targeted runs, the date check).
    Nothing,
    /// Everything Personio changed before the fetch started is reflected: the incremental
    /// poller continues from there.
    Personio { fetch_started: OffsetDateTime },
    /// The keys of every `ImportId` in the file, the future hires' records and the
    /// file's columns (`Store::apply_import`).
    File {
        listed: Vec<PersonKey>,
        future_hires: Vec<SourceEmployee>,
        /// The file's readable columns, recorded for the settings once it applied.
        columns: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_names_each_source_once() {
        for source in AccountSource::ALL {
            assert_eq!(kind(source).source, source);
        }
        assert!(kind(AccountSource::Personio).connects);
        assert!(!kind(AccountSource::File).connects);
        assert!(kind(AccountSource::File).names_people_by_import_id());
        assert_eq!(kind(AccountSource::File).name(Lang::De), "Mitarbeiterdatei");
    }

    /// Branching on the source happens in the registry (here), where an account is
    /// created (the CLI's `--source`) and where the store reads and writes the column;
    /// nowhere else in the workspace's code (tests aside).
    #[test]
    fn nothing_else_branches_on_the_source() {
        let allowed = [
            "staffsync-engine/src/sources/mod.rs",
            "staffsync-store/src/accounts.rs",
            "staffsync-store/src/realtime.rs",
            "staffsync/src/commands/account.rs",
        ];
        let found: Vec<String> = code_lines()
            .into_iter()
            .filter(|(file, _, _)| !allowed.contains(&file.as_str()))
            .filter(|(_, _, line)| {
                line.contains("AccountSource::")
                    || line.contains(".source ==")
                    || line.contains(".source !=")
            })
            .map(|(file, n, line)| format!("{file}:{n}: {line}"))
            .collect();
        assert!(
            found.is_empty(),
            "branches on the source outside the registry: {found:#?}"
        );
    }

    /// A Personio id is the Personio connector's and the Personio source's: everything
    /// else knows people by their key (and names them through `PersonRefs`).
    #[test]
    fn only_the_personio_side_knows_personio_ids() {
        let found: Vec<String> = code_lines()
            .into_iter()
            .filter(|(file, _, _)| {
                !file.starts_with("personio/")
                    && !file.starts_with("personio-sim/")
                    && file != "staffsync-engine/src/sources/personio.rs"
                    && file != "staffsync-engine/src/personio_events.rs"
            })
            .filter(|(_, _, line)| line.contains("PersonioId"))
            .map(|(file, n, line)| format!("{file}:{n}: {line}"))
            .collect();
        assert!(
            found.is_empty(),
            "Personio ids outside Personio: {found:#?}"
        );
    }

    /// Every line of the workspace's code outside tests (`crates/…/*.rs` before any
    /// `#[cfg(test)]`, not under `tests`, `benches` or `templates`), with its file
    /// relative to `crates/` and its line number.
    fn code_lines() -> Vec<(String, usize, String)> {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut out = Vec::new();
        let mut dirs = vec![crates.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !matches!(name.as_str(), "target" | "tests" | "benches" | "templates") {
                        dirs.push(path);
                    }
                    continue;
                }
                if !name.ends_with(".rs") {
                    continue;
                }
                let relative = path
                    .strip_prefix(&crates)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let text = std::fs::read_to_string(&path).unwrap();
                // Unit tests create accounts of either source.
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                for (n, line) in code.lines().enumerate() {
                    out.push((relative.clone(), n + 1, line.trim().to_owned()));
                }
            }
        }
        out
    }
}
