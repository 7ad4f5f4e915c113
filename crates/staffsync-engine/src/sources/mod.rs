//! Where a full run's people come from: one module per source, each turning what it
//! reads into the planner's input and a plan.
//!
//! - [`personio`]: the Personio listing, fetched page by page, each record prepared as
//!   it arrives;
//! - [`file`]: an employee file (already read by `employee_file::read`), its rows mapped
//!   to the planner's records with person keys from the store.
//!
//! A source hands [`sync_job`](crate::sync_job) a [`Planned`]: the plan and what
//! the store must keep once it is applied. Everything else about a run (recording it,
//! holding it, a dry run, applying, accepting a held run, metrics) is shared and lives
//! there. A third source is a new module here and a variant of [`AfterApply`]: the planner
//! does not change. Sources must never apply a plan or start a run themselves.

pub mod file;
pub mod personio;

use staffsync_core::{PersonioId, Plan, SourceEmployee};
use time::{Date, OffsetDateTime};

/// A source's plan for one full run.
#[derive(Debug)]
pub struct Planned {
    /// Records read (listed by Personio; good rows of a file).
    pub fetched: usize,
    pub today: Date,
    pub plan: Plan,
    pub after: AfterApply,
}

/// What a source needs kept when its plan is applied.
#[derive(Debug)]
pub enum AfterApply {
    /// Everything Personio changed before the fetch started is reflected: the incremental
    /// poller continues from there.
    Personio { fetch_started: OffsetDateTime },
    /// The keys of every `ImportId` in the file, the future hires' records and the
    /// file's columns (`Store::apply_import`).
    File {
        listed: Vec<PersonioId>,
        future_hires: Vec<SourceEmployee>,
        /// The file's readable columns, recorded for the settings once it applied.
        columns: Vec<String>,
    },
}
