-- staffsync service tables (issue 4), SQLite flavour. Keep in step with
-- ../postgres/0002_service.sql: same tables, columns and indexes.
-- Timestamps are TEXT RFC 3339 UTC (fixed width, so they compare as text).

-- Admins of an account's web app. email_key is the trimmed, lower-cased e-mail: unique
-- across all accounts, so a login names exactly one admin.
CREATE TABLE admins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX admins_by_account ON admins (account_id);

-- Web sessions: opaque data owned by the session layer.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- API tokens: only the SHA-256 hex digest of a token is stored.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_sha256  TEXT NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE INDEX api_tokens_by_account ON api_tokens (account_id, id);

-- One row per connected account: when it syncs next, and who is syncing it now.
-- requested_at is set by request_sync and cleared by claim_due, so a request made while
-- a sync runs survives that sync's release.
CREATE TABLE schedules (
    account_id           INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    next_run_at          TEXT NOT NULL,
    last_run_at          TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    lease_owner          TEXT,
    lease_expires_at     TEXT,
    accept_deletions     INTEGER NOT NULL DEFAULT 0,
    requested_at         TEXT
);
CREATE INDEX schedules_by_next_run ON schedules (next_run_at);
