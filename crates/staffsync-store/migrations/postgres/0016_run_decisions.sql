-- Who decided on a held run (issue 22, point 3), postgres flavour. Keep in step with
-- ../sqlite/0016_run_decisions.sql.

-- The history is an audit trail: a held run shows who accepted or rejected it, and
-- when. `decided_by` is how the decision came (`admin:<e-mail>` from the web app,
-- `cli` from `sync --accept-deletions`), `decided_at` an RFC 3339 time. Runs
-- decided before this release have neither.
ALTER TABLE sync_runs ADD COLUMN decided_by TEXT;
ALTER TABLE sync_runs ADD COLUMN decided_at TEXT;
