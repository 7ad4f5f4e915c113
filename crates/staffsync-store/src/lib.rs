//! staffsync-store: everything staffsync keeps, in SQLite (the embedded default) or
//! PostgreSQL, behind one [`Store`].
//!
//! Both backends run the same SQL text through `sqlx::Any` (`$n` placeholders,
//! `ON CONFLICT`, `RETURNING`); only the DDL differs (`migrations/sqlite`,
//! `migrations/postgres`). Values are stored in types both understand: dates as TEXT
//! `YYYY-MM-DD`, timestamps as TEXT RFC 3339 UTC, JSON as TEXT, bytes as BLOB/BYTEA.
//! One conformance suite (`tests/it/conformance.rs`) runs against both.
//!
//! Besides the directory and its runs, the store keeps the service's state: admins,
//! web sessions and API token digests (`admins`), and the per-account sync schedule with
//! its cross-process leases (`schedule`, `lease`: no run starts without the account's
//! [`Lease`]), and the state of near-real-time sync: webhooks, watermarks and known
//! future hires (`realtime`), the incidents admins are alerted about (`incidents`), and
//! the change feed (`feed`, written by `apply_plan`) with the outgoing webhooks that
//! deliver it (`outgoing`), and what file accounts keep: the person key of each
//! `ImportId`, the columns of the last import, future hires' records (`imports`), and
//! survey audience snapshots (`snapshots`: who a survey went to, frozen at launch), and
//! what SCIM accounts were pushed (`scim`: each user as the identity provider wrote it).
//!
//! Rules every module here keeps:
//! - every query is scoped by `account_id`: an account can never see another's data;
//! - secrets never appear in `Debug`, errors or logs (see [`crypto`](crate::crypto));
//! - the directory changes only through [`Store::apply_plan`], in one transaction, and
//!   never for a held plan;
//! - removing a person erases them: their row, memberships and the personal details of
//!   their history go, their snapshot entries lose their ids, and on SQLite the WAL is
//!   checkpointed so the bytes leave disk.

mod accounts;
mod admins;
mod connections;
mod crypto;
mod directory;
mod error;
mod feed;
mod feedback;
mod fs;
mod imports;
mod incidents;
mod kept;
mod lease;
mod names;
mod open;
mod outgoing;
mod realtime;
mod runs;
mod schedule;
mod scim;
mod scim_groups;
mod snapshots;
mod sql;

pub use accounts::{Account, AccountSource, SettingsVersion};
pub use admins::{Admin, AdminId, ApiToken, TokenHolder, TokenScope};
pub use connections::{Connection, NewConnection};
pub use directory::GroupSummary;
pub use error::{Result, StoreError};
pub use feed::{ChangeType, FeedBounds, FeedChange};
pub use feedback::Feedback;
pub use imports::ImportApplied;
pub use incidents::{
    Incident, IncidentDetails, IncidentId, IncidentKind, IncidentPhase, MailStatus, Opened,
};
pub use kept::KeptPerson;
pub use lease::{Lease, LeaseHolder};
pub use open::{Backend, SQLITE_FILE, Store, StoreConfig};
pub use outgoing::{
    AttemptOutcome, ClaimedDelivery, DeliveryBacklog, DeliveryError, DeliveryStatus,
    WebhookDelivery, WebhookEndpoint,
};
pub use realtime::{RealtimeAccount, SyncState, Webhook};
pub use runs::{Decision, RunChange, RunKind, RunStatus, RunSummary};
pub use schedule::{Schedule, ScheduleOutcome};
pub use scim::{ScimUser, ScimUserData};
pub use scim_groups::{GroupWrite, ScimGroup, ScimGroupData};
pub use snapshots::{Snapshot, SnapshotGroup, SnapshotMember};

use serde::Serialize;
use std::fmt;

/// A customer account's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AccountId(pub i64);

/// A sync run's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
