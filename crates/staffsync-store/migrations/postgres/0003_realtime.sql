-- Near-real-time sync (issue 5), postgres flavour. Keep in step with
-- ../sqlite/0003_realtime.sql: same tables, columns and indexes.

-- The Personio webhook registered for a connection (v2 with a public base URL): its id
-- and its token, sealed like the client secret (AES-256-GCM, bound to the account).
ALTER TABLE connections ADD COLUMN webhook_id TEXT;
ALTER TABLE connections ADD COLUMN webhook_token_ciphertext BYTEA;

-- Per-account state of the incremental poller and the effective-dating check.
-- last_incremental_at: every change Personio made before this instant (minus a safety
-- minute) is reflected; set by full runs (their start) and incremental polls (theirs).
-- last_date_check: the account-local date (YYYY-MM-DD) the date check last ran for.
CREATE TABLE sync_state (
    account_id          BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    last_incremental_at TEXT,
    last_date_check     TEXT
);

-- People known to start later: the not_started skips of the last applied full run,
-- kept up to date by targeted runs. Only the id and the hire date (YYYY-MM-DD).
CREATE TABLE pending_hires (
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    personio_id BIGINT NOT NULL,
    hire_date   TEXT NOT NULL,
    PRIMARY KEY (account_id, personio_id)
);
