//! Incidents: what an account's admins must hear about (a run held by the deletion
//! guard, a credential Personio rejects, …), each open from the moment it is found until
//! it is resolved, so that it is mailed once when it opens and once when it is resolved,
//! never once per retry.
//!
//! At most one incident per account and kind is open (a partial unique index), and
//! opening and resolving are single statements, so two processes that find the same
//! problem at once cannot both open it (nor both resolve it): the one whose statement
//! changed the row sends the mail. This module must never store an employee's personal
//! data or a secret in an incident: details are counts, a run id, an attribute key and a
//! failure category.

use crate::error::{Result, StoreError};
use crate::sql::{from_json, now, parse_opt_ts, parse_ts, to_json, ts};
use crate::{AccountId, Store};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use sqlx::any::AnyRow;
use std::fmt;
use time::OffsetDateTime;

/// What went wrong, one open incident per account and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// The deletion guard held a run: nothing applies until an admin reviews it.
    HeldRun,
    /// Personio refuses the credential (401/403): no sync can run.
    CredentialRejected,
    /// A mandatory attribute can no longer be read: every run fails before planning.
    AttributeUnreadable,
    /// Scheduled syncs failed several times in a row (for another reason).
    SyncFailing,
    /// The webhook subscription staffsync registered is gone from Personio (or disabled).
    WebhookDropped,
}

impl IncidentKind {
    pub const ALL: [IncidentKind; 5] = [
        IncidentKind::HeldRun,
        IncidentKind::CredentialRejected,
        IncidentKind::AttributeUnreadable,
        IncidentKind::SyncFailing,
        IncidentKind::WebhookDropped,
    ];

    /// The stored name, also the `kind` label of `staffsync_alerts_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::HeldRun => "held_run",
            IncidentKind::CredentialRejected => "credential_rejected",
            IncidentKind::AttributeUnreadable => "attribute_unreadable",
            IncidentKind::SyncFailing => "sync_failing",
            IncidentKind::WebhookDropped => "webhook_dropped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an incident says beyond its kind: counts and keys only, never a person's data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDetails {
    /// The held run to review (held runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<i64>,
    /// How many people the held run would remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removals: Option<u64>,
    /// How many people the held run would keep under a new id (re-keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rekeys: Option<u64>,
    /// How many people the directory had when the run was held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_size: Option<u64>,
    /// The attribute key that is no longer readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// Consecutive failures so far (failing syncs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<i64>,
    /// Why the syncs fail, as a category key the texts translate (`personio_unavailable`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An incident's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct IncidentId(pub i64);

/// When an incident's e-mail is sent: as it opens, or as it is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentPhase {
    Opened,
    Resolved,
}

impl IncidentPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentPhase::Opened => "opened",
            IncidentPhase::Resolved => "resolved",
        }
    }
}

/// What became of an incident's e-mail for one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Every recipient's message was accepted by the SMTP server.
    Sent,
    /// At least one message could not be sent after the retries.
    Failed,
    /// No SMTP server is configured: the incident shows in the web app only.
    NotConfigured,
    /// The account has nobody to write to.
    NoRecipients,
}

impl MailStatus {
    pub const ALL: [MailStatus; 4] = [
        MailStatus::Sent,
        MailStatus::Failed,
        MailStatus::NotConfigured,
        MailStatus::NoRecipients,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
            MailStatus::NotConfigured => "not_configured",
            MailStatus::NoRecipients => "no_recipients",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: IncidentId,
    pub account_id: AccountId,
    pub kind: IncidentKind,
    pub details: IncidentDetails,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    pub opened_mail: Option<MailStatus>,
    pub resolved_mail: Option<MailStatus>,
}

/// What [`Store::open_incident`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A new incident: its e-mail is due.
    New(Incident),
    /// One of this kind was already open; its details were brought up to date, and no
    /// e-mail is due.
    AlreadyOpen(Incident),
}

const COLUMNS: &str =
    "id, account_id, kind, details, opened_at, resolved_at, opened_mail, resolved_mail";

fn mail_status(s: Option<String>) -> Result<Option<MailStatus>> {
    s.map(|s| {
        MailStatus::parse(&s).ok_or_else(|| StoreError::corrupt(format!("incident mail {s:?}")))
    })
    .transpose()
}

