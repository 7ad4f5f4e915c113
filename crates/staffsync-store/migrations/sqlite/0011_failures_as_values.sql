-- Failures as values (issue 22, point 1), sqlite flavour. Keep in step with
-- ../postgres/0011_failures_as_values.sql.

-- Why a run failed, as its kind and parameters (JSON, staffsync_core::RunFailure:
-- {"code": "source_unavailable", "status": 500}), which the web app says in the page's
-- language. `error` keeps the English message (API, command line). Runs from before
-- have only their English prose in `error` and keep showing it.
ALTER TABLE sync_runs ADD COLUMN failure TEXT;

-- Why the last attempt of an outgoing-webhook delivery failed, as a code
-- (`not_resolved`, `receiver_status`, …); `last_error` keeps the English words.
ALTER TABLE webhook_deliveries ADD COLUMN last_error_code TEXT;
