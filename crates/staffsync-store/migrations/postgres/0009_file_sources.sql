-- Employee files as a second source (issue 12), postgres flavour. Keep in step with
-- ../sqlite/0009_file_sources.sql: same tables, columns and indexes.

-- Each account has exactly one source: Personio (connected with a credential) or
-- employee files (imported by upload, CLI or API). Existing accounts are Personio's.
ALTER TABLE accounts ADD COLUMN source TEXT NOT NULL DEFAULT 'personio'
    CHECK (source IN ('personio', 'file'));
-- The next person key a file account hands out: keys are never reused, so a key once
-- erased can never name someone else in the history or the change feed.
ALTER TABLE accounts ADD COLUMN next_person_key BIGINT NOT NULL DEFAULT 1;
-- A file account's readable attributes: the columns of its last import (JSON list of
-- the standard keys present and the other columns' header names).
ALTER TABLE accounts ADD COLUMN file_columns TEXT NOT NULL DEFAULT '[]';

-- The internal person key (employees.personio_id) of each ImportId of a file account.
-- A row goes when its person is erased, or after an applied import when the ImportId is
-- neither in the directory nor in that file.
CREATE TABLE import_keys (
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    import_id   TEXT NOT NULL,
    person_key  BIGINT NOT NULL,
    PRIMARY KEY (account_id, import_id),
    UNIQUE (account_id, person_key)
);

-- A future hire's record from the file (JSON), so the date check creates them on their
-- hire date without a new file (file accounts only; NULL for Personio's, which are
-- fetched on the day).
ALTER TABLE pending_hires ADD COLUMN record TEXT;
