-- SCIM Groups (issue 23), postgres flavour. Keep in step with ../sqlite/0019_scim_groups.sql:
-- same tables, columns and indexes.

-- Each group an identity provider pushed to a SCIM account. `id` is the id staffsync
-- issued (a UUID); `display_name_key` is the displayName lower-cased: the planner names
-- an `idp_group` group by displayName, so two of one account may not differ by case only.
CREATE TABLE scim_groups (
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    external_id       TEXT,
    display_name      TEXT NOT NULL,
    display_name_key  TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, display_name_key)
);
CREATE INDEX scim_groups_by_external_id ON scim_groups (account_id, external_id);

-- A group's members, users of the same account (both keys carry the account, so a
-- member can never be another account's user). Deleting a user or a group deletes its
-- memberships.
CREATE TABLE scim_group_members (
    account_id  BIGINT NOT NULL,
    group_id    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (account_id, group_id, user_id),
    FOREIGN KEY (account_id, group_id) REFERENCES scim_groups (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, user_id) REFERENCES scim_users (account_id, id) ON DELETE CASCADE
);
-- The groups of a user (the SCIM source names each person's groups).
CREATE INDEX scim_group_members_by_user ON scim_group_members (account_id, user_id);
