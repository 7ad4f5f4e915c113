//! The names of the metrics the engine records (Prometheus series), in one place so every
//! run, the scheduler, the alerts and the deliveries record the same series. The HTTP
//! side only serves them (`staffsync_server::ops`). Labels carry a run's result, a change's
//! action, an alert's kind or a delivery's result: never account data.

/// Finished syncs, labelled `result` = `applied` | `held` | `dry_run` | `failed`.
pub const SYNCS_TOTAL: &str = "staffsync_syncs_total";
/// Wall time of a sync run (fetch, plan and apply), seconds.
pub const SYNC_DURATION_SECONDS: &str = "staffsync_sync_duration_seconds";
/// Employees changed by applied runs, labelled `action` = `create` | `update` | `remove`.
pub const EMPLOYEES_CHANGED_TOTAL: &str = "staffsync_employees_changed_total";
/// HTTP requests sent to Personio for listings (retries included).
pub const PERSONIO_REQUESTS_TOTAL: &str = "staffsync_personio_requests_total";
/// 429 responses received from Personio.
pub const PERSONIO_RATE_LIMITED_TOTAL: &str = "staffsync_personio_rate_limited_total";
/// Changes a scheduled full reconciliation made for an account kept current by webhooks
/// or polls (what those missed), labelled `action` = `create` | `update` | `remove`.
pub const RECONCILIATION_DRIFT_TOTAL: &str = "staffsync_reconciliation_drift_total";
/// Webhook deliveries received, labelled `outcome` = `queued` | `duplicate` |
/// `unauthorized` | `unknown` | `bad_request`.
pub const WEBHOOKS_TOTAL: &str = "staffsync_webhooks_total";
/// Incidents opened (each one e-mail to the account's admins when SMTP is configured),
/// labelled `kind` = `held_run` | `credential_rejected` | `attribute_unreadable` |
/// `sync_failing` | `webhook_dropped`.
pub const ALERTS_TOTAL: &str = "staffsync_alerts_total";

/// Attempts of outgoing webhook deliveries, labelled `result` = `delivered` | `retry` |
/// `failed` (given up after the retry window).
pub const WEBHOOK_DELIVERIES_TOTAL: &str = "staffsync_webhook_deliveries_total";
/// Outgoing webhook deliveries not yet accepted by their receiver.
pub const WEBHOOK_PENDING_DELIVERIES: &str = "staffsync_webhook_pending_deliveries";
/// Seconds since the oldest change some webhook endpoint has not received yet was
/// applied (0 when every endpoint is up to date): the feed's delivery lag.
pub const CHANGE_FEED_LAG_SECONDS: &str = "staffsync_change_feed_lag_seconds";
