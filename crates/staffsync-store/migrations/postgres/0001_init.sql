-- staffsync schema, PostgreSQL flavour. Keep in step with ../sqlite/0001_init.sql:
-- same tables, columns and indexes; only types and identity syntax differ.
-- Dates are TEXT 'YYYY-MM-DD', timestamps TEXT RFC 3339 UTC, JSON TEXT, bytes BYTEA.

CREATE TABLE accounts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL DEFAULT 'Europe/Berlin',
    policy      TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL
);

CREATE TABLE connections (
    account_id          BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    client_id           TEXT NOT NULL,
    secret_ciphertext   BYTEA NOT NULL,
    base_url            TEXT NOT NULL,
    api_version         TEXT NOT NULL DEFAULT 'v1',
    readable_attributes TEXT NOT NULL DEFAULT '[]',
    connected_at        TEXT NOT NULL
);

CREATE TABLE employees (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id             BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    personio_id            BIGINT NOT NULL,
    email                  TEXT NOT NULL,
    first_name             TEXT NOT NULL,
    last_name              TEXT NOT NULL,
    department             TEXT,
    office                 TEXT,
    team                   TEXT,
    position               TEXT,
    status                 TEXT,
    hire_date              TEXT,
    termination_date       TEXT,
    supervisor_personio_id BIGINT,
    attributes             TEXT NOT NULL DEFAULT '{}',
    UNIQUE (account_id, personio_id)
);

CREATE TABLE groups (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    UNIQUE (account_id, kind, name)
);

CREATE TABLE memberships (
    group_id    BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, employee_id)
);
CREATE INDEX memberships_by_employee ON memberships (employee_id);

CREATE TABLE feedback (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    employee_id     BIGINT REFERENCES employees (id) ON DELETE SET NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    groups_snapshot TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX feedback_by_account ON feedback (account_id, id);
CREATE INDEX feedback_by_employee ON feedback (employee_id);

CREATE TABLE sync_runs (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    status            TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    finished_at       TEXT,
    created           BIGINT NOT NULL DEFAULT 0,
    updated           BIGINT NOT NULL DEFAULT 0,
    removed           BIGINT NOT NULL DEFAULT 0,
    skipped           BIGINT NOT NULL DEFAULT 0,
    unchanged         BIGINT NOT NULL DEFAULT 0,
    skipped_by_reason TEXT NOT NULL DEFAULT '{}',
    warnings          TEXT NOT NULL DEFAULT '[]',
    error             TEXT,
    held              TEXT
);
CREATE INDEX sync_runs_by_account ON sync_runs (account_id, id);
CREATE INDEX sync_runs_by_status ON sync_runs (account_id, status);

CREATE TABLE run_changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      BIGINT NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    personio_id BIGINT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'remove', 'skip')),
    detail      TEXT
);
CREATE INDEX run_changes_by_run ON run_changes (run_id, id);
CREATE INDEX run_changes_by_person ON run_changes (account_id, personio_id);
