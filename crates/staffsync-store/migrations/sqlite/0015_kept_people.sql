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
