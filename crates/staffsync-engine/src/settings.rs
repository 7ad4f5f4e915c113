//! Saving and previewing an account's settings document, for the API, the web app and
//! the CLI alike.
//!
//! A document is parsed at the boundary ([`Settings::parse`]); here it is checked against
//! what the account's Personio credential can read, or a file account's last import has
//! as columns (a rule on an attribute the source does not send would silently match
//! nobody), saved as a new version, and a full sync is queued so the directory follows (a
//! file account follows with its next import). A preview is a dry run with the candidate
//! settings: it fetches and plans, records the dry run, and changes nothing (a file
//! account cannot be previewed without a file: its preview is an import dry run).
//!
//! This module must never apply a plan or accept removals: a change that removes people
//! goes through the deletion guard and the held-run review like any other run.

use crate::dry_run::{self, DryRunError};
use crate::run::SyncOptions;
use crate::sources::AttributesFrom;
use crate::sources::file::STANDARD_COLUMNS;
use staffsync_core::settings::STANDARD_GROUP_ATTRIBUTES;
use staffsync_core::{
    DirectoryEmployee, GroupKey, Plan, RemovalReason, Settings, SettingsError, SettingsProblem,
    SkipReason,
};
use staffsync_store::{Account, AccountId, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Where an admin ticks an attribute for the credential, in Personio's words.
pub const WHERE_TO_TICK: &str = "Einstellungen → API-Zugangsdaten → Attribute";

/// Why a settings document cannot be saved as it is.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// An invalid value, or an attribute the source does not send (the field is named).
    #[error("{0}")]
    Invalid(SettingsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a document before it is saved or previewed: its values
/// ([`Settings::validate`], for documents not made by [`Settings::parse`]) and that
/// every attribute it names is readable ([`check_readable`]).
pub async fn check(
    store: &Store,
    account: AccountId,
    settings: &Settings,
) -> Result<(), CheckError> {
    settings.validate().map_err(CheckError::Invalid)?;
    check_readable(store, account, settings).await
}

/// Refuses a document naming an attribute the credential cannot read, with the field's
/// path. An attribute counts as readable when `/attributes` last listed its key or its
/// label (ignoring case), or when it is the label of a custom attribute the directory
/// holds (custom attributes are kept by label). Also refuses naming the age groups' date
/// attribute anywhere else by its other name (by key here, by label there): it is never
/// stored. Without a connection there is nothing to check against: accepted. For a file
/// account the attributes are the columns of its last import instead (see
/// [`check_file_columns`]).
async fn check_readable(
    store: &Store,
    account: AccountId,
    settings: &Settings,
) -> Result<(), CheckError> {
    if store
        .account_by_id(account)
        .await?
        .is_some_and(|a| crate::sources::of(&a).attributes == AttributesFrom::FileColumns)
    {
        return check_file_columns(store, account, settings).await;
    }
    let Some(connection) = store.connection(account).await? else {
        return Ok(());
    };
    let keys: BTreeSet<&str> = connection
        .readable_attributes
        .iter()
        .map(String::as_str)
        .collect();
    let key_of = |name: &str| -> Option<String> {
        if keys.contains(name) {
            return Some(name.to_owned());
        }
        let folded = name.to_lowercase();
        connection
            .attribute_labels
            .iter()
            .find(|(_, label)| label.to_lowercase() == folded)
            .map(|(key, _)| key.clone())
    };
    if let Some(age) = &settings.groups.age
        && let Some(date) = key_of(age.attribute.trim())
        && let Some((field, _)) = settings
            .attributes_named()
            .into_iter()
            .find(|(f, n)| f != "groups.age.attribute" && key_of(n).as_deref() == Some(&*date))
    {
        return Err(CheckError::Invalid(SettingsError::new(
            field,
            SettingsProblem::AgeDateElsewhere,
            "is the date attribute of the age groups, which is never stored: it cannot \
             also be kept, grouped by or used in a rule",
        )));
    }
    let mut labels: Option<BTreeSet<String>> = None;
    for (field, name) in settings.attributes_named() {
        if key_of(name).is_some() {
            continue;
        }
        // Standard dimensions the credential cannot read just make no groups; only a rule
        // or a custom attribute needs the value.
        if field.starts_with("groups.") && STANDARD_GROUP_ATTRIBUTES.contains(&name) {
            continue;
        }
        if labels.is_none() {
            labels = Some(directory_labels(store, account).await?);
        }
        if labels
            .as_ref()
            .is_some_and(|l| l.contains(&name.to_lowercase()))
        {
            continue;
        }
        return Err(CheckError::Invalid(SettingsError::new(
            field,
            SettingsProblem::Unreadable {
                name: name.to_owned(),
            },
            format!(
                "the Personio credential cannot read the attribute {name:?}: tick it in \
                 Personio under {WHERE_TO_TICK}, then sync once"
            ),
        )));
    }
    Ok(())
}

/// [`check_readable`] for a file account: every attribute a rule or a custom group names
/// is a column of its last import, the standard ones by their key (`department`,
/// `hire_date`, … see `sources::file::STANDARD_COLUMNS`), the others by their header
/// name, ignoring case. Standard group dimensions the file lacks just make no groups.
/// Before the first import there is nothing to check against: accepted.
async fn check_file_columns(
    store: &Store,
    account: AccountId,
    settings: &Settings,
) -> Result<(), CheckError> {
    let columns = store.file_columns(account).await?;
    if columns.is_empty() {
        return Ok(());
    }
    let standard = |c: &str| STANDARD_COLUMNS.contains(&c);
    for (field, name) in settings.attributes_named() {
        let known = columns
            .iter()
            .any(|c| c == name || (!standard(c) && c.to_lowercase() == name.to_lowercase()));
        if known || (field.starts_with("groups.") && STANDARD_GROUP_ATTRIBUTES.contains(&name)) {
            continue;
        }
        let message = format!(
            "the last employee file has no column {name:?}; name one of its columns \
             ({}), or import a file with that column first",
            columns.join(", ")
        );
        return Err(CheckError::Invalid(SettingsError::new(
            field,
            SettingsProblem::NoColumn {
                name: name.to_owned(),
                columns,
            },
            message,
        )));
    }
    Ok(())
}

/// The attribute names the directory holds (custom attributes by label), lower-cased.
async fn directory_labels(
    store: &Store,
    account: AccountId,
) -> Result<BTreeSet<String>, StoreError> {
    let directory = store.directory(account).await?;
    Ok(directory
        .iter()
        .flat_map(|e| e.attributes.keys())
        .map(str::to_lowercase)
        .collect())
}

/// What a settings change would do now, as counts and the people concerned.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SettingsPreview {
    pub creates: usize,
    pub updates: usize,
    pub removals: usize,
    /// People a scope rule keeps out: those it would remove and those it skips.
    pub excluded: usize,
    pub groups_added: usize,
    pub groups_removed: usize,
    /// Whether the deletion guard would hold the run (an admin reviews it first).
    pub held: bool,
    /// The dry run recorded for this preview.
    pub run_id: i64,
    pub people: PreviewPeople,
}

/// The people behind [`SettingsPreview`]'s counts.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PreviewPeople {
    pub creates: Vec<PreviewPerson>,
    pub removals: Vec<PreviewPerson>,
    pub excluded: Vec<PreviewPerson>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PreviewPerson {
    pub id: i64,
    /// Empty when the directory does not hold them (a person never imported).
    pub name: String,
    /// For `excluded`: the rule that keeps them out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// A dry run of the account with `settings` instead of its own ([`dry_run::bounded`]):
/// fetches from Personio, plans, records the dry run, changes nothing.
pub async fn preview(
    store: &Store,
    account: &Account,
    settings: Settings,
    options: SyncOptions,
    holder: &str,
    lease_len: Duration,
    limit: Duration,
) -> Result<SettingsPreview, DryRunError> {
    let options = SyncOptions {
        settings: Some(settings),
        accept_held: None,
        ..options
    };
    let report = dry_run::bounded(store, account, options, holder, lease_len, limit).await?;
    let directory = store
        .directory(account.id)
        .await
        .map_err(|e| DryRunError::Sync(e.into()))?;
    Ok(summarize(&report.plan, report.run_id.0, &directory))
}

/// The preview of `plan` against the `directory` it was planned for.
fn summarize(plan: &Plan, run_id: i64, directory: &[DirectoryEmployee]) -> SettingsPreview {
    let by_id: BTreeMap<i64, &DirectoryEmployee> = directory.iter().map(|e| (e.key.0, e)).collect();
    let person = |id: i64, rule: Option<String>| PreviewPerson {
        id,
        name: by_id.get(&id).map(|e| full_name(e)).unwrap_or_default(),
        rule,
    };
    let mut people = PreviewPeople {
        creates: plan
            .creates
            .iter()
            .map(|e| PreviewPerson {
                id: e.key.0,
                name: full_name(e),
                rule: None,
            })
            .collect(),
        ..PreviewPeople::default()
    };
    for removal in &plan.removals {
        let id = removal.key.0;
        people.removals.push(person(id, None));
        if let Some(rule) = removal_rule(&removal.reason) {
            people.excluded.push(person(id, Some(rule)));
        }
    }
    for skip in &plan.skips {
        if let (Some(id), Some(rule)) = (skip.key, skip_rule(&skip.reason)) {
            people.excluded.push(person(id.0, Some(rule)));
        }
    }
    // The groups after the run: the unchanged people's, the updated records', the new
    // people's; the removed people's only where someone else still belongs.
    let replaced: BTreeSet<i64> = plan
        .updates
        .iter()
        .map(|u| u.after.key.0)
        .chain(plan.removals.iter().map(|r| r.key.0))
        .collect();
    let before: BTreeSet<&GroupKey> = directory.iter().flat_map(|e| e.groups.iter()).collect();
    let after: BTreeSet<&GroupKey> = directory
        .iter()
        .filter(|e| !replaced.contains(&e.key.0))
        .flat_map(|e| e.groups.iter())
        .chain(plan.updates.iter().flat_map(|u| u.after.groups.iter()))
        .chain(plan.creates.iter().flat_map(|c| c.groups.iter()))
        .collect();
    SettingsPreview {
        creates: plan.creates.len(),
        updates: plan.updates.len(),
        removals: plan.removals.len(),
        excluded: people.excluded.len(),
        groups_added: after.difference(&before).count(),
        groups_removed: before.difference(&after).count(),
        held: plan.held.is_some(),
        run_id,
        people,
    }
}

fn full_name(e: &DirectoryEmployee) -> String {
    format!("{} {}", e.first_name, e.last_name)
}

/// The scope rule a removal names, if a rule caused it.
fn removal_rule(reason: &RemovalReason) -> Option<String> {
    match reason {
        RemovalReason::Excluded { rule } => Some(rule.clone()),
        RemovalReason::NoLongerEligible { because } => skip_rule(because),
        _ => None,
    }
}

/// The scope rule a skip names, if a rule caused it.
fn skip_rule(reason: &SkipReason) -> Option<String> {
    match reason {
        SkipReason::Excluded { rule } => Some(rule.clone()),
        _ => None,
    }
}