fn incident_from_row(row: &AnyRow) -> Result<Incident> {
    let kind: String = row.try_get("kind")?;
    let details: String = row.try_get("details")?;
    let opened_at: String = row.try_get("opened_at")?;
    Ok(Incident {
        id: IncidentId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        kind: IncidentKind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("incident kind {kind:?}")))?,
        details: from_json(&details, "incident details")?,
        opened_at: parse_ts(&opened_at)?,
        resolved_at: parse_opt_ts(row.try_get("resolved_at")?)?,
        opened_mail: mail_status(row.try_get("opened_mail")?)?,
        resolved_mail: mail_status(row.try_get("resolved_mail")?)?,
    })
}

impl Store {
    /// Opens an incident of `kind` for `account`, unless one is open: then only its
    /// details are replaced by `details` (the newest held run, the failure count).
    pub async fn open_incident(
        &self,
        account: AccountId,
        kind: IncidentKind,
        details: &IncidentDetails,
    ) -> Result<Opened> {
        let details = to_json(details)?;
        let insert = format!(
            "INSERT INTO incidents (account_id, kind, details, opened_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING RETURNING {COLUMNS}"
        );
        let update = format!(
            "UPDATE incidents SET details = $3 \
             WHERE account_id = $1 AND kind = $2 AND resolved_at IS NULL RETURNING {COLUMNS}"
        );
        // Twice at most: an open incident resolved between the two statements leaves
        // room for a new one.
        for _ in 0..2 {
            let row = sqlx::query(&insert)
                .bind(account.0)
                .bind(kind.as_str())
                .bind(&details)
                .bind(ts(now()))
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| {
                    if crate::error::is_foreign_key_violation(&e) {
                        StoreError::not_found(format!("account {account}"))
                    } else {
                        e.into()
                    }
                })?;
            if let Some(row) = row {
                return Ok(Opened::New(incident_from_row(&row)?));
            }
            let row = sqlx::query(&update)
                .bind(account.0)
                .bind(kind.as_str())
                .bind(&details)
                .fetch_optional(&self.pool)
                .await?;
            if let Some(row) = row {
                return Ok(Opened::AlreadyOpen(incident_from_row(&row)?));
            }
        }
        Err(StoreError::conflict(format!(
            "the {kind} incident of account {account} keeps opening and closing"
        )))
    }

    /// Resolves the account's open incident of `kind`: `Some` when this call resolved it
    /// (its "resolved" e-mail is due), `None` when none was open.
    pub async fn resolve_incident(
        &self,
        account: AccountId,
        kind: IncidentKind,
    ) -> Result<Option<Incident>> {
        let sql = format!(
            "UPDATE incidents SET resolved_at = $3 \
             WHERE account_id = $1 AND kind = $2 AND resolved_at IS NULL RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(kind.as_str())
            .bind(ts(now()))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(incident_from_row).transpose()
    }

    /// The account's open incidents, oldest first.
    pub async fn open_incidents(&self, account: AccountId) -> Result<Vec<Incident>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM incidents WHERE account_id = $1 AND resolved_at IS NULL \
             ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(incident_from_row).collect()
    }

    /// The account's incidents, open and resolved, newest first, at most `limit`.
    pub async fn incidents(&self, account: AccountId, limit: u32) -> Result<Vec<Incident>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM incidents WHERE account_id = $1 ORDER BY id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(incident_from_row).collect()
    }

    /// Records what became of the account's incident `id`'s e-mail for `phase`.
    pub async fn record_incident_mail(
        &self,
        account: AccountId,
        id: IncidentId,
        phase: IncidentPhase,
        status: MailStatus,
    ) -> Result<()> {
        // The column name comes from the enum, never from input.
        let column = match phase {
            IncidentPhase::Opened => "opened_mail",
            IncidentPhase::Resolved => "resolved_mail",
        };
        let sql = format!("UPDATE incidents SET {column} = $1 WHERE account_id = $2 AND id = $3");
        let done = sqlx::query(&sql)
            .bind(status.as_str())
            .bind(account.0)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("incident {}", id.0)));
        }
        Ok(())
    }
}
