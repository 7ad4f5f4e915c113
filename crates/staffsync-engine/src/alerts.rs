//! Alerts for admins: what a finished run means for the account's incidents, and the
//! e-mails that go out when an incident opens and when it is resolved.
//!
//! The scheduler (full runs) and the real-time path (targeted runs) report each outcome
//! here. [`decide`] turns it into incidents to open and to resolve (a pure function);
//! opening and resolving are single store statements awaited in order, so a quick
//! "held, then applied" cannot be recorded the other way round, and only the process
//! whose statement opened (or resolved) an incident writes about it. E-mails are then
//! sent in a spawned task: sending must never delay, block or fail a sync. A failed send
//! is retried by the mailer, then logged (without the message or any secret) and its
//! outcome recorded on the incident.
//!
//! Kinds and their ends: a run held by the deletion guard opens `held_run`, resolved when
//! a full run applies (accepted or under the guard); a credential Personio rejects
//! (401/403) and a mandatory attribute that cannot be read open at once, resolved by the
//! next run that fetched; other failures of scheduled runs open `sync_failing` at the
//! third in a row, resolved by the next successful full run; the webhook check after each
//! successful full run opens or resolves `webhook_dropped`.
//!
//! Recipients are gathered in one place, [`recipients`]. This module must never put an
//! employee's personal data, the Personio secret or the SMTP password in an incident, a
//! mail or a log line, and never change a directory.

use crate::lang::Lang;
use crate::mail::texts::{About, letter};
use crate::mail::{Mail, Mailer};
use crate::metric_names;
use crate::run::{SyncError, SyncReport, SyncResult};
use crate::state::AppState;
use staffsync_core::RunFailure;
use staffsync_store::{
    Account, AccountId, Incident, IncidentDetails, IncidentKind, IncidentPhase, MailStatus, Opened,
    Store,
};

/// Where a run came from: only full runs settle a held run and count failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A full run; `failures` counts consecutive failures including this run's.
    Full {
        failures: i64,
    },
    Targeted,
}

/// What a run's outcome tells the alerts, without personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Held {
        run_id: i64,
        removals: u64,
        /// People the run would keep under a new id (re-keys beyond the guard).
        rekeys: u64,
        directory_size: u64,
    },
    Failed(Failure),
}

/// Why a run failed, in the classes the alerts tell apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    CredentialRejected,
    AttributeUnreadable(String),
    /// Anything else, as a category key (see [`failure_reason`]).
    Other(&'static str),
}

/// An incident to open or resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Open(IncidentKind, IncidentDetails),
    Resolve(IncidentKind),
}

/// The category of a failure, for `sync_failing`'s reason in plain words (the codes
/// incidents have always stored).
pub fn failure_reason(e: &SyncError) -> &'static str {
    reason_of(&e.failure())
}

fn reason_of(failure: &RunFailure) -> &'static str {
    match failure {
        RunFailure::SourceUnavailable { .. } | RunFailure::TimedOut { .. } => {
            "personio_unavailable"
        }
        RunFailure::SourceRateLimited => "personio_rate_limited",
        RunFailure::SourceInconsistent => "personio_inconsistent",
        RunFailure::SourceAddress => "personio_url",
        RunFailure::SourceRefused { .. }
        | RunFailure::CredentialRejected
        | RunFailure::AttributeUnreadable { .. } => "personio_refused",
        RunFailure::NotConnected => "not_connected",
        RunFailure::WrongSource => "wrong_source",
        RunFailure::Internal | RunFailure::Unknown => "internal",
    }
}

/// The alert class of a failed run.
pub fn classify(e: &SyncError) -> Failure {
    match e.failure() {
        RunFailure::CredentialRejected => Failure::CredentialRejected,
        RunFailure::AttributeUnreadable { attribute } => Failure::AttributeUnreadable(attribute),
        other => Failure::Other(reason_of(&other)),
    }
}

/// The outcome of a run as the alerts see it; `None` for what they ignore (dry runs,
/// polls that found nothing).
pub fn outcome_of(result: Result<Option<&SyncReport>, &SyncError>) -> Option<Outcome> {
    match result {
        Ok(Some(report)) => match report.result {
            SyncResult::Applied => Some(Outcome::Applied),
            SyncResult::Held => {
                let hold = report.plan.held.as_ref();
                Some(Outcome::Held {
                    run_id: report.run_id.0,
                    removals: report.plan.removals.len() as u64,
                    rekeys: report.plan.rekeys.len() as u64,
                    directory_size: hold.map_or(0, |h| h.directory_size as u64),
                })
            }
            SyncResult::DryRun => None,
        },
        Ok(None) => None,
        Err(e) => Some(Outcome::Failed(classify(e))),
    }
}

