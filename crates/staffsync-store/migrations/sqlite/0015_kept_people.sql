-- People an admin kept by rejecting a held run (issue 22, point 4), sqlite flavour. Keep in
-- step with ../postgres/0015_kept_people.sql.
--
-- "Ablehnen" on a held run keeps the people it listed: later runs neither hold again nor
-- remove them for the same reason (`reason`, a RemovalReason as JSON: not listed, a
-- scope rule in words, no longer eligible), and show them as kept. A row goes when the
-- source lists the person as eligible again, when their reason changes (the admin
-- changed the rule), or when they are removed after all ("Jetzt entfernen" sets
-- `release_at`: the next sync removes exactly them, as if a held run listing them had
-- been accepted). `kept_by`: who rejected (`admin:<e-mail>`), never a secret.
CREATE TABLE kept_people (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    personio_id INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    run_id      INTEGER NOT NULL,
    kept_by     TEXT NOT NULL,
    kept_at     TEXT NOT NULL,
    release_at  TEXT,
    PRIMARY KEY (account_id, personio_id)
);

-- A run records the kept people it did not remove as `keep` changes (with the reason
-- as detail), so its page lists them as "behalten". SQLite cannot change a CHECK in
-- place: the table is rebuilt with the same rows, ids and indexes.
CREATE TABLE run_changes_0015 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    personio_id INTEGER NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'remove', 'skip', 'keep')),
    detail      TEXT
);
INSERT INTO run_changes_0015 (id, run_id, account_id, personio_id, action, detail)
    SELECT id, run_id, account_id, personio_id, action, detail FROM run_changes;
DROP TABLE run_changes;
ALTER TABLE run_changes_0015 RENAME TO run_changes;
CREATE INDEX run_changes_by_run ON run_changes (run_id, id);
CREATE INDEX run_changes_by_person ON run_changes (account_id, personio_id);
