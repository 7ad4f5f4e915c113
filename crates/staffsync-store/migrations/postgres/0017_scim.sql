-- SCIM 2.0 provisioning as a third source (issue 23), postgres flavour. Keep in step with
-- ../sqlite/0017_scim.sql: same tables, columns and indexes. (SQLite cannot change a
-- column's CHECK inside a migration's transaction: `open.rs` widens it there.)

-- An account may take its people from an identity provider's SCIM pushes.
ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_source_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_source_check
    CHECK (source IN ('personio', 'file', 'scim'));

-- What a token opens: the REST API (`api`, every token made before) or the SCIM
-- endpoint (`scim`). Neither opens the other.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'api'
    CHECK (scope IN ('api', 'scim'));

-- The SCIM source's state: each user as the identity provider last wrote it. `id` is the
-- id staffsync issued (a UUID); `user_name_key` is the userName lower-cased (SCIM
-- userNames are unique case-insensitively); `resource` the whole resource as JSON.
-- The person key of each user is kept in import_keys under its id, as for files.
CREATE TABLE scim_users (
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    external_id    TEXT,
    user_name      TEXT NOT NULL,
    user_name_key  TEXT NOT NULL,
    active         BIGINT NOT NULL,
    resource       TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, user_name_key)
);
-- Entra and Okta look a user up by userName (the unique index above) or externalId
-- before each write: both are answered from an index, not by reading every user.
CREATE INDEX scim_users_by_external_id ON scim_users (account_id, external_id);
