-- People an admin kept by rejecting a held run (issue 22, point 4), postgres flavour. Keep in
-- step with ../sqlite/0015_kept_people.sql.
--
-- "Ablehnen" on a held run keeps the people it listed: later runs neither hold again nor
-- remove them for the same reason (`reason`, a RemovalReason as JSON: not listed, a
-- scope rule in words, no longer eligible), and show them as kept. A row goes when the
-- source lists the person as eligible again, when their reason changes (the admin
-- changed the rule), or when they are removed after all ("Jetzt entfernen" sets
-- `release_at`: the next sync removes exactly them, as if a held run listing them had
-- been accepted). `kept_by`: who rejected (`admin:<e-mail>`), never a secret.
CREATE TABLE kept_people (
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    personio_id BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    run_id      BIGINT NOT NULL,
    kept_by     TEXT NOT NULL,
    kept_at     TEXT NOT NULL,
    release_at  TEXT,
    PRIMARY KEY (account_id, personio_id)
);

-- A run records the kept people it did not remove as `keep` changes (with the reason
-- as detail), so its page lists them as "behalten".
ALTER TABLE run_changes DROP CONSTRAINT run_changes_action_check;
ALTER TABLE run_changes ADD CONSTRAINT run_changes_action_check
    CHECK (action IN ('create', 'update', 'remove', 'skip', 'keep'));
