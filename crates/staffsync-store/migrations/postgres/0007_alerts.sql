-- Alerts for admins (issue 13, part 1), postgres flavour. Keep in step with
-- ../sqlite/0007_alerts.sql.

-- An incident: something an account's admins must hear about (a run held by the
-- deletion guard, a rejected credential, ...). At most one open incident per account and
-- kind (the partial unique index), so a retry that finds the same problem opens nothing
-- and mails nobody; resolving sets resolved_at. details is JSON with counts, a run id, an
-- attribute key or a failure category: never an employee's personal data, never a secret.
-- opened_mail / resolved_mail record what became of the e-mail of each phase
-- ('sent', 'failed', 'not_configured'; NULL while it is being sent or not due).
CREATE TABLE incidents (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    details       TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    resolved_at   TEXT,
    opened_mail   TEXT,
    resolved_mail TEXT
);
CREATE UNIQUE INDEX incidents_one_open ON incidents (account_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX incidents_by_account ON incidents (account_id, id);

-- The language an admin last used the web app in ('de' or 'en'; NULL = never logged in
-- since): their alert e-mails are written in it.
ALTER TABLE admins ADD COLUMN lang TEXT;
