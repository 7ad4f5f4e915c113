//! staffsync-core: the domain types shared by every part of staffsync, and the pure planner.
//!
//! Data flows one way: Personio → `personio` client → [`SourceEmployee`] (normalized) →
//! [`planner::plan`] → [`Plan`] → store. This crate owns the types in the middle of that
//! flow and the decision itself.
//!
//! This crate must never do I/O: no network, no files, no clock. "Today" is a parameter,
//! so every decision can be property-tested and replayed.

pub mod age;
pub mod api_version;
pub mod attributes;
pub mod dates;
pub mod directory;
pub mod employee;
pub mod failure;
pub mod field;
pub mod group_set;
pub mod ids;
pub mod mail_address;
pub mod plan;
pub mod planner;
pub mod settings;
pub mod tenure;
mod text;
pub mod time_zone;

pub use age::{AgeBand, AgeStanding, YearMonth};
pub use api_version::{ApiVersion, UnknownApiVersion};
pub use attributes::Attributes;
pub use directory::{DirectoryEmployee, GroupKey, GroupKind};
pub use employee::{CostCenter, EmploymentStatus, ExtraAttribute, OrgUnit, SourceEmployee};
pub use failure::RunFailure;
pub use field::Field;
pub use group_set::GroupSet;
pub use ids::{AccountSlug, Email, ParseError, PersonKey, SourceRef};
pub use mail_address::{MailAddress, MailAddressError};
pub use plan::{
    DeletionGuard, FieldChange, GroupChanges, GroupRename, Hold, MalformedEmployee, Plan, Policy,
    Rekey, Removal, RemovalReason, Skip, SkipReason, Snapshot, Update, Warning,
};
pub use settings::{
    AgeGroups, GroupSettings, Rule, Scope, Settings, SettingsError, SettingsProblem,
};
pub use tenure::TenureBand;
pub use time_zone::{TimeZoneName, UnknownTimeZone};
