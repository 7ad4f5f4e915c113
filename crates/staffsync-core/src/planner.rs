//! The planner: a pure function from (directory, snapshot, policy, today) to a [`Plan`].
//! It does no I/O. (Being written.)

use crate::directory::DirectoryEmployee;
use crate::plan::{Plan, Policy, Snapshot};
use time::Date;

/// Decides what a sync does. See the crate docs for the rules.
pub fn plan(
    _directory: &[DirectoryEmployee],
    _snapshot: &Snapshot,
    _policy: &Policy,
    _today: Date,
) -> Plan {
    Plan::default()
}