/// The incidents `outcome` of a run from `origin` opens and resolves; `sync_failing`
/// opens at [`ServerConfig::failing_after`](crate::ServerConfig::failing_after)
/// consecutive failures of full runs (`failing_after`), the same number at which the web
/// app shows the account as failing.
pub fn decide(origin: Origin, outcome: &Outcome, failing_after: u32) -> Vec<Action> {
    use IncidentKind as K;
    let full = matches!(origin, Origin::Full { .. });
    // Personio answered and every mandatory attribute was readable.
    let fetched = [
        Action::Resolve(K::CredentialRejected),
        Action::Resolve(K::AttributeUnreadable),
    ];
    let mut actions = Vec::new();
    match outcome {
        Outcome::Applied => {
            actions.extend(fetched);
            if full {
                actions.push(Action::Resolve(K::SyncFailing));
                actions.push(Action::Resolve(K::HeldRun));
            }
        }
        Outcome::Held {
            run_id,
            removals,
            rekeys,
            directory_size,
        } => {
            actions.extend(fetched);
            if full {
                actions.push(Action::Resolve(K::SyncFailing));
            }
            actions.push(Action::Open(
                K::HeldRun,
                IncidentDetails {
                    run_id: Some(*run_id),
                    removals: Some(*removals),
                    rekeys: (*rekeys > 0).then_some(*rekeys),
                    directory_size: Some(*directory_size),
                    ..IncidentDetails::default()
                },
            ));
        }
        Outcome::Failed(Failure::CredentialRejected) => {
            actions.push(Action::Open(
                K::CredentialRejected,
                IncidentDetails::default(),
            ));
        }
        Outcome::Failed(Failure::AttributeUnreadable(attribute)) => {
            actions.push(Action::Resolve(K::CredentialRejected));
            actions.push(Action::Open(
                K::AttributeUnreadable,
                IncidentDetails {
                    attribute: Some(attribute.clone()),
                    ..IncidentDetails::default()
                },
            ));
        }
        Outcome::Failed(Failure::Other(reason)) => {
            if let Origin::Full { failures } = origin
                && failures >= i64::from(failing_after)
            {
                actions.push(Action::Open(
                    K::SyncFailing,
                    IncidentDetails {
                        failures: Some(failures),
                        reason: Some((*reason).to_owned()),
                        ..IncidentDetails::default()
                    },
                ));
            }
        }
    }
    actions
}

/// Records what the run of `account` means for its incidents and mails about the ones
/// this call opened or resolved (in a spawned task). Errors are logged, never returned:
/// alerts must not fail a sync.
pub async fn after_run(
    state: &AppState,
    account: AccountId,
    origin: Origin,
    result: Result<Option<&SyncReport>, &SyncError>,
) {
    let Some(outcome) = outcome_of(result) else {
        return;
    };
    let failing_after = state.config.failing_after;
    apply(state, account, decide(origin, &outcome, failing_after)).await;
}

