-- Survey audience snapshots (issue 24, point 2), SQLite flavour. Keep in step with
-- ../postgres/0011_audience_snapshots.sql.
--
-- A snapshot freezes who a survey was sent to, with the groups they were in at launch,
-- so results are cut and the anonymity threshold checked on that audience however the
-- directory moves on. Written once, in one transaction (`Store::create_snapshot`), never
-- changed afterwards except by erasure: `apply_plan` sets an erased person's
-- `personio_id` to NULL (keeping the entry and its group ids, so counts stay right) and
-- blanks the name of a reporting line called after them. Nothing else about a person is
-- stored: no name, no e-mail.
-- AUTOINCREMENT: an id is never reused, so a deleted snapshot's id never names another.
CREATE TABLE audience_snapshots (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    member_count INTEGER NOT NULL
);
CREATE INDEX audience_snapshots_by_account ON audience_snapshots (account_id, id);

-- The groups the members were in at launch: their id, kind and name then (a group
-- renamed or removed later keeps them here), and how many members were in each.
-- `manager_name`: a reporting line's manager's name at launch. `name` and
-- `manager_name` are NULL once that manager was erased.
CREATE TABLE audience_snapshot_groups (
    snapshot_id  INTEGER NOT NULL REFERENCES audience_snapshots (id) ON DELETE CASCADE,
    group_id     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    name         TEXT,
    manager_name TEXT,
    member_count INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, group_id)
) WITHOUT ROWID;

-- One row per member, numbered from 1 in Personio-id order (`position` is the paging
-- key, stable after erasure). `group_ids`: the ids of their groups at launch,
-- comma-separated (a sixth of the space of a row per membership). `personio_id` (the
-- person key, for file accounts) is NULL once the person was erased.
CREATE TABLE audience_snapshot_members (
    snapshot_id INTEGER NOT NULL REFERENCES audience_snapshots (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    account_id  INTEGER NOT NULL,
    personio_id INTEGER,
    group_ids   TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, position)
) WITHOUT ROWID;
-- Erasure finds a person's entries in every snapshot of the account.
CREATE INDEX audience_snapshot_members_by_person
    ON audience_snapshot_members (account_id, personio_id) WHERE personio_id IS NOT NULL;
