-- Account settings are versioned (issue 11), postgres flavour. Keep in step with
-- ../sqlite/0006_account_settings.sql.

-- accounts.policy keeps the current settings document (JSON, read by every run); each
-- change also appends the whole document here with who made it and when, for the
-- history. Version 1 is the first change; an account never changed has no rows (its
-- settings are the defaults or what an older release stored in accounts.policy).
CREATE TABLE settings_versions (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    settings    TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    UNIQUE (account_id, version)
);