/// Opens and resolves as `actions` say, in order, then mails about what changed.
pub async fn apply(state: &AppState, account: AccountId, actions: Vec<Action>) {
    let mut due = Vec::new();
    for action in actions {
        let done = match action {
            Action::Open(kind, details) => {
                match state.store.open_incident(account, kind, &details).await {
                    Ok(Opened::New(incident)) => {
                        metrics::counter!(metric_names::ALERTS_TOTAL, "kind" => kind.as_str())
                            .increment(1);
                        tracing::warn!(%account, kind = %kind, "incident opened");
                        Ok(Some((incident, IncidentPhase::Opened)))
                    }
                    Ok(Opened::AlreadyOpen(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            Action::Resolve(kind) => match state.store.resolve_incident(account, kind).await {
                Ok(Some(incident)) => {
                    tracing::info!(%account, kind = %kind, "incident resolved");
                    Ok(Some((incident, IncidentPhase::Resolved)))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            },
        };
        match done {
            Ok(Some(d)) => due.push(d),
            Ok(None) => {}
            Err(e) => tracing::warn!(%account, error = %e, "could not record an incident"),
        }
    }
    if due.is_empty() {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        for (incident, phase) in due {
            notify(&state, &incident, phase).await;
        }
    });
}

/// Says once, at start-up, where alert e-mails go (never the password), or that there
/// are none.
pub fn log_mail_setup(state: &AppState) {
    match &state.mailer {
        Some(m) => {
            tracing::info!(smtp = %m.server(), "alert e-mails go out through this SMTP server")
        }
        None => tracing::warn!(
            "no SMTP server configured (--smtp-url, --mail-from): alerts are shown in the web app only"
        ),
    }
}

/// Whom an account's alerts go to, and in which language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub lang: Lang,
}

/// The account's recipients: its admins, each in the language they last logged in with
/// (German until then), and the `notify` addresses of the account's settings (German:
/// they have no language of their own). Addresses appear once (compared
/// case-insensitively). The one place that says who hears about incidents.
pub async fn recipients(
    store: &Store,
    account: &Account,
) -> Result<Vec<Recipient>, staffsync_store::StoreError> {
    let mut all: Vec<Recipient> = store
        .admins(account.id)
        .await?
        .into_iter()
        .map(|a| Recipient {
            lang: a.lang.as_deref().and_then(Lang::parse).unwrap_or_default(),
            email: a.email,
        })
        .collect();
    all.extend(
        account
            .policy
            .settings
            .notify
            .iter()
            .map(|email| Recipient {
                email: email.clone(),
                lang: Lang::default(),
            }),
    );
    let mut seen = std::collections::HashSet::new();
    all.retain(|r| seen.insert(r.email.trim().to_lowercase()));
    Ok(all)
}

/// Mails every recipient about `incident` entering `phase` and records the outcome.
async fn notify(state: &AppState, incident: &Incident, phase: IncidentPhase) {
    let account = incident.account_id;
    let status = match &state.mailer {
        None => MailStatus::NotConfigured,
        Some(mailer) => match send_all(state, mailer, incident, phase).await {
            Ok(status) => status,
            Err(e) => {
                tracing::warn!(%account, kind = %incident.kind, error = %e, "could not prepare the alert e-mails");
                MailStatus::Failed
            }
        },
    };
    if let Err(e) = state
        .store
        .record_incident_mail(account, incident.id, phase, status)
        .await
    {
        tracing::warn!(%account, error = %e, "could not record the alert e-mail's outcome");
    }
}

async fn send_all(
    state: &AppState,
    mailer: &Mailer,
    incident: &Incident,
    phase: IncidentPhase,
) -> Result<MailStatus, Box<dyn std::error::Error + Send + Sync>> {
    let account = state
        .store
        .account_by_id(incident.account_id)
        .await?
        .ok_or("the account is gone")?;
    let to = recipients(&state.store, &account).await?;
    if to.is_empty() {
        tracing::warn!(account = %account.slug, kind = %incident.kind, "an incident but no admin to write to");
        return Ok(MailStatus::NoRecipients);
    }
    let about = About {
        kind: incident.kind,
        phase,
        details: &incident.details,
        account_name: &account.name,
        base_url: state.config.public_base_url.as_deref(),
    };
    let mut status = MailStatus::Sent;
    for recipient in to {
        let letter = letter(recipient.lang, &about);
        let render = state
            .letters
            .ok_or("no renderer for alert e-mails was given to the state")?;
        let (text, html) = render(&letter)?;
        let mail = Mail {
            to: recipient.email,
            subject: letter.subject,
            text,
            html,
        };
        match mailer.send(&mail).await {
            Ok(()) => {
                tracing::info!(account = %account.slug, kind = %incident.kind, phase = phase.as_str(), "alert e-mail sent");
            }
            Err(e) => {
                tracing::warn!(account = %account.slug, kind = %incident.kind, phase = phase.as_str(), error = %e, "alert e-mail not sent");
                status = MailStatus::Failed;
            }
        }
    }
    Ok(status)
}

/// After a successful full run of an account with a Personio webhook: checks that
/// Personio still lists the subscription, enabled, and opens or resolves
/// `webhook_dropped` (one request to Personio per full run, in a spawned task).
pub fn check_webhook(state: &AppState, account: AccountId) {
    let state = state.clone();
    tokio::spawn(async move {
        let action = match webhook_state(&state, account).await {
            Ok(Some(true)) | Ok(None) => Action::Resolve(IncidentKind::WebhookDropped),
            Ok(Some(false)) => {
                Action::Open(IncidentKind::WebhookDropped, IncidentDetails::default())
            }
            Err(e) => {
                tracing::info!(%account, error = %e, "could not check the Personio webhook");
                return;
            }
        };
        apply(&state, account, vec![action]).await;
    });
}

/// `None`: the account has no webhook to check; else whether Personio lists it enabled.
async fn webhook_state(state: &AppState, account: AccountId) -> Result<Option<bool>, SyncError> {
    let Some(hook) = state.store.webhook(account).await? else {
        return Ok(None);
    };
    let Some(connection) = state.store.connection(account).await? else {
        return Ok(None);
    };
    let client = state.client(account, &connection)?;
    let listed = crate::run::sendable(client.list_webhooks()).await?;
    Ok(Some(listed.iter().any(|w| {
        w.id == hook.id
            && !w
                .status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("DISABLED"))
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentKind as K;

    fn opens(actions: &[Action]) -> Vec<K> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Open(k, _) => Some(*k),
                Action::Resolve(_) => None,
            })
            .collect()
    }

    fn resolves(actions: &[Action]) -> Vec<K> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Resolve(k) => Some(*k),
                Action::Open(..) => None,
            })
            .collect()
    }

    #[test]
    fn held_opens_and_only_a_full_applied_run_settles_it() {
        let held = Outcome::Held {
            run_id: 4,
            removals: 15,
            rekeys: 0,
            directory_size: 45,
        };
        let full = Origin::Full { failures: 0 };
        assert_eq!(opens(&decide(full, &held, 3)), [K::HeldRun]);
        assert!(resolves(&decide(full, &Outcome::Applied, 3)).contains(&K::HeldRun));
        assert!(!resolves(&decide(Origin::Targeted, &Outcome::Applied, 3)).contains(&K::HeldRun));
        assert!(!resolves(&decide(full, &held, 3)).contains(&K::HeldRun));
    }

    #[test]
    fn credential_and_attribute_open_at_once_other_failures_at_the_setting() {
        let first = Origin::Full { failures: 1 };
        let cred = Outcome::Failed(Failure::CredentialRejected);
        assert_eq!(opens(&decide(first, &cred, 3)), [K::CredentialRejected]);
        assert_eq!(
            opens(&decide(Origin::Targeted, &cred, 3)),
            [K::CredentialRejected]
        );
        let attr = Outcome::Failed(Failure::AttributeUnreadable("email".into()));
        assert_eq!(opens(&decide(first, &attr, 3)), [K::AttributeUnreadable]);
        let other = Outcome::Failed(Failure::Other("personio_unavailable"));
        assert!(opens(&decide(Origin::Full { failures: 2 }, &other, 3)).is_empty());
        assert!(opens(&decide(Origin::Targeted, &other, 3)).is_empty());
        let third = decide(Origin::Full { failures: 3 }, &other, 3);
        assert_eq!(opens(&third), [K::SyncFailing]);
        let Action::Open(_, d) = &third[0] else {
            panic!()
        };
        assert_eq!(
            (d.failures, d.reason.as_deref()),
            (Some(3), Some("personio_unavailable"))
        );
        // The next run that fetched resolves them.
        // The number follows the setting: at 5, the third failure opens nothing.
        assert!(opens(&decide(Origin::Full { failures: 3 }, &other, 5)).is_empty());
        assert_eq!(
            opens(&decide(Origin::Full { failures: 5 }, &other, 5)),
            [K::SyncFailing]
        );
        let ok = resolves(&decide(Origin::Full { failures: 0 }, &Outcome::Applied, 3));
        for k in [
            K::CredentialRejected,
            K::AttributeUnreadable,
            K::SyncFailing,
        ] {
            assert!(ok.contains(&k), "{k}");
        }
    }

    #[test]
    fn rejections_are_told_apart() {
        let e = SyncError::Personio(personio::Error::WrongCredentials);
        assert_eq!(classify(&e), Failure::CredentialRejected);
        let e = SyncError::Personio(personio::Error::Api {
            status: 403,
            path: "/x".into(),
            message: "no".into(),
        });
        assert_eq!(classify(&e), Failure::CredentialRejected);
        let e = SyncError::Personio(personio::Error::Unavailable {
            status: Some(502),
            detail: "bad gateway".into(),
        });
        assert_eq!(classify(&e), Failure::Other("personio_unavailable"));
    }
}
